/**
 * The behaviour every Store must have. Each implementation's test file runs this suite
 * against a real database (SQLite here; PostgreSQL in the PostgreSQL store's tests).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { migrations } from './migrations.ts';
import type { Store } from './types.ts';

export function storeContract(name: string, open: () => Promise<Store>): void {
  describe(`${name} store contract`, () => {
    it('runs the migrations once and records them', async () => {
      const store = await open();
      assert.deepEqual(
        await store.migrations(),
        migrations.map((m) => m.version),
      );
      await store.close();
    });

    it('creates users and refuses a duplicate name with a conflict naming the field', async () => {
      const store = await open();
      const alice = await store.createUser({ name: 'alice', admin: false, passwordHash: 'h' });
      assert.equal((await store.getUser('alice'))?.id, alice.id);
      assert.equal((await store.getUserById(alice.id))?.name, 'alice');
      await assert.rejects(store.createUser({ name: 'alice', admin: true, passwordHash: null }), {
        code: 'conflict',
        field: 'name',
      });
      await store.setAdmin(alice.id, true);
      await store.setPasswordHash(alice.id, 'h2');
      const again = await store.getUser('alice');
      assert.equal(again?.admin, true);
      assert.equal(again.passwordHash, 'h2');
      await store.close();
    });

    it('stores sessions, expires them and deletes them with their user', async () => {
      const store = await open();
      const u = await store.createUser({ name: 'bob', admin: false, passwordHash: null });
      const now = new Date(1_000_000);
      await store.createSession({
        idHash: 's1',
        userId: u.id,
        createdAt: now,
        expiresAt: new Date(2_000_000),
      });
      await store.createSession({
        idHash: 's2',
        userId: u.id,
        createdAt: now,
        expiresAt: new Date(1_500_000),
      });
      assert.equal((await store.getSession('s1'))?.userId, u.id);
      assert.equal(await store.deleteExpiredSessions(new Date(1_600_000)), 1);
      assert.equal(await store.getSession('s2'), undefined);
      await store.deleteUser(u.id);
      assert.equal(await store.getSession('s1'), undefined, 'sessions go with their user');
      await store.close();
    });

    it('stores API tokens by hash only, lists and revokes them per owner', async () => {
      const store = await open();
      const u = await store.createUser({ name: 'carol', admin: false, passwordHash: null });
      const v = await store.createUser({ name: 'dave', admin: false, passwordHash: null });
      const t = await store.createApiToken({
        userId: u.id,
        hash: 'abc',
        note: 'ci',
        scopes: ['self'],
        createdAt: new Date(5),
        expiresAt: null,
      });
      assert.deepEqual((await store.getApiTokenByHash('abc'))?.scopes, ['self']);
      assert.equal((await store.listApiTokens(u.id)).length, 1);
      assert.equal(await store.deleteApiToken(v.id, t.id), false, "not another user's token");
      await store.touchApiToken(t.id, new Date(99));
      assert.equal((await store.getApiTokenByHash('abc'))?.lastUsedAt?.getTime(), 99);
      assert.equal(await store.deleteApiToken(u.id, t.id), true);
      assert.equal(await store.getApiTokenByHash('abc'), undefined);
      await store.close();
    });

    it('upserts servers and keeps the latest activity', async () => {
      const store = await open();
      const u = await store.createUser({ name: 'erin', admin: false, passwordHash: null });
      const base = {
        userId: u.id,
        name: '',
        profile: 'standard',
        message: null,
        startedAt: new Date(10),
        stoppedAt: null,
        lastActivity: null,
      };
      await store.upsertServer({ ...base, state: 'starting' });
      await store.upsertServer({ ...base, state: 'running' });
      await store.recordActivity(u.id, '', new Date(500));
      await store.recordActivity(u.id, '', new Date(300));
      const s = await store.getServer(u.id, '');
      assert.equal(s?.state, 'running');
      assert.equal(s.lastActivity?.getTime(), 500, 'an older report never moves activity back');
      assert.equal((await store.listServers()).length, 1);
      await store.deleteServer(u.id, '');
      assert.equal(await store.getServer(u.id, ''), undefined);
      await store.close();
    });

    it('replaces group memberships per source and lists them without duplicates', async () => {
      const store = await open();
      const u = await store.createUser({ name: 'gina', admin: false, passwordHash: null });
      const v = await store.createUser({ name: 'hal', admin: false, passwordHash: null });
      await store.setUserGroups(u.id, 'local', ['staff']);
      await store.setUserGroups(u.id, 'oidc', ['physics', 'staff', 'physics']);
      await store.setUserGroups(v.id, 'oidc', ['physics']);
      assert.deepEqual(await store.listUserGroups(u.id), ['physics', 'staff']);
      await store.setUserGroups(u.id, 'oidc', ['chemistry']);
      assert.deepEqual(
        await store.listUserGroups(u.id),
        ['chemistry', 'staff'],
        'the provider replaces only its own memberships',
      );
      assert.deepEqual(await store.listUserGroups(v.id), ['physics'], 'other users untouched');
      await store.setUserGroups(u.id, 'oidc', []);
      assert.deepEqual(await store.listUserGroups(u.id), ['staff']);
      await store.deleteUser(v.id);
      assert.deepEqual(await store.listUserGroups(v.id), []);
      await store.close();
    });

    it('links external identities to one user each and forgets them with the user', async () => {
      const store = await open();
      const u = await store.createUser({ name: 'ivan', admin: false, passwordHash: null });
      const iss = 'https://idp.example.org';
      assert.equal(await store.getUserByExternalIdentity(iss, 'sub-1'), undefined);
      await store.linkExternalIdentity(iss, 'sub-1', u.id, new Date(7));
      assert.equal((await store.getUserByExternalIdentity(iss, 'sub-1'))?.name, 'ivan');
      assert.deepEqual(await store.listExternalIdentities(u.id), [
        { issuer: iss, subject: 'sub-1' },
      ]);
      assert.equal(
        await store.getUserByExternalIdentity('https://other.example.org', 'sub-1'),
        undefined,
        'a subject is only unique within its issuer',
      );
      await assert.rejects(store.linkExternalIdentity(iss, 'sub-1', u.id, new Date(8)), {
        code: 'conflict',
      });
      await store.deleteUser(u.id);
      assert.equal(await store.getUserByExternalIdentity(iss, 'sub-1'), undefined);
      assert.deepEqual(await store.listExternalIdentities(u.id), []);
      await store.close();
    });

    it('records server runs: start durations per profile and runs overlapping a period', async () => {
      const store = await open();
      const u = await store.createUser({ name: 'jo', admin: false, passwordHash: null });
      const t = (ms: number) => new Date(ms);
      await store.beginRun({ userId: u.id, serverName: '', profile: 'gpu', requestedAt: t(1000) });
      await store.markRunReady(u.id, '', t(4000));
      await store.markRunReady(u.id, '', t(9000));
      await store.endRun(u.id, '', t(10_000), 'stopped');
      await store.endRun(u.id, '', t(11_000), 'failed');
      await store.beginRun({
        userId: u.id,
        serverName: '',
        profile: 'gpu',
        requestedAt: t(20_000),
      });
      await store.markRunReady(u.id, '', t(22_000));
      // A failed start is never ready and so gives no duration.
      await store.beginRun({ userId: u.id, serverName: 'x', profile: 'gpu', requestedAt: t(5000) });
      await store.endRun(u.id, 'x', t(6000), 'failed');
      await store.beginRun({ userId: u.id, serverName: 'y', profile: 'cpu', requestedAt: t(1) });
      await store.markRunReady(u.id, 'y', t(2));
      assert.deepEqual(
        await store.startDurations('gpu', 10),
        [2000, 3000],
        'newest first; a second ready keeps the first time',
      );
      assert.deepEqual(await store.startDurations('gpu', 1), [2000]);
      assert.deepEqual(await store.startDurations('none', 5), []);

      const all = await store.listRuns(t(0), t(100_000));
      assert.deepEqual(
        all.map((r) => [
          r.serverName,
          r.profile,
          r.readyAt?.getTime(),
          r.endedAt?.getTime() ?? null,
        ]),
        [
          ['y', 'cpu', 2, null],
          ['', 'gpu', 4000, 10_000],
          ['', 'gpu', 22_000, null],
        ],
      );
      assert.equal(all[1]?.outcome, 'stopped', 'ending twice keeps the first end');
      assert.deepEqual(
        (await store.listRuns(t(10_000), t(21_000))).map((r) => r.serverName),
        ['y'],
        'a run that ended at the period start or became ready after its end is outside',
      );
      // A new start while one is open ends the open one first.
      await store.beginRun({
        userId: u.id,
        serverName: '',
        profile: 'gpu',
        requestedAt: t(30_000),
      });
      const again = await store.listRuns(t(0), t(100_000));
      const closed = again.find((r) => r.readyAt?.getTime() === 22_000);
      assert.equal(closed?.endedAt?.getTime(), 30_000);
      assert.equal(closed.outcome, 'stopped');
      await store.deleteUser(u.id);
      assert.equal((await store.listRuns(t(0), t(100_000))).length, 3, 'usage outlives users');
      await store.close();
    });

    it('uses an invitation once, before it expires, and a new one voids the old', async () => {
      const store = await open();
      const u = await store.createUser({ name: 'kim', admin: false, passwordHash: null });
      const invite = { userId: u.id, createdAt: new Date(0), expiresAt: new Date(1000) };
      await store.createInvite({ ...invite, hash: 'old' });
      await store.createInvite({ ...invite, hash: 'new' });
      assert.equal(await store.getInvite('old', new Date(1)), undefined, 'replaced');
      assert.equal((await store.getInvite('new', new Date(1)))?.userId, u.id);
      assert.equal(await store.getInvite('new', new Date(1000)), undefined, 'expired');
      assert.equal(await store.takeInvite('new', new Date(1000)), undefined, 'expired');
      const taken = await Promise.all([
        store.takeInvite('new', new Date(2)),
        store.takeInvite('new', new Date(2)),
      ]);
      assert.deepEqual(
        taken.filter((x) => x !== undefined),
        [u.id],
        'exactly one of two concurrent uses wins',
      );
      assert.equal(await store.getInvite('new', new Date(2)), undefined);
      await store.createInvite({ ...invite, hash: 'gone' });
      await store.deleteUser(u.id);
      assert.equal(await store.getInvite('gone', new Date(1)), undefined, 'goes with its user');
      await store.close();
    });

    it('lists groups with and without members and keeps which groups may use a profile', async () => {
      const store = await open();
      const u = await store.createUser({ name: 'lee', admin: false, passwordHash: null });
      await store.createGroup('empty');
      await store.createGroup('empty');
      await store.setUserGroups(u.id, 'local', ['staff']);
      await store.setUserGroups(u.id, 'oidc', ['staff', 'physics']);
      assert.deepEqual(await store.listGroups(), [
        { name: 'empty', members: [] },
        { name: 'physics', members: ['lee'] },
        { name: 'staff', members: ['lee'] },
      ]);
      await store.setProfileGroups('gpu', ['physics', 'staff', 'physics']);
      await store.setProfileGroups('big', ['staff']);
      await store.setProfileGroups('big', ['empty']);
      assert.deepEqual(await store.listProfileGroups(), [
        { profile: 'big', group: 'empty' },
        { profile: 'gpu', group: 'physics' },
        { profile: 'gpu', group: 'staff' },
      ]);
      const v = await store.createUser({ name: 'max', admin: false, passwordHash: null });
      await store.setGroupMembers('physics', 'local', [v.id, u.id, v.id]);
      await store.setGroupMembers('physics', 'local', [v.id]);
      await store.setGroupMembers('new', 'local', [v.id]);
      assert.deepEqual(
        (await store.listGroups()).map((g) => `${g.name}:${g.members.join(',')}`),
        ['empty:', 'new:max', 'physics:lee,max', 'staff:lee'],
        "lee's membership from the provider stays; the group is created",
      );
      await store.deleteGroup('physics');
      assert.deepEqual(await store.listUserGroups(u.id), ['staff']);
      assert.deepEqual(
        (await store.listProfileGroups()).map((r) => `${r.profile}:${r.group}`),
        ['big:empty', 'gpu:staff'],
      );
      await store.setProfileGroups('gpu', []);
      assert.deepEqual(
        (await store.listProfileGroups()).map((r) => r.profile),
        ['big'],
      );
      await store.close();
    });
  });
}
