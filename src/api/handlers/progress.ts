/**
 * `GET /users/{name}/server/progress`: server-sent events in JupyterHub's shape, one JSON
 * object per `data:` line: `{progress, message, ready?, failed?, url?}`. The stream ends after
 * the ready or failed event; the ready one carries the server's URL.
 */
import { streamSSE } from 'hono/streaming';
import { serverBaseUrl } from '../../servers/server-service.ts';
import { findUserFor } from '../access.ts';
import { authenticate, type ApiContext, type ApiDeps } from '../context.ts';
import type { User } from '../../store/types.ts';
import { noSuchServer, serverNameParam } from './servers.ts';

export async function getProgress(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const caller = await authenticate(c, deps);
  const user = await findUserFor(deps, caller, c.req.param('name') ?? '', ['read:servers'], '');
  return stream(c, deps, user, '');
}

/** `GET /users/{name}/servers/{server_name}/progress`; 404 for a server the user lacks. */
export async function getNamedProgress(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const caller = await authenticate(c, deps);
  const raw = c.req.param('server_name') ?? '';
  const user = await findUserFor(deps, caller, c.req.param('name') ?? '', ['read:servers'], raw);
  const server = serverNameParam(c);
  if (!(await deps.servers.has(user, server))) throw noSuchServer(user, server);
  return stream(c, deps, user, server);
}

function stream(c: ApiContext, deps: ApiDeps, user: User, server: string): Response {
  const url = serverBaseUrl({ user: user.name, server });
  c.header('Cache-Control', 'no-cache');
  return streamSSE(c, async (stream) => {
    for await (const event of deps.servers.progress(user, server)) {
      await stream.writeSSE({ data: JSON.stringify(event.ready ? { ...event, url } : event) });
      if (event.ready || event.failed) break;
    }
  });
}
