/**
 * "Is the notebook server up?" A server is ready when `GET <baseUrl>api/status` with its token
 * answers 200: that is Jupyter's own cheap status endpoint (jupyter_server REST API), and it
 * proves the port, the base URL and the token at once.
 */
import { request } from 'node:http';

export interface ProbeTarget {
  readonly port: number;
  readonly baseUrl: string;
  readonly token: string;
}

export type Probe = (target: ProbeTarget, timeoutMs: number) => Promise<boolean>;

/**
 * One attempt. No connection pooling (`agent: false`): probes are rare, and a pooled socket
 * to a server that has just died would only add a failure mode.
 */
export const probeJupyter: Probe = (target, timeoutMs) =>
  new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: target.port,
        path: `${target.baseUrl}api/status`,
        method: 'GET',
        agent: false,
        headers: { authorization: `token ${target.token}`, connection: 'close' },
        timeout: timeoutMs,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => {
      resolve(false);
    });
    req.end();
  });

export interface Backoff {
  readonly initialMs: number;
  readonly factor: number;
  readonly maxMs: number;
}

/** Quick at first (Jupyter often answers in about two seconds), then patient. */
export const DEFAULT_BACKOFF: Backoff = { initialMs: 50, factor: 1.5, maxMs: 1000 };

export function nextDelay(current: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  return Math.min(backoff.maxMs, Math.ceil(current * backoff.factor));
}

export type WaitOutcome = 'ready' | 'timeout' | 'aborted';

export interface WaitOptions {
  readonly target: ProbeTarget;
  readonly timeoutMs: number;
  /** Aborted when the process exits or a stop arrives; the caller knows which. */
  readonly signal: AbortSignal;
  readonly probe?: Probe;
  readonly now?: () => number;
  /** Resolves after `ms`, or early when `signal` aborts; never rejects. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly backoff?: Backoff;
  /** Upper bound for one probe. */
  readonly probeTimeoutMs?: number;
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Reads `aborted` afresh (TypeScript keeps a narrowing of it across awaits). */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

export async function waitUntilReady(options: WaitOptions): Promise<WaitOutcome> {
  const probe = options.probe ?? probeJupyter;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const deadline = now() + options.timeoutMs;
  let delayMs = backoff.initialMs;
  for (;;) {
    if (options.signal.aborted) return 'aborted';
    const remaining = deadline - now();
    if (remaining <= 0) return 'timeout';
    const ok = await probe(options.target, Math.min(options.probeTimeoutMs ?? 2000, remaining));
    // A stop or exit during the probe wins over its answer.
    if (isAborted(options.signal)) return 'aborted';
    if (ok) return 'ready';
    const left = deadline - now();
    if (left <= 0) return 'timeout';
    await sleep(Math.min(delayMs, left), options.signal);
    delayMs = nextDelay(delayMs, backoff);
  }
}
