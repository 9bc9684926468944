/**
 * Counts failed sign-ins per key (user name, client address) in a sliding window. In memory:
 * with several hub replicas each one limits on its own, which still bounds guessing to
 * replicas × limit per window.
 */
export interface RateLimiterOptions {
  readonly max: number;
  readonly windowMs: number;
  readonly now?: () => number;
}

export class FailureLimiter {
  readonly #failures = new Map<string, number[]>();
  readonly #max: number;
  readonly #windowMs: number;
  readonly #now: () => number;

  constructor(options: RateLimiterOptions) {
    this.#max = options.max;
    this.#windowMs = options.windowMs;
    this.#now = options.now ?? Date.now;
  }

  #recent(key: string): number[] {
    const since = this.#now() - this.#windowMs;
    const list = (this.#failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, list);
    return list;
  }

  /** Milliseconds until another attempt is allowed; 0 when allowed now. */
  retryAfterMs(key: string): number {
    const list = this.#recent(key);
    if (list.length < this.#max) return 0;
    const oldestCounted = list[list.length - this.#max] ?? this.#now();
    return oldestCounted + this.#windowMs - this.#now();
  }

  fail(key: string): void {
    const list = this.#recent(key);
    list.push(this.#now());
    this.#failures.set(key, list);
  }

  reset(key: string): void {
    this.#failures.delete(key);
  }
}
