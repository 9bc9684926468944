/**
 * The local backend with the real Jupyter server from PyPI (.venv, scripts/ensure-jupyter.sh).
 * Servers are shared between steps where that weakens nothing: the first start serves the
 * concurrency, progress, routing and in-process adoption checks, then writes the file that must
 * survive stop and start. The hub-restart test needs a server of its own, started by a hub
 * process that is then killed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createLocalBackend, MESSAGES } from '../../../src/backends/local/index.ts';
import { serverLayout, userLayout } from '../../../src/backends/local/layout.ts';
import type { Backend, ProgressEvent, Route, ServerRef } from '../../../src/backends/types.ts';
import {
  childPids,
  eventually,
  jupyterCommand,
  killEverythingUnder,
  pidAlive,
  pidsMentioning,
  profile,
  tempDataDir,
} from './helpers.ts';

const data = tempDataDir();
let jupyter = '';
const backends: Backend[] = [];
const newBackend = (extra: { checkIntervalMs?: number } = {}) => {
  const backend = createLocalBackend({
    dataDir: data.dir,
    jupyter,
    startTimeoutMs: 90_000,
    stopGraceMs: 10_000,
    ...extra,
  });
  backends.push(backend);
  return backend;
};

// A name that needs percent-encoding in the URL and hashing on disk, as real names do.
const zoe: ServerRef = { user: 'zoë', server: '' };
const zoeBase = '/user/zo%C3%AB/';

function api(route: Route, baseUrl: string, path: string, init: RequestInit = {}) {
  return fetch(`${route.target}${baseUrl}${path}`, {
    ...init,
    headers: { authorization: `token ${route.token}`, 'content-type': 'application/json' },
  });
}

function statePid(ref: ServerRef): number {
  const state = JSON.parse(readFileSync(serverLayout(data.dir, ref).stateFile, 'utf8')) as {
    pid: number;
  };
  return state.pid;
}

before(() => {
  jupyter = jupyterCommand();
});

after(async () => {
  await Promise.all(backends.map((b) => b.close()));
  killEverythingUnder(data.dir);
  await data.remove();
});

describe('local backend, with the real Jupyter', () => {
  let backend: Backend;

  it('joins concurrent starts, reports progress, and answers through its route', async () => {
    backend = newBackend();
    const options = { profile: profile(), baseUrl: zoeBase };
    const first = backend.start(zoe, options);
    const events: ProgressEvent[] = [];
    const following = (async () => {
      for await (const event of backend.progress(zoe)) events.push(event);
    })();
    const second = backend.start(zoe, options);
    const [a, b] = await Promise.all([first, second]);
    await following;
    assert.equal(a.phase, 'running');
    assert.deepEqual(b, a);
    assert.deepEqual(
      events.map((e) => e.message),
      [MESSAGES.preparing, MESSAGES.starting, MESSAGES.waiting, MESSAGES.ready],
    );
    assert.deepEqual(
      events.map((e) => e.progress),
      [...events.map((e) => e.progress)].sort((x, y) => x - y),
    );
    assert.equal(events.at(-1)?.ready, true);

    const home = userLayout(data.dir, zoe.user).home;
    assert.equal(pidsMentioning(`--ServerApp.root_dir=${home}`).length, 1, 'one Jupyter process');

    const route = backend.route(zoe);
    assert.ok(route);
    const status = await api(route, zoeBase, 'api/status');
    assert.equal(status.status, 200);
    assert.equal(typeof ((await status.json()) as { started?: unknown }).started, 'string');
    const anonymous = await fetch(`${route.target}${zoeBase}api/status`);
    assert.equal(anonymous.status, 403, 'the token is required');
    // The hub's proxy keeps the browser's Host header; Jupyter must accept it.
    const viaHost = await fetch(`${route.target}${zoeBase}api/status`, {
      headers: { authorization: `token ${route.token}`, host: 'notebooks.example.org' },
    });
    assert.equal(viaHost.status, 200);

    // A second backend on the same data directory (an in-process hub restart) adopts it.
    const other = newBackend();
    const listed = await other.list();
    assert.deepEqual(
      listed.map((l) => [l.ref, l.status.phase]),
      [[zoe, 'running']],
    );
    assert.deepEqual(other.route(zoe), route);
    await other.close();
  });

  it('keeps files across stop and start, and stop leaves no process behind', async () => {
    const route = backend.route(zoe);
    assert.ok(route);
    const put = await api(route, zoeBase, 'api/contents/notes.txt', {
      method: 'PUT',
      body: JSON.stringify({ type: 'file', format: 'text', content: 'hello from zoë' }),
    });
    assert.equal(put.status, 201);
    const kernel = await api(route, zoeBase, 'api/kernels', {
      method: 'POST',
      body: JSON.stringify({ name: 'python3' }),
    });
    assert.equal(kernel.status, 201);
    const jupyterPid = statePid(zoe);
    await eventually('the kernel process appears', () => childPids(jupyterPid).length > 0);
    const kernelPids = childPids(jupyterPid);

    await backend.stop(zoe);
    assert.equal(pidAlive(jupyterPid), false);
    for (const pid of kernelPids) assert.equal(pidAlive(pid), false, `kernel ${pid} ended`);
    assert.deepEqual(pidsMentioning(userLayout(data.dir, zoe.user).userDir), []);
    assert.equal(existsSync(serverLayout(data.dir, zoe).stateFile), false);
    assert.equal(backend.route(zoe), undefined);
    assert.equal(
      readFileSync(join(userLayout(data.dir, zoe.user).home, 'notes.txt'), 'utf8'),
      'hello from zoë',
    );

    assert.equal(
      (await backend.start(zoe, { profile: profile(), baseUrl: zoeBase })).phase,
      'running',
    );
    const again = backend.route(zoe);
    assert.ok(again);
    assert.notEqual(again.token, route.token, 'every start gets a new token');
    const read = await api(
      again,
      zoeBase,
      'api/contents/notes.txt?content=1&format=text&type=file',
    );
    assert.equal(read.status, 200);
    assert.equal(((await read.json()) as { content?: unknown }).content, 'hello from zoë');
    await backend.stop(zoe);
  });

  it('survives a hub killed with SIGKILL: a new hub adopts the server, then sees it die', async () => {
    const bob: ServerRef = { user: 'bob', server: '' };
    const hub = join(import.meta.dirname, 'fixtures', 'hub-that-dies.ts');
    const { stdout } = await promisify(execFile)(process.execPath, [
      hub,
      data.dir,
      jupyter,
      bob.user,
      '/user/bob/',
    ]).catch((e: unknown) => {
      // The fixture kills itself with SIGKILL on purpose; its output is what matters.
      const failed = e as { signal?: string; stdout?: string };
      if (failed.signal !== 'SIGKILL') throw e;
      return { stdout: failed.stdout ?? '' };
    });
    assert.equal((JSON.parse(stdout) as { phase: string }).phase, 'running');
    const pid = statePid(bob);
    assert.ok(pidAlive(pid), 'the notebook outlived its hub');

    const restarted = newBackend({ checkIntervalMs: 50 });
    const listed = await restarted.list();
    assert.deepEqual(
      listed.map((l) => [l.ref, l.status.phase]),
      [[bob, 'running']],
    );
    const route = restarted.route(bob);
    assert.ok(route);
    assert.equal((await api(route, '/user/bob/', 'api/status')).status, 200);
    assert.equal((await restarted.status(bob)).phase, 'running');

    process.kill(pid, 'SIGKILL');
    // Not our child: the periodic pid check must notice on its own.
    await eventually('the adopted server is seen to die', () => restarted.route(bob) === undefined);
    const status = await restarted.status(bob);
    assert.equal(status.phase, 'stopped');
    assert.equal(status.message, MESSAGES.crashed);
    assert.match(status.detail ?? '', /ServerApp/, 'the log tail comes along');
    assert.doesNotMatch(status.detail ?? '', new RegExp(route.token));
    assert.equal(existsSync(serverLayout(data.dir, bob).stateFile), false);
    const relisted = await restarted.list();
    assert.deepEqual(
      relisted.map((l) => [l.ref, l.status.phase]),
      [[bob, 'stopped']],
    );
  });
});
