/**
 * A request on a connection that goes silent (the API server stops answering, a stalled path)
 * is given up after the silence bound, and the next request, on a new connection, goes
 * through: against a local HTTPS server that leaves the first request unanswered.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KubeConfig } from '#kubernetes-client';
import { createKubeApi, KubeApiTimeoutError } from './kube-api.ts';
import { isClusterUnreachable } from './unreachable.ts';

let dir: string;
let server: Server;
let caPem: string;
let requests = 0;
const sockets = new Set<Socket>();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ganymede-kube-api-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  caPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: caPem }, (_req, res) => {
    requests++;
    if (requests === 1) return; // never answered
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"items":[],"metadata":{"resourceVersion":"3"}}');
  });
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

test('a request without an answer is given up after the bound; the next gets through', async () => {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: 'c',
        server: `https://127.0.0.1:${String((server.address() as AddressInfo).port)}`,
        caData: Buffer.from(caPem).toString('base64'),
      },
    ],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const api = await createKubeApi(kubeConfig, { timeoutMs: 300 });
  let recovered = 0;
  let removedCalled = false;
  api.onRecovered(() => recovered++);
  const remove = api.onRecovered(() => (removedCalled = true));
  remove();
  try {
    const began = Date.now();
    const error = await api.list('/api/v1/namespaces/ns/pods').then(
      () => assert.fail('answered'),
      (e: unknown) => e,
    );
    const took = Date.now() - began;
    assert.ok(error instanceof KubeApiTimeoutError, String(error));
    assert.match(error.message, /GET \/api\/v1\/namespaces\/ns\/pods: no answer .* 300 ms/);
    assert.equal(isClusterUnreachable(error), true);
    assert.ok(took >= 300 && took < 3000, `gave up after ${String(took)} ms`);
    assert.equal(recovered, 0, 'not recovered while nothing answers');
    const list = await api.list('/api/v1/namespaces/ns/pods');
    assert.equal(list.metadata.resourceVersion, '3');
    // The first answer after the silence tells the listeners, once each.
    assert.equal(recovered, 1);
    assert.equal(removedCalled, false, 'a removed listener is not told');
    await api.list('/api/v1/namespaces/ns/pods');
    assert.equal(recovered, 1);
    // The silent connection was closed, not kept in the pool.
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(sockets.size, 1);
  } finally {
    api.close();
  }
});
