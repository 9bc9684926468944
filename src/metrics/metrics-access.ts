/**
 * Who may read `/metrics`. Metrics name users' activity and the hub's load, so by default
 * only admins may scrape (a session or an admin's API token, sent by Prometheus as
 * `authorization: Bearer <token>`), as JupyterHub's `authenticate_prometheus = True`
 * (https://jupyterhub.readthedocs.io/en/stable/reference/monitoring.html). `metrics.public:
 * true` opens it to anyone who can reach the hub, for clusters where a NetworkPolicy already
 * limits who that is.
 */
export type MetricsAccess = 'allow' | 'unauthenticated' | 'forbidden';

export function metricsAccess(
  identity: { readonly admin: boolean } | undefined,
  isPublic: boolean,
): MetricsAccess {
  if (isPublic) return 'allow';
  if (!identity) return 'unauthenticated';
  return identity.admin ? 'allow' : 'forbidden';
}
