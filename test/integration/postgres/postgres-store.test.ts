/**
 * The PostgreSQL store against a real PostgreSQL server (one per file, a fresh database per
 * test): the shared store contract, concurrent start-up of several replicas, reopening, and
 * the ways start-up can fail.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { migrations } from '../../../src/store/migrations.ts';
import { openStore } from '../../../src/store/open-store.ts';
import { MIGRATION_LOCK_KEY, migratePostgres } from '../../../src/store/postgres-migrate.ts';
import { openPostgresStore } from '../../../src/store/postgres-store.ts';
import { openSqliteStore } from '../../../src/store/sqlite-store.ts';
import type { UserQuery } from '../../../src/store/types.ts';
import { storeContract } from '../../../src/store/store-contract.ts';
import { startPostgres } from '../../helpers/postgres.ts';

const allVersions = migrations.map((m) => m.version);
const server = await startPostgres();
after(() => server.stop());

// Several connections, so the contract's concurrent createServer calls really race.
storeContract(
  'postgres',
  async () => openPostgresStore(await server.createDatabase(), { maxConnections: 8 }),
  {
    openAfter: async (version, sql) => {
      const url = await server.createDatabase();
      const pool = new pg.Pool({ connectionString: url });
      try {
        await migratePostgres(
          pool,
          migrations.filter((m) => m.version <= version),
        );
        await pool.query(sql);
      } finally {
        await pool.end();
      }
      return openPostgresStore(url);
    },
  },
);

/** Runs `body` with a plain connection to `url`, outside any store. */
async function withClient<T>(url: string, body: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

const tableExists = (c: pg.Client, table: string) =>
  c
    .query<{ t: string | null }>('SELECT to_regclass($1) AS t', [table])
    .then((r) => r.rows[0]?.t != null);

describe('postgres store start-up', () => {
  it('lets several replicas open one empty database at once and migrates it exactly once', async () => {
    const url = await server.createDatabase();
    const stores = await Promise.all([1, 2, 3, 4].map(() => openPostgresStore(url)));
    for (const store of stores) assert.deepEqual(await store.migrations(), allVersions);
    const applied = await withClient(url, (c) =>
      c.query<{ n: string }>('SELECT count(*) AS n FROM schema_migrations'),
    );
    assert.equal(Number(applied.rows[0]?.n), allVersions.length);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('waits for the migration lock another replica holds before touching the schema', async () => {
    const url = await server.createDatabase();
    await withClient(url, async (holder) => {
      await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
      const opener = { settled: false };
      const opening = openPostgresStore(url).finally(() => {
        opener.settled = true;
      });
      // Wait (on the database's own state, not a timer) until the opener queues for the lock;
      // an opener that ignores the lock settles instead, and the assertions below catch it.
      for (;;) {
        const waiting = await holder.query(
          "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
        );
        if (waiting.rowCount !== 0 || opener.settled) break;
      }
      assert.equal(opener.settled, false, 'the opener waits for the lock');
      assert.equal(await tableExists(holder, 'schema_migrations'), false, 'nothing ran yet');
      await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
      const store = await opening;
      assert.deepEqual(await store.migrations(), allVersions);
      await store.close();
    });
  });

  it('keeps data across reopen and does not re-run migrations', async () => {
    const url = await server.createDatabase();
    const a = await openPostgresStore(url);
    const zoe = await a.createUser({ name: 'zoë', admin: true, passwordHash: 'h' });
    await a.createServer(
      { userId: zoe.id, name: '', profile: 'standard', createdAt: new Date(1_700_000_000_123) },
      1,
    );
    await a.recordActivity(zoe.id, '', new Date(1_700_000_000_456));
    await a.close();
    const b = await openPostgresStore(url);
    assert.equal((await b.getUser('zoë'))?.admin, true);
    assert.equal((await b.getServer(zoe.id, ''))?.lastActivity?.getTime(), 1_700_000_000_456);
    assert.deepEqual(await b.migrations(), allVersions);
    await b.close();
  });

  it('rolls back a failing migration, records nothing for it and releases the lock', async () => {
    const url = await server.createDatabase();
    const pool = new pg.Pool({ connectionString: url });
    try {
      const broken = { version: 2, description: 'half', sql: 'CREATE TABLE half (x INT); NOPE;' };
      await assert.rejects(
        migratePostgres(pool, [
          { version: 1, description: 'one', sql: 'CREATE TABLE one (x INT);' },
          broken,
        ]),
        /syntax error/,
      );
      await withClient(url, async (c) => {
        assert.equal(await tableExists(c, 'one'), true, 'the earlier migration stays');
        assert.equal(await tableExists(c, 'half'), false, 'the failed one left nothing');
        const versions = await c.query<{ version: number }>(
          'SELECT version FROM schema_migrations',
        );
        assert.deepEqual(
          versions.rows.map((r) => r.version),
          [1],
        );
        const lock = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
          MIGRATION_LOCK_KEY.toString(),
        ]);
        assert.equal(lock.rows[0]?.ok, true, 'the lock was released');
      });
    } finally {
      await pool.end();
    }
  });

  it('is what openStore returns for postgres:// and postgresql:// URLs', async () => {
    const url = await server.createDatabase();
    for (const u of [url, url.replace(/^postgres:/, 'postgresql:')]) {
      const store = await openStore(u, '/nonexistent');
      assert.deepEqual(await store.migrations(), allVersions);
      await store.close();
    }
  });

  it('fails with "unavailable" and no password in the message when the database is unreachable', async () => {
    await assert.rejects(openPostgresStore('postgres://hub:s3cret@127.0.0.1:1/ganymede'), (e) => {
      assert.equal((e as { code?: string }).code, 'unavailable');
      assert.doesNotMatch(String(e), /s3cret/);
      return true;
    });
  });

  it('reports a dropped connection as unavailable and reconnects on the next call', async () => {
    const url = await server.createDatabase();
    let idleErrorSeen = (): void => undefined;
    const idleError = new Promise<void>((resolve) => {
      idleErrorSeen = resolve;
    });
    const store = await openPostgresStore(url, { maxConnections: 1, onIdleError: idleErrorSeen });
    const u = await store.createUser({ name: 'olga', admin: false, passwordHash: null });
    const hubBackends = `SELECT pid FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = 'ganymede-hub'`;
    await withClient(url, async (admin) => {
      // Hold the row so the store's UPDATE is in flight, then cut its connection, as a
      // failover or a server restart would.
      await admin.query('BEGIN');
      await admin.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [u.id]);
      const opener = { settled: false };
      const blocked = store.setAdmin(u.id, true).finally(() => {
        opener.settled = true;
      });
      let pid: number | undefined;
      while (pid === undefined && !opener.settled) {
        const r = await admin.query<{ pid: number }>(`${hubBackends} AND wait_event_type = 'Lock'`);
        pid = r.rows[0]?.pid;
      }
      assert.ok(pid !== undefined, 'the update waits for the row');
      // Listen before cutting: the rejection can arrive while the terminate query is still
      // answering, and an unobserved rejection would fail the run on its own.
      const refused = assert.rejects(blocked, { code: 'unavailable' });
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await refused;
      await admin.query('ROLLBACK');
    });
    await store.setAdmin(u.id, true);
    assert.equal((await store.getUser('olga'))?.admin, true, 'a new connection is used');

    // An idle pooled connection cut the same way is reported and replaced, not fatal.
    await withClient(url, (admin) =>
      admin.query(`SELECT pg_terminate_backend(pid) FROM (${hubBackends}) AS hub`),
    );
    await idleError;
    assert.equal((await store.getUser('olga'))?.name, 'olga');
    await store.close();
  });

  it('lists, filters and sorts users as the SQLite store does', async () => {
    const names = ['b', 'B', 'ä', 'a', 'Z', 'élise', 'Élan', '_x', '名前'];
    const dir = mkdtempSync(join(tmpdir(), 'ganymede-order-'));
    const stores = [
      await openPostgresStore(await server.createDatabase()),
      openSqliteStore(join(dir, 'order.sqlite')),
    ];
    try {
      const [onPostgres, onSqlite] = await Promise.all(
        stores.map(async (s) => {
          let at = 0;
          for (const name of names) {
            const u = await s.createUser({ name, admin: false, passwordHash: null });
            if (name !== 'a' && name !== 'Z') await s.recordActivity(u.id, '', new Date(at++ % 3));
          }
          const list = async (q: Partial<UserQuery>) =>
            (await s.listUsers({ offset: 0, limit: 100, ...q })).users.map((u) => u.name);
          return [
            await list({}),
            await list({ offset: 2, limit: 3 }),
            await list({ sort: 'last_activity' }),
            await list({ nameContains: 'B' }),
            await list({ nameContains: 'É' }),
            await list({ namePrefix: 'é' }),
            await list({ namePrefix: '_' }),
            await list({ exceptNames: ['b', 'ä'], sort: 'last_activity', offset: 1 }),
          ];
        }),
      );
      assert.deepEqual(onPostgres, onSqlite);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
