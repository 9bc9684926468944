/**
 * `ganymede store migrate`: copies a SQLite store into an empty PostgreSQL database, for a
 * hub that grows from one replica to several. Both are first brought to the schema version
 * of this binary by opening them as stores (the same migrations the hub runs), so their
 * tables and columns are the same; then every table is copied row for row, parents before
 * children, inside ONE PostgreSQL transaction: the copy is all there or not at all. The
 * identity sequences are moved past the copied ids, and each table's row count is compared
 * before the commit. The source is only read.
 *
 * Generic over the tables (read from SQLite's catalogue) rather than a list here, so a
 * migration that adds a table or a column needs no change to this file.
 */
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { GanymedeError } from '../errors/ganymede-error.ts';
import { openPostgresStore } from './postgres-store.ts';
import { openSqliteStore } from './sqlite-store.ts';

const BATCH = 500;

export interface CopyReport {
  readonly tables: readonly { readonly name: string; readonly rows: number }[];
}

interface ColumnInfo {
  readonly name: string;
  readonly pk: number;
}

/** Tables of the SQLite store, parents (referenced by foreign keys) first. */
function tablesInOrder(db: DatabaseSync): string[] {
  const names = (
    db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name",
      )
      .all() as { name: string }[]
  ).map((r) => r.name);
  const parents = new Map(
    names.map((t) => [
      t,
      (db.prepare(`PRAGMA foreign_key_list("${t}")`).all() as { table: string }[])
        .map((fk) => fk.table)
        .filter((p) => p !== t),
    ]),
  );
  const ordered: string[] = [];
  const visit = (t: string, path: readonly string[]) => {
    if (ordered.includes(t)) return;
    if (path.includes(t)) throw new Error(`foreign keys form a cycle: ${[...path, t].join(' → ')}`);
    for (const p of parents.get(t) ?? []) visit(p, [...path, t]);
    ordered.push(t);
  };
  for (const t of names) visit(t, []);
  return ordered;
}

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

/** A SQLite value as a parameter PostgreSQL takes for the same column (booleans are 0/1 in
 * SQLite, which PostgreSQL's boolean input accepts as text). */
function param(value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

export async function copySqliteToPostgres(input: {
  readonly sqlitePath: string;
  readonly postgresUrl: string;
}): Promise<CopyReport> {
  // Opening each as a store runs the migrations this binary knows, on both sides.
  await openSqliteStore(input.sqlitePath).close();
  await (await openPostgresStore(input.postgresUrl)).close();

  const source = new DatabaseSync(input.sqlitePath, { readOnly: true });
  const target = new pg.Client({ connectionString: input.postgresUrl });
  await target.connect();
  try {
    const sourceVersion = (
      source.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number }
    ).v;
    const targetVersion = (
      await target.query<{ v: number }>('SELECT max(version) AS v FROM schema_migrations')
    ).rows[0]?.v;
    if (sourceVersion !== targetVersion) {
      throw new Error(
        `schema versions differ: SQLite ${String(sourceVersion)}, PostgreSQL ${String(targetVersion)}`,
      );
    }
    await target.query('BEGIN');
    const users = await target.query<{ n: string }>('SELECT count(*) AS n FROM users');
    if (Number(users.rows[0]?.n ?? 0) > 0) {
      throw new GanymedeError(
        'conflict',
        `The PostgreSQL database already has ${users.rows[0]?.n ?? ''} users; copy only into an empty database.`,
        { field: 'to' },
      );
    }
    const report: { name: string; rows: number }[] = [];
    for (const table of tablesInOrder(source)) {
      const columns = (
        source.prepare(`PRAGMA table_info(${quote(table)})`).all() as unknown as ColumnInfo[]
      ).map((c) => c.name);
      const list = columns.map(quote).join(', ');
      let rows = 0;
      let batch: unknown[][] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        const values = batch
          .map(
            (_, r) =>
              `(${columns.map((__, c) => `$${String(r * columns.length + c + 1)}`).join(', ')})`,
          )
          .join(', ');
        await target.query(`INSERT INTO ${quote(table)} (${list}) VALUES ${values}`, batch.flat());
        batch = [];
      };
      for (const row of source.prepare(`SELECT ${list} FROM ${quote(table)}`).iterate()) {
        const record = row as Record<string, unknown>;
        batch.push(columns.map((c) => param(record[c])));
        rows += 1;
        if (batch.length >= BATCH) await flush();
      }
      await flush();
      if (columns.includes('id')) {
        // Identity columns do not notice explicit ids: start the next id after the copied ones.
        await target.query(
          `SELECT setval(pg_get_serial_sequence($1, 'id'), COALESCE((SELECT max(id) FROM ${quote(table)}), 1), (SELECT count(*) > 0 FROM ${quote(table)}))`,
          [table],
        );
      }
      const copied = await target.query<{ n: string }>(`SELECT count(*) AS n FROM ${quote(table)}`);
      if (Number(copied.rows[0]?.n) !== rows) {
        throw new Error(
          `${table}: ${String(rows)} rows read, ${copied.rows[0]?.n ?? '?'} in PostgreSQL`,
        );
      }
      report.push({ name: table, rows });
    }
    await target.query('COMMIT');
    return { tables: report };
  } catch (e) {
    await target.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    await target.end();
    source.close();
  }
}
