import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { measureUserSpawn } from './measure.ts';

/** A hub double: 429 once, then 202; progress sends `ready` and keeps the stream open. */
function fakeHub(): Server {
  let starts = 0;
  return createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/hub/api/users/alice/server') {
      starts++;
      if (starts === 1) {
        res.writeHead(429, { 'retry-after': '0.01' }).end('{}');
        return;
      }
      res.writeHead(202).end();
      return;
    }
    if (req.url === '/hub/api/users/alice/server/progress') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"progress": 50, "message": "Starting"}\n\n');
      res.write('data: {"progress": 100, "message": "Ready", "ready": true}\n\n');
      return; // left open, as a hub may do
    }
    if (req.url === '/user/alice/api/status' && req.headers.authorization === 'token user-token') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"started": "now"}');
      return;
    }
    res.writeHead(404).end();
  });
}

describe('measureUserSpawn', () => {
  let server: Server;
  let baseUrl = '';
  before(async () => {
    server = fakeHub();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    baseUrl = `http://127.0.0.1:${String(address.port)}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('counts the 429, follows progress to ready and ends at the first working status', async () => {
    const r = await measureUserSpawn({ baseUrl, adminToken: 'admin' }, 'alice', 'user-token', {
      timeoutMs: 10_000,
    });
    assert.equal(r.ok, true, r.error);
    assert.equal(r.tooManyRequests, 1);
    assert.equal(r.startStatus, 202);
    assert.equal(r.progressEvents, 2);
    assert.equal(r.lastProgress, 'Ready');
    assert.ok(r.hubReadyMs !== undefined, 'the ready event is seen as ready');
    // No one-second fallback poll: ready, then the status answers at once.
    assert.ok((r.ms ?? Infinity) < 900, `took ${String(r.ms)} ms`);
  });
});
