/**
 * The whole product on one machine, with a real Jupyter server: sign in, start, use
 * JupyterLab and a kernel through the proxy, keep files across stop/start, and keep the
 * same kernel across a hub restart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { executeOverWebSocket } from '../../helpers/jupyter-kernel.ts';
import { Browser, startTestHub } from '../../helpers/test-hub.ts';

describe('hub in local mode with real Jupyter', { timeout: 600_000 }, () => {
  let ctx: Awaited<ReturnType<typeof startTestHub>>;
  let alice: Browser;

  before(async () => {
    ctx = await startTestHub();
    // Accounts are set-up, not what this file tests (the admin pages have tests of their own).
    for (const name of ['alice', 'mallory']) {
      await ctx.hub.auth.createUser(name, `${name}-password`, false);
    }
    alice = new Browser(ctx.hub.url);
    await alice.signIn('Alice', 'alice-password');
  });

  after(async () => {
    // Stop what we started: notebooks outlive a hub on purpose, so tests must clean up.
    for (const user of ['alice', 'mallory']) await ctx.hub.backend.stop({ user, server: '' });
    await ctx.hub.close();
  });

  it('a stopped server URL offers to start it instead of a 502', async () => {
    const res = await alice.navigate('/user/alice/lab');
    assert.equal(res.status, 503);
    const page = await res.text();
    assert.match(page, /Your server is not running/);
    assert.match(page, /Start my server/);
  });

  it('unauthenticated requests are sent to sign in', async () => {
    const anonymous = new Browser(ctx.hub.url);
    const page = await anonymous.navigate('/user/alice/lab');
    assert.equal(page.status, 302);
    assert.match(page.headers.get('location') ?? '', /^\/hub\/login\?next=/);
    // API clients get a status code, not a login page.
    const api = await anonymous.fetch('/user/alice/api/status', {
      headers: { accept: 'application/json' },
    });
    assert.equal(api.status, 401);
  });

  let kernelId = '';

  it('starts, serves JupyterLab through the proxy and runs 1+1 on a kernel', async () => {
    const events = await alice.startServer();
    assert.match(events, /Starting Jupyter/);
    const lab = await alice.navigate('/user/alice/lab');
    assert.equal(lab.status, 200);
    assert.match(await lab.text(), /JupyterLab/);
    const kernel = await alice.fetch('/user/alice/api/kernels', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'python3' }),
    });
    assert.equal(kernel.status, 201, await kernel.clone().text());
    // JupyterLab sends its server's own token in Authorization with every request: the
    // session cookie must still decide who the caller is.
    const asLab = await alice.fetch('/user/alice/api/kernelspecs', {
      headers: { authorization: 'token not-a-hub-token' },
    });
    assert.equal(asLab.status, 200);
    kernelId = ((await kernel.json()) as { id: string }).id;
    const ws = ctx.hub.url.replace('http', 'ws') + `/user/alice/api/kernels/${kernelId}/channels`;
    assert.equal(
      await executeOverWebSocket(ws, '1+1', { cookie: alice.cookieHeader, origin: ctx.hub.url }),
      '2',
    );
  });

  it("refuses another user's session on alice's server, and foreign origins", async () => {
    const mallory = new Browser(ctx.hub.url);
    await mallory.signIn('mallory', 'mallory-password');
    assert.equal((await mallory.fetch('/user/alice/api/status')).status, 403);
    const cross = await alice.fetch('/user/alice/api/kernels', {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(cross.status, 403);
    const ws = ctx.hub.url.replace('http', 'ws') + `/user/alice/api/kernels/${kernelId}/channels`;
    await assert.rejects(
      executeOverWebSocket(
        ws,
        '1+1',
        { cookie: alice.cookieHeader, origin: 'https://evil.example' },
        5000,
      ),
      /403/,
    );
  });

  it('keeps files across stop and start', async () => {
    const put = await alice.fetch('/user/alice/api/contents/kept.txt', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'file', format: 'text', content: 'still here' }),
    });
    assert.ok(put.status === 201 || put.status === 200, String(put.status));
    const stop = await alice.form('/hub/stop', { _xsrf: await alice.xsrf() });
    assert.equal(stop.status, 302);
    assert.equal((await alice.fetch('/user/alice/api/status')).status, 503);
    await alice.startServer();
    const file = await alice.fetch('/user/alice/api/contents/kept.txt');
    assert.equal(file.status, 200);
    assert.equal(((await file.json()) as { content: string }).content, 'still here');
  });

  it('a hub restart does not stop the notebook: the same kernel still answers', async () => {
    const kernel = await alice.fetch('/user/alice/api/kernels', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'python3' }),
    });
    const id = ((await kernel.json()) as { id: string }).id;
    const ws = () => ctx.hub.url.replace('http', 'ws') + `/user/alice/api/kernels/${id}/channels`;
    assert.equal(
      await executeOverWebSocket(ws(), 'x = 40; x', {
        cookie: alice.cookieHeader,
        origin: ctx.hub.url,
      }),
      '40',
    );

    const port = Number(new URL(ctx.hub.url).port);
    await ctx.hub.close();
    ctx = await startTestHub({ dataDir: ctx.dataDir, port });
    // Same session cookie: sessions live in the store, not in the hub's memory.
    assert.equal(
      await executeOverWebSocket(ws(), 'x + 2', {
        cookie: alice.cookieHeader,
        origin: ctx.hub.url,
      }),
      '42',
    );
    const me = (await (await alice.fetch('/hub/api/users/alice')).json()) as {
      servers: Record<string, { ready: boolean }>;
    };
    assert.equal(me.servers['']?.ready, true, JSON.stringify(me));
  });
});
