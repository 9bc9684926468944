import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { migrations } from './migrations.ts';
import { DatabaseSync } from 'node:sqlite';
import { migrateSqlite, openSqliteStore } from './sqlite-store.ts';
import { storeContract } from './store-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'ganymede-store-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});
let n = 0;
storeContract('sqlite', () => Promise.resolve(openSqliteStore(join(dir, `db${n++}.sqlite`))), {
  openAfter: (version, sql) => {
    const path = join(dir, `db${n++}.sqlite`);
    const db = new DatabaseSync(path);
    migrateSqlite(
      db,
      migrations.filter((m) => m.version <= version),
    );
    db.exec(sql);
    db.close();
    return Promise.resolve(openSqliteStore(path));
  },
});

it('keeps data across reopen and does not re-run migrations', async () => {
  const path = join(dir, 'reopen.sqlite');
  const a = openSqliteStore(path);
  await a.createUser({ name: 'zoe', admin: true, passwordHash: null });
  await a.close();
  const b = openSqliteStore(path);
  assert.equal((await b.getUser('zoe'))?.admin, true);
  assert.deepEqual(
    await b.migrations(),
    migrations.map((m) => m.version),
  );
  await b.close();
});
