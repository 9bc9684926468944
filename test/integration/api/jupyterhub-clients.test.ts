/**
 * The REST API through a real hub (local backend, real Jupyter), driven by JupyterHub's own
 * client code from PyPI: `HubAuth.user_for_token` (how JupyterHub services identify a token)
 * and one round of jupyterhub-idle-culler with a server-management token, which pages through
 * `GET /users?state=ready` and stops the idle server with `DELETE /users/{name}/server`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { hubClientPython } from '../../helpers/python/hub-client-python.ts';
import { ADMIN_PASSWORD, Browser, startTestHub } from '../../helpers/test-hub.ts';

const run = promisify(execFile);
const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

describe('REST API with JupyterHub’s client code', { timeout: 600_000 }, () => {
  let ctx: Awaited<ReturnType<typeof startTestHub>>;
  let python: string;
  let adminToken: string;

  const api = (method: string, path: string, token: string, body?: unknown) =>
    fetch(`${ctx.hub.url}/hub/api${path}`, {
      method,
      headers: {
        authorization: `token ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  async function client(command: string, arg: string, token: string): Promise<unknown> {
    const { stdout } = await run(python, [here('hub_client.py'), command, arg], {
      env: {
        ...process.env,
        JUPYTERHUB_API_URL: `${ctx.hub.url}/hub/api`,
        JUPYTERHUB_API_TOKEN: token,
      },
      timeout: 120_000,
    });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
  }

  before(async () => {
    python = hubClientPython();
    ctx = await startTestHub();
    // The admin gets a token the way a person would: signed in, through the API with the
    // session cookie and the X-XSRFToken header.
    const browser = new Browser(ctx.hub.url);
    await browser.signIn('admin', ADMIN_PASSWORD);
    const res = await browser.fetch('/hub/api/users/admin/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-XSRFToken': await browser.xsrf() },
      body: JSON.stringify({ note: 'integration test' }),
    });
    const text = await res.text();
    assert.equal(res.status, 201, text);
    adminToken = (JSON.parse(text) as { token: string }).token;
  });

  after(async () => {
    await ctx.hub.backend.stop({ user: 'alice', server: '' });
    await ctx.hub.close();
  });

  it('identifies tokens with HubAuth, and a bad token as nobody', async () => {
    assert.equal((await api('POST', '/users/alice', adminToken)).status, 201);
    const res = await api('POST', '/users/alice/tokens', adminToken, { roles: ['user'] });
    assert.equal(res.status, 201);
    const aliceToken = ((await res.json()) as { token: string }).token;
    const known = (await client('whoami', aliceToken, adminToken)) as {
      user: { name: string; scopes: string[] };
    };
    assert.equal(known.user.name, 'alice');
    assert.ok(known.user.scopes.includes('servers!user=alice'));
    assert.deepEqual(await client('whoami', 'not-a-token', adminToken), { user: null });
  });

  it('starts a real server through the API and follows its progress to ready', async () => {
    const start = await api('POST', '/users/alice/server', adminToken, { profile: 'standard' });
    assert.ok([201, 202].includes(start.status), String(start.status));
    const events = await (await api('GET', '/users/alice/server/progress', adminToken)).text();
    assert.match(events, /"ready":true/, events);
    const user = (await (await api('GET', '/users/alice', adminToken)).json()) as {
      server: string | null;
    };
    assert.equal(user.server, '/user/alice/');
  });

  it('lets jupyterhub-idle-culler, with a server-management token, stop the idle server', async () => {
    const res = await api('POST', '/users/admin/tokens', adminToken, {
      roles: ['server-management'],
      note: 'idle culler',
    });
    assert.equal(res.status, 201);
    const cullerToken = ((await res.json()) as { token: string }).token;
    // The server has been idle since it started, seconds ago: past a one-second limit.
    const { log } = (await client('cull', '1', cullerToken)) as { log: string[] };
    assert.ok(
      log.some((line) => line.includes('Culling server alice')),
      log.join('\n'),
    );
    const user = (await (await api('GET', '/users/alice', adminToken)).json()) as {
      server: string | null;
      servers: Record<string, unknown>;
    };
    assert.equal(user.server, null);
    assert.deepEqual(user.servers, {});
    assert.equal((await ctx.hub.backend.status({ user: 'alice', server: '' })).phase, 'stopped');
  });
});
