/** `GET /` (version, unauthenticated, as JupyterHub) and `GET /info` (details, read:hub). */
import { requireUnfiltered } from '../access.ts';
import { authenticate, type ApiContext, type ApiDeps } from '../context.ts';
import { GANYMEDE_VERSION } from '../../version.ts';

/**
 * The JupyterHub REST API version whose shapes this API follows. Clients gate features on it
 * (jupyterhub-idle-culler uses the `state` filter from 1.3; pagination came in 2.0).
 */
export const JUPYTERHUB_API_VERSION = '5.3.0';

export { GANYMEDE_VERSION } from '../../version.ts';

export function getVersion(c: ApiContext): Response {
  return c.json({ version: JUPYTERHUB_API_VERSION, ganymede_version: GANYMEDE_VERSION });
}

export async function getInfo(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const caller = await authenticate(c, deps);
  requireUnfiltered(caller, 'read:hub', 'read details about the hub');
  return c.json({
    version: JUPYTERHUB_API_VERSION,
    ganymede_version: GANYMEDE_VERSION,
    python: null,
    sys_executable: process.execPath,
    authenticator: { class: 'ganymede.auth', version: GANYMEDE_VERSION },
    spawner: { class: 'ganymede.backend', version: GANYMEDE_VERSION },
    profiles: deps.servers.profiles.map((p) => p.name),
  });
}
