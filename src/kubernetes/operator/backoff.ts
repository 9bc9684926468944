/**
 * Capped exponential backoff with jitter, for restarting a failed list+watch. The doubling
 * keeps a broken API server (or a watch it refuses) from being asked once a second forever;
 * the jitter keeps the ten informers of one hub, and the hubs of many clusters restarted
 * together, from retrying in lockstep ("equal jitter": half the delay fixed, half random, so
 * a retry never comes sooner than half the step).
 */
export interface BackoffPolicy {
  /** Delay of the first retry before jitter. */
  readonly baseMs: number;
  /** No delay is longer than this. */
  readonly capMs: number;
  /**
   * How long a restarted watch must have run without an error for the next error to count as
   * a new failure (attempt 0) rather than the next step of the same one.
   */
  readonly healthyAfterMs: number;
}

export const informerBackoff: BackoffPolicy = {
  baseMs: 1000,
  capMs: 30_000,
  healthyAfterMs: 60_000,
};

/** The delay before retry number `attempt` (0-based); `random` in [0, 1). */
export function backoffDelay(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const step = Math.min(policy.baseMs * 2 ** Math.min(attempt, 30), policy.capMs);
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * The attempt counter of one retried thing. `next(now)` gives the delay for a failure at
 * `now`: the attempt goes back to 0 when the last restart is `healthyAfterMs` old (it ran
 * that long, so this failure is a new one), and otherwise steps on. A watch that fails right
 * after each restart (a list that fails, a watch refused at once) thus backs off to the cap
 * instead of being retried once a second.
 */
export function createBackoff(
  policy: BackoffPolicy,
  random: () => number = Math.random,
): { next(now: number): number; reset(): void; readonly attempt: number } {
  let attempt = 0;
  let restartedAt: number | undefined;
  return {
    next(now: number): number {
      if (restartedAt !== undefined && now - restartedAt >= policy.healthyAfterMs) attempt = 0;
      const delay = backoffDelay(policy, attempt, random);
      attempt++;
      restartedAt = now + delay;
      return delay;
    },
    /** Back to the first step: what made the steps grow is over (the cluster answers again). */
    reset() {
      attempt = 0;
      restartedAt = undefined;
    },
    get attempt() {
      return attempt;
    },
  };
}
