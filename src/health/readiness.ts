/**
 * Liveness and readiness, for Kubernetes probes
 * (https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/):
 * - liveness (`/health`): the process answers HTTP. It checks nothing else on purpose: a
 *   database outage must not make Kubernetes restart every hub replica.
 * - readiness (`/ready`): the store answers a query and the backend can list servers, so a
 *   replica that cannot serve is taken out of the Service until it can.
 */
export type CheckResult = 'ok' | 'failed';

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, CheckResult>>;
}

export type ReadinessCheck = () => Promise<unknown>;

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
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`no answer within ${options.timeoutMs} ms`));
        }, options.timeoutMs);
      });
      try {
        await Promise.race([check(), timeout]);
        return [name, 'ok'];
      } catch (e) {
        options.onFailure?.(name, e);
        return [name, 'failed'];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return {
    ready: entries.every(([, result]) => result === 'ok'),
    checks: Object.fromEntries(entries),
  };
}
