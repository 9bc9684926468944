/**
 * The hub's operational endpoints at the top level of its HTTP server, outside `/hub/` and
 * `/user/` (probes and scrapers expect these paths):
 * - `GET /health`  liveness, always 200 while the process serves (src/health/readiness.ts);
 * - `GET /ready`   readiness, 200 or 503 with the state of each check;
 * - `GET /metrics` Prometheus text; admins only unless `metrics.public` (metrics-access.ts).
 * Answers never carry error details (they go to the log) nor anything secret.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkReadiness, type ReadinessCheck } from '../health/readiness.ts';
import type { Logger } from '../logging/logger.ts';
import type { HubMetrics } from '../metrics/hub-metrics.ts';
import { carriesScrapeToken, metricsAccess } from '../metrics/metrics-access.ts';

export interface OpsRoutesOptions {
  readonly metrics: HubMetrics;
  readonly metricsPublic: boolean;
  /** A token that opens `/metrics` only (metrics-access.ts); undefined: none. */
  readonly metricsScrapeToken?: string | undefined;
  authenticate(req: IncomingMessage): Promise<{ readonly admin: boolean } | undefined>;
  readonly readinessChecks: Readonly<Record<string, ReadinessCheck>>;
  /** Default 2000: below Kubernetes' default probe timeout is not required, but sensible. */
  readonly readinessTimeoutMs?: number;
  readonly log: Logger;
}

export const OPS_PATHS: ReadonlySet<string> = new Set(['/health', '/ready', '/metrics']);

/** Handles the request and returns true when its path is one of OPS_PATHS. */
export function createOpsRoutes(
  options: OpsRoutesOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { log } = options;

  function send(res: ServerResponse, status: number, type: string, body: string, extra = {}) {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...extra });
    res.end(body);
  }
  const json = (res: ServerResponse, status: number, body: unknown, extra = {}) => {
    send(res, status, 'application/json', JSON.stringify(body), extra);
  };

  async function metrics(req: IncomingMessage, res: ServerResponse) {
    const access = carriesScrapeToken(req, options.metricsScrapeToken)
      ? 'allow'
      : metricsAccess(await options.authenticate(req), options.metricsPublic);
    if (access === 'unauthenticated') {
      // RFC 6750 §3: how to authenticate (Prometheus sends `authorization: Bearer <token>`).
      json(
        res,
        401,
        { error: 'Sign in as an admin or send an admin API token.' },
        {
          'www-authenticate': 'Bearer realm="ganymede"',
        },
      );
    } else if (access === 'forbidden') {
      json(res, 403, { error: 'Only admins may read the metrics.' });
    } else {
      send(res, 200, options.metrics.contentType, await options.metrics.render());
    }
  }

  async function ready(res: ServerResponse) {
    const result = await checkReadiness(options.readinessChecks, {
      timeoutMs: options.readinessTimeoutMs ?? 2000,
      onFailure: (check, err) => {
        log.warn({ check, err }, 'readiness check failed');
      },
    });
    const degraded = Object.values(result.checks).includes('degraded');
    json(res, result.ready ? 200 : 503, {
      status: result.ready ? (degraded ? 'degraded' : 'ready') : 'unavailable',
      checks: result.checks,
    });
  }

  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://hub').pathname;
    if (!OPS_PATHS.has(path)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      json(res, 405, { error: 'Use GET.' }, { allow: 'GET, HEAD' });
      return true;
    }
    if (path === '/health') {
      json(res, 200, { status: 'ok' });
      return true;
    }
    (path === '/ready' ? ready(res) : metrics(req, res)).catch((e: unknown) => {
      log.error({ err: e, path }, 'operational endpoint failed');
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.destroy();
    });
    return true;
  };
}
