/**
 * The default store: SQLite through Node's built-in `node:sqlite` (no native add-on to build).
 * node:sqlite is synchronous; calls are short indexed lookups, so the async interface simply
 * wraps them. WAL mode lets a second process (a restarted hub) read while one writes.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { GanymedeError } from '../errors/ganymede-error.ts';
import { groupRows, groupsByUser } from './group-rows.ts';
import { migrationSql, migrations, type Migration } from './migrations.ts';
import type {
  ApiToken,
  GroupQuery,
  Invite,
  NewUser,
  RunOutcome,
  ServerRecord,
  ServerRun,
  Session,
  Store,
  UsageRow,
  User,
  UserQuery,
} from './types.ts';
import { DAY_MS, HOUR_MS, containsPattern, prefixRange } from './user-query.ts';
import { keyedLock } from './user-lock.ts';

type Row = Record<string, SQLInputValue>;

const ms = (d: Date | null): number | null => (d ? d.getTime() : null);
const str = (v: SQLInputValue | undefined): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? v.toString() : '';
const strOrNull = (v: SQLInputValue | undefined): string | null =>
  v === null || v === undefined ? null : str(v);
const date = (v: SQLInputValue | undefined): Date | null =>
  v === null || v === undefined ? null : new Date(Number(v));

function toUser(r: Row): User {
  return {
    id: Number(r['id']),
    name: str(r['name']),
    admin: Boolean(r['admin']),
    passwordHash: strOrNull(r['password_hash']),
    createdAt: new Date(Number(r['created_at'])),
  };
}

function toToken(r: Row): ApiToken {
  return {
    id: Number(r['id']),
    userId: Number(r['user_id']),
    hash: str(r['hash']),
    note: str(r['note']),
    scopes: JSON.parse(str(r['scopes'])) as string[],
    createdAt: new Date(Number(r['created_at'])),
    expiresAt: date(r['expires_at']),
    lastUsedAt: date(r['last_used_at']),
    serverName: r['server_name'] === null ? null : str(r['server_name']),
  };
}

function toServer(r: Row): ServerRecord {
  return {
    userId: Number(r['user_id']),
    name: str(r['name']),
    profile: str(r['profile']),
    createdAt: new Date(Number(r['created_at'])),
    lastActivity: date(r['last_activity']),
  };
}

function toRun(r: Row): ServerRun {
  return {
    id: Number(r['id']),
    userId: Number(r['user_id']),
    serverName: str(r['server_name']),
    profile: str(r['profile']),
    requestedAt: new Date(Number(r['requested_at'])),
    readyAt: date(r['ready_at']),
    endedAt: date(r['ended_at']),
    outcome: strOrNull(r['outcome']) as RunOutcome | null,
    message: strOrNull(r['message']),
  };
}

function toInvite(r: Row): Invite {
  return {
    hash: str(r['hash']),
    userId: Number(r['user_id']),
    createdAt: new Date(Number(r['created_at'])),
    expiresAt: new Date(Number(r['expires_at'])),
  };
}

/** Most distinct SQL texts kept prepared; the store has fewer (its texts are fixed, and the
 * built ones vary only by which filters are set), so this only guards against a mistake. */
const MAX_PREPARED = 256;

/**
 * One prepared statement per SQL text, kept for the connection's life. Preparing anew for
 * every query left each statement's memory (SQLite's, allocated outside V8's heap, so no
 * reason for the garbage collector to hurry) waiting for a collection: creating 10,000 users
 * grew the hub's malloc heap by ~60 MB that stayed in its RSS after the statements were freed
 * (bench/scale). node:sqlite's own statement cache (`createTagStore`) takes tagged templates
 * only, which the store's built queries are not. Least recently used out first.
 */
function preparedStatements(db: DatabaseSync): (sql: string) => StatementSync {
  const cache = new Map<string, StatementSync>();
  return (sql) => {
    let st = cache.get(sql);
    if (st) {
      cache.delete(sql);
    } else {
      st = db.prepare(sql);
      if (cache.size >= MAX_PREPARED) {
        const oldest = cache.keys().next();
        if (!oldest.done) cache.delete(oldest.value);
      }
    }
    cache.set(sql, st);
    return st;
  };
}

export function openSqliteStore(path: string): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
  migrateSqlite(db);

  const statement = preparedStatements(db);
  const one = (sql: string, ...args: SQLInputValue[]): Row | undefined =>
    statement(sql).get(...args);
  const all = (sql: string, ...args: SQLInputValue[]): Row[] => statement(sql).all(...args);
  const run = (sql: string, ...args: SQLInputValue[]) => statement(sql).run(...args);
  const transaction = <T>(body: () => T): T => {
    db.exec('BEGIN IMMEDIATE');
    try {
      const result = body();
      db.exec('COMMIT');
      return result;
    } catch (e) {
      db.exec('ROLLBACK');
      throw e;
    }
  };
  // The server's time and the user's (users.last_activity, see migration 4) move together.
  const touch = (userId: number, name: string, at: Date): void => {
    run(
      `UPDATE servers SET last_activity = MAX(COALESCE(last_activity, 0), ?)
       WHERE user_id = ? AND name = ?`,
      at.getTime(),
      userId,
      name,
    );
    run(
      'UPDATE users SET last_activity = MAX(COALESCE(last_activity, 0), ?) WHERE id = ?',
      at.getTime(),
      userId,
    );
  };
  // Uses the partial index server_runs_open.
  const endRun = (
    userId: number,
    serverName: string,
    at: number,
    outcome: RunOutcome,
    message: string | null,
  ) =>
    run(
      `UPDATE server_runs SET ended_at = ?, outcome = ?, message = ?
       WHERE user_id = ? AND server_name = ? AND ended_at IS NULL`,
      at,
      outcome,
      message,
      userId,
      serverName,
    );
  const userLock = keyedLock();

  return {
    createUser(user: NewUser) {
      try {
        const r = one(
          'INSERT INTO users (name, admin, password_hash, created_at) VALUES (?, ?, ?, ?) RETURNING *',
          user.name,
          user.admin ? 1 : 0,
          user.passwordHash,
          Date.now(),
        );
        return Promise.resolve(toUser(must(r)));
      } catch (e) {
        if (String(e).includes('UNIQUE')) {
          return Promise.reject(
            new GanymedeError('conflict', `A user named "${user.name}" already exists.`, {
              field: 'name',
            }),
          );
        }
        return Promise.reject(asError(e));
      }
    },
    getUser: (name) => p(() => opt(one('SELECT * FROM users WHERE name = ?', name), toUser)),
    getUserById: (id) => p(() => opt(one('SELECT * FROM users WHERE id = ?', id), toUser)),
    listUsers: (q) =>
      p(() => {
        const { where, args } = userFilter(q);
        // Name order walks the UNIQUE index on name; last activity walks users_last_activity
        // (DESC puts NULL, never used, last on SQLite). Both stop after offset + limit rows.
        const order = q.sort === 'last_activity' ? 'last_activity DESC, name' : 'name';
        const users = all(
          `SELECT * FROM users ${where} ORDER BY ${order} LIMIT ? OFFSET ?`,
          ...args,
          q.limit,
          q.offset,
        ).map(toUser);
        const total = Number(must(one(`SELECT count(*) AS n FROM users ${where}`, ...args))['n']);
        return { users, total };
      }),
    // A list of names or ids is one JSON parameter, however long (SQLite allows 32,766
    // parameters per statement; json_each has no such limit).
    getUsersByName: (names) =>
      p(() =>
        all(
          'SELECT * FROM users WHERE name IN (SELECT value FROM json_each(?))',
          JSON.stringify(names),
        ).map(toUser),
      ),
    lastActivityOf: (userIds) =>
      p(
        () =>
          new Map(
            all(
              `SELECT id, last_activity FROM users
               WHERE id IN (SELECT value FROM json_each(?)) AND last_activity IS NOT NULL`,
              JSON.stringify(userIds),
            ).map((r) => [Number(r['id']), new Date(Number(r['last_activity']))]),
          ),
      ),
    setPasswordHash: (id, hash) =>
      p(() => void run('UPDATE users SET password_hash = ? WHERE id = ?', hash, id)),
    setAdmin: (id, admin) =>
      p(() => void run('UPDATE users SET admin = ? WHERE id = ?', admin ? 1 : 0, id)),
    deleteUser: (id) => p(() => void run('DELETE FROM users WHERE id = ?', id)),

    createSession: (s: Session) =>
      p(
        () =>
          void run(
            'INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
            s.idHash,
            s.userId,
            s.createdAt.getTime(),
            s.expiresAt.getTime(),
          ),
      ),
    getSession: (idHash) =>
      p(() =>
        opt(one('SELECT * FROM sessions WHERE id_hash = ?', idHash), (r) => ({
          idHash: str(r['id_hash']),
          userId: Number(r['user_id']),
          createdAt: new Date(Number(r['created_at'])),
          expiresAt: new Date(Number(r['expires_at'])),
        })),
      ),
    deleteSession: (idHash) => p(() => void run('DELETE FROM sessions WHERE id_hash = ?', idHash)),
    deleteUserSessions: (userId) =>
      p(() => void run('DELETE FROM sessions WHERE user_id = ?', userId)),
    deleteExpiredSessions: (now) =>
      p(() => Number(run('DELETE FROM sessions WHERE expires_at <= ?', now.getTime()).changes)),

    createApiToken: (t) =>
      p(() =>
        toToken(
          must(
            one(
              'INSERT INTO api_tokens (user_id, hash, note, scopes, created_at, expires_at, server_name) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *',
              t.userId,
              t.hash,
              t.note,
              JSON.stringify(t.scopes),
              t.createdAt.getTime(),
              ms(t.expiresAt),
              t.serverName ?? null,
            ),
          ),
        ),
      ),
    getApiTokenByHash: (hash) =>
      p(() => opt(one('SELECT * FROM api_tokens WHERE hash = ?', hash), toToken)),
    listApiTokens: (userId) =>
      p(() => all('SELECT * FROM api_tokens WHERE user_id = ? ORDER BY id', userId).map(toToken)),
    deleteApiToken: (userId, id) =>
      p(() => run('DELETE FROM api_tokens WHERE user_id = ? AND id = ?', userId, id).changes !== 0),
    touchApiToken: (id, at) =>
      p(() => void run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', at.getTime(), id)),
    deleteServerTokens: (userId, serverName) =>
      p(() =>
        Number(
          run('DELETE FROM api_tokens WHERE user_id = ? AND server_name = ?', userId, serverName)
            .changes,
        ),
      ),

    // One IMMEDIATE transaction takes SQLite's write lock before counting, so no other
    // connection (another process on the same file) can insert between the count and ours.
    createServer: (s, maxPerUser) =>
      p(() =>
        transaction(() => {
          const r = must(
            one(
              `SELECT count(*) FILTER (WHERE name <> '') AS named,
                      count(*) FILTER (WHERE name = ?) AS same
               FROM servers WHERE user_id = ?`,
              s.name,
              s.userId,
            ),
          );
          if (Number(r['same']) > 0) return 'exists' as const;
          // The default server always counts as one, so it never needs room of its own.
          if (s.name !== '' && 1 + Number(r['named']) >= maxPerUser) return 'full' as const;
          run(
            'INSERT INTO servers (user_id, name, profile, created_at) VALUES (?, ?, ?, ?)',
            s.userId,
            s.name,
            s.profile,
            s.createdAt.getTime(),
          );
          return 'created' as const;
        }),
      ),
    setServerProfile: (userId, name, profile) =>
      p(
        () =>
          void run(
            'UPDATE servers SET profile = ? WHERE user_id = ? AND name = ?',
            profile,
            userId,
            name,
          ),
      ),
    getServer: (userId, name) =>
      p(() =>
        opt(one('SELECT * FROM servers WHERE user_id = ? AND name = ?', userId, name), toServer),
      ),
    listServersOf: (userIds) =>
      p(() =>
        all(
          `SELECT * FROM servers WHERE user_id IN (SELECT value FROM json_each(?))
           ORDER BY user_id, name`,
          JSON.stringify(userIds),
        ).map(toServer),
      ),
    recordActivity: (userId, name, at) =>
      p(() => {
        transaction(() => {
          touch(userId, name, at);
        });
      }),
    recordActivities: (records) =>
      p(() => {
        if (records.length === 0) return;
        transaction(() => {
          for (const r of records) touch(r.userId, r.name, r.at);
        });
      }),
    deleteServer: (userId, name) =>
      p(() => void run('DELETE FROM servers WHERE user_id = ? AND name = ?', userId, name)),

    setUserGroups: (userId, source, groups) =>
      p(() => {
        db.exec('BEGIN IMMEDIATE');
        try {
          run('DELETE FROM group_members WHERE user_id = ? AND source = ?', userId, source);
          for (const name of new Set(groups)) {
            run('INSERT INTO groups (name) VALUES (?) ON CONFLICT (name) DO NOTHING', name);
            run(
              `INSERT INTO group_members (group_id, user_id, source)
               SELECT id, ?, ? FROM groups WHERE name = ? ON CONFLICT DO NOTHING`,
              userId,
              source,
              name,
            );
          }
          db.exec('COMMIT');
        } catch (e) {
          db.exec('ROLLBACK');
          throw e;
        }
      }),
    listUserGroups: (userId) =>
      p(() =>
        all(
          `SELECT DISTINCT g.name FROM groups g JOIN group_members m ON m.group_id = g.id
           WHERE m.user_id = ? ORDER BY g.name`,
          userId,
        ).map((r) => str(r['name'])),
      ),
    groupsOf: (userIds) =>
      p(() =>
        groupsByUser(
          all(
            `SELECT DISTINCT m.user_id, g.name FROM groups g
             JOIN group_members m ON m.group_id = g.id
             WHERE m.user_id IN (SELECT value FROM json_each(?))`,
            JSON.stringify(userIds),
          ).map((r) => ({ userId: Number(r['user_id']), name: str(r['name']) })),
        ),
      ),
    getUserByExternalIdentity: (issuer, subject) =>
      p(() =>
        opt(
          one(
            `SELECT u.* FROM users u JOIN external_identities e ON e.user_id = u.id
             WHERE e.issuer = ? AND e.subject = ?`,
            issuer,
            subject,
          ),
          toUser,
        ),
      ),
    listExternalIdentities: (userId) =>
      p(() =>
        all(
          'SELECT issuer, subject FROM external_identities WHERE user_id = ? ORDER BY created_at, issuer, subject',
          userId,
        ).map((r) => ({ issuer: str(r['issuer']), subject: str(r['subject']) })),
      ),
    linkExternalIdentity: (issuer, subject, userId, at) => {
      try {
        run(
          'INSERT INTO external_identities (issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?)',
          issuer,
          subject,
          userId,
          at.getTime(),
        );
        return Promise.resolve();
      } catch (e) {
        if (String(e).includes('UNIQUE') || String(e).includes('PRIMARY KEY')) {
          return Promise.reject(
            new GanymedeError('conflict', 'This identity is already linked to a user.', {
              detail: `${issuer} ${subject}`,
            }),
          );
        }
        return Promise.reject(asError(e));
      }
    },

    beginRun: (r) =>
      p(() => {
        transaction(() => {
          endRun(r.userId, r.serverName, r.requestedAt.getTime(), 'stopped', null);
          run(
            'INSERT INTO server_runs (user_id, server_name, profile, requested_at) VALUES (?, ?, ?, ?)',
            r.userId,
            r.serverName,
            r.profile,
            r.requestedAt.getTime(),
          );
        });
      }),
    markRunReady: (userId, serverName, at) =>
      p(
        () =>
          void run(
            `UPDATE server_runs SET ready_at = ? WHERE user_id = ? AND server_name = ?
             AND ended_at IS NULL AND ready_at IS NULL`,
            at.getTime(),
            userId,
            serverName,
          ),
      ),
    endRun: (userId, serverName, at, outcome, message = null) =>
      p(() => void endRun(userId, serverName, at.getTime(), outcome, message)),
    lastRun: (userId, serverName) =>
      p(() =>
        opt(
          one(
            `SELECT * FROM server_runs WHERE user_id = ? AND server_name = ?
             ORDER BY id DESC LIMIT 1`,
            userId,
            serverName,
          ),
          toRun,
        ),
      ),
    openRunsOf: (userIds) =>
      p(() =>
        all(
          `SELECT * FROM server_runs
           WHERE user_id IN (SELECT value FROM json_each(?)) AND ended_at IS NULL
           ORDER BY user_id, server_name`,
          JSON.stringify(userIds),
        ).map(toRun),
      ),
    // Ids grow with each beginRun, so id order is request order and a stable keyset.
    openRuns: (afterId, limit) =>
      p(() =>
        all(
          'SELECT * FROM server_runs WHERE ended_at IS NULL AND id > ? ORDER BY id LIMIT ?',
          afterId,
          limit,
        ).map(toRun),
      ),
    startDurations: (profile, limit) =>
      p(() =>
        all(
          `SELECT ready_at - requested_at AS ms FROM server_runs
           WHERE profile = ? AND ready_at IS NOT NULL ORDER BY ready_at DESC, id DESC LIMIT ?`,
          profile,
          limit,
        ).map((r) => Number(r['ms'])),
      ),
    // One user's runs (server_runs_server), those ready before now and not ended before since.
    hoursByProfile: (userId, since, now) =>
      p(
        () =>
          new Map(
            all(
              `SELECT profile,
                 sum(MAX(0, MIN(COALESCE(ended_at, ?3), ?3) - MAX(ready_at, ?2))) AS ms
               FROM server_runs
               WHERE user_id = ?1 AND ready_at < ?3 AND (ended_at IS NULL OR ended_at > ?2)
               GROUP BY profile ORDER BY profile`,
              userId,
              since.getTime(),
              now.getTime(),
            ).map((r) => [str(r['profile']), Number(r['ms']) / HOUR_MS] as const),
          ),
      ),
    // One process owns a SQLite file, so a lock in this process is a lock for the store.
    withUserLock: (userId, fn) => userLock(userId, fn),
    usage: (from, to, now) =>
      p(() =>
        usageRows(
          all(USAGE_SQL, BigInt(from.getTime()), BigInt(to.getTime()), BigInt(now.getTime())),
        ),
      ),

    createInvite: (i) =>
      p(() => {
        transaction(() => {
          run('DELETE FROM invites WHERE user_id = ?', i.userId);
          run(
            'INSERT INTO invites (hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
            i.hash,
            i.userId,
            i.createdAt.getTime(),
            i.expiresAt.getTime(),
          );
        });
      }),
    getInvite: (hash, now) =>
      p(() =>
        opt(
          one('SELECT * FROM invites WHERE hash = ? AND expires_at > ?', hash, now.getTime()),
          toInvite,
        ),
      ),
    takeInvite: (hash, now) =>
      p(() =>
        opt(
          one(
            'DELETE FROM invites WHERE hash = ? AND expires_at > ? RETURNING user_id',
            hash,
            now.getTime(),
          ),
          (r) => Number(r['user_id']),
        ),
      ),

    listGroups: (q) =>
      p(() => {
        const { where, args } = groupFilter(q);
        const rows = all(
          `WITH page AS (SELECT id, name FROM groups ${where} ORDER BY name LIMIT ? OFFSET ?)
           SELECT page.name AS name, u.name AS member FROM page
           LEFT JOIN group_members m ON m.group_id = page.id
           LEFT JOIN users u ON u.id = m.user_id
           ORDER BY page.name, u.name`,
          ...args,
          q.limit,
          q.offset,
        );
        const total = Number(must(one(`SELECT count(*) AS n FROM groups ${where}`, ...args))['n']);
        return {
          groups: groupRows(
            rows.map((r) => ({ name: str(r['name']), member: strOrNull(r['member']) })),
          ),
          total,
        };
      }),
    existingGroups: (names) =>
      p(() =>
        all(
          'SELECT name FROM groups WHERE name IN (SELECT value FROM json_each(?))',
          JSON.stringify(names),
        ).map((r) => str(r['name'])),
      ),
    createGroup: (name) =>
      p(() => void run('INSERT INTO groups (name) VALUES (?) ON CONFLICT (name) DO NOTHING', name)),
    setGroupMembers: (group, source, userIds) =>
      p(() => {
        transaction(() => {
          run('INSERT INTO groups (name) VALUES (?) ON CONFLICT (name) DO NOTHING', group);
          const id = Number(must(one('SELECT id FROM groups WHERE name = ?', group))['id']);
          run('DELETE FROM group_members WHERE group_id = ? AND source = ?', id, source);
          for (const userId of new Set(userIds)) {
            run(
              'INSERT INTO group_members (group_id, user_id, source) VALUES (?, ?, ?)',
              id,
              userId,
              source,
            );
          }
        });
      }),
    deleteGroup: (name) =>
      p(() => {
        transaction(() => {
          run('DELETE FROM profile_groups WHERE group_name = ?', name);
          run('DELETE FROM groups WHERE name = ?', name);
        });
      }),
    listProfileGroups: (profiles) =>
      p(() =>
        all(
          `SELECT profile, group_name FROM profile_groups
           WHERE profile IN (SELECT value FROM json_each(?)) ORDER BY profile, group_name`,
          JSON.stringify(profiles),
        ).map((r) => ({ profile: str(r['profile']), group: str(r['group_name']) })),
      ),
    profileAccess: (userId) =>
      p(() =>
        all(
          `SELECT r.profile AS profile, max(m.user_id IS NOT NULL) AS allowed
           FROM profile_groups r
           LEFT JOIN groups g ON g.name = r.group_name
           LEFT JOIN group_members m ON m.group_id = g.id AND m.user_id = ?
           GROUP BY r.profile ORDER BY r.profile`,
          userId,
        ).map((r) => ({ profile: str(r['profile']), allowed: Number(r['allowed']) === 1 })),
      ),
    setProfileGroups: (profile, groups) =>
      p(() => {
        transaction(() => {
          run('DELETE FROM profile_groups WHERE profile = ?', profile);
          for (const group of new Set(groups)) {
            run('INSERT INTO profile_groups (profile, group_name) VALUES (?, ?)', profile, group);
          }
        });
      }),

    migrations: () =>
      p(() =>
        all('SELECT version FROM schema_migrations ORDER BY version').map((r) =>
          Number(r['version']),
        ),
      ),
    close: () =>
      p(() => {
        db.close();
      }),
  };
}

/** Applies the versions of `list` not yet applied; `list` is for tests (older schemas). */
export function migrateSqlite(db: DatabaseSync, list: readonly Migration[] = migrations): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
  );
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((r) =>
      Number(r['version']),
    ),
  );
  for (const m of list) {
    if (applied.has(m.version)) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(migrationSql(m, 'sqlite'));
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
        m.version,
        Date.now(),
      );
      db.exec('COMMIT');
    } catch (e) {
      db.exec('ROLLBACK');
      throw e;
    }
  }
}

/** The WHERE clause of a GroupQuery, shared by its page and its count. */
function groupFilter(q: GroupQuery): { where: string; args: SQLInputValue[] } {
  if (q.namePrefix === undefined || q.namePrefix === '') return { where: '', args: [] };
  const { lower, upper } = prefixRange(q.namePrefix);
  return upper === undefined
    ? { where: 'WHERE name >= ?', args: [lower] }
    : { where: 'WHERE name >= ? AND name < ?', args: [lower, upper] };
}

/** The WHERE clause of a UserQuery, shared by its page and its count. */
function userFilter(q: UserQuery): { where: string; args: SQLInputValue[] } {
  const terms: string[] = [];
  const args: SQLInputValue[] = [];
  if (q.nameContains !== undefined && q.nameContains !== '') {
    terms.push("name LIKE ? ESCAPE '\\'");
    args.push(containsPattern(q.nameContains));
  }
  if (q.namePrefix !== undefined && q.namePrefix !== '') {
    const { lower, upper } = prefixRange(q.namePrefix);
    terms.push('name >= ?');
    args.push(lower);
    if (upper !== undefined) {
      terms.push('name < ?');
      args.push(upper);
    }
  }
  if (q.onlyNames !== undefined) {
    terms.push('name IN (SELECT value FROM json_each(?))');
    args.push(JSON.stringify(q.onlyNames));
  }
  if (q.exceptNames !== undefined && q.exceptNames.length > 0) {
    terms.push('name NOT IN (SELECT value FROM json_each(?))');
    args.push(JSON.stringify(q.exceptNames));
  }
  if (q.group !== undefined) {
    terms.push(
      'id IN (SELECT m.user_id FROM group_members m JOIN groups g ON g.id = m.group_id WHERE g.name = ?)',
    );
    args.push(q.group);
  }
  return { where: terms.length > 0 ? `WHERE ${terms.join(' AND ')}` : '', args };
}

/**
 * Usage per UTC day and profile, and per profile for the period, by the rules of
 * src/web/admin/usage.ts: a run counts from `ready_at` to `ended_at` (or ?3, now; never past
 * now, never before it became ready), clipped at midnights; a run of no length counts (0 hours)
 * on the day it is in. The runs read are those of the period only (three disjoint index
 * ranges: ended in or after it, still open, or ready in it though ended earlier: a clock that
 * went back; `+ready_at` keeps the first on server_runs_ended, the range that is the period's).
 * Each run then yields one row per day it touches, from the first to the last midnight of
 * the period it overlaps: its first day directly, later days by a recursive CTE over the
 * runs that have them (days ⋈ runs would compare every run with every day of the period:
 * 3x slower with 10,000 runs in 30 days, bench/scale/store-queries.ts). ?1 and ?2 are
 * midnights, bound as integers so `/` divides whole days.
 */
const USAGE_SQL = `
WITH RECURSIVE
periods AS (
  SELECT id, profile, ready_at, ended_at FROM server_runs WHERE ended_at >= ?1 AND +ready_at < ?2
  UNION ALL
  SELECT id, profile, ready_at, ended_at FROM server_runs WHERE ended_at IS NULL AND ready_at < ?2
  UNION ALL
  SELECT id, profile, ready_at, ended_at FROM server_runs
  WHERE ready_at >= ?1 AND ready_at < ?2 AND ended_at < ?1
),
runs AS (
  SELECT id, profile, ready_at AS r, MAX(ready_at, MIN(COALESCE(ended_at, ?3), ?3)) AS e
  FROM periods
),
spans AS MATERIALIZED (
  -- first: the midnight of the day r is in (or ?1); last: that of the day holding e's last
  -- moment, or r's day for a run of no length (or ?2's eve).
  SELECT id, profile, r, e,
    CASE WHEN r < ?1 THEN ?1 ELSE ?1 + (r - ?1) / ${DAY_MS} * ${DAY_MS} END AS first,
    MIN(?2 - ${DAY_MS}, CASE
      WHEN e > r AND e - 1 < ?1 THEN ?1 - ${DAY_MS}
      WHEN e > r THEN ?1 + (e - 1 - ?1) / ${DAY_MS} * ${DAY_MS}
      WHEN r < ?1 THEN ?1 - ${DAY_MS}
      ELSE ?1 + (r - ?1) / ${DAY_MS} * ${DAY_MS} END) AS last
  FROM runs
),
-- A run's later days, if any (most runs end on the day they began).
later(id, profile, r, e, d, last) AS (
  SELECT id, profile, r, e, first + ${DAY_MS}, last FROM spans WHERE first + ${DAY_MS} <= last
  UNION ALL
  SELECT id, profile, r, e, d + ${DAY_MS}, last FROM later WHERE d + ${DAY_MS} <= last
),
cells AS (
  SELECT id, profile, r, e, first AS d FROM spans WHERE first <= last
  UNION ALL
  SELECT id, profile, r, e, d FROM later
),
hours AS MATERIALIZED (SELECT d, id, profile, MIN(e, d + ${DAY_MS}) - MAX(r, d) AS ms FROM cells)
SELECT d AS day, profile, count(*) AS servers, sum(ms) AS ms FROM hours GROUP BY d, profile
UNION ALL
SELECT NULL, profile, count(DISTINCT id), sum(ms) FROM hours GROUP BY profile
ORDER BY day, profile`;

function usageRows(rows: Row[]): { days: UsageRow[]; totals: UsageRow[] } {
  const days: UsageRow[] = [];
  const totals: UsageRow[] = [];
  for (const r of rows) {
    const cell = {
      profile: str(r['profile']),
      servers: Number(r['servers']),
      hours: Number(r['ms']) / HOUR_MS,
    };
    if (r['day'] === null) totals.push(cell);
    else days.push({ day: new Date(Number(r['day'])), ...cell });
  }
  return { days, totals };
}

/** Runs a synchronous body as a promise, so errors reject instead of throwing. */
function p<T>(body: () => T): Promise<T> {
  try {
    return Promise.resolve(body());
  } catch (e) {
    return Promise.reject(asError(e));
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** `RETURNING *` always yields a row; undefined means the driver broke its contract. */
function must(row: Row | undefined): Row {
  if (row === undefined) throw new Error('INSERT … RETURNING gave no row');
  return row;
}

function opt<T>(row: Row | undefined, map: (r: Row) => T): T | undefined {
  return row === undefined ? undefined : map(row);
}
