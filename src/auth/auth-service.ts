/**
 * Sign-in, sessions and API tokens: everything that decides who a request is.
 *
 * - Unknown user and wrong password take the same time (a dummy argon2 verification) and
 *   give the same message, so sign-in does not reveal which names exist.
 * - Failed sign-ins are limited per user name and per client address.
 * - `type: 'dummy'` (load tests and demos, as JupyterHub's DummyAuthenticator): any valid user
 *   name signs in with any password (or the one shared `dummy.password`), its account made on
 *   first sign-in. An account that has a password of its own (the first admin, an invited
 *   person) still needs it, so a demo hub does not hand its admin account to anyone who types
 *   "admin". The config refuses it off loopback unless `auth.allowInsecure` (src/config).
 * - Sessions live server-side; the cookie holds a random id, the store its hash. Signing out
 *   deletes the row. A short in-memory cache (`cacheMs`) spares the store on proxied requests;
 *   signing out on this replica evicts at once, another replica sees it within `cacheMs`.
 * - While the store does not answer (a database outage: `unavailable`), a session or token
 *   this replica found valid in the last `OUTAGE_GRACE_MS` still identifies its owner, so open
 *   notebooks keep working through the proxy (docs/security.md, "When the database is down").
 *   Only then: while the store answers it decides, so a revoked credential is refused within
 *   `cacheMs`. Bounded to the `MAX_REMEMBERED` most recently used credentials.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { GanymedeError, isGanymedeError } from '../errors/ganymede-error.ts';
import { parseUserName } from '../names/user-names.ts';
import type { Store, User } from '../store/types.ts';
import { dummyHash, generatePassword, hashPassword, verifyPassword } from './passwords.ts';
import { FailureLimiter } from './rate-limit.ts';
import { hashSecret, newSecret } from './secrets.ts';

/** How long a credential last seen valid keeps working while the store does not answer. */
export const OUTAGE_GRACE_MS = 5 * 60_000;
/** Credentials remembered for an outage (the most recently used; about 200 bytes each). */
export const MAX_REMEMBERED = 10_000;

function isOutage(e: unknown): boolean {
  return isGanymedeError(e) && e.code === 'unavailable';
}

export interface Identity {
  readonly user: string;
  readonly userId: number;
  readonly admin: boolean;
  /** The session id hash, when the identity came from a session cookie. */
  readonly session?: string;
  /**
   * The API token, when the identity came from one: its id and the scopes it was issued with
   * (not yet intersected with the owner's rights; src/api/scopes.ts does that at use time).
   */
  readonly token?: { readonly id: number; readonly scopes: readonly string[] };
}

export interface NewTokenOptions {
  /** JupyterHub scope names; default `['inherit']` (everything the owner may do, at use time). */
  readonly scopes?: readonly string[];
  readonly expiresAt?: Date | null;
}

export interface AuthOptions {
  readonly store: Store;
  readonly sessionHours: number;
  readonly maxFailuresPerUser: number;
  readonly maxFailuresPerAddress: number;
  readonly windowMinutes: number;
  readonly cacheMs?: number;
  readonly now?: () => number;
  /** `dummy`: the sign-in for load tests and demos (see above). Default `local`. */
  readonly type?: 'local' | 'dummy';
  readonly dummy?: { readonly password?: string | undefined } | undefined;
}

/** Equal strings in a time that does not depend on where they differ. */
function sameSecret(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

export type AuthService = ReturnType<typeof createAuthService>;

function xsrfOfSessionHash(sessionHash: string): string {
  return createHash('sha256').update(`xsrf:${sessionHash}`).digest('base64url');
}

export function createAuthService(options: AuthOptions) {
  const { store } = options;
  const now = options.now ?? Date.now;
  const cacheMs = options.cacheMs ?? 2000;
  const windowMs = options.windowMinutes * 60_000;
  const perUser = new FailureLimiter({ max: options.maxFailuresPerUser, windowMs, now });
  const perAddress = new FailureLimiter({ max: options.maxFailuresPerAddress, windowMs, now });
  const cache = new Map<string, { identity: Identity | undefined; until: number }>();

  const identityOf = (user: User, session?: string): Identity => ({
    user: user.name,
    userId: user.id,
    admin: user.admin,
    ...(session ? { session } : {}),
  });

  /** Last answer the store gave for each credential that was valid, for an outage (above). */
  const lastGood = new Map<string, { identity: Identity; at: number; expiresAt: number }>();

  function remember(
    key: string,
    identity: Identity | undefined,
    expiresAt = Number.POSITIVE_INFINITY,
  ): Identity | undefined {
    if (cache.size > 10_000) cache.clear(); // bounded: a flood of bogus cookies cannot grow it
    cache.set(key, { identity, until: now() + cacheMs });
    lastGood.delete(key); // re-inserted last: the Map's order is least recently confirmed first
    if (identity) {
      lastGood.set(key, { identity, at: now(), expiresAt });
      if (lastGood.size > MAX_REMEMBERED) {
        const oldest = lastGood.keys().next();
        if (oldest.done !== true) lastGood.delete(oldest.value);
      }
    }
    return identity;
  }

  /** The store did not answer: the credential's last known identity, if recent, else `e`. */
  function duringOutage(key: string, e: unknown): Identity {
    const good = isOutage(e) ? lastGood.get(key) : undefined;
    if (good && now() - good.at <= OUTAGE_GRACE_MS && now() < good.expiresAt) return good.identity;
    throw e;
  }

  async function createUser(rawName: unknown, password: string | null, admin: boolean) {
    const name = parseUserName(rawName);
    if (password !== null && password.length < 8) {
      throw new GanymedeError('bad_request', 'Passwords are at least 8 characters.', {
        field: 'password',
      });
    }
    return store.createUser({
      name,
      admin,
      passwordHash: password === null ? null : await hashPassword(password),
    });
  }

  /** A new random session id for the cookie; the store keeps only its hash. */
  async function openSession(user: User): Promise<{ sessionId: string; user: Identity }> {
    const sessionId = newSecret();
    const created = new Date(now());
    await store.createSession({
      idHash: hashSecret(sessionId),
      userId: user.id,
      createdAt: created,
      expiresAt: new Date(created.getTime() + options.sessionHours * 3_600_000),
    });
    return { sessionId, user: identityOf(user, hashSecret(sessionId)) };
  }

  function refuse(keys: { userKey: string; addressKey: string }, message: string): never {
    perUser.fail(keys.userKey);
    perAddress.fail(keys.addressKey);
    throw new GanymedeError('unauthorized', message);
  }

  /** The dummy authenticator's sign-in: the name rule, the shared password, an own password. */
  async function dummyLogin(
    name: string | undefined,
    rawName: unknown,
    password: unknown,
    keys: { userKey: string; addressKey: string },
  ) {
    if (name === undefined) {
      let rule = 'Enter a user name.';
      try {
        parseUserName(rawName, 'username');
      } catch (e) {
        if (isGanymedeError(e)) rule = e.userMessage;
      }
      refuse(keys, rule);
    }
    if (typeof password !== 'string' || password.length > 1024) {
      refuse(keys, 'Wrong user name or password.');
    }
    const shared = options.dummy?.password;
    if (shared !== undefined && !sameSecret(password, shared)) {
      refuse(keys, 'Wrong user name or password.');
    }
    let user = await store.getUser(name);
    const own = user?.passwordHash ?? null;
    if (own !== null && !(await verifyPassword(password, own))) {
      refuse(keys, 'Wrong user name or password.');
    }
    if (!user) {
      try {
        user = await store.createUser({ name, admin: false, passwordHash: null });
      } catch (e) {
        // Two first sign-ins of one name at once: the other made the account.
        if (!isGanymedeError(e) || e.code !== 'conflict') throw e;
        user = await store.getUser(name);
        if (!user) throw e;
      }
    }
    perUser.reset(keys.userKey);
    return openSession(user);
  }

  return {
    createUser,

    /** First run: creates the admin account; returns its password to print once. */
    async ensureAdmin(
      adminName: string,
      envPassword: string | undefined,
    ): Promise<{ created: boolean; password?: string }> {
      const name = parseUserName(adminName, 'auth.adminUser');
      if (await store.getUser(name)) return { created: false };
      const password = envPassword ?? generatePassword();
      try {
        await createUser(name, password, true);
      } catch (e) {
        // Two replicas starting on an empty database race here: the loser's account exists.
        if (isGanymedeError(e) && e.code === 'conflict') return { created: false };
        throw e;
      }
      return envPassword ? { created: true } : { created: true, password };
    },

    async login(rawName: unknown, password: unknown, address: string) {
      const addressKey = `addr:${address}`;
      let name: string | undefined;
      try {
        name = parseUserName(rawName, 'username');
      } catch {
        name = undefined;
      }
      const userKey = `user:${name ?? ''}`;
      const wait = Math.max(perUser.retryAfterMs(userKey), perAddress.retryAfterMs(addressKey));
      if (wait > 0) {
        throw new GanymedeError(
          'too_many_requests',
          `Too many failed sign-ins. Try again in ${Math.ceil(wait / 60_000)} minute(s).`,
        );
      }
      if (options.type === 'dummy') {
        return dummyLogin(name, rawName, password, { userKey, addressKey });
      }
      const user = name === undefined ? undefined : await store.getUser(name);
      const ok =
        typeof password === 'string' &&
        password.length <= 1024 &&
        (await verifyPassword(password, user?.passwordHash ?? (await dummyHash())));
      if (!user || !ok || user.passwordHash === null) {
        perUser.fail(userKey);
        perAddress.fail(addressKey);
        throw new GanymedeError('unauthorized', 'Wrong user name or password.');
      }
      perUser.reset(userKey);
      return openSession(user);
    },

    /**
     * Opens a session for a user another mechanism has already authenticated (OpenID Connect):
     * the same session rows, cookie value and lifetime as a password sign-in.
     */
    openSession,

    async logout(sessionId: string): Promise<void> {
      const hash = hashSecret(sessionId);
      cache.delete(`s:${hash}`);
      lastGood.delete(`s:${hash}`);
      await store.deleteSession(hash);
    },

    async fromSession(sessionId: string | undefined): Promise<Identity | undefined> {
      if (!sessionId || sessionId.length > 100) return undefined;
      const hash = hashSecret(sessionId);
      const key = `s:${hash}`;
      const hit = cache.get(key);
      if (hit && hit.until > now()) return hit.identity;
      try {
        const session = await store.getSession(hash);
        if (!session || session.expiresAt.getTime() <= now()) return remember(key, undefined);
        const user = await store.getUserById(session.userId);
        return remember(
          key,
          user ? identityOf(user, hash) : undefined,
          session.expiresAt.getTime(),
        );
      } catch (e) {
        return duringOutage(key, e);
      }
    },

    async fromToken(token: string | undefined): Promise<Identity | undefined> {
      if (!token || token.length > 200) return undefined;
      const hash = hashSecret(token);
      const key = `t:${hash}`;
      const hit = cache.get(key);
      if (hit && hit.until > now()) return hit.identity;
      try {
        const record = await store.getApiTokenByHash(hash);
        if (!record || (record.expiresAt && record.expiresAt.getTime() <= now())) {
          return remember(key, undefined);
        }
        const user = await store.getUserById(record.userId);
        await store.touchApiToken(record.id, new Date(now()));
        const identity = user
          ? { ...identityOf(user), token: { id: record.id, scopes: record.scopes } }
          : undefined;
        return remember(key, identity, record.expiresAt?.getTime());
      } catch (e) {
        return duringOutage(key, e);
      }
    },

    async createToken(userId: number, note: string, options: NewTokenOptions = {}) {
      const token = newSecret();
      const record = await store.createApiToken({
        userId,
        hash: hashSecret(token),
        note,
        scopes: options.scopes ?? ['inherit'],
        createdAt: new Date(now()),
        expiresAt: options.expiresAt ?? null,
      });
      return { token, record };
    },

    /**
     * A new token for one of the user's servers (its `JUPYTERHUB_API_TOKEN`), with the scopes
     * of JupyterHub's `server` role resolved for that server (src/api/scopes.ts). It is revoked
     * with `revokeServerTokens` when the server stops; JupyterHub's note names the server.
     */
    async createServerToken(
      userId: number,
      serverName: string,
      note: string,
      scopes: readonly string[],
    ): Promise<string> {
      const token = newSecret();
      await store.createApiToken({
        userId,
        hash: hashSecret(token),
        note,
        scopes,
        createdAt: new Date(now()),
        expiresAt: null,
        serverName,
      });
      return token;
    },

    /** Revokes every token issued to this server of the user; how many there were. */
    async revokeServerTokens(userId: number, serverName: string): Promise<number> {
      const count = await store.deleteServerTokens(userId, serverName);
      // This replica forgets them at once (the cache is keyed by hashes we no longer have);
      // other replicas within `cacheMs`, as for a signed-out session.
      if (count > 0) {
        cache.clear();
        lastGood.clear();
      }
      return count;
    },

    /**
     * A session's XSRF token: the hidden `_xsrf` field of the hub's own forms and the value of
     * the hub's `_xsrf` cookie while signed in (src/security/xsrf.ts).
     */
    xsrfToken(identity: Identity): string {
      return xsrfOfSessionHash(identity.session ?? '');
    },

    /** The same token for a session just opened, from the id its cookie carries. */
    xsrfTokenOfSessionId(sessionId: string): string {
      return xsrfOfSessionHash(hashSecret(sessionId));
    },

    forget(): void {
      cache.clear();
      lastGood.clear();
    },
  };
}
