/**
 * Sends a write to the cluster again, with capped backoff, for as long as the cluster does not
 * answer (`isClusterUnreachable`: the API server down or restarting, a silent connection, 503)
 * and the deadline allows. A refusal (403, an invalid object) ends it at once: sending it again
 * would not change the answer. Used by a start, so a person who presses Start while the API
 * server restarts waits, told why, instead of being told the start failed.
 */
import { isClusterUnreachable } from '../../kubernetes/client/unreachable.ts';
import { createBackoff, type BackoffPolicy } from '../../kubernetes/operator/backoff.ts';

/** A person is waiting: ask again soon, but no more than every 5 s. */
export const startWriteBackoff: BackoffPolicy = {
  baseMs: 1000,
  capMs: 5000,
  healthyAfterMs: Number.POSITIVE_INFINITY,
};

export interface RetryOptions {
  /** Stops the retries (the start was cancelled); the last error is thrown. */
  readonly signal: AbortSignal;
  /** No attempt starts after this time (ms, `now()`'s clock). */
  readonly deadline: number;
  /** Called after each attempt the cluster did not answer, before the wait. */
  readonly onUnreachable: (error: unknown, attempt: number) => void;
  readonly policy?: BackoffPolicy;
  readonly now?: () => number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly random?: () => number;
}

export class ClusterUnreachableError extends Error {
  constructor(attempts: number, cause: unknown) {
    super(`the cluster did not answer ${String(attempts)} attempts`, { cause });
    this.name = 'ClusterUnreachableError';
  }
}

function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * `attempt()`'s value; or throws its error when it is a refusal, or a
 * `ClusterUnreachableError` (the last error as cause) when the deadline or the signal ended the
 * retries.
 */
export async function retryWhileUnreachable<T>(
  attempt: () => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? sleepUnlessAborted;
  const backoff = createBackoff(options.policy ?? startWriteBackoff, options.random);
  // A function: the signal changes while this awaits.
  const cancelled = (): boolean => options.signal.aborted;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      if (!isClusterUnreachable(e)) throw e;
      options.onUnreachable(e, n);
      const delay = backoff.next(now());
      if (cancelled() || now() + delay > options.deadline) {
        throw new ClusterUnreachableError(n, e);
      }
      await sleep(delay, options.signal);
      if (cancelled()) throw new ClusterUnreachableError(n, e);
    }
  }
}
