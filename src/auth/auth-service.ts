/**
 * Sign-in, sessions and API tokens: everything that decides who a request is.
 *
 * - Unknown user and wrong password take the same time (a dummy argon2 verification) and
 *   give the same message, so sign-in does not reveal which names exist.
 * - Failed sign-ins are limited per user name and per client address.
 * - Sessions live server-side; the cookie holds a random id, the store its hash. Signing out
 *   deletes the row. A short in-memory cache (`cacheMs`) spares the store on proxied requests;
 *   signing out on this replica evicts at once, another replica sees it within `cacheMs`.
 */
import { createHash } from 'node:crypto';
import { GanymedeError, isGanymedeError } from '../errors/ganymede-error.ts';
import { parseUserName } from '../names/user-names.ts';
import type { Store, User } from '../store/types.ts';
import { dummyHash, generatePassword, hashPassword, verifyPassword } from './passwords.ts';
import { FailureLimiter } from './rate-limit.ts';
import { hashSecret, newSecret } from './secrets.ts';

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

  function remember(key: string, identity: Identity | undefined): Identity | undefined {
    if (cache.size > 10_000) cache.clear(); // bounded: a flood of bogus cookies cannot grow it
    cache.set(key, { identity, until: now() + cacheMs });
    return identity;
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
      await store.deleteSession(hash);
    },

    async fromSession(sessionId: string | undefined): Promise<Identity | undefined> {
      if (!sessionId || sessionId.length > 100) return undefined;
      const hash = hashSecret(sessionId);
      const hit = cache.get(`s:${hash}`);
      if (hit && hit.until > now()) return hit.identity;
      const session = await store.getSession(hash);
      if (!session || session.expiresAt.getTime() <= now()) return remember(`s:${hash}`, undefined);
      const user = await store.getUserById(session.userId);
      return remember(`s:${hash}`, user ? identityOf(user, hash) : undefined);
    },

    async fromToken(token: string | undefined): Promise<Identity | undefined> {
      if (!token || token.length > 200) return undefined;
      const hash = hashSecret(token);
      const hit = cache.get(`t:${hash}`);
      if (hit && hit.until > now()) return hit.identity;
      const record = await store.getApiTokenByHash(hash);
      if (!record || (record.expiresAt && record.expiresAt.getTime() <= now())) {
        return remember(`t:${hash}`, undefined);
      }
      const user = await store.getUserById(record.userId);
      await store.touchApiToken(record.id, new Date(now()));
      const identity = user
        ? { ...identityOf(user), token: { id: record.id, scopes: record.scopes } }
        : undefined;
      return remember(`t:${hash}`, identity);
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
    },
  };
}
