/**
 * Ingress routing mode end to end: Debian's nginx is the data path (auth_request against the
 * real hub's /hub/auth/forward, configured from deploy/nginx/), the hub runs the local
 * backend, and alice's notebook is a real Jupyter server. A browser-like client reaches every
 * host name at 127.0.0.1. Checks: the owner gets through (REST and a kernel WebSocket that
 * runs a cell), another user gets 403, no cookie is sent to sign in and lands back on the
 * notebook, client-supplied identity headers and the hub cookie never reach the upstream.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hashPassword } from '../../../src/auth/passwords.ts';
import { notebookHost } from '../../../src/ingress/index.ts';
import { freeLoopbackPort } from '../../cluster/control-plane/ports.ts';
import { executeOverWebSocket } from '../../helpers/jupyter-kernel.ts';
import { startTestHub } from '../../helpers/test-hub.ts';
import { startEchoUpstream, type EchoUpstream } from '../proxy/echo-upstream.ts';
import { HostClient } from './host-client.ts';
import { startNginx, type RunningNginx } from './nginx.ts';

const DOMAIN = 'nb.ganymede.test';

describe('ingress routing through nginx auth_request', { timeout: 300_000 }, () => {
  let ctx: Awaited<ReturnType<typeof startTestHub>> | undefined;
  let nginx: RunningNginx | undefined;
  let echo: EchoUpstream | undefined;
  const upstream = (): EchoUpstream => {
    assert.ok(echo, 'set up in before()');
    return echo;
  };
  const hub = () => {
    assert.ok(ctx, 'set up in before()');
    return ctx.hub;
  };
  let port = 0;
  let hubBase = '';
  let aliceBase = '';
  let carolBase = '';
  const clients: HostClient[] = [];

  function client(): HostClient {
    const c = new HostClient();
    clients.push(c);
    return c;
  }

  async function signIn(c: HostClient, name: string): Promise<void> {
    const res = await c.fetch(`${hubBase}/hub/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: hubBase },
      body: new URLSearchParams({ username: name, password: `${name}-password` }).toString(),
    });
    assert.equal(res.status, 302, await res.text());
  }

  before(async () => {
    port = await freeLoopbackPort();
    hubBase = `http://hub.${DOMAIN}:${port}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'ganymede-ingress-'));
    ctx = await startTestHub({
      dataDir,
      config: {
        hub: { port: 0, dataDir, publicUrl: hubBase },
        ingressRouting: { baseDomain: DOMAIN, scheme: 'http' },
      },
    });
    const { store } = ctx.hub;
    for (const name of ['alice', 'bob', 'carol']) {
      await store.createUser({
        name,
        admin: false,
        passwordHash: await hashPassword(`${name}-password`),
      });
    }
    // alice's server is a real Jupyter, started through the hub's own API.
    const aliceRef = { user: 'alice', server: '' };
    const aliceUser = await store.getUser('alice');
    assert.ok(aliceUser);
    await ctx.hub.servers.start(aliceUser, '');
    const deadline = Date.now() + 120_000;
    while (!ctx.hub.backend.route(aliceRef)) {
      if (Date.now() > deadline) throw new Error('alice’s server did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
    const aliceRoute = ctx.hub.backend.route(aliceRef);
    // carol's "notebook" is an echo server: it shows exactly what the data path forwards.
    echo = await startEchoUpstream();
    const carolId = (await store.getUser('carol'))?.id ?? 0;
    await store.createServer(
      { userId: carolId, name: '', profile: 'standard', createdAt: new Date() },
      3,
    );
    const aliceHost = notebookHost(aliceRef, DOMAIN);
    const carolHost = notebookHost({ user: 'carol', server: '' }, DOMAIN);
    aliceBase = `http://${aliceHost}:${port}`;
    carolBase = `http://${carolHost}:${port}`;
    nginx = await startNginx({
      port,
      hubHost: `hub.${DOMAIN}`,
      hubUpstream: ctx.hub.url,
      notebooks: [
        { host: aliceHost, upstream: aliceRoute?.target ?? '' },
        { host: carolHost, upstream: echo.target },
      ],
    });
  });

  after(async () => {
    for (const c of clients) await c.close();
    await nginx?.stop();
    await echo?.close();
    await ctx?.hub.backend.stop({ user: 'alice', server: '' });
    await ctx?.hub.close();
  });

  test('sign-in sets a session cookie for the notebook domain', async () => {
    const c = client();
    const res = await c.fetch(`${hubBase}/hub/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: hubBase },
      body: new URLSearchParams({ username: 'alice', password: 'alice-password' }).toString(),
    });
    assert.equal(res.status, 302);
    const cookie = res.headers.getSetCookie().find((l) => l.startsWith('ganymede-session='));
    assert.match(cookie ?? '', new RegExp(`Domain=${DOMAIN.replace(/\./g, '\\.')}`, 'i'));
    assert.match(cookie ?? '', /HttpOnly/i);
  });

  test('the owner reaches her Jupyter server and runs a cell over the kernel WebSocket', async () => {
    const c = client();
    await signIn(c, 'alice');
    const status = await c.fetch(`${aliceBase}/user/alice/api/status`);
    assert.equal(status.status, 200, await status.clone().text());
    assert.ok('kernels' in ((await status.json()) as object));
    const created = await c.fetch(`${aliceBase}/user/alice/api/kernels`, {
      method: 'POST',
      headers: { origin: aliceBase, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(created.status, 201, await created.clone().text());
    const kernel = (await created.json()) as { id: string };
    const result = await executeOverWebSocket(
      `ws://127.0.0.1:${port}/user/alice/api/kernels/${kernel.id}/channels`,
      '6 * 7',
      {
        host: new URL(aliceBase).host,
        origin: aliceBase,
        cookie: c.cookieHeaderFor(new URL(aliceBase).hostname),
      },
      60_000,
    );
    assert.equal(result, '42');
    const deleted = await c.fetch(`${aliceBase}/user/alice/api/kernels/${kernel.id}`, {
      method: 'DELETE',
      headers: { origin: aliceBase },
    });
    assert.equal(deleted.status, 204);
  });

  test('another user gets 403 from nginx, over HTTP and WebSocket', async () => {
    const c = client();
    await signIn(c, 'bob');
    const res = await c.fetch(`${aliceBase}/user/alice/api/status`);
    assert.equal(res.status, 403);
    const ws = executeOverWebSocket(
      `ws://127.0.0.1:${port}/user/alice/api/kernels/x/channels`,
      '1',
      {
        host: new URL(aliceBase).host,
        origin: aliceBase,
        cookie: c.cookieHeaderFor(new URL(aliceBase).hostname),
      },
      30_000,
    );
    await assert.rejects(ws, /403/);
  });

  test('a cross-site state change is refused even with the owner’s cookie', async () => {
    const c = client();
    await signIn(c, 'alice');
    const res = await c.fetch(`${aliceBase}/user/alice/api/kernels`, {
      method: 'POST',
      headers: { origin: carolBase, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 403);
  });

  test('no cookie: sent to sign in, and back to the notebook afterwards', async () => {
    const c = client();
    const target = `${aliceBase}/user/alice/lab?reset`;
    const first = await c.fetch(target);
    assert.equal(first.status, 302);
    const login = new URL(first.headers.get('location') ?? '');
    assert.equal(login.origin, hubBase);
    assert.equal(login.pathname, '/hub/login');
    const next = login.searchParams.get('next') ?? '';
    const res = await c.fetch(`${hubBase}/hub/login?next=${encodeURIComponent(next)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: hubBase },
      body: new URLSearchParams({ username: 'alice', password: 'alice-password', next }).toString(),
    });
    assert.equal(res.status, 302, await res.text());
    const hop = new URL(res.headers.get('location') ?? '', hubBase);
    assert.equal(hop.pathname, '/hub/auth/return');
    const back = await c.fetch(hop.href);
    assert.equal(back.headers.get('location'), target);
    const lab = await c.fetch(target);
    assert.equal(lab.status, 200);
    assert.match(await lab.text(), /JupyterLab|jupyter/i);
  });

  test('client identity headers and the hub cookie never reach the notebook', async () => {
    const c = client();
    await signIn(c, 'carol');
    const before = upstream().requests.length;
    const res = await c.fetch(`${carolBase}/user/carol/echo`, {
      headers: {
        cookie: `${c.cookieHeaderFor(new URL(carolBase).hostname)}; _xsrf=keep-me`,
        'x-ganymede-user': 'alice',
        'x-forwarded-user': 'alice',
        'remote-user': 'alice',
        'x-remote-user': 'alice',
        'x-auth-request-user': 'alice',
        'x-user': 'alice',
        forwarded: 'for=1.2.3.4;by=evil',
      },
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(upstream().requests.length, before + 1);
    const raw = upstream().requests.at(-1)?.rawHeaders ?? [];
    const headers = new Map<string, string[]>();
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const k = (raw[i] ?? '').toLowerCase();
      headers.set(k, [...(headers.get(k) ?? []), raw[i + 1] ?? '']);
    }
    assert.deepEqual(headers.get('x-ganymede-user'), ['carol']);
    for (const name of [
      'x-forwarded-user',
      'remote-user',
      'x-remote-user',
      'x-auth-request-user',
      'x-user',
      'forwarded',
    ]) {
      assert.equal(headers.get(name), undefined, name);
    }
    // carol's stand-in server has no route in the backend, so no token: and never the forged one.
    assert.equal(headers.get('authorization'), undefined);
    const cookie = headers.get('cookie')?.join('; ') ?? '';
    assert.doesNotMatch(cookie, /ganymede-session/);
    assert.match(cookie, /_xsrf=keep-me/);
  });

  test('a hub API token admits a script but never reaches the notebook', async () => {
    const carol = await hub().store.getUser('carol');
    assert.ok(carol);
    const { token } = await hub().auth.createToken(carol.id, 'ingress test');
    const c = client();
    const res = await c.fetch(`${carolBase}/user/carol/echo`, {
      headers: { authorization: `token ${token}` },
    });
    assert.equal(res.status, 200);
    const raw = upstream().requests.at(-1)?.rawHeaders ?? [];
    assert.ok(!raw.some((v) => v.includes(token)), 'the hub token was forwarded');
    const forged = await c.fetch(`${carolBase}/user/carol/echo`, {
      headers: { authorization: 'token forged' },
    });
    assert.equal(forged.status, 302);
  });
});
