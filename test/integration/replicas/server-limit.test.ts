/**
 * The per-user server limit holds across hub replicas (issue 13, point 6): two hubs, each
 * with its own connection pool to one PostgreSQL and its own backend, take named-server
 * creates for the same person at the same moment. The limit is the store's one transaction
 * (`Store.createServer` locks the user's row), not a queue inside one process, so at most
 * `servers.maxPerUser` servers exist afterwards and every refused create got the plain
 * message.
 *
 * The backend is the fake one in its never-starts mode: this test is about the database, and
 * a start that never finishes keeps the hubs from running anything.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createFakeBackend } from '../../../src/backends/fake/fake-backend.ts';
import { parseConfig } from '../../../src/config/load.ts';
import { startHub, type Hub } from '../../../src/hub/hub.ts';
import { silentLogger } from '../../../src/logging/logger.ts';
import { openPostgresStore } from '../../../src/store/postgres-store.ts';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.ts';

const MAX_PER_USER = 3;

describe('the per-user server limit across two hub replicas', { timeout: 300_000 }, () => {
  let pg: TestPostgres;
  let dir: string;
  const hubs: Hub[] = [];

  async function replica(name: string, url: string): Promise<Hub> {
    const config = parseConfig({
      hub: { host: '127.0.0.1', port: 0, dataDir: join(dir, name) },
      store: { url },
      servers: { maxPerUser: MAX_PER_USER },
    });
    const hub = await startHub({
      config,
      store: await openPostgresStore(url),
      backend: createFakeBackend({ mode: 'never-starts' }),
      log: silentLogger,
      adminPassword: 'limit-admin-password',
    });
    hubs.push(hub);
    return hub;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ganymede-limit-'));
    pg = await startPostgres();
  });

  after(async () => {
    for (const hub of hubs) await hub.close();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('concurrent creates at both replicas: at most maxPerUser servers, the rest refused plainly', async () => {
    const url = await pg.createDatabase();
    const a = await replica('a', url);
    const b = await replica('b', url);
    for (let round = 0; round < 5; round++) {
      const person = await a.auth.createUser(`person${String(round)}`, null, false);
      const { token } = await a.auth.createToken(person.id, 'limit test');
      // Ten creates at once, alternating between the replicas.
      const answers = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const hub = i % 2 === 0 ? a : b;
          const res = await fetch(`${hub.url}/hub/api/users/${person.name}/servers/s${String(i)}`, {
            method: 'POST',
            headers: { authorization: `token ${token}` },
          });
          return { status: res.status, body: await res.text() };
        }),
      );
      const accepted = answers.filter((r) => r.status === 201 || r.status === 202);
      const refused = answers.filter((r) => r.status === 400);
      assert.equal(accepted.length + refused.length, 10, JSON.stringify(answers));
      for (const r of refused) {
        const body = JSON.parse(r.body) as { message: string; field?: string };
        assert.equal(
          body.message,
          `You already have ${String(MAX_PER_USER)} servers, the most allowed. Delete one you no longer need first.`,
        );
        assert.equal(body.field, 'server');
      }
      // The default server always counts: two named ones fit next to it.
      assert.equal(accepted.length, MAX_PER_USER - 1, JSON.stringify(answers));
      const rows = await b.store.listServersOf([person.id]);
      const named = rows.filter((s) => s.name !== '');
      assert.equal(named.length, MAX_PER_USER - 1);
      assert.ok(1 + named.length <= MAX_PER_USER);
    }
  });
});
