import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { createFakeBackend } from '../backends/fake/fake-backend.ts';
import type { Route } from '../backends/types.ts';
import { parseConfig } from '../config/load.ts';
import { silentLogger } from '../logging/logger.ts';
import { createServerService } from '../servers/server-service.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { createCuller, type CullerOptions } from './culler.ts';
import type { JupyterActivity } from './jupyter-activity.ts';

const t0 = new Date('2026-01-01T08:00:00Z');

/** A hub's worth of real parts around the culler, with a hand-driven clock and timer. */
function setup(
  options: {
    culler?: object;
    jupyter?: (route: Route, baseUrl: string) => JupyterActivity | Error;
  } & Partial<Pick<CullerOptions, 'isLeader' | 'log'>> = {},
) {
  const config = parseConfig({
    profiles: [
      { name: 'short', displayName: 'Short', idleTimeoutMinutes: 10, default: true },
      { name: 'forever', displayName: 'Forever', idleTimeoutMinutes: 0 },
    ],
    culler: options.culler ?? {},
  });
  let clock = t0;
  const store = openSqliteStore(':memory:');
  const backend = createFakeBackend();
  const servers = createServerService({
    store,
    backend,
    profiles: config.profiles,
    log: silentLogger,
    now: () => clock,
  });
  const timers: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  const culls: string[] = [];
  const asked: string[] = [];
  const culler = createCuller({
    store,
    servers,
    backend,
    settings: config.culler,
    log: options.log ?? silentLogger,
    now: () => clock,
    readActivity: (route, baseUrl) => {
      asked.push(baseUrl);
      const answer = options.jupyter?.(route, baseUrl) ?? new Error('no answer');
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
    schedule: (fn, ms) => {
      const timer = { fn, ms, cancelled: false };
      timers.push(timer);
      return () => {
        timer.cancelled = true;
      };
    },
    onCull: (reason) => culls.push(reason),
    ...(options.isLeader ? { isLeader: options.isLeader } : {}),
  });
  const user = async (name: string) =>
    (await store.getUser(name)) ?? store.createUser({ name, admin: false, passwordHash: null });
  async function startServer(name: string, profile?: string) {
    const u = await user(name);
    await servers.start(u, '', profile);
    // The fake backend answers at once; let the service record the run ready.
    for (let i = 0; i < 10 && (await store.lastRun(u.id, ''))?.readyAt === null; i++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return u;
  }
  return {
    store,
    backend,
    servers,
    culler,
    timers,
    culls,
    asked,
    startServer,
    advance(ms: number) {
      clock = new Date(clock.getTime() + ms);
    },
    now: () => clock,
  };
}

const MIN = 60_000;

describe('culler', () => {
  it('stops a server idle past its profile timeout, keeps files, tells the user why', async () => {
    const h = setup();
    const alice = await h.startServer('alice');
    h.advance(9 * MIN);
    let round = await h.culler.runOnce();
    assert.deepEqual(
      round.verdicts.map((v) => [v.ref.user, v.decision.action]),
      [['alice', 'keep']],
    );
    h.advance(1 * MIN);
    round = await h.culler.runOnce();
    assert.deepEqual(
      round.verdicts.map((v) => [v.decision.action, v.decision.reason]),
      [['stop', 'idle']],
    );
    const state = await h.servers.state(alice, '');
    assert.equal(state.phase, 'stopped');
    assert.equal(
      state.message,
      'Your server was stopped after 10 minutes without activity. Your files are kept.',
    );
    assert.equal((await h.store.lastRun(alice.id, ''))?.outcome, 'stopped', 'in history');
    assert.deepEqual(
      h.backend.calls.map((c) => c.op),
      ['start', 'stop'],
      'stopped, never deleted',
    );
    assert.deepEqual(h.culls, ['idle']);
  });

  it('counts proxy activity recorded in the store', async () => {
    const h = setup();
    const alice = await h.startServer('alice');
    h.advance(8 * MIN);
    await h.store.recordActivity(alice.id, '', h.now());
    h.advance(8 * MIN);
    assert.equal((await h.culler.runOnce()).verdicts[0]?.decision.action, 'keep');
    h.advance(2 * MIN);
    assert.equal((await h.culler.runOnce()).verdicts[0]?.decision.action, 'stop');
  });

  it("keeps a busy server, and records Jupyter's own activity", async () => {
    let busy = true;
    const h = setup({
      jupyter: () => ({
        lastActivity: new Date(t0.getTime() + MIN),
        connections: 0,
        kernels: [{ executionState: busy ? 'busy' : 'idle', connections: 0, lastActivity: null }],
      }),
    });
    const alice = await h.startServer('alice');
    h.advance(120 * MIN);
    const round = await h.culler.runOnce();
    assert.deepEqual(
      round.verdicts.map((v) => v.decision.reason),
      ['busy'],
    );
    assert.deepEqual(h.asked, ['/user/alice/']);
    assert.deepEqual(
      (await h.store.getServer(alice.id, ''))?.lastActivity,
      new Date(t0.getTime() + MIN),
    );
    busy = false;
    assert.equal((await h.culler.runOnce()).verdicts[0]?.decision.reason, 'idle');
  });

  it('stops servers past the maximum age, even a busy one', async () => {
    const h = setup({
      culler: { maxAgeHours: 2 },
      jupyter: () => ({
        lastActivity: t0,
        connections: 1,
        kernels: [{ executionState: 'busy', connections: 1, lastActivity: null }],
      }),
    });
    await h.startServer('alice', 'forever');
    h.advance(119 * MIN);
    assert.equal((await h.culler.runOnce()).verdicts[0]?.decision.action, 'keep');
    h.advance(MIN);
    const round = await h.culler.runOnce();
    assert.deepEqual(
      round.verdicts.map((v) => v.decision.reason),
      ['max-age'],
    );
    assert.deepEqual(h.culls, ['max-age']);
  });

  it('open connections keep a server only when configured', async () => {
    const answer = (): JupyterActivity => ({
      lastActivity: t0,
      connections: 1,
      kernels: [{ executionState: 'idle', connections: 1, lastActivity: null }],
    });
    const off = setup({ jupyter: answer });
    await off.startServer('alice');
    off.advance(30 * MIN);
    assert.equal((await off.culler.runOnce()).verdicts[0]?.decision.reason, 'idle');

    const on = setup({ jupyter: answer, culler: { countOpenConnections: true } });
    await on.startServer('alice');
    on.advance(30 * MIN);
    assert.equal((await on.culler.runOnce()).verdicts[0]?.decision.reason, 'connected');
  });

  it('does nothing in a replica that is not the leader', async () => {
    let leader = false;
    const h = setup({ isLeader: () => leader });
    await h.startServer('alice');
    h.advance(60 * MIN);
    assert.deepEqual(await h.culler.runOnce(), {
      at: h.now(),
      skipped: 'not-leader',
      verdicts: [],
    });
    assert.deepEqual(
      h.backend.calls.map((c) => c.op),
      ['start'],
    );
    leader = true;
    assert.equal((await h.culler.runOnce()).verdicts[0]?.decision.action, 'stop');
  });

  it('runs a round one interval after the last one ended, until stopped', async () => {
    const h = setup({ culler: { intervalSeconds: 30 } });
    await h.startServer('alice');
    h.culler.start();
    h.culler.start();
    assert.equal(h.timers.length, 1, 'start twice schedules once');
    assert.equal(h.timers[0]?.ms, 30_000);
    h.advance(11 * MIN);
    const next = h.culler.nextRound();
    h.timers[0].fn();
    assert.equal((await next).verdicts[0]?.decision.action, 'stop');
    // The next round is scheduled only once this one has finished.
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(h.timers.length, 2);
    await h.culler.stop();
    assert.equal(h.timers[1]!.cancelled, true);
  });

  it('shares a round in flight between callers', async () => {
    const h = setup();
    await h.startServer('alice');
    h.advance(11 * MIN);
    const [a, b] = await Promise.all([h.culler.runOnce(), h.culler.runOnce()]);
    assert.equal(a, b);
    assert.deepEqual(
      h.backend.calls.map((c) => c.op),
      ['start', 'stop'],
    );
  });

  it('culls only what the backend runs, and not a server started again meanwhile', async () => {
    const h = setup();
    const alice = await h.startServer('alice');
    await h.startServer('bob');
    // bob's server died without the hub: the backend no longer reports it, so it is not judged.
    await h.backend.stop({ user: 'bob', server: '' });
    h.advance(11 * MIN);
    const round = await h.culler.runOnce();
    assert.deepEqual(
      round.verdicts.map((v) => [v.ref.user, v.decision.action]),
      [['alice', 'stop']],
    );
    // Judged idle, but alice stopped and started again before the stop: the new run is kept.
    await h.servers.start(alice, '');
    await new Promise<void>((resolve) => setImmediate(resolve));
    h.advance(11 * MIN);
    const real = h.store.lastRun.bind(h.store);
    let restarted = false;
    h.store.lastRun = async (userId, name) => {
      if (!restarted) {
        restarted = true;
        await h.servers.stop(alice, '');
        await h.servers.start(alice, '');
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      return real(userId, name);
    };
    const again = await h.culler.runOnce();
    assert.deepEqual(
      again.verdicts.map((v) => [v.ref.user, v.decision.reason]),
      [['alice', 'not-running']],
    );
    assert.equal((await h.servers.state(alice, '')).phase, 'running');
  });

  it('leaves servers with no idle timeout running', async () => {
    const h = setup();
    await h.startServer('alice', 'forever');
    h.advance(10_000 * MIN);
    assert.equal((await h.culler.runOnce()).verdicts[0]?.decision.reason, 'no-idle-timeout');
  });

  it('logs what it does without the server token', async () => {
    let output = '';
    const log = pino({ level: 'debug' }, { write: (line: string) => (output += line) });
    const h = setup({
      log,
      jupyter: (route) =>
        new Error(`status unreadable (asked with a token of ${route.token.length} characters)`),
    });
    await h.startServer('alice');
    h.advance(11 * MIN);
    await h.culler.runOnce();
    assert.match(output, /reading server status failed/);
    assert.match(output, /"msg":"culling server"/);
    assert.match(output, /"reason":"idle"/);
    assert.doesNotMatch(output, /fake-token/);
  });
});
