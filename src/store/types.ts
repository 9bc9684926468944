/**
 * The hub's persistent state, behind one async interface so SQLite (default, one replica) and
 * PostgreSQL (several replicas) are interchangeable without touching callers.
 * Secrets are never stored in the clear: sessions and API tokens are stored as SHA-256
 * hashes of high-entropy random values; passwords as argon2id PHC strings.
 */
export interface User {
  readonly id: number;
  /** Normalised name (src/names/user-names.ts). */
  readonly name: string;
  readonly admin: boolean;
  readonly passwordHash: string | null;
  readonly createdAt: Date;
}

export interface Session {
  readonly idHash: string;
  readonly userId: number;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

export interface ApiToken {
  readonly id: number;
  readonly userId: number;
  readonly hash: string;
  readonly note: string;
  readonly scopes: readonly string[];
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly lastUsedAt: Date | null;
}

export interface ServerRecord {
  readonly userId: number;
  /** '' is the default server. */
  readonly name: string;
  readonly profile: string;
  readonly state: 'stopped' | 'starting' | 'running' | 'stopping' | 'failed';
  readonly message: string | null;
  readonly startedAt: Date | null;
  readonly stoppedAt: Date | null;
  readonly lastActivity: Date | null;
}

/** An account at an OpenID Connect provider: `iss` and `sub` (OIDC Core 1.0 §5.7). */
export interface ExternalIdentity {
  readonly issuer: string;
  readonly subject: string;
}

/** Where a group membership came from; see `Store.setUserGroups`. */
export type GroupSource = 'local' | 'oidc';

export interface NewUser {
  readonly name: string;
  readonly admin: boolean;
  readonly passwordHash: string | null;
}

export interface Store {
  createUser(user: NewUser): Promise<User>;
  getUser(name: string): Promise<User | undefined>;
  getUserById(id: number): Promise<User | undefined>;
  listUsers(): Promise<User[]>;
  setPasswordHash(userId: number, hash: string): Promise<void>;
  setAdmin(userId: number, admin: boolean): Promise<void>;
  deleteUser(userId: number): Promise<void>;

  createSession(session: Session): Promise<void>;
  getSession(idHash: string): Promise<Session | undefined>;
  deleteSession(idHash: string): Promise<void>;
  deleteUserSessions(userId: number): Promise<void>;
  deleteExpiredSessions(now: Date): Promise<number>;

  createApiToken(token: Omit<ApiToken, 'id' | 'lastUsedAt'>): Promise<ApiToken>;
  getApiTokenByHash(hash: string): Promise<ApiToken | undefined>;
  listApiTokens(userId: number): Promise<ApiToken[]>;
  deleteApiToken(userId: number, id: number): Promise<boolean>;
  touchApiToken(id: number, at: Date): Promise<void>;

  /** Creates or updates the (user, name) server row. */
  upsertServer(server: ServerRecord): Promise<void>;
  getServer(userId: number, name: string): Promise<ServerRecord | undefined>;
  listServers(): Promise<ServerRecord[]>;
  /** Keeps the latest of the stored and the given time. */
  recordActivity(userId: number, name: string, at: Date): Promise<void>;
  deleteServer(userId: number, name: string): Promise<void>;

  /**
   * Replaces the user's memberships that came from `source` ('oidc': the identity provider's
   * groups claim at each sign-in; 'local': set by an administrator) with `groups`, creating
   * groups that do not exist yet. Memberships from other sources are left alone.
   */
  setUserGroups(userId: number, source: GroupSource, groups: readonly string[]): Promise<void>;
  /** The names of the groups the user belongs to from any source, sorted, without duplicates. */
  listUserGroups(userId: number): Promise<string[]>;

  /** The user an external identity (OIDC `iss` + `sub`) is linked to. */
  getUserByExternalIdentity(issuer: string, subject: string): Promise<User | undefined>;
  /** The external identities linked to the user, oldest first. */
  listExternalIdentities(userId: number): Promise<ExternalIdentity[]>;
  /** Links (issuer, subject) to the user; a second link of the same pair is a `conflict`. */
  linkExternalIdentity(issuer: string, subject: string, userId: number, at: Date): Promise<void>;

  /** Applied migration versions, in order (for tests and `ganymede status`). */
  migrations(): Promise<number[]>;
  close(): Promise<void>;
}
