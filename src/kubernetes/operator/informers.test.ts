import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { KubeConfig } from '#kubernetes-client';
import type { KubeApi } from '../client/kube-api.ts';
import { createInformers } from './informers.ts';

/** Credentials for a server that is not there (or is the test's own). */
function kubeConfigAt(server: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kubeConfig;
}

// A list that fails every time (an API server that refuses, a lost permission): the informer
// restarts it with growing delays, not once a second; it does not give up either.
test('a list failing on every restart is retried with capped exponential backoff', async () => {
  const kubeConfig = kubeConfigAt('https://127.0.0.1:1');
  let lists = 0;
  const api = {
    list: () => {
      lists++;
      return Promise.reject(Object.assign(new Error('forbidden'), { status: 403 }));
    },
    onRecovered: () => () => undefined,
  } as unknown as KubeApi;
  const delays: number[] = [];
  let clock = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const informers = createInformers({
    kubeConfig,
    api,
    namespace: 'ns',
    only: ['notebooks'],
    onError: () => undefined,
    backoff: { baseMs: 1000, capMs: 30_000, healthyAfterMs: 60_000 },
    now: () => clock,
    sleep: (ms) => {
      delays.push(ms);
      clock += ms + 10;
      if (delays.length >= 8) {
        done();
        return new Promise<void>(() => undefined);
      }
      return Promise.resolve();
    },
  });
  await informers.start();
  await finished;
  assert.equal(lists, 8);
  const steps = [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000];
  delays.forEach((d, i) => {
    const step = steps[i] ?? 0;
    assert.ok(
      d >= step / 2 && d <= step,
      `retry ${String(i)}: ${String(d)} ms, step ${String(step)}`,
    );
  });
  await informers.stop();
});

// A watch whose connection stays open but carries nothing (kubespawner #209): after the silence
// bound the informer abandons it and watches again from the last version it had, on a new
// connection, and what happened meanwhile reaches the cache. Against a local HTTP server
// playing the API server: the first watch gets its headers and then nothing.
test('a silent watch is abandoned after the bound and resumed from its last version', async () => {
  const watches: URLSearchParams[] = [];
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.searchParams.get('watch') !== 'true') {
      res.writeHead(404).end();
      return;
    }
    watches.push(url.searchParams);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    open.add(res);
    if (watches.length === 1) return; // stalled: open, silent
    const nb = { metadata: { name: 'nb', namespace: 'ns', resourceVersion: '7' } };
    res.write(JSON.stringify({ type: 'ADDED', object: nb }) + '\n');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const kubeConfig = kubeConfigAt(`http://127.0.0.1:${String(port)}`);
  const api = {
    list: () => Promise.resolve({ items: [], metadata: { resourceVersion: '5' } }),
    onRecovered: () => () => undefined,
  } as unknown as KubeApi;
  const silent: string[] = [];
  let seen: (() => void) | undefined;
  const changed = new Promise<void>((r) => (seen = r));
  const informers = createInformers({
    kubeConfig,
    api,
    namespace: 'ns',
    only: ['notebooks'],
    onError: (kind, e) => assert.fail(`${kind}: ${String(e)}`),
    onChange: () => seen?.(),
    watchSilenceMs: 300,
    onSilent: (kind) => silent.push(kind),
  });
  try {
    const began = Date.now();
    await informers.start();
    await changed;
    const took = Date.now() - began;
    assert.ok(took >= 300 && took < 3000, `noticed after ${String(took)} ms`);
    assert.deepEqual(silent, ['notebooks']);
    assert.equal(watches.length, 2);
    // Bookmarks asked for; the second watch resumes from the list's version, no relist.
    assert.equal(watches[0]?.get('allowWatchBookmarks'), 'true');
    assert.equal(watches[1]?.get('resourceVersion'), '5');
    assert.equal(informers.caches.notebooks.get('nb', 'ns')?.metadata?.resourceVersion, '7');
  } finally {
    await informers.stop();
    for (const res of open) res.destroy();
    server.close();
  }
});

// With the in-hub operator, the hub waits for notebooks and their Secrets only; the operator's
// kinds are listed after those (and `restAfterMs` later), not at the same time.
test('the first kinds are listed before the others, and start(kinds) waits for those only', async () => {
  const server = createServer((req, res) => {
    // Watches: headers, then nothing until the test stops them.
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const kubeConfig = kubeConfigAt(`http://127.0.0.1:${String(port)}`);
  const listed: string[] = [];
  let releaseNotebooks: () => void = () => undefined;
  const notebooksGate = new Promise<void>((r) => (releaseNotebooks = r));
  const api = {
    list: async (path: string) => {
      const kind = path.split('/').at(-1) ?? path;
      if (kind === 'jupyternotebooks') await notebooksGate;
      listed.push(kind);
      return { items: [], metadata: { resourceVersion: '1' } };
    },
    onRecovered: () => () => undefined,
  } as unknown as KubeApi;
  const sleeps: number[] = [];
  const informers = createInformers({
    kubeConfig,
    api,
    namespace: 'ns',
    only: ['notebooks', 'secrets', 'pods', 'deployments'],
    onError: (kind, e) => assert.fail(`${kind}: ${String(e)}`),
    first: ['notebooks', 'secrets'],
    restAfterMs: 50,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  });
  try {
    let firstDone = false;
    const first = informers.start(['notebooks', 'secrets']).then(() => (firstDone = true));
    const all = informers.start();
    await new Promise((r) => setTimeout(r, 100));
    // Secrets listed; notebooks held back: nothing else has been asked for yet.
    assert.deepEqual(listed, ['secrets']);
    assert.equal(firstDone, false);
    releaseNotebooks();
    await first;
    await all;
    assert.deepEqual(listed.slice(0, 2).sort(), ['jupyternotebooks', 'secrets']);
    assert.deepEqual(listed.slice(2).sort(), ['deployments', 'pods']);
    assert.deepEqual(sleeps, [50]);
  } finally {
    await informers.stop();
    server.closeAllConnections();
    server.close();
  }
});

// After an outage the informer does not sit out its backoff (up to 30 s): the first answer the
// API server gives anyone (KubeApi.onRecovered, the Lease's renewals) restarts it at once.
test('a kind waiting out its backoff is listed again as soon as the API server answers again', async () => {
  const kubeConfig = kubeConfigAt('https://127.0.0.1:1');
  let lists = 0;
  const listeners = new Set<() => void>();
  const api = {
    list: () => {
      lists++;
      return Promise.reject(
        Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      );
    },
    onRecovered: (listener: () => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  } as unknown as KubeApi;
  const sleeps: number[] = [];
  const informers = createInformers({
    kubeConfig,
    api,
    namespace: 'ns',
    only: ['notebooks'],
    onError: () => undefined,
    // Three steps pass (the outage goes on), then a sleep that never ends: only the recovery
    // can restart the list.
    sleep: (ms) => {
      sleeps.push(ms);
      return sleeps.length <= 3 ? Promise.resolve() : new Promise<void>(() => undefined);
    },
  });
  try {
    await informers.start();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(lists, 4);
    assert.equal(sleeps.length, 4, 'waiting out its backoff');
    assert.ok((sleeps[3] ?? 0) >= 4000, `the fourth step is 4-8 s: ${String(sleeps[3])}`);
    assert.equal(listeners.size, 1);
    for (const listener of [...listeners]) listener();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(lists, 5, 'listed again at the recovery');
    assert.equal(sleeps.length, 5, 'and, failing again, back to its backoff');
    assert.ok((sleeps[4] ?? 0) <= 1000, `from its first step: ${String(sleeps[4])}`);
    assert.equal(listeners.size, 1, 'the first wait stopped listening; the second listens');
  } finally {
    await informers.stop();
  }
});
