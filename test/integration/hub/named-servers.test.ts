/**
 * Named servers on one machine with real Jupyter: a person creates two named servers next to
 * their default one; each answers at its own URL with its own files; stopping one leaves the
 * others running, and its URL then offers to start THAT server.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Browser, startTestHub } from '../../helpers/test-hub.ts';

describe('named servers in local mode with real Jupyter', { timeout: 600_000 }, () => {
  let ctx: Awaited<ReturnType<typeof startTestHub>>;
  let alice: Browser;
  const servers = ['', 'one', 'two'];
  const base = (server: string) => (server === '' ? '/user/alice/' : `/user/alice/${server}/`);

  before(async () => {
    ctx = await startTestHub({ config: { servers: { maxPerUser: 3 } } });
    // The account is set-up, not what this file tests.
    await ctx.hub.auth.createUser('alice', 'alice-password', false);
    alice = new Browser(ctx.hub.url);
    await alice.signIn('alice', 'alice-password');
  });

  after(async () => {
    // Notebooks outlive a hub on purpose, so tests must stop what they started.
    for (const server of servers) await ctx.hub.backend.stop({ user: 'alice', server });
    await ctx.hub.close();
  });

  async function start(server: string): Promise<void> {
    const res = await alice.form('/hub/spawn', { _xsrf: await alice.xsrf(), server });
    assert.equal(res.status, 302, await res.text());
  }

  async function ready(server: string): Promise<void> {
    const url =
      server === ''
        ? '/hub/api/users/alice/server/progress'
        : `/hub/api/users/alice/servers/${server}/progress`;
    const events = await (await alice.fetch(url)).text();
    assert.match(events, /"ready":true/, `${server || 'default'}: ${events}`);
    assert.ok(events.includes(`"url":"${base(server)}"`), events);
  }

  it('creates two named servers next to the default one, and refuses a fourth', async () => {
    for (const server of servers) await start(server);
    for (const server of servers) await ready(server);
    const refused = await alice.form('/hub/spawn', { _xsrf: await alice.xsrf(), server: 'three' });
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /You already have 3 servers/);
    const home = await (await alice.fetch('/hub/home')).text();
    assert.match(home, /id="server-one"/);
    assert.match(home, /id="server-two"/);
  });

  it('answers each server at its own URL, with its own files', async () => {
    for (const server of servers) {
      const lab = await alice.navigate(`${base(server)}lab`);
      assert.equal(lab.status, 200, server);
      const page = await lab.text();
      assert.match(page, /JupyterLab/);
      // JupyterLab's page config carries the base URL it serves under: this server's own.
      assert.ok(page.includes(`"baseUrl": "${base(server)}"`), `${server}: base URL`);
      const put = await alice.fetch(`${base(server)}api/contents/whose.txt`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'file', format: 'text', content: `server ${server}` }),
      });
      assert.ok(put.status === 200 || put.status === 201, `${server}: ${await put.text()}`);
    }
    for (const server of servers) {
      const file = await alice.fetch(`${base(server)}api/contents/whose.txt?content=1`);
      assert.equal(file.status, 200);
      assert.equal(((await file.json()) as { content: string }).content, `server ${server}`);
    }
    const users = join(ctx.dataDir, 'users', 'alice');
    assert.equal(readFileSync(join(users, 'home', 'whose.txt'), 'utf8'), 'server ');
    assert.equal(readFileSync(join(users, 'named', 'one', 'whose.txt'), 'utf8'), 'server one');
    assert.equal(readFileSync(join(users, 'named', 'two', 'whose.txt'), 'utf8'), 'server two');
  });

  it('stops one named server while the others keep running', async () => {
    const res = await alice.form('/hub/stop', { _xsrf: await alice.xsrf(), server: 'one' });
    assert.equal(res.status, 302);
    for (const server of ['', 'two']) {
      const status = await alice.fetch(`${base(server)}api/status`);
      assert.equal(status.status, 200, server);
    }
    const stopped = await alice.navigate('/user/alice/one/lab');
    assert.equal(stopped.status, 503);
    const page = await stopped.text();
    assert.match(page, /Your server one is not running/);
    // JupyterHub's not-running page: a link to spawn THAT server, then back to this URL.
    assert.ok(page.includes('href="/hub/spawn/alice/one?next=%2Fuser%2Falice%2Fone%2Flab"'), page);
    assert.match(page, /Start one/);
    const user = (await (await alice.fetch('/hub/api/users/alice')).json()) as {
      servers: Record<string, { ready: boolean }>;
    };
    assert.deepEqual(Object.keys(user.servers).sort(), ['', 'two']);
  });

  it('deletes the stopped server keeping its files, which makes room again', async () => {
    const res = await alice.form('/hub/delete', { _xsrf: await alice.xsrf(), server: 'one' });
    assert.equal(res.status, 302);
    assert.equal(
      existsSync(join(ctx.dataDir, 'users', 'alice', 'named', 'one', 'whose.txt')),
      true,
    );
    const home = await (await alice.fetch('/hub/home')).text();
    assert.doesNotMatch(home, /id="server-one"/);
    assert.match(home, /href="\/hub\/servers\/new"/, 'the create link is back');
  });
});
