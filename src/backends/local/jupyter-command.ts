/**
 * The command line and environment of one local notebook server. Pure: data in, data out.
 *
 * Choices, and why:
 * - The token travels in `JUPYTER_TOKEN` (read by jupyter_server's IdentityProvider), never in
 *   argv: any local user can read another process's command line in /proc/<pid>/cmdline,
 *   while /proc/<pid>/environ is readable by its owner only (proc(5)).
 * - `port_retries=0`: if the port we picked was taken meanwhile, Jupyter must fail rather
 *   than quietly listen elsewhere, where our route would never find it.
 * - `allow_remote_access=True`: Jupyter listens on loopback only, but the hub's proxy keeps
 *   the browser's `Host` header (RFC 9110 §7.2), which Jupyter's DNS-rebinding guard would
 *   otherwise answer with 403. The token still guards the port.
 * - The environment is built from a short allow-list, not inherited: the hub's own secrets
 *   (admin password, database URL) must not leak into notebooks. JupyterHub's
 *   LocalProcessSpawner does the same with its `env_keep` list.
 * - JupyterHub's single-user variables (`JUPYTERHUB_*`, ../../notebook-spec/jupyterhub-env.ts)
 *   come last, so nothing kept from the hub's own environment can replace them; the hub API
 *   token travels like the server's own token, in the environment only.
 * - Our arguments are appended to a profile's own command, as JupyterHub spawners do, so a
 *   profile command must be a Jupyter server application (`jupyter lab`, `jupyter notebook`,
 *   `jupyter server`, or a wrapper that passes its arguments on).
 */
import type { Profile } from '../../config/schema.ts';
import {
  hubServerArguments,
  jupyterHubEnv,
  type JupyterHubEnvInput,
} from '../../notebook-spec/jupyterhub-env.ts';
import type { UserLayout } from './layout.ts';

/** Variables a notebook keeps from the hub's environment; everything else is dropped. */
export const ENV_KEEP: readonly string[] = [
  'PATH',
  'PYTHONPATH',
  'VIRTUAL_ENV',
  'CONDA_ROOT',
  'CONDA_DEFAULT_ENV',
  'CONDA_PREFIX',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'SHELL',
  'USER',
  'LOGNAME',
  'TMPDIR',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
];

export interface JupyterLaunchInput {
  /** Path of the configured `jupyter` command. */
  readonly jupyter: string;
  readonly profile: Pick<Profile, 'command' | 'defaultUrl'>;
  readonly port: number;
  readonly baseUrl: string;
  readonly token: string;
  readonly user: UserLayout;
  /** The hub's environment, filtered through ENV_KEEP. */
  readonly parentEnv: Readonly<Record<string, string | undefined>>;
  /** Jupyter refuses to run as root unless told to (`--allow-root`). */
  readonly runningAsRoot: boolean;
  /** JupyterHub's single-user environment; unset: none (backend tests). */
  readonly hub?: JupyterHubEnvInput & { readonly apiToken?: string | undefined };
}

export interface JupyterLaunch {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
}

export function buildJupyterLaunch(input: JupyterLaunchInput): JupyterLaunch {
  const base = input.profile.command ?? ['jupyter', 'lab'];
  const [first = 'jupyter', ...rest] = base;
  const command = first === 'jupyter' ? input.jupyter : first;
  const args = [
    ...rest,
    '--no-browser',
    '--ServerApp.ip=127.0.0.1',
    `--ServerApp.port=${input.port}`,
    '--ServerApp.port_retries=0',
    `--ServerApp.base_url=${input.baseUrl}`,
    `--ServerApp.root_dir=${input.user.home}`,
    '--ServerApp.allow_remote_access=True',
    // The profile's landing page (`/lab/tree/README.ipynb`), as on Kubernetes.
    ...(input.profile.defaultUrl === undefined
      ? []
      : [`--ServerApp.default_url=${input.profile.defaultUrl}`]),
    ...(input.runningAsRoot ? ['--allow-root'] : []),
    ...(input.hub === undefined ? [] : hubServerArguments(input.hub)),
  ];
  const env: Record<string, string> = {};
  for (const name of ENV_KEEP) {
    const value = input.parentEnv[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, {
    HOME: input.user.home,
    JUPYTER_TOKEN: input.token,
    JUPYTER_CONFIG_DIR: input.user.configDir,
    JUPYTER_DATA_DIR: input.user.dataDir,
    JUPYTER_RUNTIME_DIR: input.user.runtimeDir,
    // Python block-buffers stdout into a file; unbuffered, the log tail shown after a crash
    // holds the last lines actually printed.
    PYTHONUNBUFFERED: '1',
  });
  env['PATH'] ??= '/usr/local/bin:/usr/bin:/bin';
  if (input.hub !== undefined) {
    Object.assign(env, jupyterHubEnv(input.hub));
    if (input.hub.apiToken !== undefined) env['JUPYTERHUB_API_TOKEN'] = input.hub.apiToken;
  }
  return { command, args, env, cwd: input.user.home };
}
