/**
 * The store for several hub replicas: PostgreSQL through node-postgres with a connection pool.
 * Nearly every method is one statement, so concurrent replicas are kept consistent by the
 * database itself (unique names, `ON CONFLICT` upserts, `GREATEST` activity); those that are
 * not run in a transaction (`createServer` also locks the user's row, so the per-user limit
 * holds across replicas). Lists of names or ids are one array parameter (`= ANY($1)`).
 * Ordering uses the "C" collation so listings match SQLite's byte order whatever locale the
 * database was created with. An outage (refused connection, failover, server shutdown)
 * rejects with `unavailable`, never hangs: connecting gives up after `connectTimeoutMs`.
 */
import pg from 'pg';
import { GanymedeError } from '../errors/ganymede-error.ts';
import { isUniqueViolation, storeError } from './postgres-errors.ts';
import { migratePostgres } from './postgres-migrate.ts';
import { groupRows, groupsByUser } from './group-rows.ts';
import {
  ms,
  toInvite,
  toRun,
  toServer,
  toSession,
  toToken,
  toUser,
  type InviteRow,
  type RunRow,
  type ServerRow,
  type SessionRow,
  type TokenRow,
  type UserRow,
} from './postgres-rows.ts';
import type { GroupQuery, Store, UsageRow, UserQuery } from './types.ts';
import { DAY_MS, HOUR_MS, containsPattern, prefixRange } from './user-query.ts';
import { keyedLock } from './user-lock.ts';

export interface PostgresStoreOptions {
  /** Most connections this hub replica opens. Default 10 (node-postgres' default). */
  readonly maxConnections?: number;
  /** How long to wait for a new connection before failing with `unavailable`. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /**
   * How long one query may go unanswered before it fails with `unavailable` and its connection
   * is dropped (a server that stopped answering without closing: a hung host, a network
   * path gone). Default 15 s, so no request waits on the database for longer.
   */
  readonly queryTimeoutMs?: number;
  /**
   * Called when an idle pooled connection fails (the server restarted, a network cut).
   * The pool drops that connection and opens a new one on the next query, so this is only
   * for logging. Default: ignore.
   */
  readonly onIdleError?: (error: Error) => void;
}

/**
 * Connects to `url` (`postgres://user:password@host:port/database`, libpq-style parameters
 * such as `?sslmode=require` included), runs pending migrations, and returns the store.
 * Rejects with `unavailable` when the database cannot be reached or migrated.
 */
export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    query_timeout: options.queryTimeoutMs ?? 15_000,
    application_name: 'ganymede-hub',
  });
  // An 'error' event with no listener would crash the hub.
  pool.on('error', options.onIdleError ?? (() => undefined));
  try {
    await migratePostgres(pool);
  } catch (e) {
    await pool.end();
    throw new GanymedeError('unavailable', 'The database is not available.', {
      detail: `PostgreSQL at ${describe(url)}: ${e instanceof Error ? e.message : String(e)}`,
      cause: e,
    });
  }
  // Connections that hold a user's advisory lock while the locked work uses `pool`: apart, so
  // holders can never take every connection the work itself needs. Waiting is in this process
  // (no query timeout: a start waits its turn behind the same user's, bounded by the work; a
  // connect timeout, so a database that is down fails the request rather than holding it).
  const lockPool = new pg.Pool({
    connectionString: url,
    max: LOCK_CONNECTIONS,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: 'ganymede-hub-locks',
  });
  lockPool.on('error', options.onIdleError ?? (() => undefined));
  return postgresStore(pool, lockPool);
}

/** Users whose lock this replica can hold at once; more wait in this process. */
const LOCK_CONNECTIONS = 4;

function postgresStore(pool: pg.Pool, lockPool: pg.Pool): Store {
  const query = async <R extends pg.QueryResultRow>(sql: string, args: unknown[]) => {
    try {
      return await pool.query<R>(sql, args);
    } catch (e) {
      throw storeError(e);
    }
  };
  const rows = async <R extends pg.QueryResultRow>(sql: string, args: unknown[] = []) =>
    (await query<R>(sql, args)).rows;
  const first = async <R extends pg.QueryResultRow>(sql: string, args: unknown[] = []) =>
    (await rows<R>(sql, args))[0];
  const run = async (sql: string, args: unknown[]) => (await query(sql, args)).rowCount ?? 0;
  // INSERT … RETURNING yields exactly one row or throws.
  const inserted = async <R extends pg.QueryResultRow>(sql: string, args: unknown[]) => {
    const r = await first<R>(sql, args);
    if (r === undefined) throw new Error(`no row returned by: ${sql.slice(0, 40)}`);
    return r;
  };
  let closing: Promise<void> | undefined;
  /** Runs `body` in one transaction on one pooled connection. */
  const transaction = async <T>(body: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect().catch((e: unknown) => {
      throw storeError(e);
    });
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await body(client);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      broken = e as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw storeError(e);
    } finally {
      client.release(broken);
    }
  };
  // Uses the partial index server_runs_open.
  const endRunSql = `UPDATE server_runs SET ended_at = $1, outcome = $2, message = $5
    WHERE user_id = $3 AND server_name = $4 AND ended_at IS NULL`;

  const localLock = keyedLock();
  /**
   * A session-level advisory lock on a connection of its own (from `lockPool`), held while
   * `fn` runs: every replica on this database waits for it. Not a transaction around `fn`,
   * because `fn` uses the pool (and may wait on the backend) meanwhile. The key pairs a
   * constant for "user lock" with the user id (the two-int form of pg_advisory_lock).
   */
  const advisoryLock = async <T>(userId: number, fn: () => Promise<T>): Promise<T> => {
    const client = await lockPool.connect().catch((e: unknown) => {
      throw storeError(e);
    });
    try {
      await client.query('SELECT pg_advisory_lock($1, $2)', [USER_LOCK_CLASS, userId]);
    } catch (e) {
      client.release(e as Error);
      throw storeError(e);
    }
    let broken: Error | undefined;
    try {
      return await fn();
    } finally {
      await client
        .query('SELECT pg_advisory_unlock($1, $2)', [USER_LOCK_CLASS, userId])
        .catch((e: unknown) => {
          // Dropping the connection (release with an error) releases its session locks.
          broken = e as Error;
        });
      client.release(broken);
    }
  };

  return {
    async createUser(user) {
      try {
        const r = await inserted<UserRow>(
          'INSERT INTO users (name, admin, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING *',
          [user.name, user.admin, user.passwordHash, Date.now()],
        );
        return toUser(r);
      } catch (e) {
        if (isUniqueViolation(e, 'users')) {
          throw new GanymedeError('conflict', `A user named "${user.name}" already exists.`, {
            field: 'name',
            cause: e,
          });
        }
        throw e;
      }
    },
    getUser: async (name) =>
      opt(await first<UserRow>('SELECT * FROM users WHERE name = $1', [name]), toUser),
    getUserById: async (id) =>
      opt(await first<UserRow>('SELECT * FROM users WHERE id = $1', [id]), toUser),
    // Name order walks users_name_c, last activity users_last_activity; both stop after
    // offset + limit rows. The page and the count run at once on two pooled connections.
    listUsers: async (q) => {
      const { where, args } = userFilter(q);
      const order =
        q.sort === 'last_activity'
          ? 'last_activity DESC NULLS LAST, name COLLATE "C"'
          : 'name COLLATE "C"';
      const n = args.length;
      const [page, count] = await Promise.all([
        rows<UserRow>(
          `SELECT * FROM users ${where} ORDER BY ${order} LIMIT $${String(n + 1)} OFFSET $${String(n + 2)}`,
          [...args, q.limit, q.offset],
        ),
        first<{ n: Int8 }>(`SELECT count(*) AS n FROM users ${where}`, args),
      ]);
      return { users: page.map(toUser), total: Number(count?.n ?? 0) };
    },
    // A list of names or ids is one array parameter, however long.
    getUsersByName: async (names) =>
      (await rows<UserRow>('SELECT * FROM users WHERE name = ANY($1::text[])', [names])).map(
        toUser,
      ),
    lastActivityOf: async (userIds) =>
      new Map(
        (
          await rows<{ id: number; last_activity: Int8 }>(
            `SELECT id, last_activity FROM users
             WHERE id = ANY($1::int[]) AND last_activity IS NOT NULL`,
            [userIds],
          )
        ).map((r) => [r.id, new Date(Number(r.last_activity))]),
      ),
    setPasswordHash: async (id, hash) => {
      await run('UPDATE users SET password_hash = $1 WHERE id = $2', [hash, id]);
    },
    setAdmin: async (id, admin) => {
      await run('UPDATE users SET admin = $1 WHERE id = $2', [admin, id]);
    },
    deleteUser: async (id) => {
      await run('DELETE FROM users WHERE id = $1', [id]);
    },

    createSession: async (s) => {
      await run(
        'INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)',
        [s.idHash, s.userId, s.createdAt.getTime(), s.expiresAt.getTime()],
      );
    },
    getSession: async (idHash) =>
      opt(
        await first<SessionRow>('SELECT * FROM sessions WHERE id_hash = $1', [idHash]),
        toSession,
      ),
    deleteSession: async (idHash) => {
      await run('DELETE FROM sessions WHERE id_hash = $1', [idHash]);
    },
    deleteUserSessions: async (userId) => {
      await run('DELETE FROM sessions WHERE user_id = $1', [userId]);
    },
    deleteExpiredSessions: (now) =>
      run('DELETE FROM sessions WHERE expires_at <= $1', [now.getTime()]),

    createApiToken: async (t) =>
      toToken(
        await inserted<TokenRow>(
          `INSERT INTO api_tokens (user_id, hash, note, scopes, created_at, expires_at, server_name)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
          [
            t.userId,
            t.hash,
            t.note,
            JSON.stringify(t.scopes),
            t.createdAt.getTime(),
            ms(t.expiresAt),
            t.serverName ?? null,
          ],
        ),
      ),
    getApiTokenByHash: async (hash) =>
      opt(await first<TokenRow>('SELECT * FROM api_tokens WHERE hash = $1', [hash]), toToken),
    listApiTokens: async (userId) =>
      (
        await rows<TokenRow>('SELECT * FROM api_tokens WHERE user_id = $1 ORDER BY id', [userId])
      ).map(toToken),
    deleteApiToken: async (userId, id) =>
      (await run('DELETE FROM api_tokens WHERE user_id = $1 AND id = $2', [userId, id])) !== 0,
    touchApiToken: async (id, at) => {
      await run('UPDATE api_tokens SET last_used_at = $1 WHERE id = $2', [at.getTime(), id]);
    },
    deleteServerTokens: (userId, serverName) =>
      run('DELETE FROM api_tokens WHERE user_id = $1 AND server_name = $2', [userId, serverName]),

    // The user's row is the lock: every create for one user, on any replica, waits here for
    // the one before it to commit, and each statement of READ COMMITTED sees what committed
    // before it ran, so the count below includes every server created so far. FOR NO KEY
    // UPDATE rather than FOR UPDATE: it still excludes other creates, but not the key-share
    // locks that inserting the user's sessions or tokens takes meanwhile.
    createServer: (s, maxPerUser) =>
      transaction(async (client) => {
        await client.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [s.userId]);
        const r = (
          await client.query<{ named: Int8; same: Int8 }>(
            `SELECT count(*) FILTER (WHERE name <> '') AS named,
                    count(*) FILTER (WHERE name = $2) AS same
             FROM servers WHERE user_id = $1`,
            [s.userId, s.name],
          )
        ).rows[0];
        if (Number(r?.same ?? 0) > 0) return 'exists' as const;
        // The default server always counts as one, so it never needs room of its own.
        if (s.name !== '' && 1 + Number(r?.named ?? 0) >= maxPerUser) return 'full' as const;
        await client.query(
          'INSERT INTO servers (user_id, name, profile, created_at) VALUES ($1, $2, $3, $4)',
          [s.userId, s.name, s.profile, s.createdAt.getTime()],
        );
        return 'created' as const;
      }),
    setServerProfile: async (userId, name, profile) => {
      await run('UPDATE servers SET profile = $1 WHERE user_id = $2 AND name = $3', [
        profile,
        userId,
        name,
      ]);
    },
    getServer: async (userId, name) =>
      opt(
        await first<ServerRow>('SELECT * FROM servers WHERE user_id = $1 AND name = $2', [
          userId,
          name,
        ]),
        toServer,
      ),
    listServersOf: async (userIds) =>
      (
        await rows<ServerRow>(
          'SELECT * FROM servers WHERE user_id = ANY($1::int[]) ORDER BY user_id, name COLLATE "C"',
          [userIds],
        )
      ).map(toServer),
    // Each statement keeps the later time, so two replicas reporting at once cannot move it
    // back. The server's and the user's (users.last_activity, migration 4) are two
    // statements, not one transaction: holding both rows at once could deadlock with
    // createServer, which holds the user's row.
    recordActivity: async (userId, name, at) => {
      await run(
        `UPDATE servers SET last_activity = GREATEST(COALESCE(last_activity, 0), $1)
         WHERE user_id = $2 AND name = $3`,
        [at.getTime(), userId, name],
      );
      await run(
        'UPDATE users SET last_activity = GREATEST(COALESCE(last_activity, 0), $1) WHERE id = $2',
        [at.getTime(), userId],
      );
    },
    // One statement per table for the whole batch; the latest time per row wins.
    recordActivities: async (records) => {
      if (records.length === 0) return;
      const args = [
        records.map((r) => r.userId),
        records.map((r) => r.name),
        records.map((r) => r.at.getTime()),
      ];
      await transaction(async (client) => {
        await client.query(
          `UPDATE servers s SET last_activity = GREATEST(COALESCE(s.last_activity, 0), a.at)
           FROM (SELECT user_id, name, max(at) AS at
                 FROM unnest($1::int[], $2::text[], $3::bigint[]) AS t(user_id, name, at)
                 GROUP BY user_id, name) a
           WHERE s.user_id = a.user_id AND s.name = a.name`,
          args,
        );
        await client.query(
          `UPDATE users u SET last_activity = GREATEST(COALESCE(u.last_activity, 0), a.at)
           FROM (SELECT user_id, max(at) AS at
                 FROM unnest($1::int[], $2::bigint[]) AS t(user_id, at) GROUP BY user_id) a
           WHERE u.id = a.user_id`,
          [args[0], args[2]],
        );
      });
    },
    deleteServer: async (userId, name) => {
      await run('DELETE FROM servers WHERE user_id = $1 AND name = $2', [userId, name]);
    },

    // Several statements, so one transaction on one pooled connection: a concurrent reader
    // sees the old memberships or the new ones, never none. Each statement takes a fresh
    // snapshot (READ COMMITTED), so a group another replica created a moment ago is seen.
    setUserGroups: async (userId, source, groups) => {
      const client = await pool.connect().catch((e: unknown) => {
        throw storeError(e);
      });
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const names = [...new Set(groups)];
        await client.query(
          'INSERT INTO groups (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING',
          [names],
        );
        await client.query('DELETE FROM group_members WHERE user_id = $1 AND source = $2', [
          userId,
          source,
        ]);
        await client.query(
          `INSERT INTO group_members (group_id, user_id, source)
           SELECT id, $1, $2 FROM groups WHERE name = ANY($3::text[]) ON CONFLICT DO NOTHING`,
          [userId, source, names],
        );
        await client.query('COMMIT');
      } catch (e) {
        broken = e as Error;
        await client.query('ROLLBACK').catch(() => undefined);
        throw storeError(e);
      } finally {
        client.release(broken);
      }
    },
    listUserGroups: async (userId) =>
      (
        await rows<{ name: string }>(
          `SELECT g.name FROM groups g JOIN group_members m ON m.group_id = g.id
           WHERE m.user_id = $1 GROUP BY g.name ORDER BY g.name COLLATE "C"`,
          [userId],
        )
      ).map((r) => r.name),
    groupsOf: async (userIds) =>
      groupsByUser(
        (
          await rows<{ user_id: number; name: string }>(
            `SELECT DISTINCT m.user_id, g.name FROM groups g
             JOIN group_members m ON m.group_id = g.id
             WHERE m.user_id = ANY($1::int[])`,
            [userIds],
          )
        ).map((r) => ({ userId: r.user_id, name: r.name })),
      ),
    getUserByExternalIdentity: async (issuer, subject) =>
      opt(
        await first<UserRow>(
          `SELECT u.* FROM users u JOIN external_identities e ON e.user_id = u.id
           WHERE e.issuer = $1 AND e.subject = $2`,
          [issuer, subject],
        ),
        toUser,
      ),
    listExternalIdentities: async (userId) =>
      rows<{ issuer: string; subject: string }>(
        `SELECT issuer, subject FROM external_identities WHERE user_id = $1
         ORDER BY created_at, issuer COLLATE "C", subject COLLATE "C"`,
        [userId],
      ),
    linkExternalIdentity: async (issuer, subject, userId, at) => {
      try {
        await run(
          'INSERT INTO external_identities (issuer, subject, user_id, created_at) VALUES ($1, $2, $3, $4)',
          [issuer, subject, userId, at.getTime()],
        );
      } catch (e) {
        if (isUniqueViolation(e, 'external_identities')) {
          throw new GanymedeError('conflict', 'This identity is already linked to a user.', {
            detail: `${issuer} ${subject}`,
            cause: e,
          });
        }
        throw e;
      }
    },

    beginRun: (r) =>
      transaction(async (client) => {
        await client.query(endRunSql, [
          r.requestedAt.getTime(),
          'stopped',
          r.userId,
          r.serverName,
          null,
        ]);
        await client.query(
          'INSERT INTO server_runs (user_id, server_name, profile, requested_at) VALUES ($1, $2, $3, $4)',
          [r.userId, r.serverName, r.profile, r.requestedAt.getTime()],
        );
      }),
    markRunReady: async (userId, serverName, at) => {
      await run(
        `UPDATE server_runs SET ready_at = $1 WHERE user_id = $2 AND server_name = $3
         AND ended_at IS NULL AND ready_at IS NULL`,
        [at.getTime(), userId, serverName],
      );
    },
    endRun: async (userId, serverName, at, outcome, message = null) => {
      await run(endRunSql, [at.getTime(), outcome, userId, serverName, message]);
    },
    lastRun: async (userId, serverName) =>
      opt(
        await first<RunRow>(
          `SELECT * FROM server_runs WHERE user_id = $1 AND server_name = $2
           ORDER BY id DESC LIMIT 1`,
          [userId, serverName],
        ),
        toRun,
      ),
    openRunsOf: async (userIds) =>
      (
        await rows<RunRow>(
          `SELECT * FROM server_runs WHERE user_id = ANY($1::int[]) AND ended_at IS NULL
           ORDER BY user_id, server_name COLLATE "C"`,
          [userIds],
        )
      ).map(toRun),
    // Ids grow with each beginRun, so id order is request order and a stable keyset; the
    // partial index server_runs_open_id holds exactly these rows in this order.
    openRuns: async (afterId, limit) =>
      (
        await rows<RunRow>(
          'SELECT * FROM server_runs WHERE ended_at IS NULL AND id > $1 ORDER BY id LIMIT $2',
          [afterId, limit],
        )
      ).map(toRun),
    startDurations: async (profile, limit) =>
      (
        await rows<{ ms: Int8 }>(
          `SELECT ready_at - requested_at AS ms FROM server_runs
           WHERE profile = $1 AND ready_at IS NOT NULL ORDER BY ready_at DESC, id DESC LIMIT $2`,
          [profile, limit],
        )
      ).map((r) => Number(r.ms)),
    // One user's runs (server_runs_server), those ready before now and not ended before since.
    hoursByProfile: async (userId, since, now) =>
      new Map(
        (
          await rows<{ profile: string; ms: string }>(
            `SELECT profile,
               sum(GREATEST(0, LEAST(COALESCE(ended_at, $3::bigint), $3::bigint)
                 - GREATEST(ready_at, $2::bigint))) AS ms
             FROM server_runs
             WHERE user_id = $1 AND ready_at < $3::bigint
               AND (ended_at IS NULL OR ended_at > $2::bigint)
             GROUP BY profile ORDER BY profile COLLATE "C"`,
            [userId, since.getTime(), now.getTime()],
          )
        ).map((r) => [r.profile, Number(r.ms) / HOUR_MS] as const),
      ),
    // The same user's waiters queue in this process first, so they hold no lock connection.
    withUserLock: (userId, fn) => localLock(userId, () => advisoryLock(userId, fn)),
    usage: async (from, to, now) =>
      usageRows(await rows<UsageSqlRow>(USAGE_SQL, [from.getTime(), to.getTime(), now.getTime()])),

    createInvite: (i) =>
      transaction(async (client) => {
        await client.query('DELETE FROM invites WHERE user_id = $1', [i.userId]);
        await client.query(
          'INSERT INTO invites (hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)',
          [i.hash, i.userId, i.createdAt.getTime(), i.expiresAt.getTime()],
        );
      }),
    getInvite: async (hash, now) =>
      opt(
        await first<InviteRow>('SELECT * FROM invites WHERE hash = $1 AND expires_at > $2', [
          hash,
          now.getTime(),
        ]),
        toInvite,
      ),
    takeInvite: async (hash, now) =>
      (
        await first<{ user_id: number }>(
          'DELETE FROM invites WHERE hash = $1 AND expires_at > $2 RETURNING user_id',
          [hash, now.getTime()],
        )
      )?.user_id,

    listGroups: async (q) => {
      const { where, args } = groupFilter(q);
      const n = args.length;
      const [page, count] = await Promise.all([
        rows<{ name: string; member: string | null }>(
          `WITH page AS (SELECT id, name FROM groups ${where}
             ORDER BY name COLLATE "C" LIMIT $${String(n + 1)} OFFSET $${String(n + 2)})
           SELECT page.name AS name, u.name AS member FROM page
           LEFT JOIN group_members m ON m.group_id = page.id
           LEFT JOIN users u ON u.id = m.user_id
           ORDER BY page.name COLLATE "C", u.name COLLATE "C"`,
          [...args, q.limit, q.offset],
        ),
        first<{ n: string }>(`SELECT count(*) AS n FROM groups ${where}`, args),
      ]);
      return { groups: groupRows(page), total: Number(count?.n ?? 0) };
    },
    existingGroups: async (names) =>
      (
        await rows<{ name: string }>('SELECT name FROM groups WHERE name = ANY($1::text[])', [
          [...names],
        ])
      ).map((r) => r.name),
    createGroup: async (name) => {
      await run('INSERT INTO groups (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [name]);
    },
    setGroupMembers: (group, source, userIds) =>
      transaction(async (client) => {
        await client.query('INSERT INTO groups (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [
          group,
        ]);
        await client.query(
          `DELETE FROM group_members WHERE source = $2
           AND group_id = (SELECT id FROM groups WHERE name = $1)`,
          [group, source],
        );
        await client.query(
          `INSERT INTO group_members (group_id, user_id, source)
           SELECT g.id, u, $2 FROM groups g, unnest($3::int[]) AS u WHERE g.name = $1`,
          [group, source, [...new Set(userIds)]],
        );
      }),
    deleteGroup: (name) =>
      transaction(async (client) => {
        await client.query('DELETE FROM profile_groups WHERE group_name = $1', [name]);
        await client.query('DELETE FROM groups WHERE name = $1', [name]);
      }),
    listProfileGroups: async (profiles) =>
      (
        await rows<{ profile: string; group_name: string }>(
          `SELECT profile, group_name FROM profile_groups WHERE profile = ANY($1::text[])
           ORDER BY profile COLLATE "C", group_name COLLATE "C"`,
          [[...profiles]],
        )
      ).map((r) => ({ profile: r.profile, group: r.group_name })),
    profileAccess: async (userId) =>
      (
        await rows<{ profile: string; allowed: boolean }>(
          `SELECT r.profile AS profile, bool_or(m.user_id IS NOT NULL) AS allowed
           FROM profile_groups r
           LEFT JOIN groups g ON g.name = r.group_name
           LEFT JOIN group_members m ON m.group_id = g.id AND m.user_id = $1
           GROUP BY r.profile ORDER BY r.profile COLLATE "C"`,
          [userId],
        )
      ).map((r) => ({ profile: r.profile, allowed: r.allowed })),
    setProfileGroups: (profile, groups) =>
      transaction(async (client) => {
        await client.query('DELETE FROM profile_groups WHERE profile = $1', [profile]);
        await client.query(
          'INSERT INTO profile_groups (profile, group_name) SELECT $1, unnest($2::text[])',
          [profile, [...new Set(groups)]],
        );
      }),

    migrations: async () =>
      (
        await rows<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')
      ).map((r) => r.version),
    // pg's Pool.end() rejects when called twice; closing is idempotent here.
    close: () => (closing ??= Promise.all([pool.end(), lockPool.end()]).then(() => undefined)),
  };
}

type Int8 = string;

/** The WHERE clause of a GroupQuery (parameters $1…), shared by its page and its count. */
function groupFilter(q: GroupQuery): { where: string; args: unknown[] } {
  if (q.namePrefix === undefined || q.namePrefix === '') return { where: '', args: [] };
  // Byte order, like SQLite (and the page's ORDER BY).
  const { lower, upper } = prefixRange(q.namePrefix);
  return upper === undefined
    ? { where: 'WHERE name COLLATE "C" >= $1', args: [lower] }
    : { where: 'WHERE name COLLATE "C" >= $1 AND name COLLATE "C" < $2', args: [lower, upper] };
}

/** The WHERE clause of a UserQuery (parameters $1…), shared by its page and its count. */
function userFilter(q: UserQuery): { where: string; args: unknown[] } {
  const terms: string[] = [];
  const args: unknown[] = [];
  const arg = (v: unknown) => `$${String(args.push(v))}`;
  if (q.nameContains !== undefined && q.nameContains !== '') {
    // lower() in the "C" collation folds ASCII only, exactly as SQLite's LIKE does, and is 3x
    // faster than ILIKE on 10,000 names (bench/scale/store-queries.ts).
    terms.push(`lower(name COLLATE "C") LIKE ${arg(containsPattern(q.nameContains))} ESCAPE '\\'`);
  }
  if (q.namePrefix !== undefined && q.namePrefix !== '') {
    // Byte order, like SQLite: a range on users_name_c.
    const { lower, upper } = prefixRange(q.namePrefix);
    terms.push(`name COLLATE "C" >= ${arg(lower)}`);
    if (upper !== undefined) terms.push(`name COLLATE "C" < ${arg(upper)}`);
  }
  if (q.onlyNames !== undefined) terms.push(`name = ANY(${arg(q.onlyNames)}::text[])`);
  if (q.exceptNames !== undefined && q.exceptNames.length > 0) {
    // A hashed subplan: one probe per user, not one comparison per (user, name) pair.
    terms.push(`name NOT IN (SELECT unnest(${arg(q.exceptNames)}::text[]))`);
  }
  if (q.group !== undefined) {
    terms.push(
      `id IN (SELECT m.user_id FROM group_members m JOIN groups g ON g.id = m.group_id WHERE g.name = ${arg(q.group)})`,
    );
  }
  return { where: terms.length > 0 ? `WHERE ${terms.join(' AND ')}` : '', args };
}

/** First half of the advisory lock key of `withUserLock` ("gu" for Ganymede user). */
const USER_LOCK_CLASS = 0x6775;

/**
 * Usage per UTC day and profile, and per profile for the period, by the rules of
 * src/web/admin/usage.ts (see the SQLite store's USAGE_SQL, which this mirrors): runs of the
 * period only (three disjoint index ranges), one row per day each touches by a recursive CTE.
 */
const USAGE_SQL = `
WITH RECURSIVE
periods AS (
  SELECT id, profile, ready_at, ended_at FROM server_runs
  WHERE ended_at >= $1::bigint AND ready_at < $2::bigint
  UNION ALL
  SELECT id, profile, ready_at, ended_at FROM server_runs
  WHERE ended_at IS NULL AND ready_at < $2::bigint
  UNION ALL
  SELECT id, profile, ready_at, ended_at FROM server_runs
  WHERE ready_at >= $1::bigint AND ready_at < $2::bigint AND ended_at < $1::bigint
),
runs AS (
  SELECT id, profile, ready_at AS r,
         GREATEST(ready_at, LEAST(COALESCE(ended_at, $3::bigint), $3::bigint)) AS e
  FROM periods
),
spans AS (
  SELECT id, profile, r, e,
    CASE WHEN r < $1::bigint THEN $1::bigint
         ELSE $1::bigint + (r - $1::bigint) / ${String(DAY_MS)} * ${String(DAY_MS)} END AS first,
    LEAST($2::bigint - ${String(DAY_MS)}, CASE
      WHEN e > r AND e - 1 < $1::bigint THEN $1::bigint - ${String(DAY_MS)}
      WHEN e > r THEN $1::bigint + (e - 1 - $1::bigint) / ${String(DAY_MS)} * ${String(DAY_MS)}
      WHEN r < $1::bigint THEN $1::bigint - ${String(DAY_MS)}
      ELSE $1::bigint + (r - $1::bigint) / ${String(DAY_MS)} * ${String(DAY_MS)} END) AS last
  FROM runs
),
later(id, profile, r, e, d, last) AS (
  SELECT id, profile, r, e, first + ${String(DAY_MS)}, last FROM spans
  WHERE first + ${String(DAY_MS)} <= last
  UNION ALL
  SELECT id, profile, r, e, d + ${String(DAY_MS)}, last FROM later
  WHERE d + ${String(DAY_MS)} <= last
),
cells AS (
  SELECT id, profile, r, e, first AS d FROM spans WHERE first <= last
  UNION ALL
  SELECT id, profile, r, e, d FROM later
),
hours AS (
  SELECT d, id, profile, LEAST(e, d + ${String(DAY_MS)}) - GREATEST(r, d) AS ms FROM cells
)
SELECT * FROM (
  SELECT d AS day, profile, count(*) AS servers, sum(ms) AS ms FROM hours GROUP BY d, profile
  UNION ALL
  SELECT NULL, profile, count(DISTINCT id), sum(ms) FROM hours GROUP BY profile
) AS usage
ORDER BY day NULLS FIRST, profile COLLATE "C"`;

interface UsageSqlRow {
  day: Int8 | null;
  profile: string;
  servers: Int8;
  /** sum(bigint) is numeric, which pg returns as a string. */
  ms: string;
}

function usageRows(rows: readonly UsageSqlRow[]): { days: UsageRow[]; totals: UsageRow[] } {
  const days: UsageRow[] = [];
  const totals: UsageRow[] = [];
  for (const r of rows) {
    const cell = { profile: r.profile, servers: Number(r.servers), hours: Number(r.ms) / HOUR_MS };
    if (r.day === null) totals.push(cell);
    else days.push({ day: new Date(Number(r.day)), ...cell });
  }
  return { days, totals };
}

function opt<R, T>(row: R | undefined, map: (r: R) => T): T | undefined {
  return row === undefined ? undefined : map(row);
}

/** Host, port and database for the operator's log, never the password. */
function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}
