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

/** How a run of a server ended. */
export type RunOutcome = 'stopped' | 'failed' | 'cancelled';

/**
 * One start of a server, from the request to its end: `requestedAt` → `readyAt` is how long
 * the start took, `readyAt` → `endedAt` how long it ran. At most one run per (user, server)
 * is open (`endedAt` null).
 */
export interface ServerRun {
  readonly id: number;
  readonly userId: number;
  readonly serverName: string;
  readonly profile: string;
  readonly requestedAt: Date;
  readonly readyAt: Date | null;
  readonly endedAt: Date | null;
  readonly outcome: RunOutcome | null;
}

/** A one-time link that lets a person set their password (invitation or reset). */
export interface Invite {
  /** SHA-256 of the link's secret; the secret itself is never stored. */
  readonly hash: string;
  readonly userId: number;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

export interface GroupWithMembers {
  readonly name: string;
  /** User names, sorted, without duplicates (any membership source). */
  readonly members: readonly string[];
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

  /**
   * Opens a run for a start that was just requested. A run of the same server still open
   * (a start the hub never saw end) is ended first as 'stopped' at `requestedAt`.
   */
  beginRun(run: {
    userId: number;
    serverName: string;
    profile: string;
    requestedAt: Date;
  }): Promise<void>;
  /** Marks the open run of the server ready; a second call keeps the first time. */
  markRunReady(userId: number, serverName: string, at: Date): Promise<void>;
  /** Ends the open run of the server, if there is one; otherwise does nothing. */
  endRun(userId: number, serverName: string, at: Date, outcome: RunOutcome): Promise<void>;
  /** How long the latest `limit` successful starts of `profile` took, in ms, newest first. */
  startDurations(profile: string, limit: number): Promise<number[]>;
  /** Runs that were ready at some moment in [from, to), oldest request first. */
  listRuns(from: Date, to: Date): Promise<ServerRun[]>;

  /** Stores an invitation, replacing the user's earlier ones (a new link voids the old). */
  createInvite(invite: Invite): Promise<void>;
  /** The unexpired invitation with this hash, without using it up. */
  getInvite(hash: string, now: Date): Promise<Invite | undefined>;
  /**
   * Uses up the unexpired invitation with this hash and returns its user id; a second call,
   * even a concurrent one, gets undefined (one statement: DELETE … RETURNING).
   */
  takeInvite(hash: string, now: Date): Promise<number | undefined>;

  /** Every group, with or without members, sorted by name. */
  listGroups(): Promise<GroupWithMembers[]>;
  /** Creates an empty group; creating one that exists does nothing. */
  createGroup(name: string): Promise<void>;
  /**
   * Replaces the group's memberships from `source` with `userIds` (the admin console edits a
   * group's 'local' members; the provider's 'oidc' ones are left alone). Creates the group.
   */
  setGroupMembers(group: string, source: GroupSource, userIds: readonly number[]): Promise<void>;
  /** Deletes the group, its memberships and the profile rules naming it. */
  deleteGroup(name: string): Promise<void>;
  /** Which groups may use which profile; a profile not listed may be used by everyone. */
  listProfileGroups(): Promise<{ profile: string; group: string }[]>;
  /** Replaces the groups that may use `profile`; an empty list opens it to everyone. */
  setProfileGroups(profile: string, groups: readonly string[]): Promise<void>;

  /** Applied migration versions, in order (for tests and `ganymede status`). */
  migrations(): Promise<number[]>;
  close(): Promise<void>;
}
