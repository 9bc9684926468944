/**
 * Who may read `/metrics`. Metrics name users' activity and the hub's load, so by default
 * only admins may scrape (a session or an admin's API token, sent by Prometheus as
 * `authorization: Bearer <token>`), as JupyterHub's `authenticate_prometheus = True`
 * (https://jupyterhub.readthedocs.io/en/stable/reference/monitoring.html). `metrics.public:
 * true` opens it to anyone who can reach the hub, for clusters where a NetworkPolicy already
 * limits who that is. A scrape token (`GANYMEDE_METRICS_TOKEN`, which the chart's
 * ServiceMonitor option reads from the same Secret as Prometheus) opens `/metrics` and
 * nothing else, so the scraper needs no admin's token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Whether the request carries the scrape token (`Authorization: Bearer|token <t>`), compared
 * in constant time (digests, so the lengths match). */
export function carriesScrapeToken(
  req: { readonly headers: { readonly authorization?: string | undefined } },
  scrapeToken: string | undefined,
): boolean {
  if (scrapeToken === undefined || scrapeToken === '') return false;
  const m = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!m?.[1]) return false;
  const digest = (t: string) => createHash('sha256').update(t).digest();
  return timingSafeEqual(digest(m[1]), digest(scrapeToken));
}

export type MetricsAccess = 'allow' | 'unauthenticated' | 'forbidden';

export function metricsAccess(
  identity: { readonly admin: boolean } | undefined,
  isPublic: boolean,
): MetricsAccess {
  if (isPublic) return 'allow';
  if (!identity) return 'unauthenticated';
  return identity.admin ? 'allow' : 'forbidden';
}
