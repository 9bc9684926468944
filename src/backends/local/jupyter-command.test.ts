import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildJupyterLaunch, type JupyterLaunchInput } from './jupyter-command.ts';
import { userLayout } from './layout.ts';

const input: JupyterLaunchInput = {
  jupyter: '/venv/bin/jupyter',
  profile: {},
  port: 41234,
  baseUrl: '/user/zo%C3%AB/',
  token: 'secret-token-value',
  user: userLayout('/data', 'zoë'),
  parentEnv: {
    PATH: '/usr/bin',
    LANG: 'C.UTF-8',
    GANYMEDE_ADMIN_PASSWORD: 'hub secret',
    DATABASE_URL: 'postgres://x',
  },
  runningAsRoot: false,
};

describe('buildJupyterLaunch', () => {
  it('runs `<jupyter> lab` on loopback, on the given port and base URL, in the home folder', () => {
    const launch = buildJupyterLaunch(input);
    const home = input.user.home;
    assert.equal(launch.command, '/venv/bin/jupyter');
    assert.deepEqual(launch.args, [
      'lab',
      '--no-browser',
      '--ServerApp.ip=127.0.0.1',
      '--ServerApp.port=41234',
      '--ServerApp.port_retries=0',
      '--ServerApp.base_url=/user/zo%C3%AB/',
      `--ServerApp.root_dir=${home}`,
      '--ServerApp.allow_remote_access=True',
    ]);
    assert.equal(launch.cwd, home);
  });

  it('passes the token in the environment only, never on the command line', () => {
    const launch = buildJupyterLaunch(input);
    assert.equal(launch.env['JUPYTER_TOKEN'], 'secret-token-value');
    assert.ok(!launch.args.some((a) => a.includes('secret-token-value')));
  });

  it("gives Jupyter the user's folders and keeps the hub's secrets out", () => {
    const { env } = buildJupyterLaunch(input);
    assert.deepEqual(env, {
      PATH: '/usr/bin',
      LANG: 'C.UTF-8',
      HOME: input.user.home,
      JUPYTER_TOKEN: 'secret-token-value',
      JUPYTER_CONFIG_DIR: input.user.configDir,
      JUPYTER_DATA_DIR: input.user.dataDir,
      JUPYTER_RUNTIME_DIR: input.user.runtimeDir,
      PYTHONUNBUFFERED: '1',
    });
  });

  it('uses a profile command, with `jupyter` replaced by the configured path', () => {
    const notebook = buildJupyterLaunch({
      ...input,
      profile: { command: ['jupyter', 'notebook'] },
    });
    assert.equal(notebook.command, '/venv/bin/jupyter');
    assert.equal(notebook.args[0], 'notebook');
    const custom = buildJupyterLaunch({
      ...input,
      profile: { command: ['/opt/conda/bin/jupyter-lab', '--debug'] },
    });
    assert.equal(custom.command, '/opt/conda/bin/jupyter-lab');
    assert.deepEqual(custom.args.slice(0, 2), ['--debug', '--no-browser']);
  });

  it("opens on the profile's default URL", () => {
    const launch = buildJupyterLaunch({
      ...input,
      profile: { defaultUrl: '/lab/tree/README.ipynb' },
    });
    assert.ok(launch.args.includes('--ServerApp.default_url=/lab/tree/README.ipynb'));
    assert.ok(!buildJupyterLaunch(input).args.some((a) => a.includes('default_url')));
  });

  it('allows root only when running as root, and always has a PATH', () => {
    assert.ok(buildJupyterLaunch({ ...input, runningAsRoot: true }).args.includes('--allow-root'));
    assert.ok(!buildJupyterLaunch(input).args.includes('--allow-root'));
    assert.equal(
      buildJupyterLaunch({ ...input, parentEnv: {} }).env['PATH'],
      '/usr/local/bin:/usr/bin:/bin',
    );
  });

  it("gives JupyterHub's single-user environment last, the API token in the environment only", () => {
    const launch = buildJupyterLaunch({
      ...input,
      parentEnv: { ...input.parentEnv, JUPYTERHUB_USER: 'mallory' },
      hub: {
        user: 'zoë',
        serverName: 'gpu',
        servicePrefix: '/user/zo%C3%AB/gpu/',
        hubBaseUrl: '/',
        apiUrl: 'http://127.0.0.1:8000/hub/api',
        apiToken: 'hub-api-token',
      },
    });
    assert.deepEqual(
      Object.fromEntries(Object.entries(launch.env).filter(([k]) => k.startsWith('JUPYTERHUB_'))),
      {
        JUPYTERHUB_USER: 'zoë',
        JUPYTERHUB_SERVER_NAME: 'gpu',
        JUPYTERHUB_BASE_URL: '/',
        JUPYTERHUB_SERVICE_PREFIX: '/user/zo%C3%AB/gpu/',
        JUPYTERHUB_HOST: '',
        JUPYTERHUB_API_URL: 'http://127.0.0.1:8000/hub/api',
        JUPYTERHUB_ACTIVITY_URL: 'http://127.0.0.1:8000/hub/api/users/zo%C3%AB/activity',
        JUPYTERHUB_API_TOKEN: 'hub-api-token',
      },
    );
    assert.ok(!launch.args.some((a) => a.includes('hub-api-token')));
    assert.ok(launch.args.includes('--ServerApp.quit_button=False'));
    const settings = launch.args.find((a) => a.startsWith('--ServerApp.tornado_settings='));
    assert.deepEqual(JSON.parse(settings?.split('=').slice(1).join('=') ?? ''), {
      hub_prefix: '/hub/',
      hub_host: '',
      user: 'zoë',
      page_config_data: { hubServerName: 'gpu' },
    });
  });

  it('gives no JUPYTERHUB_* variables without a hub', () => {
    const launch = buildJupyterLaunch(input);
    assert.ok(!Object.keys(launch.env).some((k) => k.startsWith('JUPYTERHUB_')));
    assert.ok(!launch.args.some((a) => a.includes('tornado_settings')));
  });
});
