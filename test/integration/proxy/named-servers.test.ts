/**
 * Named servers through the proxy: `/user/<name>/<server>/…` reaches the named server when
 * the user has it, the default server otherwise; a stopped named server gets the "start it"
 * page for THAT server; Jupyter's own paths never ask the hub; and the path checks run first.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { Route } from '../../../src/backends/types.ts';
import { request, upgradeStatus } from './client.ts';
import { startEchoUpstream, type EchoUpstream } from './echo-upstream.ts';
import { SESSION_COOKIE, startTestHub, type TestHub } from './harness.ts';

const identities = {
  'alice-session': { user: 'alice', admin: false },
  'bob-session': { user: 'bob', admin: false },
  'root-session': { user: 'root', admin: true },
  'gpu-only-token': { user: 'root', admin: true, scopes: ['access:servers!server=alice/gpu'] },
  'default-only-token': { user: 'root', admin: true, scopes: ['access:servers!server=alice/'] },
};
const alice = { cookie: `${SESSION_COOKIE}=alice-session` };

for (const asyncHasServer of [false, true]) {
  describe(`named servers (hasServer answers ${asyncHasServer ? 'a promise' : 'directly'})`, () => {
    let main: EchoUpstream;
    let gpu: EchoUpstream;
    let hub: TestHub;
    const routes = new Map<string, Route>();

    before(async () => {
      main = await startEchoUpstream();
      gpu = await startEchoUpstream();
      routes.set('alice', { target: main.target, token: 'main-token' });
      routes.set('alice/gpu', { target: gpu.target, token: 'gpu-token' });
      hub = await startTestHub({
        routes,
        identities,
        namedServers: new Set(['alice/gpu', 'alice/stopped']),
        asyncHasServer,
      });
    });

    after(async () => {
      await hub.close();
      await main.close();
      await gpu.close();
    });

    it('sends /user/alice/gpu/… to the running named server, with its own token', async () => {
      const before = hub.hasServerAsked.length;
      const res = await request(`${hub.url}/user/alice/gpu/api/echo?x=1`, { headers: alice });
      assert.equal(res.status, 200);
      assert.equal(gpu.requests.at(-1)?.url, '/user/alice/gpu/api/echo?x=1');
      assert.match(JSON.stringify(gpu.requests.at(-1)?.rawHeaders), /token gpu-token/);
      assert.equal(hub.hasServerAsked.length, before, 'a running server needs no lookup');
      const activity = hub.activity.at(-1);
      assert.deepEqual(activity?.ref, { user: 'alice', server: 'gpu' });
    });

    it("keeps Jupyter's own paths on the default server without asking the hub", async () => {
      const before = hub.hasServerAsked.length;
      for (const path of ['/user/alice/api/echo', '/user/alice/lab/echo', '/user/alice/echo']) {
        const seen = main.requests.length;
        const res = await request(`${hub.url}${path}`, { headers: alice });
        assert.equal(res.status, 200, path);
        assert.equal(main.requests.length, seen + 1, path);
        assert.equal(main.requests.at(-1)?.url, path);
      }
      // `/user/alice/echo`: "echo" is a valid server name alice does not have, so asked once.
      assert.deepEqual(hub.hasServerAsked.slice(before), [{ user: 'alice', server: 'echo' }]);
    });

    it('lets a !server= token reach that server only, and tells nothing about the others', async () => {
      const gpuOnly = { authorization: 'token gpu-only-token' };
      assert.equal(
        (await request(`${hub.url}/user/alice/gpu/api/echo`, { headers: gpuOnly })).status,
        200,
      );
      const main403 = await request(`${hub.url}/user/alice/api/echo`, { headers: gpuOnly });
      assert.equal(main403.status, 403);
      // A named server it may not use is never looked up: the path is the default server's,
      // so an existing one and a missing one get the same answer.
      const defaultOnly = { authorization: 'token default-only-token' };
      const before = hub.hasServerAsked.length;
      const seen = main.requests.length;
      const existing = await request(`${hub.url}/user/alice/gpu/api/echo`, {
        headers: defaultOnly,
      });
      const missing = await request(`${hub.url}/user/alice/nope/api/echo`, {
        headers: defaultOnly,
      });
      assert.equal(existing.status, 200);
      assert.equal(missing.status, 200);
      assert.equal(main.requests.length, seen + 2, 'both went to the default server');
      assert.equal(hub.hasServerAsked.length, before);
    });

    it('sends a server name the user does not have to the default server', async () => {
      const res = await request(`${hub.url}/user/alice/nope/echo`, { headers: alice });
      assert.equal(res.status, 200);
      assert.equal(main.requests.at(-1)?.url, '/user/alice/nope/echo');
    });

    it('offers to start THAT server when a named server is stopped', async () => {
      const page = await request(`${hub.url}/user/alice/stopped/lab`, {
        headers: { ...alice, accept: 'text/html' },
      });
      assert.equal(page.status, 503);
      assert.match(page.body, /Start alice\/stopped/);
      assert.deepEqual(hub.noServerPages.at(-1), { user: 'alice', server: 'stopped' });
      const api = await request(`${hub.url}/user/alice/stopped/api/status`, { headers: alice });
      assert.equal(api.status, 503);
    });

    it('redirects /user/alice/gpu to /user/alice/gpu/ only for a server alice has', async () => {
      const res = await request(`${hub.url}/user/alice/gpu?a=1`, { headers: alice });
      assert.equal(res.status, 302);
      assert.equal(res.headers.location, '/user/alice/gpu/?a=1');
      const other = await request(`${hub.url}/user/alice/nope`, { headers: alice });
      assert.equal(other.status, 200, 'a path on the default server');
      assert.equal(main.requests.at(-1)?.url, '/user/alice/nope');
    });

    it('decides access by user before looking anything up', async () => {
      const before = hub.hasServerAsked.length;
      const res = await request(`${hub.url}/user/alice/gpu/api/echo`, {
        headers: { cookie: `${SESSION_COOKIE}=bob-session` },
      });
      assert.equal(res.status, 403);
      const anonymous = await request(`${hub.url}/user/alice/stopped/api/echo`);
      assert.equal(anonymous.status, 401);
      assert.equal(hub.hasServerAsked.length, before);
      const admin = await request(`${hub.url}/user/alice/gpu/api/echo`, {
        headers: { cookie: `${SESSION_COOKIE}=root-session` },
      });
      assert.equal(admin.status, 200);
      assert.equal(gpu.requests.at(-1)?.url, '/user/alice/gpu/api/echo');
    });

    it('refuses hostile paths under a named server as before', async () => {
      for (const path of [
        '/user/alice/gpu/../../bob/api',
        '/user/alice/gpu/%2e%2e/x',
        '/user/alice/gpu%2F..%2Fbob/',
        '/user/alice/gpu//api',
        '/user/alice/gpu/%252F',
      ]) {
        const res = await request(`${hub.url}${path}`, { headers: alice });
        assert.equal(res.status, 400, path);
      }
    });

    it('upgrades WebSockets to the named server, and refuses a stopped one', async () => {
      const ws = new WebSocket(
        `${hub.url.replace('http', 'ws')}/user/alice/gpu/api/kernels/k/channels`,
        { headers: { ...alice, origin: hub.origin } },
      );
      await once(ws, 'open');
      ws.send('headers?');
      const [data] = (await once(ws, 'message')) as [Buffer];
      assert.match(data.toString(), /token gpu-token/);
      ws.close();
      const stopped = await upgradeStatus(`${hub.url}/user/alice/stopped/api/kernels/k/channels`, {
        ...alice,
        origin: hub.origin,
      });
      assert.equal(stopped, 503);
    });
  });
}
