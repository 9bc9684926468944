/**
 * `ganymede store migrate` against a real PostgreSQL: a SQLite store with every kind of row
 * is copied into an empty database, and the PostgreSQL store then answers the same as the
 * SQLite one did (people, admin flags, password hashes, sessions, tokens with scopes, groups,
 * identities, servers, run history, invitations, environment access); new ids continue after
 * the copied ones; a second copy into the now non-empty database is refused and changes
 * nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runStore } from '../../../src/cli/commands/store.ts';
import { isGanymedeError } from '../../../src/errors/ganymede-error.ts';
import { openPostgresStore } from '../../../src/store/postgres-store.ts';
import { openSqliteStore } from '../../../src/store/sqlite-store.ts';
import type { Store } from '../../../src/store/types.ts';
import { startPostgres } from '../../helpers/postgres.ts';

const server = await startPostgres();
const dir = mkdtempSync(join(tmpdir(), 'store-migrate-'));
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const t0 = new Date('2026-11-02T09:00:00Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

/** One of every row the hub writes. */
async function fill(store: Store): Promise<void> {
  const admin = await store.createUser({
    name: 'admin',
    admin: true,
    passwordHash: 'argon2-admin',
  });
  const alice = await store.createUser({
    name: 'alice',
    admin: false,
    passwordHash: 'argon2-alice',
  });
  for (let i = 0; i < 1200; i += 1) {
    await store.createUser({ name: `student-${String(i)}`, admin: false, passwordHash: null });
  }
  await store.createSession({
    idHash: 'sess-hash',
    userId: alice.id,
    createdAt: t0,
    expiresAt: at(600),
  });
  await store.createApiToken({
    userId: admin.id,
    hash: 'token-hash',
    note: 'culler',
    scopes: ['list:users', 'admin:servers'],
    createdAt: t0,
    expiresAt: null,
  });
  await store.createGroup('physics');
  await store.setGroupMembers('physics', 'local', [alice.id]);
  await store.setUserGroups(alice.id, 'oidc', ['staff']);
  await store.linkExternalIdentity('https://login.example.org', 'sub-alice', alice.id, t0);
  await store.createServer({ userId: alice.id, name: '', profile: 'standard', createdAt: t0 }, 3);
  await store.createServer({ userId: alice.id, name: 'gpu', profile: 'gpu', createdAt: t0 }, 3);
  await store.recordActivity(alice.id, '', at(30));
  await store.beginRun({ userId: alice.id, serverName: '', profile: 'standard', requestedAt: t0 });
  await store.markRunReady(alice.id, '', at(1));
  await store.endRun(alice.id, '', at(90), 'stopped', 'Stopped by you.');
  await store.createInvite({
    hash: 'invite-hash',
    userId: alice.id,
    createdAt: t0,
    expiresAt: at(60),
  });
  await store.setProfileGroups('gpu', ['physics']);
}

/** What a hub reads back, from whichever store. */
async function snapshot(store: Store) {
  const alice = await store.getUser('alice');
  assert.ok(alice);
  return {
    users: (await store.listUsers({ offset: 0, limit: 2000, sort: 'name' })).total,
    admin: await store.getUser('admin'),
    alice,
    session: await store.getSession('sess-hash'),
    token: await store.getApiTokenByHash('token-hash'),
    groups: await store.listUserGroups(alice.id),
    identity: (await store.getUserByExternalIdentity('https://login.example.org', 'sub-alice'))
      ?.name,
    servers: await store.listServersOf([alice.id]),
    run: await store.lastRun(alice.id, ''),
    usage: await store.usage(
      new Date('2026-11-02T00:00:00Z'),
      new Date('2026-11-03T00:00:00Z'),
      at(200),
    ),
    invite: await store.getInvite('invite-hash', t0),
    access: await store.listProfileGroups(['gpu', 'standard']),
  };
}

async function migrate(path: string, url: string): Promise<string> {
  let out = '';
  assert.equal(
    await runStore(['migrate', '--from', `sqlite:${path}`, '--to', url], {
      write: (t) => (out += t),
    }),
    0,
  );
  return out;
}

describe('ganymede store migrate (SQLite → PostgreSQL)', () => {
  it('copies every row, and the PostgreSQL store answers as the SQLite one did', async () => {
    const path = join(dir, 'ganymede.sqlite');
    const sqlite = openSqliteStore(path);
    await fill(sqlite);
    const before = await snapshot(sqlite);
    await sqlite.close();

    const url = await server.createDatabase();
    const out = await migrate(path, url);
    assert.match(out, /users\s+1202 rows/);
    assert.match(out, /server_runs\s+1 rows/);

    const postgres = await openPostgresStore(url);
    try {
      assert.deepEqual(await snapshot(postgres), before);
      // New ids continue after the copied ones (the identity sequences were moved).
      const next = await postgres.createUser({
        name: 'newcomer',
        admin: false,
        passwordHash: null,
      });
      assert.ok(next.id > before.alice.id);
      await postgres.createGroup('chemistry');
    } finally {
      await postgres.close();
    }

    // Into a database that is not empty: refused, naming why, and nothing changes.
    await assert.rejects(
      migrate(path, url),
      (e: unknown) => isGanymedeError(e) && e.field === 'to',
    );
    const again = await openPostgresStore(url);
    try {
      assert.equal((await again.listUsers({ offset: 0, limit: 1, sort: 'name' })).total, 1203);
    } finally {
      await again.close();
    }
  });

  it('refuses a missing SQLite file or a URL that is not PostgreSQL, naming the option', async () => {
    await assert.rejects(
      runStore(['migrate', '--from', join(dir, 'nope.sqlite'), '--to', server.url], {
        write: () => undefined,
      }),
      (e: unknown) => isGanymedeError(e) && e.field === 'from',
    );
    await assert.rejects(
      runStore(['migrate', '--from', join(dir, 'ganymede.sqlite'), '--to', 'mysql://x'], {
        write: () => undefined,
      }),
      (e: unknown) => isGanymedeError(e) && e.field === 'to',
    );
  });
});
