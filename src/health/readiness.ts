/**
 * Liveness and readiness, for Kubernetes probes
 * (https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/):
 * - liveness (`/health`): the process answers HTTP. It checks nothing else on purpose: a
 *   database outage must not make Kubernetes restart every hub replica.
 * - readiness (`/ready`): the store answers a query and the backend can list servers, so a
 *   replica that cannot serve is taken out of the Service until it can. Except for a short
 *   database outage (`toleratingOutage`): it strikes every replica at once, so taking them
 *   out would only cut the open notebooks the proxy still serves from its cache
 *   (src/auth/auth-service.ts, OUTAGE_GRACE_MS); the check says `degraded` meanwhile.
 */
export type CheckResult = 'ok' | 'degraded' | 'failed';

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, CheckResult>>;
}

/** Resolves (with `'degraded'` when it only limps), or rejects when it cannot serve. */
export type ReadinessCheck = () => Promise<unknown>;

/**
 * `check`, except that failures within `toleratedMs` of its last success report `degraded`
 * (still ready) rather than failed. A check that never succeeded fails: a replica starting
 * without its store is not ready.
 */
export function toleratingOutage(
  check: ReadinessCheck,
  options: {
    readonly toleratedMs: number;
    /** A check not answered by then counts as failed (under the probe's own time limit). */
    readonly timeoutMs: number;
    readonly now?: () => number;
  },
): ReadinessCheck {
  const now = options.now ?? Date.now;
  let okAt: number | undefined;
  return async () => {
    try {
      await withTimeout(check(), options.timeoutMs);
      okAt = now();
      return 'ok';
    } catch (e) {
      if (okAt !== undefined && now() - okAt <= options.toleratedMs) return 'degraded';
      throw e;
    }
  };
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer within ${String(ms)} ms`));
    }, ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs the checks at once, each with a time limit. `onFailure` gets the error for the
 * operator's log; the probe's answer names only the failed check.
 */
export async function checkReadiness(
  checks: Readonly<Record<string, ReadinessCheck>>,
  options: { timeoutMs: number; onFailure?: (name: string, error: unknown) => void },
): Promise<Readiness> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, CheckResult]> => {
      try {
        const value: unknown = await withTimeout(check(), options.timeoutMs);
        return [name, value === 'degraded' ? 'degraded' : 'ok'];
      } catch (e) {
        options.onFailure?.(name, e);
        return [name, 'failed'];
      }
    }),
  );
  return {
    ready: entries.every(([, result]) => result !== 'failed'),
    checks: Object.fromEntries(entries),
  };
}
