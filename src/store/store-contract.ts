/**
 * The behaviour every Store must have. Each implementation's test file runs this suite
 * against a real database (SQLite here; PostgreSQL in the PostgreSQL store's tests).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { usageByDay } from '../web/admin/usage.ts';
import { migrations } from './migrations.ts';
import type { Store, UsageRow, UserQuery } from './types.ts';

/** Hours to 9 decimals: SQL sums milliseconds, the view sums hours. */
function round(u: { days: UsageRow[]; totals: UsageRow[] }) {
  const r = (rows: UsageRow[]) => rows.map((x) => ({ ...x, hours: Number(x.hours.toFixed(9)) }));
  return { days: r(u.days), totals: r(u.totals) };
}

export interface ContractOptions {
  /**
   * Opens a new database migrated up to `version` only, runs `sql` there (plain SQL both
   * dialects accept, in that version's schema), then opens the store on it, which applies
   * the later migrations.
   */
  readonly openAfter: (version: number, sql: string) => Promise<Store>;
}

export function storeContract(
  name: string,
  open: () => Promise<Store>,
  options: ContractOptions,
): void {
  describe(`${name} store contract`, () => {
    it('runs the migrations once and records them', async () => {
      const store = await open();
      assert.deepEqual(
        await store.migrations(),
        migrations.map((m) => m.version),
      );
      await store.close();
    });

    it('keeps existing servers, their profile and activity, when the phase columns go (4)', async () => {
      const before = Date.now();
      const store = await options.openAfter(
        3,
        `INSERT INTO users (name, admin, password_hash, created_at)
           VALUES ('old', FALSE, NULL, 5), ('idle', TRUE, 'h', 6);
         INSERT INTO servers (user_id, name, profile, state, message, started_at, stopped_at, last_activity)
           SELECT id, '', 'gpu', 'running', NULL, 1000, NULL, 5000 FROM users WHERE name = 'old';
         INSERT INTO servers (user_id, name, profile, state, message, started_at, stopped_at, last_activity)
           SELECT id, 'lab', 'cpu', 'stopped', 'gone', NULL, 3000, 7000 FROM users WHERE name = 'old';
         INSERT INTO servers (user_id, name, profile, state, message, started_at, stopped_at, last_activity)
           SELECT id, '', 'standard', 'failed', 'oom', 2000, 2500, NULL FROM users WHERE name = 'idle';
         INSERT INTO server_runs (user_id, server_name, profile, requested_at, ready_at, ended_at, outcome)
           SELECT id, '', 'gpu', 900, 1000, NULL, NULL FROM users WHERE name = 'old';`,
      );
      const after = Date.now();
      assert.deepEqual(
        await store.migrations(),
        migrations.map((m) => m.version),
      );
      const old = await store.getUser('old');
      const idle = await store.getUser('idle');
      assert.ok(old && idle);
      assert.equal(idle.admin, true);
      assert.deepEqual(await store.getServer(old.id, ''), {
        userId: old.id,
        name: '',
        profile: 'gpu',
        createdAt: new Date(1000),
        lastActivity: new Date(5000),
      });
      const lab = await store.getServer(old.id, 'lab');
      assert.equal(lab?.profile, 'cpu');
      assert.equal(lab.lastActivity?.getTime(), 7000);
      const created = lab.createdAt.getTime();
      assert.ok(created >= before - 1000 && created <= after + 1000, 'never started: now');
      assert.deepEqual(
        (await store.listServersOf([old.id, idle.id])).map((s) => [s.name, s.profile]),
        [
          ['', 'gpu'],
          ['lab', 'cpu'],
          ['', 'standard'],
        ],
      );
      assert.deepEqual(
        [...(await store.lastActivityOf([old.id, idle.id])).entries()],
        [[old.id, new Date(7000)]],
        "the user's last activity is backfilled from their servers",
      );
      assert.deepEqual(
        (await store.listUsers({ offset: 0, limit: 5, sort: 'last_activity' })).users.map(
          (u) => u.name,
        ),
        ['old', 'idle'],
      );
      const run = await store.lastRun(old.id, '');
      assert.equal(run?.readyAt?.getTime(), 1000);
      assert.equal(run.message, null);
      assert.equal(
        await store.createServer(
          { userId: old.id, name: 'new', profile: 'p', createdAt: new Date(9) },
          2,
        ),
        'full',
        'existing rows count',
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

    it("revokes a server's own tokens, and only those, when asked for that server", async () => {
      const store = await open();
      const u = await store.createUser({ name: 'cora', admin: false, passwordHash: null });
      const v = await store.createUser({ name: 'dan', admin: false, passwordHash: null });
      const token = (userId: number, hash: string, serverName?: string) =>
        store.createApiToken({
          userId,
          hash,
          note: hash,
          scopes: ['users:activity!user=cora'],
          createdAt: new Date(5),
          expiresAt: null,
          ...(serverName === undefined ? {} : { serverName }),
        });
      const own = await token(u.id, 'own');
      assert.equal(own.serverName, null, "a person's own token names no server");
      assert.equal((await token(u.id, 'default-1', '')).serverName, '');
      await token(u.id, 'default-2', '');
      await token(u.id, 'gpu', 'gpu');
      await token(v.id, 'other-default', '');
      assert.equal(await store.deleteServerTokens(u.id, ''), 2);
      for (const gone of ['default-1', 'default-2']) {
        assert.equal(await store.getApiTokenByHash(gone), undefined, gone);
      }
      for (const kept of ['own', 'gpu', 'other-default']) {
        assert.ok(await store.getApiTokenByHash(kept), kept);
      }
      assert.equal(await store.deleteServerTokens(u.id, ''), 0);
      await store.close();
    });

    it('creates servers once, keeps the latest activity and lists them per user', async () => {
      const store = await open();
      const u = await store.createUser({ name: 'erin', admin: false, passwordHash: null });
      const v = await store.createUser({ name: 'fred', admin: false, passwordHash: null });
      const at = new Date(10);
      assert.equal(
        await store.createServer({ userId: u.id, name: '', profile: 'standard', createdAt: at }, 5),
        'created',
      );
      assert.equal(
        await store.createServer({ userId: u.id, name: '', profile: 'gpu', createdAt: at }, 5),
        'exists',
      );
      assert.equal((await store.getServer(u.id, ''))?.profile, 'standard', 'exists leaves it');
      await store.setServerProfile(u.id, '', 'gpu');
      await store.recordActivity(u.id, '', new Date(500));
      await store.recordActivity(u.id, '', new Date(300));
      const s = await store.getServer(u.id, '');
      assert.deepEqual(s, {
        userId: u.id,
        name: '',
        profile: 'gpu',
        createdAt: at,
        lastActivity: new Date(500),
      });
      for (const [user, name] of [
        [v, 'b'],
        [v, ''],
        [u, 'z'],
        [u, 'a'],
      ] as const) {
        await store.createServer({ userId: user.id, name, profile: 'p', createdAt: at }, 5);
      }
      assert.deepEqual(
        (await store.listServersOf([v.id, u.id])).map((r) => `${r.userId}:${r.name}`),
        [`${u.id}:`, `${u.id}:a`, `${u.id}:z`, `${v.id}:`, `${v.id}:b`],
        'default server first, then by name, within each user',
      );
      assert.deepEqual(
        (await store.listServersOf([v.id])).map((r) => r.name),
        ['', 'b'],
      );
      assert.deepEqual(await store.listServersOf([]), []);
      // A batch: one transaction, the latest time per server (and per user) wins, never an
      // earlier one over a later stored one.
      await store.recordActivities([
        { userId: u.id, name: 'a', at: new Date(700) },
        { userId: u.id, name: 'a', at: new Date(900) },
        { userId: u.id, name: '', at: new Date(400) },
        { userId: v.id, name: 'b', at: new Date(800) },
      ]);
      await store.recordActivities([]);
      assert.equal((await store.getServer(u.id, 'a'))?.lastActivity?.getTime(), 900);
      assert.equal((await store.getServer(u.id, ''))?.lastActivity?.getTime(), 500);
      assert.equal((await store.getServer(v.id, 'b'))?.lastActivity?.getTime(), 800);
      assert.equal((await store.getServer(v.id, ''))?.lastActivity, null);
      const users = await store.lastActivityOf([u.id, v.id]);
      assert.equal(users.get(u.id)?.getTime(), 900);
      assert.equal(users.get(v.id)?.getTime(), 800);
      await store.deleteServer(u.id, '');
      assert.equal(await store.getServer(u.id, ''), undefined);
      await store.close();
    });

    it('keeps servers per user within the limit, the default server always counting', async () => {
      const store = await open();
      const u = await store.createUser({ name: 'nia', admin: false, passwordHash: null });
      const create = (name: string, max = 3) =>
        store.createServer({ userId: u.id, name, profile: 'p', createdAt: new Date(1) }, max);
      assert.equal(await create('a'), 'created');
      assert.equal(await create('b'), 'created');
      assert.equal(await create('c'), 'full', 'a, b and the default server (no row yet) are 3');
      assert.equal(await create(''), 'created', 'the default server already counted');
      assert.equal(await create('c'), 'full');
      assert.equal(await create('a'), 'exists');
      assert.equal(await create('c', 4), 'created');
      assert.equal(await create('solo', 1), 'full');
      const other = await store.createUser({ name: 'oli', admin: false, passwordHash: null });
      assert.equal(
        await store.createServer(
          { userId: other.id, name: '', profile: 'p', createdAt: new Date(1) },
          1,
        ),
        'created',
        "another user's servers do not count",
      );
      assert.deepEqual(
        (await store.listServersOf([u.id])).map((s) => s.name),
        ['', 'a', 'b', 'c'],
      );
      await store.close();
    });

    it('lets only the allowed number of concurrent creates through', async () => {
      const store = await open();
      const u = await store.createUser({ name: 'pia', admin: false, passwordHash: null });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.createServer(
            { userId: u.id, name: `s${String(i)}`, profile: 'p', createdAt: new Date(1) },
            3,
          ),
        ),
      );
      assert.equal(results.filter((r) => r === 'created').length, 2, results.join(' '));
      assert.equal(results.filter((r) => r === 'full').length, 18);
      assert.equal((await store.listServersOf([u.id])).length, 2);
      const same = await Promise.all(
        Array.from({ length: 5 }, () =>
          store.createServer({ userId: u.id, name: '', profile: 'p', createdAt: new Date(1) }, 3),
        ),
      );
      assert.deepEqual(same.toSorted(), ['created', 'exists', 'exists', 'exists', 'exists']);
      await store.close();
    });

    it('pages, filters and counts users in the database', async () => {
      const store = await open();
      const names = ['amy', 'ann', 'anna', 'bea', 'bob', 'a_b', 'axb', 'a%b', 'élise', 'zed'];
      const ids = new Map<string, number>();
      for (const name of names) {
        ids.set(name, (await store.createUser({ name, admin: false, passwordHash: null })).id);
      }
      const id = (name: string) => ids.get(name) ?? -1;
      const sorted = names.toSorted((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1));
      const page = async (q: Partial<UserQuery>) => {
        const r = await store.listUsers({ offset: 0, limit: 100, ...q });
        return { names: r.users.map((x) => x.name), total: r.total };
      };
      assert.deepEqual(await page({}), { names: sorted, total: 10 });
      assert.deepEqual(await page({ limit: 3 }), { names: sorted.slice(0, 3), total: 10 });
      assert.deepEqual(await page({ offset: 9, limit: 3 }), {
        names: sorted.slice(9),
        total: 10,
      });
      assert.deepEqual(await page({ offset: 10, limit: 3 }), { names: [], total: 10 });
      assert.deepEqual(await page({ offset: 50, limit: 3 }), { names: [], total: 10 });
      assert.deepEqual(await page({ offset: 3, limit: 0 }), { names: [], total: 10 });

      assert.deepEqual(await page({ namePrefix: 'an' }), { names: ['ann', 'anna'], total: 2 });
      assert.deepEqual(await page({ namePrefix: 'anna' }), { names: ['anna'], total: 1 });
      assert.deepEqual(await page({ namePrefix: 'é' }), { names: ['élise'], total: 1 });
      assert.deepEqual(await page({ namePrefix: 'c' }), { names: [], total: 0 });
      assert.deepEqual(await page({ nameContains: 'NN' }), { names: ['ann', 'anna'], total: 2 });
      assert.deepEqual(await page({ nameContains: 'É' }), { names: ['élise'], total: 1 });
      assert.deepEqual(
        await page({ nameContains: '_' }),
        { names: ['a_b'], total: 1 },
        '_ is matched literally',
      );
      assert.deepEqual(
        await page({ nameContains: '%' }),
        { names: ['a%b'], total: 1 },
        '% is matched literally',
      );
      assert.deepEqual(await page({ nameContains: 'a\\' }), { names: [], total: 0 });
      assert.deepEqual(await page({ onlyNames: ['bob', 'zed', 'nobody'] }), {
        names: ['bob', 'zed'],
        total: 2,
      });
      assert.deepEqual(await page({ onlyNames: [] }), { names: [], total: 0 });
      assert.deepEqual(await page({ exceptNames: sorted.slice(1) }), {
        names: [sorted[0]],
        total: 1,
      });
      assert.deepEqual((await page({ exceptNames: [] })).total, 10);

      await store.setGroupMembers('team', 'local', [id('ann'), id('bob'), id('anna')]);
      await store.setUserGroups(id('anna'), 'oidc', ['team']);
      await store.setUserGroups(id('amy'), 'oidc', ['team']);
      await store.createGroup('empty');
      assert.deepEqual(
        await page({ group: 'team' }),
        { names: ['amy', 'ann', 'anna', 'bob'], total: 4 },
        'members from any source, each once',
      );
      assert.deepEqual(await page({ group: 'empty' }), { names: [], total: 0 });
      assert.deepEqual(await page({ group: 'nothing' }), { names: [], total: 0 });
      assert.deepEqual(
        await page({
          group: 'team',
          namePrefix: 'a',
          nameContains: 'n',
          exceptNames: ['anna'],
          onlyNames: ['ann', 'anna', 'amy', 'bob'],
        }),
        { names: ['ann'], total: 1 },
        'filters combine',
      );
      assert.deepEqual(await page({ group: 'team', offset: 1, limit: 2 }), {
        names: ['ann', 'anna'],
        total: 4,
      });

      // A thousand names are one parameter, not a thousand.
      const many = Array.from({ length: 1000 }, (_, i) => `ghost${String(i)}`);
      assert.deepEqual(await page({ onlyNames: [...many, 'zed', 'amy'] }), {
        names: ['amy', 'zed'],
        total: 2,
      });
      assert.equal((await page({ exceptNames: [...many, 'zed'] })).total, 9);
      assert.deepEqual(
        (await store.getUsersByName([...many, 'bea', 'bob'])).map((u) => u.name).toSorted(),
        ['bea', 'bob'],
      );
      assert.deepEqual(await store.getUsersByName([]), []);
      await store.close();
    });

    it('sorts users by last activity, most recent first, never-used last, ties by name', async () => {
      const store = await open();
      const users = new Map<string, number>();
      for (const name of ['dan', 'cat', 'bee', 'ant', 'eel']) {
        const u = await store.createUser({ name, admin: false, passwordHash: null });
        users.set(name, u.id);
        await store.createServer(
          { userId: u.id, name: '', profile: 'p', createdAt: new Date(0) },
          3,
        );
        await store.createServer(
          { userId: u.id, name: 'x', profile: 'p', createdAt: new Date(0) },
          3,
        );
      }
      const id = (name: string) => users.get(name) ?? -1;
      await store.recordActivity(id('dan'), '', new Date(100));
      await store.recordActivity(id('cat'), 'x', new Date(300));
      await store.recordActivity(id('cat'), '', new Date(200));
      await store.recordActivity(id('eel'), '', new Date(100));
      const order = async (q: Partial<UserQuery> = {}) =>
        (await store.listUsers({ offset: 0, limit: 10, sort: 'last_activity', ...q })).users.map(
          (u) => u.name,
        );
      assert.deepEqual(await order(), ['cat', 'dan', 'eel', 'ant', 'bee']);
      assert.deepEqual(await order({ offset: 2, limit: 2 }), ['eel', 'ant']);
      assert.deepEqual(await order({ namePrefix: 'e' }), ['eel']);
      const last = await store.lastActivityOf([id('cat'), id('dan'), id('ant'), 999_999]);
      assert.deepEqual(
        [...last.entries()].toSorted((a, b) => a[0] - b[0]),
        [
          [id('dan'), new Date(100)],
          [id('cat'), new Date(300)],
        ],
        'the latest of any server; users never used are absent',
      );
      assert.equal((await store.lastActivityOf([])).size, 0);
      await store.close();
    });

    it('records server runs: start durations, the last run, open runs and why a run ended', async () => {
      const store = await open();
      const u = await store.createUser({ name: 'jo', admin: false, passwordHash: null });
      const t = (ms: number) => new Date(ms);
      await store.beginRun({ userId: u.id, serverName: '', profile: 'gpu', requestedAt: t(1000) });
      await store.markRunReady(u.id, '', t(4000));
      await store.markRunReady(u.id, '', t(9000));
      await store.endRun(u.id, '', t(10_000), 'stopped', 'stopped after 1 hour without use');
      await store.endRun(u.id, '', t(11_000), 'failed', 'ignored');
      const first = await store.lastRun(u.id, '');
      assert.deepEqual(first && { ...first, id: 0 }, {
        id: 0,
        userId: u.id,
        serverName: '',
        profile: 'gpu',
        requestedAt: t(1000),
        readyAt: t(4000),
        endedAt: t(10_000),
        outcome: 'stopped',
        message: 'stopped after 1 hour without use',
      });
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
      assert.equal((await store.lastRun(u.id, 'x'))?.message, null);
      await store.beginRun({ userId: u.id, serverName: 'y', profile: 'cpu', requestedAt: t(1) });
      await store.markRunReady(u.id, 'y', t(2));
      assert.deepEqual(
        await store.startDurations('gpu', 10),
        [2000, 3000],
        'newest first; a second ready keeps the first time',
      );
      assert.deepEqual(await store.startDurations('gpu', 1), [2000]);
      assert.deepEqual(await store.startDurations('none', 5), []);
      assert.equal(await store.lastRun(u.id, 'none'), undefined);

      const v = await store.createUser({ name: 'kai', admin: false, passwordHash: null });
      await store.beginRun({ userId: v.id, serverName: '', profile: 'cpu', requestedAt: t(7) });
      const open1 = await store.openRunsOf([u.id]);
      assert.deepEqual(
        open1.map((r) => [r.serverName, r.readyAt?.getTime() ?? null]),
        [
          ['', 22_000],
          ['y', 2],
        ],
      );
      assert.equal((await store.openRunsOf([u.id, v.id])).length, 3);
      assert.deepEqual(await store.openRunsOf([]), []);

      // A new start while one is open ends the open one first.
      await store.beginRun({
        userId: u.id,
        serverName: '',
        profile: 'gpu',
        requestedAt: t(30_000),
      });
      const open2 = await store.openRunsOf([u.id]);
      assert.deepEqual(
        open2.map((r) => [r.serverName, r.requestedAt.getTime()]),
        [
          ['', 30_000],
          ['y', 1],
        ],
      );
      const latest = await store.lastRun(u.id, '');
      assert.equal(latest?.requestedAt.getTime(), 30_000);
      assert.equal(latest.endedAt, null);

      // Keyset pages of open runs, in request order: y (begun before kai's), kai's, then ''.
      const walked: string[] = [];
      let after = 0;
      for (;;) {
        const page = await store.openRuns(after, 2);
        if (page.length === 0) break;
        assert.ok(page.length <= 2);
        walked.push(...page.map((r) => `${String(r.userId === u.id)}:${r.serverName}`));
        after = page.at(-1)?.id ?? after;
      }
      assert.deepEqual(walked, ['true:y', 'false:', 'true:']);
      await store.deleteUser(u.id);
      assert.equal((await store.lastRun(u.id, 'y'))?.profile, 'cpu', 'history outlives users');
      await store.close();
    });

    it('sums usage per UTC day and profile in the database, as the usage view does', async () => {
      const store = await open();
      const u = await store.createUser({ name: 'uma', admin: false, passwordHash: null });
      const DAY = 86_400_000;
      const H = 3_600_000;
      const today = Date.UTC(2026, 0, 5);
      const now = new Date(today + 15 * H);
      // [profile, ready (ms, or null: never ready), ended (null: still open)]
      const spec: [string, number | null, number | null][] = [
        ['gpu', today - 3 * DAY + 22 * H, today - 2 * DAY + 2 * H], // crosses a midnight
        ['cpu', today - 5 * DAY, today - DAY + H], // began before the period
        ['gpu', today - DAY + 23 * H, null], // open, crosses into today
        ['cpu', today - 2 * DAY + 5 * H, today - 2 * DAY + 5 * H], // no length
        ['gpu', today - 4 * DAY + H, today - 4 * DAY + 2 * H], // before the period
        ['cpu', null, today - 2 * DAY], // never ready
        ['gpu', today - 3 * DAY, today - 3 * DAY], // no length, at the period's first midnight
        ['cpu', today - 10 * DAY, null], // open for days
        ['gpu', today - 3 * DAY - H, today - 3 * DAY], // ended as the period began
        ['big', today + 14 * H, today + 14 * H + 30 * 60_000], // today
        ['big', today - 2 * DAY + H, today - 2 * DAY], // ended before it was ready (clock)
        ['big', today + 16 * H, null], // ready after now (clock): no length
        ['cpu', today - 2 * DAY - 3 * H, today - DAY], // ends at a midnight
      ];
      let i = 0;
      for (const [profile, ready, ended] of spec) {
        const serverName = `s${String(i++)}`;
        const requestedAt = new Date((ready ?? ended ?? 0) - 1000);
        await store.beginRun({ userId: u.id, serverName, profile, requestedAt });
        if (ready !== null) await store.markRunReady(u.id, serverName, new Date(ready));
        if (ended !== null) await store.endRun(u.id, serverName, new Date(ended), 'stopped');
      }
      const runs = spec.map(([profile, ready, ended]) => ({
        profile,
        readyAt: ready === null ? null : new Date(ready),
        endedAt: ended === null ? null : new Date(ended),
      }));
      for (const days of [1, 4, 8]) {
        const expected = usageByDay(runs, { days, now });
        const got = await store.usage(
          new Date(today - (days - 1) * DAY),
          new Date(today + DAY),
          now,
        );
        const want = {
          days: expected.days.flatMap((d) =>
            [...d.byProfile.entries()]
              .toSorted(([a], [b]) => (a < b ? -1 : 1))
              .map(([profile, c]) => ({ day: d.day, profile, ...c })),
          ),
          totals: [...expected.totals.entries()]
            .toSorted(([a], [b]) => (a < b ? -1 : 1))
            .map(([profile, c]) => ({ profile, ...c })),
        };
        assert.deepEqual(round(got), round(want), `${String(days)} days`);
      }
      assert.deepEqual(await store.usage(new Date(today), new Date(today), now), {
        days: [],
        totals: [],
      });
      await store.close();
    });

    it("sums one user's ready hours per profile since a time, open runs up to now", async () => {
      const store = await open();
      const jo = await store.createUser({ name: 'jo', admin: false, passwordHash: null });
      const al = await store.createUser({ name: 'al', admin: false, passwordHash: null });
      const at = (iso: string) => new Date(iso);
      const ran = async (
        userId: number,
        serverName: string,
        profile: string,
        ready: string | null,
        ended: string | null,
      ) => {
        await store.beginRun({
          userId,
          serverName,
          profile,
          requestedAt: at(ready ?? ended ?? '2026-12-02T00:00:00Z'),
        });
        if (ready !== null) await store.markRunReady(userId, serverName, at(ready));
        if (ended !== null) await store.endRun(userId, serverName, at(ended), 'stopped');
      };
      // Across the month's start: only the 2 hours after it count.
      await ran(jo.id, '', 'gpu', '2026-11-30T22:00:00Z', '2026-12-01T02:00:00Z');
      // Ended before the month: nothing.
      await ran(jo.id, '', 'gpu', '2026-11-10T00:00:00Z', '2026-11-10T05:00:00Z');
      // Never ready (a failed start): nothing.
      await ran(jo.id, 'b', 'gpu', null, '2026-12-02T00:00:00Z');
      await ran(jo.id, 'c', 'standard', '2026-12-03T10:00:00Z', '2026-12-03T11:30:00Z');
      // Still open: counts up to now.
      await ran(jo.id, 'd', 'gpu', '2026-12-04T20:00:00Z', null);
      // Another user's hours are theirs.
      await ran(al.id, '', 'gpu', '2026-12-02T00:00:00Z', '2026-12-02T09:00:00Z');
      const since = at('2026-12-01T00:00:00Z');
      const now = at('2026-12-04T22:30:00Z');
      assert.deepEqual(
        await store.hoursByProfile(jo.id, since, now),
        new Map([
          ['gpu', 4.5],
          ['standard', 1.5],
        ]),
      );
      assert.deepEqual(await store.hoursByProfile(al.id, since, now), new Map([['gpu', 9]]));
      const none = await store.createUser({ name: 'no', admin: false, passwordHash: null });
      assert.deepEqual(await store.hoursByProfile(none.id, since, now), new Map());
      await store.close();
    });

    it('runs the work of one user under a lock: two at once never overlap', async () => {
      const store = await open();
      const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
      const log: string[] = [];
      let inside = 0;
      let most = 0;
      const work = (user: number, tag: string) =>
        store.withUserLock(user, async () => {
          inside++;
          most = Math.max(most, inside);
          log.push(`${tag} in`);
          await tick();
          log.push(`${tag} out`);
          inside--;
          return tag;
        });
      const results = await Promise.all([work(1, 'a'), work(1, 'b'), work(1, 'c')]);
      assert.deepEqual(results, ['a', 'b', 'c']);
      assert.equal(most, 1, log.join(', '));
      // A failure releases the lock and reaches the caller.
      await assert.rejects(
        store.withUserLock(1, () => Promise.reject(new Error('boom'))),
        /boom/,
      );
      assert.equal(await store.withUserLock(1, () => Promise.resolve('after')), 'after');
      // Different users do not wait for each other: user 2's work holds its lock until user
      // 3's has come in (or 5 s: then user 3 waited for user 2, and the count says so). A
      // barrier rather than a few ticks, so a loaded machine's slow connection cannot fail it.
      most = 0;
      let otherCameIn = (): void => undefined;
      const cameIn = new Promise<void>((resolve) => (otherCameIn = resolve));
      const slow = store.withUserLock(2, async () => {
        inside++;
        most = Math.max(most, inside);
        await Promise.race([cameIn, new Promise((resolve) => setTimeout(resolve, 5000))]);
        inside--;
      });
      await store.withUserLock(3, async () => {
        inside++;
        most = Math.max(most, inside);
        otherCameIn();
        await tick();
        inside--;
      });
      await slow;
      assert.equal(most, 2);
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
      const w = await store.createUser({ name: 'no-groups', admin: false, passwordHash: null });
      assert.deepEqual(
        [...(await store.groupsOf([u.id, v.id, w.id]))].sort(([a], [b]) => a - b),
        [
          [u.id, ['chemistry', 'staff']],
          [v.id, ['physics']],
        ],
        'groupsOf: the same lists for a page of users, in one query; no entry for no group',
      );
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
      const all = { offset: 0, limit: 100 };
      assert.deepEqual(await store.listGroups(all), {
        groups: [
          { name: 'empty', members: [] },
          { name: 'physics', members: ['lee'] },
          { name: 'staff', members: ['lee'] },
        ],
        total: 3,
      });
      await store.setProfileGroups('gpu', ['physics', 'staff', 'physics']);
      await store.setProfileGroups('big', ['staff']);
      await store.setProfileGroups('big', ['empty']);
      const profiles = ['big', 'gpu', 'small'];
      assert.deepEqual(await store.listProfileGroups(profiles), [
        { profile: 'big', group: 'empty' },
        { profile: 'gpu', group: 'physics' },
        { profile: 'gpu', group: 'staff' },
      ]);
      assert.deepEqual(await store.listProfileGroups(['gpu']), [
        { profile: 'gpu', group: 'physics' },
        { profile: 'gpu', group: 'staff' },
      ]);
      // lee is in physics and staff (gpu), not in empty (big); unruled profiles are absent.
      assert.deepEqual(await store.profileAccess(u.id), [
        { profile: 'big', allowed: false },
        { profile: 'gpu', allowed: true },
      ]);
      const v = await store.createUser({ name: 'max', admin: false, passwordHash: null });
      await store.setGroupMembers('physics', 'local', [v.id, u.id, v.id]);
      await store.setGroupMembers('physics', 'local', [v.id]);
      await store.setGroupMembers('new', 'local', [v.id]);
      assert.deepEqual(
        (await store.listGroups(all)).groups.map((g) => `${g.name}:${g.members.join(',')}`),
        ['empty:', 'new:max', 'physics:lee,max', 'staff:lee'],
        "lee's membership from the provider stays; the group is created",
      );
      assert.deepEqual(await store.profileAccess(v.id), [
        { profile: 'big', allowed: false },
        { profile: 'gpu', allowed: true },
      ]);
      // A page is cut in SQL, counted over every match; a prefix filters both.
      const page = await store.listGroups({ offset: 1, limit: 2 });
      assert.deepEqual(
        page.groups.map((g) => `${g.name}:${g.members.join(',')}`),
        ['new:max', 'physics:lee,max'],
      );
      assert.equal(page.total, 4);
      assert.deepEqual(await store.listGroups({ offset: 0, limit: 10, namePrefix: 'p' }), {
        groups: [{ name: 'physics', members: ['lee', 'max'] }],
        total: 1,
      });
      assert.deepEqual((await store.existingGroups(['staff', 'nope', 'new'])).sort(), [
        'new',
        'staff',
      ]);
      await store.deleteGroup('physics');
      assert.deepEqual(await store.listUserGroups(u.id), ['staff']);
      assert.deepEqual(
        (await store.listProfileGroups(profiles)).map((r) => `${r.profile}:${r.group}`),
        ['big:empty', 'gpu:staff'],
      );
      await store.setProfileGroups('gpu', []);
      assert.deepEqual(
        (await store.listProfileGroups(profiles)).map((r) => r.profile),
        ['big'],
      );
      assert.deepEqual(await store.profileAccess(u.id), [{ profile: 'big', allowed: false }]);
      await store.close();
    });
  });
}
