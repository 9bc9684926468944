/**
 * The reconcile queue, after client-go's workqueue
 * (https://pkg.go.dev/k8s.io/client-go/util/workqueue): a key is queued at most once; a key
 * being worked on is never handed to a second worker, and if it is added meanwhile it runs
 * again afterwards; failures are retried with per-key exponential backoff. Timers are
 * injected so tests control time.
 */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => {
    clearTimeout(h as NodeJS.Timeout);
  },
};

export interface BackoffOptions {
  /** First retry delay. Default 100 ms. */
  readonly baseMs: number;
  /** Longest delay. Default 60 s. */
  readonly maxMs: number;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly urgentDirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  /** Pending delayed adds: the timer and when it fires (ms, `performance.now()`). */
  private readonly delayed = new Map<string, { readonly handle: unknown; readonly at: number }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;
  private readonly timers: Timers;
  private readonly backoff: BackoffOptions;

  constructor(
    timers: Timers = realTimers,
    backoff: BackoffOptions = { baseMs: 100, maxMs: 60_000 },
  ) {
    this.timers = timers;
    this.backoff = backoff;
  }

  /**
   * Queues `key`. `urgent` puts it at the front: a change a person is waiting to see (their
   * server just became ready) should not wait behind routine updates of fifty others.
   */
  add(key: string, urgent = false): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      if (urgent) this.urgentDirty.add(key);
      return;
    }
    if (this.queued.has(key)) {
      if (urgent) {
        this.queue.splice(this.queue.indexOf(key), 1);
        this.queue.unshift(key);
      }
      return;
    }
    this.queued.add(key);
    const waiter = this.waiters.shift();
    if (waiter) {
      this.queued.delete(key);
      this.processing.add(key);
      waiter(key);
    } else if (urgent) {
      this.queue.unshift(key);
    } else {
      this.queue.push(key);
    }
  }

  /**
   * Adds after `ms`. Of two delayed adds of the same key the earlier wins, as in client-go's
   * delaying queue: a far-off look (a start's time-out in five minutes) must not swallow a
   * change that asks for a look in 150 ms.
   */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    const at = performance.now() + ms;
    const pending = this.delayed.get(key);
    if (pending !== undefined) {
      if (pending.at <= at) return;
      this.timers.clearTimeout(pending.handle);
    }
    const handle = this.timers.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { handle, at });
  }

  /** Retries `key` after its backoff, which doubles with each failure. Returns the delay. */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = Math.min(this.backoff.baseMs * 2 ** n, this.backoff.maxMs);
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears the failure count after a success. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  failureCount(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Resolves with the next key (now marked processing), or undefined after shutdown. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` finished; re-queues it if it was added while being processed. */
  done(key: string): void {
    this.processing.delete(key);
    const urgent = this.urgentDirty.delete(key);
    if (this.dirty.delete(key)) this.add(key, urgent);
  }

  get length(): number {
    return this.queue.length;
  }

  shutdown(): void {
    this.shuttingDown = true;
    for (const { handle } of this.delayed.values()) this.timers.clearTimeout(handle);
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
