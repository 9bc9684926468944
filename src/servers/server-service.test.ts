import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeBackend, type FakeMode } from '../backends/fake/fake-backend.ts';
import { parseConfig } from '../config/load.ts';
import { silentLogger } from '../logging/logger.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { createServerService } from './server-service.ts';

async function setup(mode: FakeMode = 'ok', extra: Record<string, unknown> = {}) {
  const config = parseConfig({
    profiles: [
      { name: 'small', displayName: 'Small', default: true },
      { name: 'gpu', displayName: 'GPU', gpu: 1 },
    ],
    ...extra,
  });
  const store = openSqliteStore(':memory:');
  let clock = 1_000_000;
  const backend = createFakeBackend({ mode });
  // Ready on the next turn of the event loop, not at once: a start takes a moment. (The
  // other modes record their start at once, as real backends do.)
  const startNow = backend.start.bind(backend);
  if (mode === 'ok') {
    backend.start = (ref, options) =>
      new Promise((resolve) => setImmediate(resolve)).then(() => startNow(ref, options));
  }
  const servers = createServerService({
    store,
    backend,
    profiles: config.profiles,
    log: silentLogger,
    now: () => new Date(clock),
    ...(config.quotas ? { quotas: config.quotas } : {}),
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
    // The backend is ready on the next turn; the clock moved 4 s, then 0 s, before that.
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
    assert.equal((await t.servers.state(t.alice, '')).phase, 'stopped');
    const run = await t.store.lastRun(t.alice.id, '');
    assert.equal(run?.outcome, 'cancelled');
    assert.equal(run.readyAt, null, 'a cancelled start never ran');
    assert.deepEqual(await t.store.startDurations('small', 10), []);
  });

  it('records a failed start as failed with its plain message', async () => {
    const t = await setup('fails');
    await t.servers.start(t.alice, '', 'small');
    await t.settle();
    const state = await t.servers.state(t.alice, '');
    assert.equal(state.phase, 'failed');
    assert.equal(state.message, 'The notebook server stopped while starting.');
    const run = await t.store.lastRun(t.alice.id, '');
    assert.equal(run?.outcome, 'failed');
    assert.equal(run.message, 'The notebook server stopped while starting.', 'kept in history');
    assert.deepEqual(await t.store.startDurations('small', 10), []);
  });

  it('with several replicas: a start in flight elsewhere is kept, a finished one is joined', async () => {
    const config = parseConfig({ profiles: [{ name: 'small', displayName: 'Small' }] });
    const store = openSqliteStore(':memory:');
    const alice = await store.createUser({ name: 'alice', admin: false, passwordHash: null });
    const slow = createFakeBackend({ mode: 'never-starts' });
    const replica = (backend: typeof slow) =>
      createServerService({ store, backend, profiles: config.profiles, log: silentLogger });
    await replica(slow).start(alice, '');
    assert.equal((await replica(slow).state(alice, '')).phase, 'starting');
    // A second replica starting up while the first one's start is in flight.
    assert.deepEqual(await replica(slow).reconcile(), { adopted: 0, markedStopped: 0 });
    assert.equal((await store.lastRun(alice.id, ''))?.endedAt, null, 'the run stays open');

    // A replica died after its start succeeded; Start on another one joins the running server.
    const done = createFakeBackend();
    const profile = config.profiles[0];
    assert.ok(profile);
    await done.start({ user: 'alice', server: '' }, { profile, baseUrl: '/user/alice/' });
    await replica(done).start(alice, '');
    assert.equal((await replica(done).state(alice, '')).phase, 'running');
    assert.equal(done.calls.filter((c) => c.op === 'start').length, 1, 'no second start');
  });

  it('tells why a server stopped from history when the backend does not say', async () => {
    const t = await setup();
    await t.servers.start(t.alice, '');
    await t.settle();
    const running = await t.servers.state(t.alice, '');
    assert.equal(running.phase, 'running');
    assert.deepEqual(running.startedAt, new Date(1_000_000), 'the open run’s request time');
    await t.servers.stop(t.alice, '', { message: 'Your server was stopped after 1 hour.' });
    const stopped = await t.servers.state(t.alice, '');
    assert.equal(stopped.phase, 'stopped');
    assert.equal(stopped.message, 'Your server was stopped after 1 hour.');
    assert.equal(stopped.startedAt, undefined);
    // A plain stop next time: no message left over from the run before.
    await t.servers.start(t.alice, '');
    await t.settle();
    await t.servers.stop(t.alice, '');
    assert.equal((await t.servers.state(t.alice, '')).message, undefined);
  });

  it('answers a page of users’ servers in one batch, phase from the backend', async () => {
    const t = await setup();
    await t.servers.start(t.alice, '', 'gpu');
    await t.settle();
    const states = await t.servers.statesOf([t.alice, t.root]);
    assert.deepEqual(
      states.get(t.alice.id)?.map((s) => [s.name, s.phase, s.profile, s.recorded]),
      [['', 'running', 'gpu', true]],
    );
    assert.deepEqual(states.get(t.root.id), [], 'never started: no servers');
    assert.deepEqual(t.servers.usersIn(['running']), ['alice']);
    assert.deepEqual(t.servers.usersIn(['starting']), []);
  });

  it('at start-up ends the runs of servers the backend no longer has, in pages', async () => {
    const t = await setup();
    const backend = createFakeBackend();
    const servers = createServerService({
      store: t.store,
      backend,
      profiles: t.servers.profiles,
      log: silentLogger,
      now: () => new Date(5_000_000),
    });
    // Runs left open by a hub that went away; only bob's server still runs.
    const bob = await t.store.createUser({ name: 'bob', admin: false, passwordHash: null });
    for (const user of [t.alice, bob, t.root]) {
      await t.store.beginRun({
        userId: user.id,
        serverName: '',
        profile: 'small',
        requestedAt: new Date(1000),
      });
      await t.store.markRunReady(user.id, '', new Date(2000));
    }
    const profile = t.servers.profiles[0];
    assert.ok(profile);
    await backend.start({ user: 'bob', server: '' }, { profile, baseUrl: '/user/bob/' });
    // A start another replica opened a moment ago and has not brought to the backend yet.
    await t.store.beginRun({
      userId: t.alice.id,
      serverName: 'new',
      profile: 'small',
      requestedAt: new Date(4_990_000),
    });
    assert.deepEqual(await servers.reconcile(), { adopted: 1, markedStopped: 2 });
    const alice = await t.store.lastRun(t.alice.id, '');
    assert.equal(alice?.outcome, 'stopped');
    assert.equal(alice.message, 'The server stopped while the hub was away. Your files are kept.');
    assert.equal(
      (await servers.state(t.alice, '')).message,
      alice.message,
      'told on the home page',
    );
    assert.equal((await t.store.lastRun(bob.id, ''))?.endedAt, null, 'bob’s run goes on');
    assert.equal((await t.store.lastRun(t.alice.id, 'new'))?.endedAt, null, 'within the grace');
    assert.deepEqual(await servers.reconcile(), { adopted: 1, markedStopped: 0 }, 'idempotent');
  });

  it('at start-up records ready a run whose start the hub that died never heard end', async () => {
    const t = await setup();
    const backend = createFakeBackend();
    const servers = createServerService({
      store: t.store,
      backend,
      profiles: t.servers.profiles,
      log: silentLogger,
      now: () => new Date(5_000_000),
    });
    // The dead hub opened the run and asked the backend, then died before the answer.
    await t.store.beginRun({
      userId: t.alice.id,
      serverName: '',
      profile: 'small',
      requestedAt: new Date(4_000_000),
    });
    const profile = t.servers.profiles[0];
    assert.ok(profile);
    await backend.start({ user: 'alice', server: '' }, { profile, baseUrl: '/user/alice/' });
    assert.equal((await t.store.lastRun(t.alice.id, ''))?.readyAt, null);
    assert.deepEqual(await servers.reconcile(), { adopted: 1, markedStopped: 0 });
    const run = await t.store.lastRun(t.alice.id, '');
    assert.equal(run?.readyAt?.getTime(), 5_000_000, 'recorded ready at adoption');
    assert.equal(run.endedAt, null);
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

  it('keeps the limit when creates arrive at once (the store decides, in one transaction)', async () => {
    const t = await named(3);
    const names = ['a', 'b', 'c', 'd', 'e'];
    const results = await Promise.allSettled(names.map((n) => t.servers.start(t.alice, n)));
    const refused = results.filter((r) => r.status === 'rejected');
    assert.equal(refused.length, 3);
    for (const r of refused) {
      assert.match((r.reason as { userMessage: string }).userMessage, /You already have 3 servers/);
    }
    const kept = (await t.servers.serversOf(t.alice)).map((s) => s.name).filter((n) => n !== '');
    assert.equal(kept.length, 2, 'two named and the default: three');
    await t.servers.remove(t.alice, kept[0] ?? '');
    await t.servers.start(t.alice, 'left');
    await t.servers.remove(t.alice, 'left');
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

  it("gives each start the hub's address and a token issuer; revokes at stop and failure", async () => {
    const config = parseConfig({});
    const store = openSqliteStore(':memory:');
    const user = await store.createUser({ name: 'alice', admin: false, passwordHash: null });
    const log: string[] = [];
    const hub = {
      apiUrl: () => 'http://127.0.0.1:8000/hub/api',
      hubHost: '',
      issueServerToken: (u: { name: string }, server: string) => {
        log.push(`issue ${u.name}/${server}`);
        return Promise.resolve('t');
      },
      revokeServerTokens: (userId: number, server: string) => {
        log.push(`revoke ${String(userId)}/${server}`);
        return Promise.resolve();
      },
    };
    const settle = () => new Promise((r) => setImmediate(r));
    for (const mode of ['ok', 'fails'] as const) {
      log.length = 0;
      const backend = createFakeBackend({ mode });
      const servers = createServerService({
        store,
        backend,
        profiles: config.profiles,
        log: silentLogger,
        hub,
      });
      await servers.start(user, '');
      await settle();
      const given = backend.calls.find((c) => c.op === 'start')?.options?.hub;
      assert.equal(given?.apiUrl, 'http://127.0.0.1:8000/hub/api');
      assert.equal(given.hubBaseUrl, '/');
      assert.deepEqual(log, mode === 'ok' ? [] : [`revoke ${String(user.id)}/`], mode);
      // The backend asks for the token only when it really launches a process.
      assert.equal(await given.issueApiToken(), 't');
      if (mode === 'ok') {
        await servers.stop(user, '');
        assert.deepEqual(log, ['issue alice/', `revoke ${String(user.id)}/`]);
      }
    }
  });

  it('at start-up revokes the tokens of servers found gone while the hub was away', async () => {
    const config = parseConfig({});
    const store = openSqliteStore(':memory:');
    const user = await store.createUser({ name: 'alice', admin: false, passwordHash: null });
    await store.beginRun({
      userId: user.id,
      serverName: '',
      profile: 'standard',
      requestedAt: new Date(0),
    });
    const revoked: string[] = [];
    const servers = createServerService({
      store,
      backend: createFakeBackend(),
      profiles: config.profiles,
      log: silentLogger,
      hub: {
        apiUrl: () => undefined,
        hubHost: '',
        issueServerToken: () => Promise.resolve('t'),
        revokeServerTokens: (userId, server) => {
          revoked.push(`${String(userId)}/${server}`);
          return Promise.resolve();
        },
      },
    });
    assert.deepEqual(await servers.reconcile(), { adopted: 0, markedStopped: 1 });
    assert.deepEqual(revoked, [`${String(user.id)}/`]);
  });

  it('refuses a start beyond the quotas before anything is created, groups granting more', async () => {
    const t = await setup('ok', {
      quotas: {
        default: { maxServers: 1, hoursPerMonth: { gpu: 1 } },
        groups: { physics: { maxServers: 2 } },
      },
    });
    await t.servers.start(t.alice, '', 'small');
    await t.settle();
    await assert.rejects(t.servers.start(t.alice, 'more', 'small'), {
      code: 'too_many_requests',
      status: 429,
      userMessage:
        'You can run 1 server at once and 1 is running (the default one). Stop one to start this one.',
    });
    assert.equal(await t.store.getServer(t.alice.id, 'more'), undefined, 'no row created');
    assert.deepEqual(
      (await t.store.openRunsOf([t.alice.id])).map((r) => r.serverName),
      [''],
      'no run opened',
    );
    // Starting the running one again joins it: not re-checked, not refused.
    await t.servers.start(t.alice, '', 'small');
    // A group grants more.
    await t.store.setUserGroups(t.alice.id, 'local', ['physics']);
    await t.servers.start(t.alice, 'more', 'small');
    await t.settle();
    assert.equal((await t.store.openRunsOf([t.alice.id])).length, 2);
    // Monthly hours: an hour of GPU used up refuses the next GPU start.
    await t.servers.stop(t.alice, 'more');
    await t.servers.start(t.alice, 'g', 'gpu');
    await t.settle();
    t.tick(3_600_000);
    await t.servers.stop(t.alice, 'g');
    await assert.rejects(t.servers.start(t.alice, 'g', 'gpu'), {
      code: 'too_many_requests',
      userMessage: /^You have used your 1 hour of GPU this month; it resets on 1 February\.$/,
    });
  });

  it('lets only as many of one person’s simultaneous starts through as the quota allows', async () => {
    const t = await setup('ok', { quotas: { default: { maxServers: 2 } } });
    const results = await Promise.allSettled(
      ['', 'a', 'b', 'c'].map((name) => t.servers.start(t.alice, name, 'small')),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
    assert.equal(results.filter((r) => r.status === 'rejected').length, 2);
    assert.equal((await t.store.openRunsOf([t.alice.id])).length, 2);
  });
});
