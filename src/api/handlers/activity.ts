/**
 * `POST /users/{name}/activity`: a server (or a tool in front of it) reports when it was last
 * used, so the culler does not stop it. Activity only ever moves forward; a time more than an
 * hour ahead is refused, as JupyterHub does, so a wrong clock cannot keep a server forever.
 */
import { GanymedeError } from '../../errors/ganymede-error.ts';
import { findUserFor } from '../access.ts';
import { authenticate, nowOf, readJson, type ApiContext, type ApiDeps } from '../context.ts';
import { activityBody } from '../schemas.ts';

const MAX_FUTURE_MS = 59 * 60_000;

function parseTime(value: string, field: string, now: Date): Date {
  const at = new Date(value);
  if (at.getTime() - now.getTime() > MAX_FUTURE_MS) {
    throw new GanymedeError('bad_request', 'Activity more than an hour in the future is refused.', {
      field,
    });
  }
  return at;
}

export async function postActivity(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const body = await readJson(c, activityBody);
  const caller = await authenticate(c, deps);
  const user = await findUserFor(deps, caller, c.req.param('name') ?? '', ['users:activity']);
  const servers = Object.entries(body.servers ?? {});
  if (body.last_activity === undefined && servers.length === 0) {
    throw new GanymedeError('bad_request', 'Send last_activity or servers.', { field: 'body' });
  }
  const now = nowOf(deps);
  const updates: { name: string; at: Date }[] = [];
  for (const [name, info] of servers) {
    if (!(await deps.store.getServer(user.id, name))) {
      throw new GanymedeError('bad_request', `${user.name} has no server named "${name}".`, {
        field: `servers.${name}`,
      });
    }
    updates.push({ name, at: parseTime(info.last_activity, `servers.${name}.last_activity`, now) });
  }
  // A user's last_activity is the latest of their servers' (nothing else is stored): a
  // user-level report is checked, so a bad one is refused, but only servers' times are kept.
  // jupyterhub-singleuser sends both, so refusing it would break the notebooks' reports.
  if (body.last_activity !== undefined) parseTime(body.last_activity, 'last_activity', now);
  for (const { name, at } of updates) await deps.store.recordActivity(user.id, name, at);
  return c.body(null, 204);
}
