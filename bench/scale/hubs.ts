/**
 * The two hubs of the users part, each its own process on this machine, with a fresh SQLite
 * database in the run's folder:
 *
 * - Ganymede: `node src/cli/main.ts serve`, local backend, the default configuration except a
 *   port, a data folder and one profile whose command is the tiny server (so the few servers
 *   the benchmark starts cost ~1 MB each, not a Jupyter server's ~100 MB). An admin API token
 *   as a person gets one: signed in, `POST /hub/api/users/admin/tokens`.
 * - JupyterHub 6.1.1 (bench/spawn/ensure-anchor.sh, pinned), with configurable-http-proxy
 *   (npm, JupyterHub's default proxy, started by JupyterHub as usual), its defaults except:
 *   SQLite in the run's folder, DummyAuthenticator with `admin` as admin (the admin console is
 *   measured signed in), an admin service token (`services` + `load_roles`), and
 *   SimpleLocalProcessSpawner running the same tiny server (homes under the run's folder).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Browser } from '../../test/helpers/test-hub.ts';
import { freePort, startProcess, waitUntil, type HubProcess } from '../spawn/processes.ts';

const cliMain = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
export const tinyServerScript = fileURLToPath(new URL('./tiny-server.sh', import.meta.url));
export const busybox = '/usr/bin/busybox';
/** The profile / spawner command that runs the tiny server (arguments are appended). */
export const tinyServerCommand = [busybox, 'sh', tinyServerScript];

export const adminPassword = 'bench-admin-password';

export interface BenchHub {
  readonly system: 'ganymede' | 'jupyterhub';
  readonly baseUrl: string;
  readonly adminToken: string;
  /** Signed in as the admin, cookies kept (the admin console). */
  readonly admin: Browser;
  readonly process: HubProcess;
  /** The hub's own process (for JupyterHub: the Python hub, not its proxy). */
  readonly pid: number;
  stop(): Promise<void>;
}

async function ready(what: string, url: string, proc: HubProcess, token?: string): Promise<void> {
  await waitUntil(
    what,
    async () => {
      const res = await fetch(url, {
        ...(token === undefined ? {} : { headers: { authorization: `token ${token}` } }),
      });
      await res.body?.cancel();
      return res.status === 200;
    },
    { timeoutMs: 180_000, process: proc },
  );
}

export async function startGanymedeLocal(input: {
  dir: string;
  jupyter: string;
}): Promise<BenchHub> {
  mkdirSync(input.dir, { recursive: true });
  const port = await freePort();
  const config = {
    hub: { host: '127.0.0.1', port, dataDir: join(input.dir, 'data') },
    profiles: [
      {
        name: 'tiny',
        displayName: 'Tiny',
        command: tinyServerCommand,
        default: true,
      },
    ],
  };
  const configFile = join(input.dir, 'ganymede.yaml');
  writeFileSync(configFile, JSON.stringify(config, null, 2)); // JSON is YAML
  const proc = startProcess(process.execPath, [cliMain, 'serve', '--config', configFile], {
    logFile: join(input.dir, 'ganymede.log'),
    cwd: input.dir,
    env: {
      ...process.env,
      GANYMEDE_ADMIN_PASSWORD: adminPassword,
      GANYMEDE_JUPYTER: input.jupyter, // only checked at start-up (`jupyter lab --version`)
      BUSYBOX: busybox,
    },
  });
  const baseUrl = `http://127.0.0.1:${String(port)}`;
  try {
    await ready('Ganymede to answer /ready', `${baseUrl}/ready`, proc);
    const admin = new Browser(baseUrl);
    await admin.signIn('admin', adminPassword);
    const res = await admin.fetch('/hub/api/users/admin/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-XSRFToken': await admin.xsrf() },
      body: JSON.stringify({ note: 'scale benchmark' }),
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`admin token: ${String(res.status)} ${text}`);
    const adminToken = (JSON.parse(text) as { token: string }).token;
    return {
      system: 'ganymede',
      baseUrl,
      adminToken,
      admin,
      process: proc,
      pid: proc.child.pid ?? 0,
      stop: () => proc.stop(15_000),
    };
  } catch (e) {
    await proc.stop();
    throw e;
  }
}

function py(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\btrue\b/g, 'True')
    .replace(/\bfalse\b/g, 'False')
    .replace(/\bnull\b/g, 'None');
}

export async function startJupyterHubLocal(input: {
  dir: string;
  venv: string;
  chp: string;
  nodeBinDir: string;
}): Promise<BenchHub> {
  mkdirSync(input.dir, { recursive: true });
  const proxyPort = await freePort();
  const proxyApiPort = await freePort();
  const hubPort = await freePort();
  const adminToken = randomBytes(24).toString('hex');
  const lines = [
    'c = get_config()  # noqa: F821',
    'c.JupyterHub.ip = "127.0.0.1"',
    `c.JupyterHub.port = ${String(proxyPort)}`,
    'c.JupyterHub.hub_ip = "127.0.0.1"',
    `c.JupyterHub.hub_port = ${String(hubPort)}`,
    `c.ConfigurableHTTPProxy.command = ${py([input.chp])}`,
    `c.ConfigurableHTTPProxy.api_url = ${py(`http://127.0.0.1:${String(proxyApiPort)}`)}`,
    `c.JupyterHub.db_url = ${py(`sqlite:///${join(input.dir, 'jupyterhub.sqlite')}`)}`,
    `c.JupyterHub.cookie_secret_file = ${py(join(input.dir, 'cookie_secret'))}`,
    `c.JupyterHub.pid_file = ${py(join(input.dir, 'jupyterhub.pid'))}`,
    'c.JupyterHub.authenticator_class = "dummy"',
    'c.Authenticator.allow_all = True',
    'c.Authenticator.admin_users = {"admin"}',
    `c.JupyterHub.services = [{"name": "bench", "api_token": ${py(adminToken)}}]`,
    'c.JupyterHub.load_roles = [{"name": "admin", "services": ["bench"]}]',
    'c.JupyterHub.spawner_class = "simple"',
    `c.Spawner.cmd = ${py(tinyServerCommand)}`,
    `c.SimpleLocalProcessSpawner.home_dir_template = ${py(join(input.dir, 'homes', '{username}'))}`,
    `c.Spawner.environment = ${py({ BUSYBOX: busybox })}`,
    '',
  ];
  const configFile = join(input.dir, 'jupyterhub_config.py');
  writeFileSync(configFile, lines.join('\n'));
  const proc = startProcess(join(input.venv, 'bin', 'jupyterhub'), ['-f', configFile], {
    logFile: join(input.dir, 'jupyterhub.log'),
    cwd: input.dir,
    env: {
      ...process.env,
      // CHP is a Node program: the same Node as ours.
      PATH: `${input.nodeBinDir}:${join(input.venv, 'bin')}:${process.env['PATH'] ?? ''}`,
    },
  });
  const baseUrl = `http://127.0.0.1:${String(proxyPort)}`;
  try {
    await ready(
      'JupyterHub to answer its API through its proxy',
      `${baseUrl}/hub/api/`,
      proc,
      adminToken,
    );
    const admin = new Browser(baseUrl);
    await jupyterHubSignIn(admin, 'admin');
    return {
      system: 'jupyterhub',
      baseUrl,
      adminToken,
      admin,
      process: proc,
      pid: proc.child.pid ?? 0,
      stop: () => proc.stop(15_000),
    };
  } catch (e) {
    await proc.stop();
    throw e;
  }
}

/** JupyterHub's login form: GET sets the `_xsrf` cookie, the POST echoes it (any password). */
async function jupyterHubSignIn(browser: Browser, user: string): Promise<void> {
  const page = await browser.fetch('/hub/login');
  const html = await page.text();
  const xsrf = /name="_xsrf" value="([^"]+)"/.exec(html)?.[1] ?? browser.cookies.get('_xsrf');
  if (xsrf === undefined)
    throw new Error(`JupyterHub login page: no _xsrf (${String(page.status)})`);
  const res = await browser.form('/hub/login', { username: user, password: 'x', _xsrf: xsrf });
  await res.body?.cancel();
  if (res.status !== 302) throw new Error(`JupyterHub sign-in: ${String(res.status)}`);
}

/** The `_xsrf` value JupyterHub's pages put in their script (the admin app adds it to its
 * API calls as a query parameter). */
export function jupyterHubXsrf(html: string): string | undefined {
  return (
    /xsrf_token:\s*"([^"]+)"/.exec(html)?.[1] ?? /name="_xsrf" value="([^"]+)"/.exec(html)?.[1]
  );
}
