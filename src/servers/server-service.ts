/**
 * What the hub does with a user's server: start from a profile, stop, report, and reconcile
 * the store with what the backend finds at start-up. Pages, the REST API and the proxy all go
 * through here, so the rules (which profile, who may, what is recorded) live in one place.
 */
import type { Backend, ProgressEvent, ServerRef, ServerStatus } from '../backends/types.ts';
import type { Profile } from '../config/schema.ts';
import { GanymedeError } from '../errors/ganymede-error.ts';
import type { Logger } from '../logging/logger.ts';
import { userPathSegment } from '../names/user-names.ts';
import type { RunOutcome, ServerRecord, Store, User } from '../store/types.ts';
import { serverNameSchema } from './server-names.ts';

export interface ServerServiceOptions {
  readonly store: Store;
  readonly backend: Backend;
  readonly profiles: readonly Profile[];
  readonly log: Logger;
  /** Servers one user may have, the default one included (`servers.maxPerUser`). Default 3. */
  readonly maxPerUser?: number;
  readonly now?: () => Date;
}

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
    const rules = await store.listProfileGroups();
    if (rules.length === 0) return [...profiles];
    const mine = new Set(await store.listUserGroups(user.id));
    return profiles.filter((p) => {
      const groups = rules.filter((r) => r.profile === p.name).map((r) => r.group);
      return groups.length === 0 || groups.some((g) => mine.has(g));
    });
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

  /** Usage history is secondary: a failure to write it is logged, never fails the action. */
  function history(what: string, write: () => Promise<void>): Promise<void> {
    return write().catch((e: unknown) => {
      log.warn({ err: e }, `recording ${what} failed`);
    });
  }

  async function endRun(user: User, serverName: string, outcome: RunOutcome): Promise<void> {
    await history('the end of a run', () => store.endRun(user.id, serverName, now(), outcome));
  }

  /** Whether a stop came in while the start was under way. */
  async function cancelled(user: User, serverName: string): Promise<boolean> {
    const state = (await store.getServer(user.id, serverName))?.state;
    return state === 'stopping' || state === 'stopped';
  }

  async function record(
    user: User,
    ref: ServerRef,
    patch: Partial<Parameters<Store['upsertServer']>[0]>,
  ) {
    const existing = await store.getServer(user.id, ref.server);
    await store.upsertServer({
      userId: user.id,
      name: ref.server,
      profile: existing?.profile ?? defaultProfile.name,
      state: existing?.state ?? 'stopped',
      message: existing?.message ?? null,
      startedAt: existing?.startedAt ?? null,
      stoppedAt: existing?.stoppedAt ?? null,
      lastActivity: existing?.lastActivity ?? null,
      ...patch,
    });
  }

  const userQueues = new Map<number, Promise<unknown>>();
  /** Runs `step` after the user's earlier steps have finished (in this hub process). */
  function oneAtATime<T>(userId: number, step: () => Promise<T>): Promise<T> {
    const previous = userQueues.get(userId) ?? Promise.resolve();
    const result = previous.then(step, step);
    const tail = result.catch(() => undefined);
    userQueues.set(userId, tail);
    void tail.then(() => {
      if (userQueues.get(userId) === tail) userQueues.delete(userId);
    });
    return result;
  }

  /** The user's server records, the default server first, then named ones by name. */
  async function serversOf(user: User): Promise<ServerRecord[]> {
    return (await store.listServers())
      .filter((s) => s.userId === user.id)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Refuses a new named server past `maxPerUser`. The default server always counts (it needs
   * no record to exist); a server that already has a record is not new.
   */
  async function checkRoomFor(user: User, serverName: string): Promise<void> {
    if (serverName === '') return;
    const mine = await serversOf(user);
    if (mine.some((s) => s.name === serverName)) return;
    const named = mine.filter((s) => s.name !== '').length;
    if (1 + named >= maxPerUser) {
      throw new GanymedeError(
        'bad_request',
        maxPerUser === 1
          ? 'Named servers are not enabled here: you can use your default server.'
          : `You already have ${String(maxPerUser)} servers, the most allowed. Delete one you no longer need first.`,
        { field: 'server', detail: `servers.maxPerUser is ${String(maxPerUser)}` },
      );
    }
  }

  return {
    profiles,
    profileFor,
    profilesFor,
    maxPerUser,
    serversOf,

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
     */
    async start(user: User, serverName: string, profileName?: string): Promise<void> {
      checkServerName(serverName);
      // A named server is started again in the environment it was created with.
      const recorded =
        serverName !== '' && (profileName === undefined || profileName === '')
          ? (await store.getServer(user.id, serverName))?.profile
          : undefined;
      const profile = await allowedProfile(user, recorded ?? profileName);
      const ref: ServerRef = { user: user.name, server: serverName };
      const current = await backend.status(ref);
      if (current.phase === 'running' || current.phase === 'starting') {
        // Started by another hub replica that went away before recording the outcome.
        if (current.phase === 'running') {
          const recorded = await store.getServer(user.id, serverName);
          if (recorded?.state !== 'running') {
            await record(user, ref, { state: 'running', message: null });
          }
        }
        return;
      }
      // The limit check and the record that makes the server count are one step per user, so
      // two creates at once (a double click, parallel API calls) cannot both pass the check.
      await oneAtATime(user.id, async () => {
        await checkRoomFor(user, serverName);
        await history('a start', () =>
          store.beginRun({
            userId: user.id,
            serverName,
            profile: profile.name,
            requestedAt: now(),
          }),
        );
        await record(user, ref, {
          profile: profile.name,
          state: 'starting',
          message: null,
          startedAt: now(),
          stoppedAt: null,
          lastActivity: now(),
        });
      });
      log.info({ user: user.name, server: serverName, profile: profile.name }, 'starting server');
      backend
        .start(ref, { profile, baseUrl: serverBaseUrl(ref) })
        .then(
          async (status) => {
            if (await cancelled(user, serverName)) return;
            await record(user, ref, { state: status.phase, message: status.message ?? null });
            if (status.phase === 'running') {
              await history('a ready start', () => store.markRunReady(user.id, serverName, now()));
            } else if (status.phase === 'failed') {
              await endRun(user, serverName, 'failed');
            }
          },
          async (e: unknown) => {
            // Stopping a server while it starts makes its start fail; that is a cancel, and
            // stop() records it, so the failure must not overwrite "stopped".
            if (await cancelled(user, serverName)) return;
            const message =
              e instanceof GanymedeError ? e.userMessage : 'The server could not start.';
            log.warn({ user: user.name, server: serverName, err: e }, 'start failed');
            await record(user, ref, { state: 'failed', message, stoppedAt: now() });
            await endRun(user, serverName, 'failed');
          },
        )
        .catch((e: unknown) => {
          log.error({ err: e }, 'recording a start result failed');
        });
    },

    /** `message` tells the user why it stopped (the culler says so); files are always kept. */
    async stop(user: User, serverName: string, options: { message?: string } = {}): Promise<void> {
      const ref: ServerRef = { user: user.name, server: serverName };
      const before = await store.getServer(user.id, serverName);
      await record(user, ref, { state: 'stopping' });
      await endRun(user, serverName, before?.state === 'starting' ? 'cancelled' : 'stopped');
      await backend.stop(ref);
      await record(user, ref, {
        state: 'stopped',
        stoppedAt: now(),
        message: options.message ?? null,
      });
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
      await store.deleteServer(user.id, serverName);
      log.info(
        { user: user.name, server: serverName, deleteStorage: options.deleteStorage === true },
        'removed server',
      );
    },

    status(user: User, serverName: string): Promise<ServerStatus> {
      return backend.status({ user: user.name, server: serverName });
    },

    progress(user: User, serverName: string): AsyncIterable<ProgressEvent> {
      return backend.progress({ user: user.name, server: serverName });
    },

    /**
     * Hub start-up: adopt what the backend still runs; mark everything else stopped, so the
     * store never claims a server runs that does not.
     */
    async reconcile(): Promise<{ adopted: number; markedStopped: number }> {
      const alive = await backend.list();
      const running = new Set(
        alive
          .filter((s) => s.status.phase === 'running')
          .map((s) => `${s.ref.user}\0${s.ref.server}`),
      );
      // With several hub replicas, another one may be starting a server right now: its
      // record is that replica's to finish, not a leftover to mark stopped.
      const starting = new Set(
        alive
          .filter((s) => s.status.phase === 'starting')
          .map((s) => `${s.ref.user}\0${s.ref.server}`),
      );
      let adopted = 0;
      let markedStopped = 0;
      for (const server of await store.listServers()) {
        const user = await store.getUserById(server.userId);
        if (!user) continue;
        const key = `${user.name}\0${server.name}`;
        if (running.has(key)) {
          adopted++;
          if (server.state !== 'running')
            await record(user, { user: user.name, server: server.name }, { state: 'running' });
        } else if (starting.has(key)) {
          if (server.state !== 'starting')
            await record(user, { user: user.name, server: server.name }, { state: 'starting' });
        } else if (server.state !== 'stopped' && server.state !== 'failed') {
          markedStopped++;
          await endRun(user, server.name, 'stopped');
          await record(
            user,
            { user: user.name, server: server.name },
            {
              state: 'stopped',
              stoppedAt: now(),
              message: 'The server stopped while the hub was away. Your files are kept.',
            },
          );
        }
      }
      log.info({ adopted, markedStopped }, 'reconciled servers with the backend');
      return { adopted, markedStopped };
    },
  };
}
