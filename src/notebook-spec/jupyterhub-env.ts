/**
 * The single-user environment JupyterHub gives a server, so code and tools written for
 * JupyterHub work unchanged inside ours: `JUPYTERHUB_*` variables (the names and meanings of
 * JupyterHub's `Spawner.get_env`, https://jupyterhub.readthedocs.io/en/stable/reference/api/spawner.html)
 * and the page config JupyterLab's hub extension reads. Pure: both backends call it, the local
 * one for a process's environment, the Kubernetes one for a pod's.
 *
 * JupyterLab 4 turns on its hub extension ("Hub Control Panel" and "Log Out" in the File menu,
 * "Restart Server" when the server is lost) from page config keys it copies out of the Jupyter
 * server's tornado settings (`hub_prefix`, `hub_host`, `user`: jupyterlab/labapp.py), which
 * JupyterHub's own `jupyterhub-singleuser` sets. We run plain `jupyter lab`, so the hub passes
 * them with `--ServerApp.tornado_settings`; `hubServerName` rides in `page_config_data`, which
 * JupyterLab keeps (it only reads it from JupyterHub's server class otherwise). With
 * `hub_prefix` set, JupyterLab also leaves the server's own token out of the page. Checked
 * against JupyterLab 4.6 (test/integration/hub/jupyterhub-env.test.ts reads the page config,
 * test/browser/local-mode.test.ts opens the File menu).
 */
import { userPathSegment } from '../names/user-names.ts';

export interface JupyterHubEnvInput {
  /** Normalised user name. */
  readonly user: string;
  /** '' is the default server. */
  readonly serverName: string;
  /** The server's URL prefix: `/user/<name>/` or `/user/<name>/<server>/`. */
  readonly servicePrefix: string;
  /** The hub's base URL; Ganymede serves at the root: `/`. */
  readonly hubBaseUrl: string;
  /**
   * The hub's origin when servers are on hosts of their own (ingress routing mode), so
   * JupyterLab's hub links leave the notebook's host; '' (default) when they share the hub's.
   */
  readonly hubHost?: string | undefined;
  /** The hub's REST API as the server reaches it (`http://127.0.0.1:8000/hub/api`); unset: none. */
  readonly apiUrl?: string | undefined;
}

/** The variables, apart from `JUPYTERHUB_API_TOKEN` (a secret: each backend delivers it). */
export function jupyterHubEnv(input: JupyterHubEnvInput): Record<string, string> {
  const env: Record<string, string> = {
    JUPYTERHUB_USER: input.user,
    JUPYTERHUB_SERVER_NAME: input.serverName,
    JUPYTERHUB_BASE_URL: input.hubBaseUrl,
    JUPYTERHUB_SERVICE_PREFIX: input.servicePrefix,
    // Empty when the hub and the servers share one origin (JupyterHub sets it with subdomains).
    JUPYTERHUB_HOST: input.hubHost ?? '',
  };
  if (input.apiUrl !== undefined) {
    const api = input.apiUrl.replace(/\/+$/, '');
    env['JUPYTERHUB_API_URL'] = api;
    env['JUPYTERHUB_ACTIVITY_URL'] = `${api}/users/${userPathSegment(input.user)}/activity`;
  }
  return env;
}

/** Names the hub sets; a notebook's own `env` may not set them (src/notebook-spec/schema.ts). */
export const JUPYTERHUB_ENV_NAMES = [
  'JUPYTERHUB_USER',
  'JUPYTERHUB_SERVER_NAME',
  'JUPYTERHUB_BASE_URL',
  'JUPYTERHUB_SERVICE_PREFIX',
  'JUPYTERHUB_HOST',
  'JUPYTERHUB_API_URL',
  'JUPYTERHUB_ACTIVITY_URL',
  'JUPYTERHUB_API_TOKEN',
] as const;

/**
 * The Jupyter server arguments for a server the hub runs: the page config that makes
 * JupyterLab show the hub's menu entries, and no "Shut Down" in its File menu (the hub starts
 * and stops servers; JupyterHub's single-user server turns `quit_button` off too).
 */
export function hubServerArguments(input: JupyterHubEnvInput): string[] {
  const hubPrefix = `${input.hubBaseUrl.replace(/\/*$/, '/')}hub/`;
  const settings = {
    hub_prefix: hubPrefix,
    hub_host: input.hubHost ?? '',
    user: input.user,
    page_config_data: { hubServerName: input.serverName },
  };
  // traitlets reads a Dict option given as one JSON object.
  return [
    `--ServerApp.tornado_settings=${JSON.stringify(settings)}`,
    '--ServerApp.quit_button=False',
  ];
}
