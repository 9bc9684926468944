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
  /**
   * Set on a token the hub issued to one of the user's servers at its start
   * (`JUPYTERHUB_API_TOKEN`; '' is the default server); null on a person's own tokens.
   */
  readonly serverName: string | null;
}

/**
 * A server the person has: who, which name, which environment it was created with, and when
 * it was last used. Deliberately no phase: whether it runs is the backend's to say (the
 * resource's status on Kubernetes, the process table locally; ARCHITECTURE.md, "Who owns
 * what"). Why its last run ended is history, on `ServerRun`.
 */
export interface ServerRecord {
  readonly userId: number;
  /** '' is the default server. */
  readonly name: string;
  readonly profile: string;
  readonly createdAt: Date;
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
  /** Why it ended, in plain words for the person ("stopped after 1 hour without use"). */
  readonly message: string | null;
}

/** One page of users, filtered, sorted and paged by the database. */
export interface UserQuery {
  readonly offset: number;
  readonly limit: number;
  /** Case-insensitive part of the name (the admin console's search box). */
  readonly nameContains?: string;
  /** Names starting with this (JupyterHub's `name_filter`). */
  readonly namePrefix?: string;
  /** Only these names (e.g. the users the backend reports a ready server for). */
  readonly onlyNames?: readonly string[];
  /** None of these names (`state=inactive`: everyone without an active server). */
  readonly exceptNames?: readonly string[];
  /** Members of this group, from any source. */
  readonly group?: string;
  /** Default 'name'. 'last_activity' is most recent first, never-used last; ties by name. */
  readonly sort?: 'name' | 'last_activity';
}

/** Server hours per UTC day and environment, summed by the database (the admin usage view). */
export interface UsageRow {
  /** Midnight UTC of the day (omitted in totals). */
  readonly day?: Date;
  readonly profile: string;
  /** Distinct runs that were ready at some moment of the day (of the period, in totals). */
  readonly servers: number;
  readonly hours: number;
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

export interface ActivityRecord {
  readonly userId: number;
  /** The server's name ('' for the default server). */
  readonly name: string;
  readonly at: Date;
}

export interface GroupQuery {
  readonly offset: number;
  readonly limit: number;
  /** Names starting with this (as `UserQuery.namePrefix`). */
  readonly namePrefix?: string;
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
  /** One page of users and how many match in all; never reads the whole table. */
  listUsers(query: UserQuery): Promise<{ users: User[]; total: number }>;
  /** The users with these names that exist, in no particular order (one query). */
  getUsersByName(names: readonly string[]): Promise<User[]>;
  /** The most recent activity of any of the user's servers, per user id (one query). */
  lastActivityOf(userIds: readonly number[]): Promise<Map<number, Date>>;
  setPasswordHash(userId: number, hash: string): Promise<void>;
  setAdmin(userId: number, admin: boolean): Promise<void>;
  deleteUser(userId: number): Promise<void>;

  createSession(session: Session): Promise<void>;
  getSession(idHash: string): Promise<Session | undefined>;
  deleteSession(idHash: string): Promise<void>;
  deleteUserSessions(userId: number): Promise<void>;
  deleteExpiredSessions(now: Date): Promise<number>;

  createApiToken(
    token: Omit<ApiToken, 'id' | 'lastUsedAt' | 'serverName'> & { serverName?: string | null },
  ): Promise<ApiToken>;
  getApiTokenByHash(hash: string): Promise<ApiToken | undefined>;
  listApiTokens(userId: number): Promise<ApiToken[]>;
  deleteApiToken(userId: number, id: number): Promise<boolean>;
  touchApiToken(id: number, at: Date): Promise<void>;
  /** Deletes the tokens issued to this server of the user (see `ApiToken.serverName`); how many. */
  deleteServerTokens(userId: number, serverName: string): Promise<number>;

  /**
   * Creates the (user, name) server row unless it exists, keeping the user's servers at most
   * `maxPerUser` (the default server '' counts whether or not it has a row). Atomic across hub
   * replicas (one transaction that locks the user's row on PostgreSQL): two creates at once
   * cannot both pass the limit. 'exists' leaves the row as it was.
   */
  createServer(
    server: { userId: number; name: string; profile: string; createdAt: Date },
    maxPerUser: number,
  ): Promise<'created' | 'exists' | 'full'>;
  /** Sets the environment a server starts with next time. */
  setServerProfile(userId: number, name: string, profile: string): Promise<void>;
  getServer(userId: number, name: string): Promise<ServerRecord | undefined>;
  /** The servers of these users, default server first then by name within a user (one query). */
  listServersOf(userIds: readonly number[]): Promise<ServerRecord[]>;
  /** Keeps the latest of the stored and the given time. */
  recordActivity(userId: number, name: string, at: Date): Promise<void>;
  /** `recordActivity` for many servers in one transaction (the proxy's reports, batched). */
  recordActivities(records: readonly ActivityRecord[]): Promise<void>;
  deleteServer(userId: number, name: string): Promise<void>;

  /**
   * Replaces the user's memberships that came from `source` ('oidc': the identity provider's
   * groups claim at each sign-in; 'local': set by an administrator) with `groups`, creating
   * groups that do not exist yet. Memberships from other sources are left alone.
   */
  setUserGroups(userId: number, source: GroupSource, groups: readonly string[]): Promise<void>;
  /** The names of the groups the user belongs to from any source, sorted, without duplicates. */
  listUserGroups(userId: number): Promise<string[]>;
  /** `listUserGroups` for a page of users in one query; users in no group are absent. */
  groupsOf(userIds: readonly number[]): Promise<Map<number, string[]>>;

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
  endRun(
    userId: number,
    serverName: string,
    at: Date,
    outcome: RunOutcome,
    message?: string | null,
  ): Promise<void>;
  /** The latest run of the server (open or ended), if any. */
  lastRun(userId: number, serverName: string): Promise<ServerRun | undefined>;
  /** The open runs (started, not ended) of these users' servers, one query. */
  openRunsOf(userIds: readonly number[]): Promise<ServerRun[]>;
  /**
   * A page of open runs, oldest request first, after `afterId` (keyset paging): the hub's
   * start-up check that every open run still has a live server walks these in pages.
   */
  openRuns(afterId: number, limit: number): Promise<ServerRun[]>;
  /** How long the latest `limit` successful starts of `profile` took, in ms, newest first. */
  startDurations(profile: string, limit: number): Promise<number[]>;
  /**
   * Usage of the UTC days [from, to) (`from` and `to` are midnights): per day and profile, and
   * per profile for the whole period, the runs that were ready at some moment and their ready
   * hours (a run still open counts up to `now`; runs are clipped at midnights), summed in SQL
   * (the same rules as src/web/admin/usage.ts, which it replaces on the request path).
   */
  usage(from: Date, to: Date, now: Date): Promise<{ days: UsageRow[]; totals: UsageRow[] }>;
  /**
   * One user's ready hours per profile from `since` to `now` (a run counts from `ready_at`, or
   * `since`, to its end, or `now`), summed in SQL over that user's runs only: monthly quotas.
   * Profiles without hours are absent.
   */
  hoursByProfile(userId: number, since: Date, now: Date): Promise<Map<string, number>>;
  /**
   * Runs `fn` holding the user's lock, so two calls for one user never overlap, in this
   * process or (PostgreSQL) in any replica on the same database: the quota check and the
   * opening of the run it allows happen as one step. Released when `fn` settles.
   */
  withUserLock<T>(userId: number, fn: () => Promise<T>): Promise<T>;

  /** Stores an invitation, replacing the user's earlier ones (a new link voids the old). */
  createInvite(invite: Invite): Promise<void>;
  /** The unexpired invitation with this hash, without using it up. */
  getInvite(hash: string, now: Date): Promise<Invite | undefined>;
  /**
   * Uses up the unexpired invitation with this hash and returns its user id; a second call,
   * even a concurrent one, gets undefined (one statement: DELETE … RETURNING).
   */
  takeInvite(hash: string, now: Date): Promise<number | undefined>;

  /**
   * One page of groups (with or without members), sorted by name (code points), and how many
   * match: the page is cut in SQL, so a hub with many groups reads only the page.
   */
  listGroups(query: GroupQuery): Promise<{ groups: GroupWithMembers[]; total: number }>;
  /** Which of `names` are groups (in no particular order). */
  existingGroups(names: readonly string[]): Promise<string[]>;
  /** Creates an empty group; creating one that exists does nothing. */
  createGroup(name: string): Promise<void>;
  /**
   * Replaces the group's memberships from `source` with `userIds` (the admin console edits a
   * group's 'local' members; the provider's 'oidc' ones are left alone). Creates the group.
   */
  setGroupMembers(group: string, source: GroupSource, userIds: readonly number[]): Promise<void>;
  /** Deletes the group, its memberships and the profile rules naming it. */
  deleteGroup(name: string): Promise<void>;
  /** Which groups may use which of `profiles`; a profile not listed may be used by everyone. */
  listProfileGroups(profiles: readonly string[]): Promise<{ profile: string; group: string }[]>;
  /**
   * The profiles that have group rules, each with whether `userId` is in one of its groups
   * (one query, for every start: a profile not listed may be used by everyone).
   */
  profileAccess(userId: number): Promise<{ profile: string; allowed: boolean }[]>;
  /** Replaces the groups that may use `profile`; an empty list opens it to everyone. */
  setProfileGroups(profile: string, groups: readonly string[]): Promise<void>;

  /** Applied migration versions, in order (for tests and `ganymede status`). */
  migrations(): Promise<number[]>;
  close(): Promise<void>;
}
