/**
 * A notebook server's own "log out" address, `/user/<name>/logout` (or
 * `/user/<name>/<server>/logout`), is where JupyterLab's hub extension sends "Log Out"
 * (`<base_url>logout`). Jupyter's own handler there would only forget Jupyter's cookie and
 * leave the person signed in to the hub, so, as JupyterHub's single-user server does, the hub
 * answers it with a redirect to its own sign-out, `/hub/logout`. Pure.
 */
import { isServerName } from '../servers/server-names.ts';

/** `/hub/logout` when `method` and `url` are a server's logout page, else undefined. */
export function serverLogoutRedirect(method: string | undefined, url: string): string | undefined {
  if (method !== 'GET' && method !== 'HEAD') return undefined;
  const path = url.split('?', 1)[0] ?? '';
  const m = /^\/user\/[^/]+\/(?:([^/]+)\/)?logout$/.exec(path);
  if (!m) return undefined;
  const server = m[1];
  return server === undefined || isServerName(server) ? '/hub/logout' : undefined;
}
