/**
 * Whether a call to the API server failed because the cluster did not answer — the API
 * server down or restarting, its address unreachable, a connection that went silent, the
 * server overloaded or without its etcd — rather than because it refused the request. The
 * first kind is worth sending again unchanged a little later; the second is not (a 403, an
 * invalid object). Pure, for the start path's retries (backends/kubernetes) and its words.
 */
import { KubeApiError } from './errors.ts';

/** Socket errors of a server that is not there (now), not of a request it refused. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * 429: too many requests (priority and fairness). 502/504: a proxy in front, or the API
 * server's own time-out waiting for etcd. 503: not ready (starting, shutting down, etcd
 * gone). A 500 is left out: it is as often a rejected object (a failing webhook) as a fault.
 */
const RETRY_STATUSES = new Set([429, 502, 503, 504]);

export function isClusterUnreachable(e: unknown): boolean {
  for (let cause = e, depth = 0; cause !== undefined && depth < 5; depth++) {
    if (cause instanceof KubeApiError) return RETRY_STATUSES.has(cause.status);
    if (typeof cause !== 'object' || cause === null) return false;
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}
