import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createFakeBackend } from '../backends/fake/fake-backend.ts';
import { silentLogger } from '../logging/logger.ts';
import { createHubMetrics } from '../metrics/hub-metrics.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { createOpsRoutes } from './ops-routes.ts';

describe('operational endpoints', () => {
  let base = '';
  let storeUp = true;
  let metricsPublic = false;
  const server = createServer();

  before(async () => {
    const store = openSqliteStore(':memory:');
    const metrics = createHubMetrics({
      store,
      backend: createFakeBackend(),
      processMetrics: false,
    });
    const identities: Record<string, { admin: boolean }> = {
      'token admin-token': { admin: true },
      'token user-token': { admin: false },
    };
    const routes = () =>
      createOpsRoutes({
        metrics,
        metricsPublic,
        authenticate: (req: IncomingMessage) =>
          Promise.resolve(identities[req.headers.authorization ?? '']),
        readinessChecks: {
          store: () => (storeUp ? store.migrations() : Promise.reject(new Error('db down'))),
          backend: () => Promise.resolve([]),
        },
        log: silentLogger,
      });
    server.on('request', (req, res) => {
      if (!routes()(req, res)) {
        res.writeHead(418);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
  });

  it('/health answers while the process runs', async () => {
    const res = await fetch(`${base}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('/ready reflects the store', async () => {
    let res = await fetch(`${base}/ready`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      status: 'ready',
      checks: { store: 'ok', backend: 'ok' },
    });
    storeUp = false;
    res = await fetch(`${base}/ready?verbose=1`);
    storeUp = true;
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), {
      status: 'unavailable',
      checks: { store: 'failed', backend: 'ok' },
    });
  });

  it('/metrics needs an admin unless public', async () => {
    const noAuth = await fetch(`${base}/metrics`);
    assert.equal(noAuth.status, 401);
    assert.match(noAuth.headers.get('www-authenticate') ?? '', /^Bearer/);
    const user = await fetch(`${base}/metrics`, { headers: { authorization: 'token user-token' } });
    assert.equal(user.status, 403);
    const admin = await fetch(`${base}/metrics`, {
      headers: { authorization: 'token admin-token' },
    });
    assert.equal(admin.status, 200);
    assert.match(admin.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(await admin.text(), /^# TYPE ganymede_running_servers gauge$/m);
    metricsPublic = true;
    const open = await fetch(`${base}/metrics`);
    metricsPublic = false;
    assert.equal(open.status, 200);
  });

  it('refuses other methods and leaves other paths alone', async () => {
    const post = await fetch(`${base}/ready`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assert.equal((await fetch(`${base}/hub/health`)).status, 418);
    assert.equal((await fetch(`${base}/healthz`)).status, 418);
  });
});
