/**
 * The portal's named servers: the home page lists each with its one action, a form creates
 * one (refused in plain words past servers.maxPerUser), Stop and Delete act on THAT server,
 * Delete keeps files unless ticked, and the progress page follows that server's start.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAuthService } from '../../auth/auth-service.ts';
import { createFakeBackend, type FakeMode } from '../../backends/fake/fake-backend.ts';
import { parseConfig } from '../../config/load.ts';
import { silentLogger } from '../../logging/logger.ts';
import { createServerService } from '../../servers/server-service.ts';
import { openSqliteStore } from '../../store/sqlite-store.ts';
import { createWebApp, SESSION_COOKIE } from '../app.ts';

const origin = 'http://hub.test';

async function setup(
  options: { mode?: FakeMode; maxPerUser?: number; quotas?: Record<string, unknown> } = {},
) {
  const config = parseConfig({
    profiles: [
      { name: 'standard', displayName: 'Standard', default: true },
      { name: 'gpu', displayName: 'Deep <b>learning</b>', gpu: 1 },
    ],
    ...(options.quotas ? { quotas: options.quotas } : {}),
  });
  const store = openSqliteStore(':memory:');
  const auth = createAuthService({ store, ...config.auth, cacheMs: 0 });
  const backend = createFakeBackend({ mode: options.mode ?? 'ok' });
  const deleted: { server: string; deleteStorage: boolean | undefined }[] = [];
  const remove = backend.delete.bind(backend);
  backend.delete = (ref, opts) => {
    deleted.push({ server: ref.server, deleteStorage: opts?.deleteStorage });
    return remove(ref, opts);
  };
  const servers = createServerService({
    store,
    backend,
    profiles: config.profiles,
    log: silentLogger,
    maxPerUser: options.maxPerUser ?? 3,
    ...(config.quotas ? { quotas: config.quotas } : {}),
  });
  const app = createWebApp({
    auth,
    servers,
    store,
    log: silentLogger,
    publicUrl: undefined,
    sessionHours: 1,
  });
  const alice = await auth.createUser('alice', 'alice-password', false);
  const { sessionId } = await auth.openSession(alice);
  const identity = await auth.fromSession(sessionId);
  assert.ok(identity);
  const cookie = `${SESSION_COOKIE}=${sessionId}`;
  const xsrf = auth.xsrfToken(identity);
  const get = (path: string) => app.request(`${origin}${path}`, { headers: { cookie } });
  const post = (path: string, form: Record<string, string>) =>
    app.request(`${origin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin },
      body: new URLSearchParams({ _xsrf: xsrf, ...form }).toString(),
    });
  const settle = () => new Promise((r) => setImmediate(r));
  /** The backend's phase of one of alice's servers. */
  const phase = async (server: string) => (await servers.state(alice, server)).phase;
  return { app, store, backend, deleted, alice, get, post, settle, phase };
}

describe('portal: named servers', () => {
  it('creates a named server from the home page form and follows its start', async () => {
    const t = await setup();
    const home = await (await t.get('/hub/home')).text();
    assert.match(home, /Your other servers/);
    assert.match(home, /href="\/hub\/servers\/new"/);
    const form = await (await t.get('/hub/servers/new')).text();
    assert.match(form, /<label for="new-server-name">Server name<\/label>/);
    assert.match(form, /name="profile"/);
    assert.match(form, /Deep &lt;b&gt;learning&lt;\/b&gt;/, 'environment names are escaped');
    const res = await t.post('/hub/spawn', { server: 'train', profile: 'gpu' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/hub/spawn-pending?server=train');
    const start = t.backend.calls.at(-1);
    assert.deepEqual(start?.ref, { user: 'alice', server: 'train' });
    assert.equal(start.options?.profile.name, 'gpu');
    assert.equal(start.options.baseUrl, '/user/alice/train/');
    const pending = await (await t.get('/hub/spawn-pending?server=train')).text();
    assert.match(pending, /data-events="\/hub\/api\/users\/alice\/servers\/train\/progress"/);
    assert.match(pending, /data-next="\/user\/alice\/train\/lab"/);
    assert.match(pending, /name="server" value="train"/, 'Cancel stops THAT server');
    await t.settle();
    const after = await (await t.get('/hub/home')).text();
    assert.match(after, /id="server-train"/);
    assert.match(after, /href="\/user\/alice\/train\/lab" aria-label="Open train"/);
    assert.match(after, /aria-label="Stop train"/);
  });

  it('tells a start refused by a quota on the page where Start was pressed', async () => {
    const t = await setup({ quotas: { default: { maxServers: 1, gpu: 0 } } });
    assert.equal((await t.post('/hub/spawn', { server: '' })).status, 302);
    await t.settle();
    // From the new server form: the form again, with the message.
    const fromForm = await t.post('/hub/spawn', { server: 'two' });
    assert.equal(fromForm.status, 429);
    const page = await fromForm.text();
    assert.match(page, /<h1 id="new-title">Create a server<\/h1>/);
    assert.match(
      page,
      /role="alert" id="start-refused">You can run 1 server at once and 1 is running \(the default one\)\. Stop one to start this one\./,
    );
    assert.equal(await t.store.getServer(t.alice.id, 'two'), undefined, 'nothing created');
    // From the home page (an existing server): home again, with the message.
    await t.store.createServer(
      { userId: t.alice.id, name: 'gpu', profile: 'gpu', createdAt: new Date() },
      3,
    );
    await t.post('/hub/stop', { server: '' });
    const fromHome = await t.post('/hub/spawn', { server: 'gpu', profile: 'gpu' });
    assert.equal(fromHome.status, 429);
    const home = await fromHome.text();
    assert.match(home, /Hello, alice/);
    assert.match(
      home,
      /id="start-refused">This server needs 1 GPU and your limit is 0 GPUs\. Choose a smaller environment, or ask an administrator for more\./,
    );
  });

  it('refuses a server past the limit in plain words, and hides the form at the limit', async () => {
    const t = await setup({ maxPerUser: 2 });
    await t.post('/hub/spawn', { server: 'one' });
    const home = await (await t.get('/hub/home')).text();
    assert.doesNotMatch(home, /\/hub\/servers\/new/);
    assert.match(home, /You have 2 servers, the most allowed here/);
    const form = await (await t.get('/hub/servers/new')).text();
    assert.doesNotMatch(form, /new-server-name/);
    assert.match(form, /You have 2 servers, the most allowed here/);
    const refused = await t.post('/hub/spawn', { server: 'two' });
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /You already have 2 servers, the most allowed/);
    assert.equal(await t.store.getServer(t.alice.id, 'two'), undefined);
  });

  it('hides named servers when maxPerUser is 1', async () => {
    const t = await setup({ maxPerUser: 1 });
    assert.doesNotMatch(await (await t.get('/hub/home')).text(), /Your other servers/);
  });

  it('refuses a name that breaks the rule, saying why', async () => {
    const t = await setup();
    for (const [name, why] of [
      ['lab', /Jupyter uses for its own pages/],
      ['My Server', /lower-case letters, digits or -/],
    ] as const) {
      const res = await t.post('/hub/spawn', { server: name });
      assert.equal(res.status, 400, name);
      assert.match(await res.text(), why);
    }
    assert.equal(t.backend.calls.length, 0);
  });

  it('stops, starts again and deletes THAT server; files kept unless ticked', async () => {
    const t = await setup();
    await t.post('/hub/spawn', { server: 'one' });
    await t.post('/hub/spawn', { server: 'two', profile: 'gpu' });
    await t.post('/hub/spawn', { server: '' });
    await t.settle();
    const stop = await t.post('/hub/stop', { server: 'two' });
    assert.equal(stop.headers.get('location'), '/hub/home?done=server-stopped');
    assert.equal(await t.phase('two'), 'stopped');
    assert.equal(await t.phase('one'), 'running');
    assert.equal(await t.phase(''), 'running');
    const home = await (await t.get('/hub/home?done=server-stopped')).text();
    assert.match(home, /The server was stopped. Its files are kept./);
    assert.match(home, /aria-label="Start two"/);
    assert.match(home, /Also delete the files of two/);

    await t.post('/hub/spawn', { server: 'two' });
    assert.equal(t.backend.calls.at(-1)?.options?.profile.name, 'gpu', 'its own environment');
    await t.settle();
    await t.post('/hub/stop', { server: 'two' });

    const kept = await t.post('/hub/delete', { server: 'two' });
    assert.equal(kept.headers.get('location'), '/hub/home?done=deleted');
    await t.post('/hub/stop', { server: 'one' });
    const gone = await t.post('/hub/delete', { server: 'one', delete_files: '1' });
    assert.equal(gone.headers.get('location'), '/hub/home?done=deleted-files');
    assert.deepEqual(t.deleted, [
      { server: 'two', deleteStorage: false },
      { server: 'one', deleteStorage: true },
    ]);
    assert.equal(await t.store.getServer(t.alice.id, 'two'), undefined);
    assert.equal(await t.phase(''), 'running');
    assert.equal((await t.post('/hub/delete', { server: '' })).status, 400);
    assert.equal((await t.post('/hub/stop', { server: 'nope' })).status, 404);
    assert.equal((await t.get('/hub/spawn-pending?server=nope')).status, 404);
  });
});
