/**
 * How long the store's paged user queries take with 10,000 users, on SQLite and PostgreSQL
 * (issue 13: "no request path reads a whole table"). Seeds 10,000 users (two in three with a
 * last activity), 6,000 server rows and 20,000 runs over 60 days with plain SQL, then times
 * each Store call `--runs` times after a warm-up and prints the median (p50) and p95 in ms.
 * The "whole table" rows time what the hub did before: every user and every server row read
 * on each request. PostgreSQL is a throwaway server (test/helpers/postgres.ts).
 *
 * Usage: node bench/scale/store-queries.ts [--runs 50] [--only sqlite|postgres]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres-store.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import type { Store } from '../../src/store/types.ts';
import { usageByDay } from '../../src/web/admin/usage.ts';
import { startPostgres } from '../../test/helpers/postgres.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '50' }, only: { type: 'string' } },
});
const RUNS = Number(values.runs);
const USERS = 10_000;
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 1, 12);

/** The same data on both dialects; `name(i)` is `user00042`-style, so "12" matches ~1/10. */
const seed = {
  sqlite: `
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${String(USERS - 1)})
INSERT INTO users (name, admin, created_at, last_activity)
SELECT printf('user%05d', i), FALSE, 0,
       CASE WHEN i % 3 = 0 THEN NULL ELSE ${String(NOW)} - (i * 7919 % 1000000) * 1000 END FROM n;
INSERT INTO servers (user_id, name, profile, created_at, last_activity)
SELECT id, '', 'standard', 0, last_activity FROM users WHERE id % 2 = 0;
INSERT INTO servers (user_id, name, profile, created_at, last_activity)
SELECT id, 'lab', 'gpu', 0, last_activity FROM users WHERE id % 10 = 1;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 19999)
INSERT INTO server_runs (user_id, server_name, profile, requested_at, ready_at, ended_at, outcome)
SELECT i % ${String(USERS)} + 1, '', CASE WHEN i % 4 = 0 THEN 'gpu' ELSE 'standard' END,
       ${String(NOW - 60 * DAY)} + i * 259200, ${String(NOW - 60 * DAY)} + i * 259200 + 30000,
       CASE WHEN i > 19900 THEN NULL ELSE ${String(NOW - 60 * DAY)} + i * 259200 + 7200000 END,
       CASE WHEN i > 19900 THEN NULL ELSE 'stopped' END FROM n;
ANALYZE;`,
  postgres: `
INSERT INTO users (name, admin, created_at, last_activity)
SELECT 'user' || lpad(i::text, 5, '0'), FALSE, 0,
       CASE WHEN i % 3 = 0 THEN NULL ELSE ${String(NOW)} - (i::bigint * 7919 % 1000000) * 1000 END
FROM generate_series(0, ${String(USERS - 1)}) AS i;
INSERT INTO servers (user_id, name, profile, created_at, last_activity)
SELECT id, '', 'standard', 0, last_activity FROM users WHERE id % 2 = 0;
INSERT INTO servers (user_id, name, profile, created_at, last_activity)
SELECT id, 'lab', 'gpu', 0, last_activity FROM users WHERE id % 10 = 1;
INSERT INTO server_runs (user_id, server_name, profile, requested_at, ready_at, ended_at, outcome)
SELECT i % ${String(USERS)} + 1, '', CASE WHEN i % 4 = 0 THEN 'gpu' ELSE 'standard' END,
       ${String(NOW - 60 * DAY)} + i::bigint * 259200, ${String(NOW - 60 * DAY)} + i::bigint * 259200 + 30000,
       CASE WHEN i > 19900 THEN NULL ELSE ${String(NOW - 60 * DAY)} + i::bigint * 259200 + 7200000 END,
       CASE WHEN i > 19900 THEN NULL ELSE 'stopped' END
FROM generate_series(0, 19999) AS i;
ANALYZE;`,
};

const names = (from: number, count: number, step = 1) =>
  Array.from({ length: count }, (_, k) => `user${String(from + k * step).padStart(5, '0')}`);

/** What the request path did before issue 13 (the old listUsers + listServers, listRuns). */
interface Before {
  tables: () => Promise<unknown>;
  usage: () => Promise<unknown>;
}
const PERIOD = { from: NOW - (NOW % DAY) - 29 * DAY, to: NOW - (NOW % DAY) + DAY };
/** The old listRuns statement ($1: to, $2: from), then the view's pure function. */
const LIST_RUNS = `SELECT * FROM server_runs WHERE ready_at IS NOT NULL AND ready_at < $1
  AND (ended_at IS NULL OR ended_at > $2) ORDER BY requested_at, id`;
const inJs = (rows: Record<string, unknown>[]) =>
  usageByDay(
    rows.map((r) => ({
      profile: String(r['profile']),
      readyAt: r['ready_at'] == null ? null : new Date(Number(r['ready_at'])),
      endedAt: r['ended_at'] == null ? null : new Date(Number(r['ended_at'])),
    })),
    { days: 30, now: new Date(NOW) },
  );

/** The calls a request makes; each returns something so nothing is optimised away. */
function cases(store: Store, wholeTable: Before) {
  const page = { offset: 0, limit: 50 } as const;
  const ids = Array.from({ length: 50 }, (_, k) => 2 * k + 2);
  return {
    'listUsers first page (50, by name)': () => store.listUsers(page),
    'listUsers offset 9,800': () => store.listUsers({ offset: 9_800, limit: 50 }),
    'listUsers onlyNames 1,000': () => store.listUsers({ ...page, onlyNames: names(0, 1000, 7) }),
    'listUsers exceptNames 1,000': () =>
      store.listUsers({ ...page, exceptNames: names(0, 1000, 7) }),
    "listUsers nameContains '12'": () => store.listUsers({ ...page, nameContains: '12' }),
    "listUsers namePrefix 'user01'": () => store.listUsers({ ...page, namePrefix: 'user01' }),
    'listUsers by last activity': () => store.listUsers({ ...page, sort: 'last_activity' }),
    'listUsers by last activity, offset 9,800': () =>
      store.listUsers({ offset: 9_800, limit: 50, sort: 'last_activity' }),
    'listServersOf + lastActivityOf + openRunsOf (50 users)': () =>
      Promise.all([store.listServersOf(ids), store.lastActivityOf(ids), store.openRunsOf(ids)]),
    'getUsersByName 1,000': () => store.getUsersByName(names(0, 1000, 7)),
    'usage, 30 days (20,000 runs in 60)': () =>
      store.usage(
        new Date(NOW - (NOW % DAY) - 29 * DAY),
        new Date(NOW - (NOW % DAY) + DAY),
        new Date(NOW),
      ),
    'before: whole users + servers tables': wholeTable.tables,
    'before: usage from the runs in JS (listRuns + usageByDay)': wholeTable.usage,
  };
}

async function time(body: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < 5; i++) await body();
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    await body();
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? NaN;
  return { p50: at(0.5), p95: at(0.95) };
}

const results = new Map<string, Record<string, string>>();
async function measure(dialect: string, store: Store, wholeTable: Before) {
  for (const [label, body] of Object.entries(cases(store, wholeTable))) {
    const { p50, p95 } = await time(body);
    const row = results.get(label) ?? {};
    row[dialect] = `${p50.toFixed(2)} / ${p95.toFixed(2)}`;
    results.set(label, row);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'ganymede-scale-'));
try {
  if (values.only !== 'postgres') {
    const path = join(dir, 'scale.sqlite');
    const store = openSqliteStore(path);
    const raw = new DatabaseSync(path);
    raw.exec(seed.sqlite);
    await measure('sqlite', store, {
      tables: () =>
        Promise.resolve([
          raw.prepare('SELECT * FROM users ORDER BY name').all(),
          raw.prepare('SELECT * FROM servers ORDER BY user_id, name').all(),
        ]),
      usage: () =>
        Promise.resolve(
          inJs(raw.prepare(LIST_RUNS.replace(/\$\d/g, '?')).all(PERIOD.to, PERIOD.from)),
        ),
    });
    raw.close();
    await store.close();
  }
  if (values.only !== 'sqlite') {
    const server = await startPostgres();
    try {
      const store = await openPostgresStore(server.url);
      const raw = new pg.Pool({ connectionString: server.url, max: 2 });
      await raw.query(seed.postgres);
      await measure('postgres', store, {
        tables: () =>
          Promise.all([
            raw.query('SELECT * FROM users ORDER BY name COLLATE "C"'),
            raw.query('SELECT * FROM servers ORDER BY user_id, name COLLATE "C"'),
          ]),
        usage: async () =>
          inJs(
            (await raw.query<Record<string, unknown>>(LIST_RUNS, [PERIOD.to, PERIOD.from])).rows,
          ),
      });
      await raw.end();
      await store.close();
    } finally {
      await server.stop();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `${String(USERS)} users, 6,000 servers, 20,000 runs; ms p50 / p95 of ${String(RUNS)} calls`,
);
const dialects = ['sqlite', 'postgres'].filter(
  (d) => values.only === undefined || values.only === d,
);
console.log(
  `| query | ${dialects.join(' | ')} |\n| --- |${dialects.map(() => ' ---: |').join('')}`,
);
for (const [label, row] of results) {
  console.log(`| ${label} | ${dialects.map((d) => row[d] ?? '').join(' | ')} |`);
}
