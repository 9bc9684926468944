/**
 * The local backend's lifecycle rules with a misbehaving fake Jupyter (fixtures/fake-jupyter.ts):
 * real processes, signals, files and HTTP, but servers that start in milliseconds and fail on
 * request. The real-Jupyter tests are in jupyter.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { isGanymedeError } from '../../../src/errors/ganymede-error.ts';
import { createLocalBackend, MESSAGES } from '../../../src/backends/local/index.ts';
import { serverLayout, userLayout } from '../../../src/backends/local/layout.ts';
import { processIdentity } from '../../../src/backends/local/processes.ts';
import { writeServerState } from '../../../src/backends/local/state-file.ts';
import type { Backend, ProgressEvent, ServerRef } from '../../../src/backends/types.ts';
import {
  eventually,
  fakeProfile,
  killEverythingUnder,
  pidAlive,
  profile,
  readRecord,
  tempDataDir,
} from './helpers.ts';

const data = tempDataDir();
const backends: Backend[] = [];
const strayPids: number[] = [];
let counter = 0;

function newBackend(overrides: Partial<Parameters<typeof createLocalBackend>[0]> = {}) {
  const backend = createLocalBackend({
    dataDir: data.dir,
    jupyter: '/nonexistent/jupyter',
    startTimeoutMs: 10_000,
    stopGraceMs: 2_000,
    ...overrides,
  });
  backends.push(backend);
  return backend;
}

/** A fresh user per test, so tests never see each other's servers. */
function freshRef(server = ''): ServerRef {
  counter += 1;
  return { user: `user${counter}`, server };
}

const baseUrlOf = (ref: ServerRef) => `/user/${encodeURIComponent(ref.user)}/`;

async function collect(events: AsyncIterable<ProgressEvent>): Promise<ProgressEvent[]> {
  const out: ProgressEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

function recordFile(ref: ServerRef): string {
  return join(data.dir, `record-${ref.user}.txt`);
}

afterEach(() => {
  for (const { grandchild } of readRecordsAll())
    if (grandchild !== undefined) strayPids.push(grandchild);
});

function readRecordsAll() {
  const out = [];
  for (let i = 1; i <= counter; i++) out.push(...readRecord(join(data.dir, `record-user${i}.txt`)));
  return out;
}

after(async () => {
  await Promise.all(backends.map((b) => b.close()));
  killEverythingUnder(data.dir, strayPids);
  await data.remove();
});

describe('local backend, with a fake Jupyter', () => {
  it('starts, routes with the token, persists its state, and stops', async () => {
    const backend = newBackend();
    const ref = freshRef();
    const record = recordFile(ref);
    const status = await backend.start(ref, {
      profile: fakeProfile(`--record=${record}`),
      baseUrl: baseUrlOf(ref),
    });
    assert.equal(status.phase, 'running');
    assert.equal(status.profile, 'test');
    const route = backend.route(ref);
    assert.ok(route);
    const ok = await fetch(`${route.target}${baseUrlOf(ref)}api/status`, {
      headers: { authorization: `token ${route.token}` },
    });
    assert.equal(ok.status, 200);
    const forbidden = await fetch(`${route.target}${baseUrlOf(ref)}api/status`);
    assert.equal(forbidden.status, 403);

    const layout = serverLayout(data.dir, ref);
    assert.equal(statSync(layout.stateFile).mode & 0o777, 0o600);
    const state = JSON.parse(readFileSync(layout.stateFile, 'utf8')) as Record<string, unknown>;
    const [{ pid } = { pid: 0 }] = readRecord(record);
    assert.equal(state['pid'], pid);
    assert.equal(state['token'], route.token);
    assert.equal(state['baseUrl'], baseUrlOf(ref));
    assert.equal(state['profile'], 'test');
    assert.equal(route.target, `http://127.0.0.1:${String(state['port'])}`);
    // While it runs, progress yields the ready event only.
    assert.deepEqual(await collect(backend.progress(ref)), [
      { progress: 100, message: MESSAGES.ready, ready: true },
    ]);

    await backend.stop(ref);
    assert.deepEqual(await collect(backend.progress(ref)), [], 'nothing after a stop');
    assert.equal(pidAlive(pid), false);
    assert.equal(existsSync(layout.stateFile), false, 'state.json removed');
    assert.equal(existsSync(layout.logFile), true, 'log kept');
    assert.equal(existsSync(userLayout(data.dir, ref.user).home), true, 'home kept');
    assert.equal(backend.route(ref), undefined);
    assert.deepEqual(await backend.status(ref), { phase: 'stopped' });
  });

  it('joins concurrent starts into one process', async () => {
    const backend = newBackend();
    const ref = freshRef();
    const record = recordFile(ref);
    const options = { profile: fakeProfile(`--record=${record}`), baseUrl: baseUrlOf(ref) };
    const results = await Promise.all([
      backend.start(ref, options),
      backend.start(ref, options),
      backend.start(ref, options),
    ]);
    assert.deepEqual(
      results.map((r) => r.phase),
      ['running', 'running', 'running'],
    );
    assert.equal(readRecord(record).length, 1, 'one process started');
    // A start on a running server returns its status and starts nothing.
    assert.equal((await backend.start(ref, options)).phase, 'running');
    assert.equal(readRecord(record).length, 1);
    await backend.stop(ref);
  });

  it('reports a command that exits at once as failed, with its log tail', async () => {
    const backend = newBackend();
    const ref = freshRef();
    const script =
      'for i in $(seq 1 30); do echo "line $i"; done; echo "token=abc123secret" >&2; exit 3';
    const starting = backend.start(ref, {
      profile: profile(['sh', '-c', script]),
      baseUrl: baseUrlOf(ref),
    });
    const events = collect(backend.progress(ref));
    const status = await starting;
    assert.equal(status.phase, 'failed');
    assert.equal(status.message, MESSAGES.exitedWhileStarting);
    const detail = status.detail ?? '';
    assert.match(detail, /line 30/);
    assert.match(detail, /line 12\n/);
    assert.doesNotMatch(detail, /line 11\n/, 'only the last 20 lines');
    assert.match(detail, /exited with code 3/);
    const progress = await events;
    const last = progress.at(-1);
    assert.equal(last?.failed, true);
    assert.equal(last.message, MESSAGES.exitedWhileStarting);
    assert.equal(last.detail, detail);
    assert.deepEqual(await backend.status(ref), status);
    assert.equal(existsSync(serverLayout(data.dir, ref).stateFile), false);
    // After the start, progress yields only the terminal event.
    assert.deepEqual(await collect(backend.progress(ref)), [last]);
  });

  it('fails a start that never answers within the timeout, and ends its process', async () => {
    // A shell, not the Node fake: it prints its lines within milliseconds even on a busy machine.
    const backend = newBackend({ startTimeoutMs: 1_500 });
    const ref = freshRef();
    const record = recordFile(ref);
    const script = [
      `echo "$$ -" >> '${record}'`,
      'echo "listening at http://127.0.0.1:1/lab?token=$JUPYTER_TOKEN"',
      'echo "raw $JUPYTER_TOKEN"',
      'exec sleep 600',
    ].join('; ');
    const status = await backend.start(ref, {
      profile: profile(['sh', '-c', script]),
      baseUrl: baseUrlOf(ref),
    });
    assert.equal(status.phase, 'failed');
    assert.equal(status.message, MESSAGES.timedOut(1_500));
    const log = readFileSync(serverLayout(data.dir, ref).logFile, 'utf8');
    const token = /raw (\S+)/.exec(log)?.[1] ?? '';
    assert.ok(token.length > 20);
    assert.equal(
      status.detail,
      'listening at http://127.0.0.1:1/lab?token=[redacted]\nraw [redacted]',
      'the log tail, without the token',
    );
    const [{ pid } = { pid: 0 }] = readRecord(record);
    assert.ok(pid > 0);
    assert.equal(pidAlive(pid), false);
    assert.equal(backend.route(ref), undefined);
  });

  it('aborts a start when stopped, leaving no process', async () => {
    const backend = newBackend({ startTimeoutMs: 60_000 });
    const ref = freshRef();
    const record = recordFile(ref);
    const starting = backend.start(ref, {
      profile: fakeProfile('--never-answer', `--record=${record}`),
      baseUrl: baseUrlOf(ref),
    });
    for await (const event of backend.progress(ref)) {
      if (event.message === MESSAGES.waiting) break;
    }
    await eventually('the fake server listens', () => readRecord(record).length === 1);
    const began = Date.now();
    await backend.stop(ref);
    const status = await starting;
    assert.ok(Date.now() - began < 10_000, 'stop did not wait for the start timeout');
    assert.equal(status.phase, 'stopped');
    assert.equal(status.message, MESSAGES.cancelled);
    const [{ pid } = { pid: 0 }] = readRecord(record);
    assert.equal(pidAlive(pid), false);
    assert.equal(existsSync(serverLayout(data.dir, ref).stateFile), false);
    assert.deepEqual(await backend.status(ref), { phase: 'stopped' });
  });

  it('sends SIGKILL after the grace period, to the group and to processes outside it', async () => {
    const backend = newBackend({ stopGraceMs: 300 });
    const ref = freshRef();
    const record = recordFile(ref);
    await backend.start(ref, {
      profile: fakeProfile('--ignore-sigterm', '--spawn-grandchild', `--record=${record}`),
      baseUrl: baseUrlOf(ref),
    });
    const [{ pid, grandchild } = { pid: 0, grandchild: undefined }] = readRecord(record);
    assert.ok(grandchild !== undefined && pidAlive(grandchild) && pidAlive(pid));
    const began = Date.now();
    await backend.stop(ref);
    assert.ok(Date.now() - began >= 300, 'waited for the grace period');
    assert.equal(pidAlive(pid), false);
    assert.equal(pidAlive(grandchild), false, 'the grandchild in its own session is gone too');
    const log = readFileSync(serverLayout(data.dir, ref).logFile, 'utf8');
    assert.match(log, /got SIGTERM/, 'SIGTERM came first');
  });

  it('reports a crash after start as stopped, with the log tail', async () => {
    const backend = newBackend();
    const ref = freshRef();
    const record = recordFile(ref);
    await backend.start(ref, {
      profile: fakeProfile(`--record=${record}`),
      baseUrl: baseUrlOf(ref),
    });
    const [{ pid } = { pid: 0 }] = readRecord(record);
    process.kill(pid, 'SIGKILL');
    await eventually('the crash is noticed', () => backend.route(ref) === undefined);
    const status = await backend.status(ref);
    assert.equal(status.phase, 'stopped');
    assert.equal(status.message, MESSAGES.crashed);
    assert.match(status.detail ?? '', /fake jupyter at .*token=\[redacted\]/);
    assert.match(status.detail ?? '', /signal SIGKILL/);
    assert.equal(existsSync(serverLayout(data.dir, ref).stateFile), false);
    // And it can be started again.
    assert.equal(
      (await backend.start(ref, { profile: fakeProfile(), baseUrl: baseUrlOf(ref) })).phase,
      'running',
    );
    await backend.stop(ref);
  });

  it('fails cleanly when the command does not exist', async () => {
    const backend = newBackend();
    const ref = freshRef();
    const status = await backend.start(ref, {
      profile: profile(['/nonexistent/command']),
      baseUrl: baseUrlOf(ref),
    });
    assert.equal(status.phase, 'failed');
    assert.equal(status.message, MESSAGES.couldNotStart);
    assert.match(status.detail ?? '', /ENOENT/);
  });

  it('refuses a base URL that is not one plain path', async () => {
    const backend = newBackend();
    for (const baseUrl of [
      'user/a/',
      '/user/a',
      '/user/../a/',
      '/user/%2e%2e/',
      '/user/a%2Fb/',
      '/user//a/',
    ]) {
      await assert.rejects(
        backend.start(freshRef(), { profile: fakeProfile(), baseUrl }),
        (e: unknown) => isGanymedeError(e) && e.code === 'bad_request' && e.field === 'baseUrl',
        baseUrl,
      );
    }
  });

  it('keeps the lifecycle rules for stop, status and progress on unknown servers', async () => {
    const backend = newBackend();
    const ref = freshRef();
    await backend.stop(ref);
    await Promise.all([backend.stop(ref), backend.stop(ref)]);
    assert.deepEqual(await backend.status(ref), { phase: 'stopped' });
    assert.deepEqual(await collect(backend.progress(ref)), []);
    assert.equal(backend.route(ref), undefined);
    await backend.delete(ref);
  });

  it('deletes a server, and the home only when asked', async () => {
    const backend = newBackend();
    const ref = freshRef();
    const other = { user: ref.user, server: 'second' };
    const home = userLayout(data.dir, ref.user).home;
    await backend.start(ref, { profile: fakeProfile(), baseUrl: baseUrlOf(ref) });
    writeFileSync(join(home, 'notes.txt'), 'keep me');
    await backend.delete(ref);
    assert.equal(backend.route(ref), undefined);
    assert.equal(existsSync(serverLayout(data.dir, ref).serverDir), false);
    assert.equal(readFileSync(join(home, 'notes.txt'), 'utf8'), 'keep me');

    // The default server's storage holds the named servers' files too: refused while one runs.
    await backend.start(other, { profile: fakeProfile(), baseUrl: `${baseUrlOf(ref)}second/` });
    await assert.rejects(backend.delete(ref, { deleteStorage: true }), (e: unknown) => {
      return isGanymedeError(e) && e.code === 'conflict';
    });
    await backend.delete(other);
    await backend.delete(ref, { deleteStorage: true });
    assert.equal(existsSync(home), false);
  });

  it('at start-up, adopts live servers and cleans up dead, silent and foreign ones', async () => {
    const first = newBackend();
    const live = freshRef();
    await first.start(live, { profile: fakeProfile(), baseUrl: baseUrlOf(live) });
    const liveRoute = first.route(live);
    assert.ok(liveRoute);
    await first.close();

    const template = {
      version: 1 as const,
      server: '',
      port: 9,
      token: 'x'.repeat(43),
      profile: 'test',
      startedAt: new Date().toISOString(),
    };
    // Dead: a pid that has exited.
    const dead = freshRef();
    const exited = spawn('true');
    await new Promise((resolve) => exited.once('exit', resolve));
    await writeServerState(serverLayout(data.dir, dead).stateFile, {
      ...template,
      user: dead.user,
      pid: exited.pid ?? 0,
      baseUrl: baseUrlOf(dead),
    });
    // Silent: our process, alive, but not answering: it is ended.
    const silent = freshRef();
    const silentChild = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
    silentChild.unref();
    const silentPid = silentChild.pid ?? 0;
    strayPids.push(silentPid);
    await writeServerState(serverLayout(data.dir, silent).stateFile, {
      ...template,
      // Started long ago: past its start timeout, so not merely still starting.
      startedAt: new Date(Date.now() - 3_600_000).toISOString(),
      user: silent.user,
      pid: silentPid,
      pidIdentity: (await processIdentity(silentPid)) ?? '',
      baseUrl: baseUrlOf(silent),
    });
    // Foreign: the pid is alive but belongs to another process (pid reused): never signalled.
    const foreign = freshRef();
    const stranger = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
    stranger.unref();
    const strangerPid = stranger.pid ?? 0;
    strayPids.push(strangerPid);
    await writeServerState(serverLayout(data.dir, foreign).stateFile, {
      ...template,
      user: foreign.user,
      pid: strangerPid,
      pidIdentity: 'another-boot:12345',
      baseUrl: baseUrlOf(foreign),
    });
    // Damaged: removed and not listed.
    const damagedDir = join(data.dir, 'servers', 'damaged', '_default');
    mkdirSync(damagedDir, { recursive: true });
    writeFileSync(join(damagedDir, 'state.json'), '{"version":1,"pid":"oops"}');

    const second = newBackend();
    const listed = await second.list();
    const byUser = new Map(listed.map((l) => [l.ref.user, l.status]));
    assert.equal(byUser.get(live.user)?.phase, 'running');
    assert.deepEqual(second.route(live), liveRoute);
    assert.equal(byUser.get(dead.user)?.phase, 'stopped');
    assert.equal(byUser.get(dead.user)?.message, MESSAGES.goneWhileAway);
    assert.equal(byUser.get(silent.user)?.phase, 'stopped');
    assert.equal(byUser.get(silent.user)?.message, MESSAGES.unresponsive);
    assert.equal(byUser.get(foreign.user)?.phase, 'stopped');
    assert.equal(listed.length, 4, 'the damaged record is not listed');
    assert.equal(existsSync(join(damagedDir, 'state.json')), false);
    for (const ref of [dead, silent, foreign]) {
      assert.equal(existsSync(serverLayout(data.dir, ref).stateFile), false);
      assert.equal(second.route(ref), undefined);
    }
    await eventually('the silent process is ended', () => !pidAlive(silentPid));
    assert.equal(pidAlive(strangerPid), true, 'a stranger is never signalled');
    await second.stop(live);
  });

  it('adopts on start() a server an earlier hub left running, instead of starting another', async () => {
    const first = newBackend();
    const ref = freshRef();
    const record = recordFile(ref);
    const options = { profile: fakeProfile(`--record=${record}`), baseUrl: baseUrlOf(ref) };
    await first.start(ref, options);
    const route = first.route(ref);
    await first.close();

    const second = newBackend();
    assert.equal((await second.start(ref, options)).phase, 'running');
    assert.deepEqual(second.route(ref), route);
    assert.equal(readRecord(record).length, 1, 'no second process');
    await second.stop(ref);
    assert.equal(pidAlive(readRecord(record)[0]?.pid ?? 0), false);
  });

  it('finishes, after a hub restart, a start the earlier hub left half done', async () => {
    const first = newBackend();
    const ref = freshRef();
    const record = recordFile(ref);
    const gate = join(data.dir, `gate-${ref.user}`);
    const starting = first.start(ref, {
      profile: fakeProfile(`--listen-when=${gate}`, `--record=${record}`),
      baseUrl: baseUrlOf(ref),
    });
    for await (const event of first.progress(ref)) {
      if (event.message === MESSAGES.waiting) break;
    }
    await first.close();
    assert.equal((await starting).phase, 'starting', 'closing the hub leaves the server starting');
    await assert.rejects(
      first.start(ref, { profile: fakeProfile(), baseUrl: baseUrlOf(ref) }),
      (e: unknown) => isGanymedeError(e) && e.code === 'unavailable',
    );
    assert.equal(readRecord(record).length, 0, 'not listening yet');

    const second = newBackend();
    // Two list() calls at once must not start two waits for one server.
    const [listed, again] = await Promise.all([second.list(), second.list()]);
    for (const l of [listed, again]) {
      assert.deepEqual(
        l.filter((x) => x.ref.user === ref.user).map((x) => x.status.phase),
        ['starting'],
      );
    }
    writeFileSync(gate, '');
    const events: ProgressEvent[] = await collect(second.progress(ref));
    assert.equal(events.at(-1)?.ready, true, JSON.stringify(events));
    assert.equal((await second.status(ref)).phase, 'running');
    assert.ok(second.route(ref));
    await second.stop(ref);
    assert.equal(pidAlive(readRecord(record)[0]?.pid ?? 0), false);
  });
});
