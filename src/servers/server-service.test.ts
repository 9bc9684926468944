import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeBackend, type FakeMode } from '../backends/fake/fake-backend.ts';
import { parseConfig } from '../config/load.ts';
import { silentLogger } from '../logging/logger.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { createServerService } from './server-service.ts';

async function setup(mode: FakeMode = 'ok') {
  const config = parseConfig({
    profiles: [
      { name: 'small', displayName: 'Small', default: true },
      { name: 'gpu', displayName: 'GPU', gpu: 1 },
    ],
  });
  const store = openSqliteStore(':memory:');
  let clock = 1_000_000;
  const servers = createServerService({
    store,
    backend: createFakeBackend({ mode }),
    profiles: config.profiles,
    log: silentLogger,
    now: () => new Date(clock),
  });
  const alice = await store.createUser({ name: 'alice', admin: false, passwordHash: null });
  const root = await store.createUser({ name: 'root', admin: true, passwordHash: null });
  const settle = () => new Promise((r) => setImmediate(r));
  return {
    store,
    servers,
    alice,
    root,
    settle,
    tick: (ms: number) => {
      clock += ms;
    },
  };
}

describe('server service', () => {
  it('lets only members of a profile’s groups (and admins) start it', async () => {
    const t = await setup();
    await t.store.setProfileGroups('gpu', ['physics']);
    assert.deepEqual(
      (await t.servers.profilesFor(t.alice)).map((p) => p.name),
      ['small'],
    );
    await assert.rejects(t.servers.start(t.alice, '', 'gpu'), { code: 'forbidden' });
    assert.equal(await t.store.getServer(t.alice.id, ''), undefined, 'nothing recorded');
    assert.deepEqual(
      (await t.servers.profilesFor(t.root)).map((p) => p.name),
      ['small', 'gpu'],
    );
    await t.store.setUserGroups(t.alice.id, 'local', ['physics']);
    await t.servers.start(t.alice, '', 'gpu');
    await t.settle();
    assert.equal((await t.store.getServer(t.alice.id, ''))?.profile, 'gpu');
  });

  it('falls back to the first allowed profile and refuses when none is allowed', async () => {
    const t = await setup();
    await t.store.setProfileGroups('small', ['staff']);
    await t.servers.start(t.alice, '');
    await t.settle();
    assert.equal((await t.store.getServer(t.alice.id, ''))?.profile, 'gpu');
    await t.store.setProfileGroups('gpu', ['staff']);
    await t.servers.stop(t.alice, '');
    await assert.rejects(t.servers.start(t.alice, ''), { code: 'forbidden', field: 'profile' });
  });

  it('estimates a start from the median of past ready starts of the profile', async () => {
    const t = await setup();
    assert.equal(await t.servers.startEstimate('small'), undefined);
    await t.servers.start(t.alice, '', 'small');
    t.tick(4000);
    await t.settle();
    await t.servers.stop(t.alice, '');
    await t.servers.start(t.alice, '', 'small');
    t.tick(0);
    await t.settle();
    await t.servers.stop(t.alice, '');
    // The fake backend is ready at once; the clock moved 4 s, then 0 s, before the ready record.
    assert.deepEqual(await t.store.startDurations('small', 10), [0, 4000]);
    assert.equal(await t.servers.startEstimate('small'), 2000);
    assert.equal(await t.servers.startEstimate('gpu'), undefined);
  });

  it('records a stop during a start as cancelled and leaves the server stopped', async () => {
    const t = await setup('never-starts');
    await t.servers.start(t.alice, '', 'small');
    t.tick(1000);
    await t.servers.stop(t.alice, '');
    await t.settle();
    assert.equal((await t.store.getServer(t.alice.id, ''))?.state, 'stopped');
    const runs = await t.store.listRuns(new Date(0), new Date(10_000_000));
    assert.equal(runs.length, 0, 'a cancelled start never ran');
    assert.deepEqual(await t.store.startDurations('small', 10), []);
  });

  it('records a failed start as failed with its plain message', async () => {
    const t = await setup('fails');
    await t.servers.start(t.alice, '', 'small');
    await t.settle();
    const record = await t.store.getServer(t.alice.id, '');
    assert.equal(record?.state, 'failed');
    assert.deepEqual(await t.store.startDurations('small', 10), []);
  });

  it('with several replicas: a start in flight elsewhere is kept, a finished one is recorded', async () => {
    const config = parseConfig({ profiles: [{ name: 'small', displayName: 'Small' }] });
    const store = openSqliteStore(':memory:');
    const alice = await store.createUser({ name: 'alice', admin: false, passwordHash: null });
    const slow = createFakeBackend({ mode: 'never-starts' });
    const replica = (backend: typeof slow) =>
      createServerService({ store, backend, profiles: config.profiles, log: silentLogger });
    await replica(slow).start(alice, '');
    assert.equal((await store.getServer(alice.id, ''))?.state, 'starting');
    // A second replica starting up while the first one's start is in flight.
    assert.deepEqual(await replica(slow).reconcile(), { adopted: 0, markedStopped: 0 });
    assert.equal((await store.getServer(alice.id, ''))?.state, 'starting');

    // A replica died after its start succeeded, before recording it; Start on another one.
    const done = createFakeBackend();
    const profile = config.profiles[0];
    assert.ok(profile);
    await done.start({ user: 'alice', server: '' }, { profile, baseUrl: '/user/alice/' });
    await replica(done).start(alice, '');
    assert.equal((await store.getServer(alice.id, ''))?.state, 'running');
  });
});

describe('server service: named servers', () => {
  async function named(maxPerUser?: number) {
    const config = parseConfig({
      profiles: [
        { name: 'small', displayName: 'Small', default: true },
        { name: 'gpu', displayName: 'GPU', gpu: 1 },
      ],
    });
    const store = openSqliteStore(':memory:');
    const backend = createFakeBackend();
    const servers = createServerService({
      store,
      backend,
      profiles: config.profiles,
      log: silentLogger,
      ...(maxPerUser === undefined ? {} : { maxPerUser }),
    });
    const alice = await store.createUser({ name: 'alice', admin: false, passwordHash: null });
    const bob = await store.createUser({ name: 'bob', admin: false, passwordHash: null });
    return { store, backend, servers, alice, bob };
  }
  const settle = () => new Promise((r) => setImmediate(r));

  it('creates named servers up to maxPerUser, the default server included', async () => {
    const t = await named(3);
    await t.servers.start(t.alice, 'one', 'gpu');
    await t.servers.start(t.alice, 'two');
    await settle();
    await assert.rejects(t.servers.start(t.alice, 'three'), (e: unknown) => {
      const err = e as { code: string; userMessage: string; field: string };
      assert.equal(err.code, 'bad_request');
      assert.equal(err.field, 'server');
      assert.match(err.userMessage, /You already have 3 servers, the most allowed/);
      return true;
    });
    assert.equal(await t.store.getServer(t.alice.id, 'three'), undefined, 'nothing recorded');
    // The default server always has room, and so does starting an existing one again.
    await t.servers.start(t.alice, '');
    await t.servers.stop(t.alice, 'one');
    await t.servers.start(t.alice, 'one');
    // Another user's servers do not count against alice.
    await t.servers.start(t.bob, 'three');
    // Deleting one makes room.
    await t.servers.remove(t.alice, 'two');
    await t.servers.start(t.alice, 'three');
    await settle();
    assert.deepEqual(
      (await t.servers.serversOf(t.alice)).map((s) => s.name),
      ['', 'one', 'three'],
    );
  });

  it('keeps the limit when two creates arrive at once', async () => {
    const t = await named(2);
    const results = await Promise.allSettled([
      t.servers.start(t.alice, 'left'),
      t.servers.start(t.alice, 'right'),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected'],
    );
    assert.deepEqual(
      (await t.servers.serversOf(t.alice)).map((s) => s.name),
      ['left'],
    );
    // A refused create does not block the next one.
    await t.servers.remove(t.alice, 'left');
    await t.servers.start(t.alice, 'right');
  });

  it('starts a named server again in the environment it was created with', async () => {
    const t = await named();
    await t.servers.start(t.alice, 'train', 'gpu');
    await settle();
    await t.servers.stop(t.alice, 'train');
    await t.servers.start(t.alice, 'train');
    const starts = t.backend.calls.filter((c) => c.op === 'start');
    assert.deepEqual(
      starts.map((c) => [c.ref.server, c.options?.profile.name, c.options?.baseUrl]),
      [
        ['train', 'gpu', '/user/alice/train/'],
        ['train', 'gpu', '/user/alice/train/'],
      ],
    );
  });

  it('with maxPerUser 1 there are no named servers, said plainly', async () => {
    const t = await named(1);
    await assert.rejects(t.servers.start(t.alice, 'extra'), /Named servers are not enabled/);
    await t.servers.start(t.alice, '');
  });

  it('refuses a name that breaks the rule before touching anything', async () => {
    const t = await named();
    for (const name of ['lab', 'API', 'a/b', 'x'.repeat(33)]) {
      await assert.rejects(t.servers.start(t.alice, name), { code: 'bad_request' }, name);
    }
    assert.equal(t.backend.calls.length, 0);
    assert.equal(await t.servers.has(t.alice, 'lab'), false);
    assert.equal(await t.servers.has(t.alice, ''), true);
  });
});
