/**
 * Quotas hold across hub replicas (issue 15, points 2 and 6): two hubs, each with its own
 * connection pools to one PostgreSQL and its own backend, take starts from two people in two
 * groups with different quotas, all at the same moment. The check and the opening of the run
 * are one step under the store's per-user advisory lock, so each person ends with exactly what
 * their group allows and every other start got the plain message.
 *
 * The backend is the fake one in its never-starts mode: this test is about the database, and
 * a start that never finishes stays "starting", so every accepted start keeps counting.
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

const STARTS = 8;

describe('quotas across two hub replicas', { timeout: 300_000 }, () => {
  let pg: TestPostgres;
  let dir: string;
  const hubs: Hub[] = [];

  async function replica(name: string, url: string): Promise<Hub> {
    const config = parseConfig({
      hub: { host: '127.0.0.1', port: 0, dataDir: join(dir, name) },
      store: { url },
      servers: { maxPerUser: 20 },
      profiles: [{ name: 'standard', displayName: 'Standard', cpu: '1', default: true }],
      quotas: {
        default: { maxServers: 1 },
        // physics: limited by CPU (3 servers of 1 core); students: by servers (2).
        groups: { physics: { maxServers: 5, cpu: '3' }, students: { maxServers: 2 } },
      },
    });
    const hub = await startHub({
      config,
      store: await openPostgresStore(url),
      backend: createFakeBackend({ mode: 'never-starts' }),
      log: silentLogger,
      adminPassword: 'quota-admin-password',
    });
    hubs.push(hub);
    return hub;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ganymede-quotas-'));
    pg = await startPostgres();
  });

  after(async () => {
    for (const hub of hubs) await hub.close();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('two people in two groups start at once on both replicas: each gets what the group allows', async () => {
    const url = await pg.createDatabase();
    const a = await replica('a', url);
    const b = await replica('b', url);
    const people = [
      { name: 'phil', group: 'physics', allowed: 3, refusal: cpuRefusal },
      { name: 'stu', group: 'students', allowed: 2, refusal: serverRefusal },
    ];
    const accounts = await Promise.all(
      people.map(async (p) => {
        const user = await a.auth.createUser(p.name, null, false);
        await a.store.setUserGroups(user.id, 'local', [p.group]);
        return { ...p, user, token: (await a.auth.createToken(user.id, 'quota test')).token };
      }),
    );
    // Everyone's starts at once, alternating between the replicas.
    const answers = await Promise.all(
      accounts.flatMap((p) =>
        Array.from({ length: STARTS }, async (_, i) => {
          const hub = i % 2 === 0 ? a : b;
          const res = await fetch(`${hub.url}/hub/api/users/${p.name}/servers/s${String(i)}`, {
            method: 'POST',
            headers: { authorization: `token ${p.token}` },
          });
          return { person: p.name, status: res.status, body: await res.text() };
        }),
      ),
    );
    for (const p of accounts) {
      const mine = answers.filter((r) => r.person === p.name);
      const accepted = mine.filter((r) => r.status === 201 || r.status === 202);
      const refused = mine.filter((r) => r.status === 429);
      assert.equal(accepted.length, p.allowed, JSON.stringify(mine));
      assert.equal(refused.length, STARTS - p.allowed, JSON.stringify(mine));
      for (const r of refused) {
        assert.match((JSON.parse(r.body) as { message: string }).message, p.refusal);
      }
      // Nothing was created for a refused start: no server row, no run.
      const rows = await b.store.listServersOf([p.user.id]);
      assert.equal(rows.filter((s) => s.name !== '').length, p.allowed);
      assert.equal((await b.store.openRunsOf([p.user.id])).length, p.allowed);
    }
  });
});

const cpuRefusal =
  /^This would reserve 4 CPU cores and your limit is 3 CPU cores; your running servers reserve 3 \(“s\d”: 1, “s\d”: 1, “s\d”: 1\)\. Stop one of them first\.$/;
const serverRefusal =
  /^You can run 2 servers at once and 2 are running \(“s\d” and “s\d”\)\. Stop one to start this one\.$/;
