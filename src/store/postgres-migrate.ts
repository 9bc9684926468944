/**
 * Runs migrations.ts against PostgreSQL at start-up. Several hub replicas may start at the
 * same moment against one database, so the whole run holds a session-level advisory lock
 * (https://www.postgresql.org/docs/15/explicit-locking.html#ADVISORY-LOCKS): the first
 * replica migrates, the others wait, then find every version applied and do nothing. Without
 * it, two replicas would both see an empty `schema_migrations` and both `CREATE TABLE users`.
 * The lock dies with its connection, so a replica that crashes mid-migration never blocks the
 * next one; its open transaction rolls back, leaving that version unapplied.
 */
import type { Pool, PoolClient } from 'pg';
import { migrationSql, migrations, type Migration } from './migrations.ts';

/**
 * Advisory lock key: the ASCII bytes of "Ganymede" as one int64. Advisory locks are per
 * database, so this only needs to differ from keys other programs use on the same database.
 */
export const MIGRATION_LOCK_KEY = 0x47616e796d656465n;

/** Applies the versions of `list` not yet in `schema_migrations`; `list` is for tests. */
export async function migratePostgres(
  pool: Pool,
  list: readonly Migration[] = migrations,
): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      await applyPending(client, list);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
    }
  } catch (e) {
    broken = e as Error;
    throw e;
  } finally {
    // After a failure the connection may still hold the lock or an aborted transaction:
    // destroy it rather than return it to the pool.
    client.release(broken);
  }
}

async function applyPending(client: PoolClient, list: readonly Migration[]): Promise<void> {
  await client.query(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
  );
  const applied = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
  const done = new Set(applied.rows.map((r) => r.version));
  for (const m of list) {
    if (done.has(m.version)) continue;
    await client.query('BEGIN');
    try {
      // No parameters: the simple query protocol, which accepts several statements at once.
      await client.query(migrationSql(m, 'postgres'));
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
        m.version,
        Date.now(),
      ]);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK');
      throw e;
    }
  }
}
