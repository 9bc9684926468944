/**
 * What the hub does with a user's server: start from a profile, stop, report, and check the
 * run history against the backend at start-up. Pages, the REST API and the proxy all go
 * through here, so the rules (which profile, who may, what is recorded) live in one place.
 *
 * Who owns what (ARCHITECTURE.md): the store keeps which servers a person has, their
 * environment, last activity and the history of runs (why each ended); whether a server runs,
 * its address and why it failed are the backend's alone (the operator's resource status on
 * Kubernetes, the process table locally). Nothing here writes a phase anywhere: `state` and
 * `statesOf` read it from the backend and add what history knows.
 */
import type {
  Backend,
  HubConnection,
  ProgressEvent,
  ServerPhase,
  ServerRef,
  ServerStatus,
} from '../backends/types.ts';
import type { Profile, QuotasConfig } from '../config/schema.ts';
import { GanymedeError, isGanymedeError } from '../errors/ganymede-error.ts';
import type { Logger } from '../logging/logger.ts';
import { userPathSegment } from '../names/user-names.ts';
import type { RunOutcome, ServerRecord, ServerRun, Store, User } from '../store/types.ts';
import { checkStart, effectiveQuota, monthStart, quotaUse, type QuotaUseRow } from './quotas.ts';
import { serverNameSchema } from './server-names.ts';

export interface ServerServiceOptions {
  readonly store: Store;
  readonly backend: Backend;
  readonly profiles: readonly Profile[];
  readonly log: Logger;
  /** Servers one user may have, the default one included (`servers.maxPerUser`). Default 3. */
  readonly maxPerUser?: number;
  /** Per-person limits (config `quotas`), checked at each start; unset: none. */
  readonly quotas?: QuotasConfig;
  readonly now?: () => Date;
  /**
   * At start-up, an open run younger than this whose server the backend does not report is
   * left open: another replica may have opened it and not yet reached the backend. Default 60 s.
   */
  readonly reconcileGraceMs?: number;
  /**
   * What a started server is told about the hub (JupyterHub's single-user environment):
   * where its API is and how to get the server's own token. Unset: nothing (unit tests).
   */
  readonly hub?: HubSide;
}

/**
 * The hub's side of a server's `JUPYTERHUB_*` environment. A server's token is issued when the
 * backend launches it and revoked when it stops, fails to start, is removed, or is found gone
 * at the hub's start-up; a server that crashed keeps its (unused) token until one of those.
 */
export interface HubSide {
  /** The API URL servers reach the hub at; read at each start (known once the hub listens). */
  apiUrl(): string | undefined;
  /** The hub's origin for servers on hosts of their own (ingress routing), else ''. */
  readonly hubHost: string;
  issueServerToken(user: User, serverName: string): Promise<string>;
  revokeServerTokens(userId: number, serverName: string): Promise<void>;
}

/**
 * "What is this server's state", for pages, the REST API and the proxy's pages: the backend's
 * status, with what the store knows around it.
 */
export interface ServerState {
  /** '' is the default server. */
  readonly name: string;
  /** The backend's word, never the store's. */
  readonly phase: ServerPhase;
  /** The environment it runs (the backend's) or was last started with (the store's). */
  readonly profile: string | undefined;
  /**
   * Plain words: the backend's message, or, when the backend reports it stopped or failed
   * without one, why its last run ended (the culler's reason, "stopped while the hub was
   * away"). `statesOf` leaves history out (undefined unless the backend says something).
   */
  readonly message: string | undefined;
  readonly detail: string | undefined;
  /** The backend's start time, else when the open run was requested; only while active. */
  readonly startedAt: Date | undefined;
  readonly lastActivity: Date | undefined;
  /** Whether the store has a row for it (a named server exists only then). */
  readonly recorded: boolean;
}

export const ACTIVE_PHASES: readonly ServerPhase[] = ['starting', 'running', 'stopping'];

export function isActivePhase(phase: ServerPhase): boolean {
  return ACTIVE_PHASES.includes(phase);
}

/** The message a person sees after the hub found their server gone at start-up. */
export const GONE_WHILE_AWAY = 'The server stopped while the hub was away. Your files are kept.';

/** '' (the default server) or a valid named server's name; a 400 naming `field` otherwise. */
export function checkServerName(name: string, field = 'server'): string {
  if (name === '') return name;
  const parsed = serverNameSchema.safeParse(name);
  if (!parsed.success) {
    throw new GanymedeError(
      'bad_request',
      parsed.error.issues[0]?.message ?? 'Not a valid server name.',
      { field },
    );
  }
  return parsed.data;
}

export type ServerService = ReturnType<typeof createServerService>;

/** `/user/<name>/` for the default server, `/user/<name>/<server>/` for a named one. */
export function serverBaseUrl(ref: ServerRef): string {
  const user = userPathSegment(ref.user);
  return ref.server ? `/user/${user}/${encodeURIComponent(ref.server)}/` : `/user/${user}/`;
}

export function createServerService(options: ServerServiceOptions) {
  const { store, backend, profiles, log } = options;
  const now = options.now ?? (() => new Date());
  const maxPerUser = options.maxPerUser ?? 3;
  const firstDefault = profiles.find((p) => p.default) ?? profiles[0];
  if (!firstDefault) throw new Error('the configuration schema guarantees at least one profile');
  const defaultProfile: Profile = firstDefault;

  function profileFor(name: string | undefined): Profile {
    if (name === undefined || name === '') return defaultProfile;
    const profile = profiles.find((p) => p.name === name);
    if (!profile) {
      throw new GanymedeError('bad_request', `There is no environment called "${name}".`, {
        field: 'profile',
      });
    }
    return profile;
  }

  /**
   * Who may use a profile: administrators any; others a profile no group rule names, or one
   * whose groups include one of theirs (set in the admin console, kept in `profile_groups`).
   */
  async function profilesFor(user: User): Promise<Profile[]> {
    if (user.admin) return [...profiles];
    // One query for this user's answer per ruled profile, not a read of every rule.
    const access = new Map(
      (await store.profileAccess(user.id)).map((a) => [a.profile, a.allowed] as const),
    );
    return profiles.filter((p) => access.get(p.name) ?? true);
  }

  /** The profile a start uses: the one asked for if allowed, else the default or first allowed. */
  async function allowedProfile(user: User, name: string | undefined): Promise<Profile> {
    const wanted = name === undefined || name === '' ? undefined : profileFor(name);
    const allowed = await profilesFor(user);
    if (wanted) {
      if (allowed.some((p) => p.name === wanted.name)) return wanted;
      throw new GanymedeError(
        'forbidden',
        `You may not use the environment "${wanted.displayName}". Choose another one or ask an administrator.`,
        { field: 'profile' },
      );
    }
    const fallback = allowed.find((p) => p.name === defaultProfile.name) ?? allowed[0];
    if (!fallback) {
      throw new GanymedeError(
        'forbidden',
        'No environment is available to you yet. Ask an administrator to give you access.',
        { field: 'profile' },
      );
    }
    return fallback;
  }

  function hubConnection(user: User, serverName: string): HubConnection | undefined {
    const hub = options.hub;
    if (hub === undefined) return undefined;
    return {
      hubBaseUrl: '/',
      hubHost: hub.hubHost,
      apiUrl: hub.apiUrl(),
      issueApiToken: () => hub.issueServerToken(user, serverName),
    };
  }

  /** A revocation that fails is logged: the stop itself has happened. */
  function revokeTokens(userId: number, serverName: string): Promise<void> {
    const hub = options.hub;
    if (hub === undefined) return Promise.resolve();
    return hub.revokeServerTokens(userId, serverName).catch((e: unknown) => {
      log.warn({ err: e, userId, server: serverName }, "revoking a server's API token failed");
    });
  }

  /** Usage history is secondary: a failure to write it is logged, never fails the action. */
  function history(
    what: string,
    write: () => Promise<void>,
    options: { readonly unlessDown?: boolean } = {},
  ): Promise<void> {
    return write().catch((e: unknown) => {
      // A start whose run cannot be recorded because the database is down is not made: a
      // server with no run would escape quotas and history (issue 16, nothing half-written).
      if (options.unlessDown === true && isGanymedeError(e) && e.code === 'unavailable') throw e;
      log.warn({ err: e }, `recording ${what} failed`);
    });
  }

  function endRun(
    user: User,
    serverName: string,
    outcome: RunOutcome,
    message: string | null = null,
  ): Promise<void> {
    return history('the end of a run', () =>
      store.endRun(user.id, serverName, now(), outcome, message),
    );
  }

  /** Ends a run whose server the backend does not have: it stopped while no hub watched. */
  async function endGone(run: ServerRun): Promise<void> {
    await history('the end of a run', () =>
      store.endRun(run.userId, run.serverName, now(), 'stopped', GONE_WHILE_AWAY),
    );
    await revokeTokens(run.userId, run.serverName);
  }

  /**
   * A start left half done by a hub that is gone: follows the backend's progress to its end
   * and records the outcome, as the start's own caller would have.
   */
  async function followAdopted(ref: ServerRef, userId: number): Promise<void> {
    try {
      // The progress stream ends at ready or failed; should it end sooner (a replica's
      // follow cut short), the status is asked again a little later, for at most an hour.
      const deadline = Date.now() + 3_600_000;
      let status = await backend.status(ref);
      while (status.phase === 'starting' && Date.now() < deadline) {
        for await (const event of backend.progress(ref)) {
          if (event.ready === true || event.failed === true) break;
        }
        status = await backend.status(ref);
        if (status.phase === 'starting') {
          // unref: following a start never keeps a closing hub (or a test) alive.
          await new Promise((r) => setTimeout(r, 2000).unref());
        }
      }
      if (status.phase === 'running') {
        await history('a ready start', () => store.markRunReady(userId, ref.server, now()));
      } else if (status.phase === 'failed') {
        await history('the end of a run', () =>
          store.endRun(userId, ref.server, now(), 'failed', status.message ?? null),
        );
        await revokeTokens(userId, ref.server);
      }
    } catch (e) {
      log.warn({ ref, err: e }, 'following an adopted start failed');
    }
  }

  /**
   * Runs that were too new to judge at start-up, judged once their grace has passed: one whose
   * server is still unknown to the backend was opened by a hub that died before asking for it.
   */
  async function recheckYoung(runs: readonly ServerRun[]): Promise<void> {
    for (const run of runs) {
      try {
        const user = await store.getUserById(run.userId);
        if (!user) continue;
        const { phase } = await backend.status({ user: user.name, server: run.serverName });
        if (phase === 'running' || phase === 'starting') continue;
        const last = await store.lastRun(run.userId, run.serverName);
        // Only this run, if it is still the open one (a later start opened its own).
        if (last?.id === run.id && last.endedAt === null) await endGone(run);
      } catch (e) {
        log.warn({ run: run.id, err: e }, 'checking a run left by another hub failed');
      }
    }
  }

  function fullError(): GanymedeError {
    return new GanymedeError(
      'bad_request',
      maxPerUser === 1
        ? 'Named servers are not enabled here: you can use your default server.'
        : `You already have ${String(maxPerUser)} servers, the most allowed. Delete one you no longer need first.`,
      { field: 'server', detail: `servers.maxPerUser is ${String(maxPerUser)}` },
    );
  }

  /**
   * Refuses a start beyond the person's quotas (src/servers/quotas.ts). Their starting and
   * running servers are the store's open runs, which every replica writes before reaching the
   * backend, so a start another replica has just opened counts; a run the backend reports
   * ended (a ready server that crashed, its run not yet closed) does not.
   */
  /** What the quotas need to know about a person; hours read for `hoursFor` (a profile name,
   * or every profile with an hours limit when undefined) only when a limit applies. */
  async function quotaState(user: User, hoursFor: string | undefined) {
    const quotas = options.quotas;
    const at = now();
    const [groups, runs] = await Promise.all([
      store.listUserGroups(user.id),
      store.openRunsOf([user.id]),
    ]);
    const quota = effectiveQuota(quotas, user.name, groups);
    const needsHours =
      hoursFor === undefined
        ? Object.keys(quota.hoursPerMonth).length > 0
        : quota.hoursPerMonth[hoursFor] !== undefined;
    const hoursThisMonth = needsHours
      ? await store.hoursByProfile(user.id, monthStart(at), at)
      : new Map<string, number>();
    const live = await Promise.all(
      runs.map(async (run) => {
        if (run.readyAt === null) return true;
        const { phase } = await backend.status({ user: user.name, server: run.serverName });
        return phase !== 'stopped' && phase !== 'failed';
      }),
    );
    const active = runs
      .filter((_, i) => live[i])
      .map((run) => ({
        serverName: run.serverName,
        profile: profiles.find((p) => p.name === run.profile),
      }));
    return { at, quota, hoursThisMonth, active };
  }

  async function checkQuota(user: User, serverName: string, profile: Profile): Promise<void> {
    if (options.quotas === undefined) return;
    const { at, quota, hoursThisMonth, active } = await quotaState(user, profile.name);
    const result = checkStart({
      quota,
      active,
      serverName,
      profile,
      hoursThisMonth,
      now: at,
    });
    if (!result.allowed) {
      // 429, as JupyterHub answers a spawn its own limits refuse (active_server_limit and
      // concurrent_spawn_limit: "Active user limit exceeded"): the request was fine, the
      // person is over a limit that frees up when something stops or the month turns.
      throw new GanymedeError('too_many_requests', result.message, {
        field: 'profile',
        detail: `quota refused ${user.name}'s start of "${serverName}" (${profile.name})`,
      });
    }
  }

  /** The user's server records, the default server first, then named ones by name. */
  function serversOf(user: User): Promise<ServerRecord[]> {
    return store.listServersOf([user.id]);
  }

  /** One server's state from its parts (pure): see `ServerState`. */
  function stateOf(
    name: string,
    status: ServerStatus,
    record: ServerRecord | undefined,
    run: ServerRun | undefined,
  ): ServerState {
    const active = isActivePhase(status.phase);
    const open = run?.endedAt === null ? run : undefined;
    const ended = run && run.endedAt !== null ? run : undefined;
    return {
      name,
      phase: status.phase,
      profile: status.profile ?? record?.profile ?? open?.profile,
      message: status.message ?? (active ? undefined : (ended?.message ?? undefined)),
      detail: status.detail,
      startedAt: active ? (status.startedAt ?? open?.requestedAt) : undefined,
      lastActivity: record?.lastActivity ?? undefined,
      recorded: record !== undefined,
    };
  }

  /**
   * The states of these users' recorded servers, per user id (default server first, then by
   * name): two store queries for the whole page and the backend's status of each server,
   * without history messages (see `ServerState.message`).
   */
  async function statesOf(users: readonly User[]): Promise<Map<number, ServerState[]>> {
    const out = new Map<number, ServerState[]>(users.map((u) => [u.id, []]));
    if (users.length === 0) return out;
    const ids = users.map((u) => u.id);
    const [records, runs] = await Promise.all([store.listServersOf(ids), store.openRunsOf(ids)]);
    const names = new Map(users.map((u) => [u.id, u.name]));
    const openRun = new Map(runs.map((r) => [`${String(r.userId)}\0${r.serverName}`, r]));
    const states = await Promise.all(
      records.map(async (record) => {
        const user = names.get(record.userId) ?? '';
        const status = await backend.status({ user, server: record.name });
        const run = openRun.get(`${String(record.userId)}\0${record.name}`);
        return { userId: record.userId, state: stateOf(record.name, status, record, run) };
      }),
    );
    for (const { userId, state } of states) out.get(userId)?.push(state);
    return out;
  }

  /** One server's state, with why its last run ended when the backend does not say. */
  async function state(user: User, serverName: string): Promise<ServerState> {
    const [status, record] = await Promise.all([
      backend.status({ user: user.name, server: serverName }),
      store.getServer(user.id, serverName),
    ]);
    const needsHistory = isActivePhase(status.phase)
      ? status.startedAt === undefined
      : status.message === undefined;
    const run = needsHistory ? await store.lastRun(user.id, serverName) : undefined;
    return stateOf(serverName, status, record, run);
  }

  return {
    profiles,
    profileFor,
    profilesFor,
    maxPerUser,
    serversOf,
    state,
    statesOf,

    /**
     * The names of the users with a server in one of `phases`, from the backend's index (the
     * API's and the admin console's state filters), without duplicates.
     */
    usersIn(phases: readonly ServerPhase[]): string[] {
      return [...new Set(backend.find({ phases }).map((s) => s.ref.user))];
    },

    /** The servers in one of `phases`, from the backend's index (culler, metrics, admin). */
    find(phases: readonly ServerPhase[]): { ref: ServerRef; status: ServerStatus }[] {
      return backend.find({ phases });
    },

    /** Every recorded server of the user, each as `state` tells it (the home page). */
    async states(user: User): Promise<ServerState[]> {
      const records = await serversOf(user);
      return Promise.all(records.map((r) => state(user, r.name)));
    },

    /**
     * The person's use against each quota that applies (the admin console's user page): one
     * user's groups, open runs and hours this month; empty without quotas.
     */
    async quotaUse(user: User): Promise<QuotaUseRow[]> {
      if (options.quotas === undefined) return [];
      const { quota, hoursThisMonth, active } = await quotaState(user, undefined);
      return quotaUse({ quota, active, hoursThisMonth, profiles });
    },

    /** Whether the user has this server: the default always; a named one once created. */
    async has(user: User, serverName: string): Promise<boolean> {
      if (serverName === '') return true;
      return (await store.getServer(user.id, serverName)) !== undefined;
    },

    /**
     * How long a start of `profile` usually takes: the median of its last 10 successful
     * starts, in ms; undefined before the first one.
     */
    async startEstimate(profile: string): Promise<number | undefined> {
      const durations = (await store.startDurations(profile, 10)).sort((a, b) => a - b);
      if (durations.length === 0) return undefined;
      const mid = Math.floor(durations.length / 2);
      return durations.length % 2
        ? durations[mid]
        : ((durations[mid - 1] ?? 0) + (durations[mid] ?? 0)) / 2;
    },

    /**
     * Starts in the background and returns at once; follow it with `progress`. Starting a
     * running or starting server is not an error: the backend joins the existing start.
     * A new server gets its row through `store.createServer`, which keeps the user within
     * `maxPerUser` in one transaction, so two creates at once on two replicas cannot both pass.
     */
    async start(user: User, serverName: string, profileName?: string): Promise<void> {
      checkServerName(serverName);
      // A cheap refusal that needs no database: with one server allowed there are no others.
      if (serverName !== '' && maxPerUser <= 1) throw fullError();
      const record = await store.getServer(user.id, serverName);
      // A named server is started again in the environment it was created with.
      const wanted =
        serverName !== '' && (profileName === undefined || profileName === '')
          ? record?.profile
          : profileName;
      const profile = await allowedProfile(user, wanted);
      const ref: ServerRef = { user: user.name, server: serverName };
      const current = await backend.status(ref);
      // Already running or starting (maybe through another replica): the backend joins it.
      if (current.phase === 'running' || current.phase === 'starting') return;
      const open = async () => {
        await checkQuota(user, serverName, profile);
        if (record === undefined) {
          const created = await store.createServer(
            { userId: user.id, name: serverName, profile: profile.name, createdAt: now() },
            maxPerUser, // the default server always has room: it counts whether or not it has a row
          );
          if (created === 'full') throw fullError();
        } else if (record.profile !== profile.name) {
          await store.setServerProfile(user.id, serverName, profile.name);
        }
        const at = now();
        await history(
          'a start',
          () =>
            store.beginRun({
              userId: user.id,
              serverName,
              profile: profile.name,
              requestedAt: at,
            }),
          { unlessDown: true },
        );
        // Pressing Start is a use: the admin console and the active-users metric show it.
        await history('a use', () => store.recordActivity(user.id, serverName, at));
      };
      // With quotas, the check and the opening of the run are one step per person across
      // replicas: a second start waits, then sees the first one's open run.
      if (options.quotas === undefined) await open();
      else await store.withUserLock(user.id, open);
      log.info({ user: user.name, server: serverName, profile: profile.name }, 'starting server');
      const hub = hubConnection(user, serverName);
      backend
        .start(ref, { profile, baseUrl: serverBaseUrl(ref), ...(hub ? { hub } : {}) })
        .then(
          async (status) => {
            // A stop during the start ended the run already ('cancelled'): these do nothing then.
            if (status.phase === 'running') {
              await history('a ready start', () => store.markRunReady(user.id, serverName, now()));
            } else if (status.phase === 'failed') {
              // Kept in history, so the reason outlives the backend's memory of the failure.
              const message = status.message ?? (await backend.status(ref)).message ?? null;
              await endRun(user, serverName, 'failed', message);
              await revokeTokens(user.id, serverName);
            }
          },
          async (e: unknown) => {
            const message =
              e instanceof GanymedeError ? e.userMessage : 'The server could not start.';
            log.warn({ user: user.name, server: serverName, err: e }, 'start failed');
            await endRun(user, serverName, 'failed', message);
            await revokeTokens(user.id, serverName);
          },
        )
        .catch((e: unknown) => {
          log.error({ err: e }, 'recording a start result failed');
        });
    },

    /**
     * Ends the run (with `message`, which tells the person why: the culler's reason) and stops
     * the server; a stop during a start cancels it. Files are always kept.
     */
    async stop(user: User, serverName: string, options: { message?: string } = {}): Promise<void> {
      const ref: ServerRef = { user: user.name, server: serverName };
      const before = await backend.status(ref);
      await endRun(
        user,
        serverName,
        before.phase === 'starting' ? 'cancelled' : 'stopped',
        options.message ?? null,
      );
      await backend.stop(ref);
      await revokeTokens(user.id, serverName);
      log.info({ user: user.name, server: serverName }, 'stopped server');
    },

    /**
     * Stops the server and forgets it. Its files are kept unless `deleteStorage` is true,
     * which only an explicit choice passes (DESIGN.md: never by default): an administrator's,
     * or a person ticking "also delete its files" when deleting one of their named servers.
     */
    async remove(
      user: User,
      serverName: string,
      options: { deleteStorage?: boolean } = {},
    ): Promise<void> {
      const ref: ServerRef = { user: user.name, server: serverName };
      await endRun(user, serverName, 'stopped');
      await backend.delete(ref, { deleteStorage: options.deleteStorage === true });
      await revokeTokens(user.id, serverName);
      await store.deleteServer(user.id, serverName);
      log.info(
        { user: user.name, server: serverName, deleteStorage: options.deleteStorage === true },
        'removed server',
      );
    },

    /** The backend's status alone (the API's start and stop answers). */
    status(user: User, serverName: string): Promise<ServerStatus> {
      return backend.status({ user: user.name, server: serverName });
    },

    progress(user: User, serverName: string): AsyncIterable<ProgressEvent> {
      return backend.progress({ user: user.name, server: serverName });
    },

    /**
     * Hub start-up: `backend.list()` once (the local backend adopts its processes there), then
     * the store's open runs in pages: a run whose server the backend does not report starting
     * or running ended while the hub was away, and is ended with a message saying so. Phases
     * are not copied anywhere: pages ask the backend.
     */
    async reconcile(): Promise<{ adopted: number; markedStopped: number }> {
      const alive = (await backend.list()).filter(
        (s) => s.status.phase === 'running' || s.status.phase === 'starting',
      );
      const names = [...new Set(alive.map((s) => s.ref.user))];
      const ids = new Map<string, number>();
      for (let i = 0; i < names.length; i += PAGE) {
        for (const u of await store.getUsersByName(names.slice(i, i + PAGE))) ids.set(u.name, u.id);
      }
      const live = new Map(
        alive.flatMap((s) => {
          const id = ids.get(s.ref.user);
          return id === undefined ? [] : [[`${String(id)}\0${s.ref.server}`, s] as const];
        }),
      );
      const adopted = alive.filter(
        (s) => s.status.phase === 'running' && ids.has(s.ref.user),
      ).length;
      const graceMs = options.reconcileGraceMs ?? 60_000;
      const at = now();
      let markedStopped = 0;
      const young: ServerRun[] = [];
      for (let after = 0; ;) {
        const runs = await store.openRuns(after, PAGE);
        for (const run of runs) {
          const server = live.get(`${String(run.userId)}\0${run.serverName}`);
          if (server) {
            // A hub that died during this start never heard how it ended: it is finished
            // here, only for runs not yet ready (so a restart writes nothing for the rest).
            if (run.readyAt === null) {
              if (server.status.phase === 'running') {
                await history('a ready start', () =>
                  store.markRunReady(run.userId, run.serverName, now()),
                );
              } else {
                void followAdopted(server.ref, run.userId);
              }
            }
            continue;
          }
          // Another replica may have opened it a moment ago and not yet reached the backend:
          // looked at again once that moment has passed.
          if (run.readyAt === null && at.getTime() - run.requestedAt.getTime() < graceMs) {
            young.push(run);
            continue;
          }
          markedStopped++;
          await endGone(run);
        }
        const last = runs.at(-1);
        if (last === undefined || runs.length < PAGE) break;
        after = last.id;
      }
      if (young.length > 0) {
        const wait = Math.max(
          ...young.map((r) => r.requestedAt.getTime() + graceMs - at.getTime()),
        );
        setTimeout(() => void recheckYoung(young), wait).unref();
      }
      log.info({ adopted, markedStopped }, 'reconciled servers with the backend');
      return { adopted, markedStopped };
    },
  };
}

/** Rows per store query when walking a long list (open runs, names). */
const PAGE = 500;
