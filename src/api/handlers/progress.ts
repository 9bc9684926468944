/**
 * `GET /users/{name}/server/progress`: server-sent events in JupyterHub's shape, one JSON
 * object per `data:` line: `{progress, message, ready?, failed?, url?}`. The stream ends after
 * the ready or failed event; the ready one carries the server's URL.
 */
import { streamSSE } from 'hono/streaming';
import { serverBaseUrl } from '../../servers/server-service.ts';
import { findUserFor } from '../access.ts';
import { authenticate, type ApiContext, type ApiDeps } from '../context.ts';

export async function getProgress(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const caller = await authenticate(c, deps);
  const user = await findUserFor(deps, caller, c.req.param('name') ?? '', ['read:servers'], '');
  const url = serverBaseUrl({ user: user.name, server: '' });
  c.header('Cache-Control', 'no-cache');
  return streamSSE(c, async (stream) => {
    for await (const event of deps.servers.progress(user, '')) {
      await stream.writeSSE({ data: JSON.stringify(event.ready ? { ...event, url } : event) });
      if (event.ready || event.failed) break;
    }
  });
}
