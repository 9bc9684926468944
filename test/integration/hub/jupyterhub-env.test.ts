/**
 * JupyterHub's single-user environment, seen from inside a real local-mode server: the
 * `JUPYTERHUB_*` variables a kernel reads, the server's own API token and what it may do (its
 * owner's identity, its own activity; not another person's server, not the admin API), the
 * page config that turns on JupyterLab's "Hub Control Panel" and "Log Out", where those lead,
 * and the token's end when the server stops.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { executeOverWebSocket } from '../../helpers/jupyter-kernel.ts';
import { Browser, startTestHub } from '../../helpers/test-hub.ts';

/** Runs `expression` in a new kernel of alice's server and returns its value, sent as JSON. */
async function evaluate(
  ctx: Awaited<ReturnType<typeof startTestHub>>,
  browser: Browser,
  prefix: string,
  expression: string,
): Promise<unknown> {
  const kernel = await browser.fetch(`${prefix}api/kernels`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'python3' }),
  });
  assert.equal(kernel.status, 201, await kernel.clone().text());
  const { id } = (await kernel.json()) as { id: string };
  const ws = `${ctx.hub.url.replace('http', 'ws')}${prefix}api/kernels/${id}/channels`;
  // The value travels as base64 of JSON, so Python's repr of the string cannot mangle it.
  const code = `import base64, json, os, urllib.request\nbase64.b64encode(json.dumps(${expression}).encode()).decode()`;
  const repr = await executeOverWebSocket(ws, code, {
    cookie: browser.cookieHeader,
    origin: ctx.hub.url,
  });
  return JSON.parse(Buffer.from(repr.replace(/^'|'$/g, ''), 'base64').toString('utf8'));
}

const HUB_ENV = `{k: v for k, v in os.environ.items() if k.startswith('JUPYTERHUB_')}`;

describe("JupyterHub's single-user environment in local mode", { timeout: 600_000 }, () => {
  let ctx: Awaited<ReturnType<typeof startTestHub>>;
  let alice: Browser;
  let env: Record<string, string> = {};

  before(async () => {
    ctx = await startTestHub({ config: { servers: { maxPerUser: 2 } } });
    for (const name of ['alice', 'bob']) {
      await ctx.hub.auth.createUser(name, `${name}-password`, false);
    }
    alice = new Browser(ctx.hub.url);
    await alice.signIn('alice', 'alice-password');
    await alice.startServer();
  });

  after(async () => {
    for (const server of ['', 'gpu']) await ctx.hub.backend.stop({ user: 'alice', server });
    await ctx.hub.close();
  });

  it('a kernel sees the JUPYTERHUB_* variables, and its token identifies alice', async () => {
    const seen = (await evaluate(
      ctx,
      alice,
      '/user/alice/',
      `dict(env=${HUB_ENV}, me=json.load(urllib.request.urlopen(urllib.request.Request(
          os.environ['JUPYTERHUB_API_URL'] + '/user',
          headers={'Authorization': 'token ' + os.environ['JUPYTERHUB_API_TOKEN']}))))`,
    )) as { env: Record<string, string>; me: { name: string; kind: string } };
    env = seen.env;
    const { JUPYTERHUB_API_TOKEN: token, ...rest } = env;
    assert.deepEqual(rest, {
      JUPYTERHUB_USER: 'alice',
      JUPYTERHUB_SERVER_NAME: '',
      JUPYTERHUB_BASE_URL: '/',
      JUPYTERHUB_SERVICE_PREFIX: '/user/alice/',
      JUPYTERHUB_HOST: '',
      JUPYTERHUB_API_URL: `${ctx.hub.url}/hub/api`,
      JUPYTERHUB_ACTIVITY_URL: `${ctx.hub.url}/hub/api/users/alice/activity`,
    });
    assert.ok(token !== undefined && token.length >= 32, 'a token is given');
    assert.equal(seen.me.name, 'alice', 'GET /hub/api/user, from inside the server');
    const stored = await ctx.hub.store.listApiTokens((await ctx.hub.store.getUser('alice'))!.id);
    const serverTokens = stored.filter((t) => t.serverName === '');
    assert.equal(serverTokens.length, 1, 'one token for the one start, stored hashed');
    assert.equal(serverTokens[0]?.note, 'Server at /user/alice/');
    assert.ok(!stored.some((t) => t.hash === token), 'never stored in the clear');
  });

  it("the server's token posts its own activity and reaches its own server, nothing more", async () => {
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${ctx.hub.url}/hub/api${path}`, {
        ...init,
        headers: {
          authorization: `token ${env['JUPYTERHUB_API_TOKEN'] ?? ''}`,
          'content-type': 'application/json',
        },
      });
    const now = new Date().toISOString();
    const activity = (user: string) =>
      api(`/users/${user}/activity`, {
        method: 'POST',
        body: JSON.stringify({ last_activity: now, servers: { '': { last_activity: now } } }),
      });
    assert.equal((await activity('alice')).status, 204);
    assert.equal((await activity('bob')).status, 404, "not bob's");
    assert.equal((await api('/users')).status, 403, 'not the admin list');
    assert.equal((await api('/users/alice/tokens')).status, 404, 'not her tokens');
    assert.equal(
      (await api('/users/alice/server', { method: 'DELETE' })).status,
      404,
      'cannot stop servers',
    );
    assert.equal((await api('/users/bob/server', { method: 'POST', body: '{}' })).status, 404);
    const own = await fetch(`${ctx.hub.url}/user/alice/api/status`, {
      headers: { authorization: `token ${env['JUPYTERHUB_API_TOKEN'] ?? ''}` },
    });
    assert.equal(own.status, 200, 'its own server, through the proxy');
    const other = await fetch(`${ctx.hub.url}/user/bob/api/status`, {
      headers: { authorization: `token ${env['JUPYTERHUB_API_TOKEN'] ?? ''}` },
    });
    assert.equal(other.status, 403, "not bob's server");
  });

  it("JupyterLab's page config names the hub, without the server's own token", async () => {
    const page = await (await alice.navigate('/user/alice/lab')).text();
    const json = /<script id="jupyter-config-data" type="application\/json">([^<]*)<\/script>/.exec(
      page,
    )?.[1];
    assert.ok(json, 'the lab page carries its page config');
    const config = JSON.parse(json) as Record<string, unknown>;
    assert.equal(config['hubPrefix'], '/hub/');
    assert.equal(config['hubHost'], '');
    assert.equal(config['hubUser'], 'alice');
    assert.equal(config['hubServerName'], '');
    assert.equal(config['shareUrl'], '/hub/user-redirect');
    assert.equal(config['token'], '', "JupyterLab leaves the server's token out under a hub");
    assert.equal(config['quitButton'], false, 'no "Shut Down": the hub stops servers');
  });

  it('a named server gets its own name, prefix and token', async () => {
    const res = await alice.form('/hub/spawn', { _xsrf: await alice.xsrf(), server: 'gpu' });
    assert.equal(res.status, 302, await res.clone().text());
    const events = await (await alice.fetch('/hub/api/users/alice/servers/gpu/progress')).text();
    assert.match(events, /"ready":true/);
    const named = (await evaluate(ctx, alice, '/user/alice/gpu/', HUB_ENV)) as Record<
      string,
      string
    >;
    assert.equal(named['JUPYTERHUB_SERVER_NAME'], 'gpu');
    assert.equal(named['JUPYTERHUB_SERVICE_PREFIX'], '/user/alice/gpu/');
    assert.notEqual(named['JUPYTERHUB_API_TOKEN'], env['JUPYTERHUB_API_TOKEN']);
    const page = await (await alice.navigate('/user/alice/gpu/lab')).text();
    assert.match(page, /"hubServerName": "gpu"/);
  });

  it('"Hub Control Panel" and "Log Out" lead to the hub', async () => {
    const home = await alice.navigate('/hub/home');
    assert.equal(home.status, 200);
    const logout = await alice.navigate('/user/alice/logout');
    assert.equal(logout.status, 302);
    assert.equal(logout.headers.get('location'), '/hub/logout');
    // The browser follows the redirect: same origin all the way, so it signs out at once.
    const out = await alice.fetch('/hub/logout', { headers: { 'sec-fetch-site': 'same-origin' } });
    assert.equal(out.status, 302);
    assert.equal(out.headers.get('location'), '/hub/login');
    assert.equal((await alice.navigate('/hub/home')).status, 302, 'signed out');
    await alice.signIn('alice', 'alice-password');
  });

  it('stopping the server revokes its token', async () => {
    const token = env['JUPYTERHUB_API_TOKEN'] ?? '';
    const stop = await alice.form('/hub/stop', { _xsrf: await alice.xsrf() });
    assert.equal(stop.status, 302);
    // Another replica would see it gone within the auth cache's 2 s; this one at once.
    const me = await fetch(`${ctx.hub.url}/hub/api/user`, {
      headers: { authorization: `token ${token}` },
    });
    assert.equal(me.status, 403);
  });
});
