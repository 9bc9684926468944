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
import type { Store, User } from '../store/types.ts';

export interface ServerServiceOptions {
  readonly store: Store;
  readonly backend: Backend;
  readonly profiles: readonly Profile[];
  readonly log: Logger;
  readonly now?: () => Date;
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

  return {
    profiles,
    profileFor,

    /**
     * Starts in the background and returns at once; follow it with `progress`. Starting a
     * running or starting server is not an error: the backend joins the existing start.
     */
    async start(user: User, serverName: string, profileName?: string): Promise<void> {
      const profile = profileFor(profileName);
      const ref: ServerRef = { user: user.name, server: serverName };
      const current = await backend.status(ref);
      if (current.phase === 'running' || current.phase === 'starting') return;
      await record(user, ref, {
        profile: profile.name,
        state: 'starting',
        message: null,
        startedAt: now(),
        stoppedAt: null,
        lastActivity: now(),
      });
      log.info({ user: user.name, server: serverName, profile: profile.name }, 'starting server');
      backend
        .start(ref, { profile, baseUrl: serverBaseUrl(ref) })
        .then(
          (status) => record(user, ref, { state: status.phase, message: status.message ?? null }),
          async (e: unknown) => {
            const message =
              e instanceof GanymedeError ? e.userMessage : 'The server could not start.';
            log.warn({ user: user.name, server: serverName, err: e }, 'start failed');
            await record(user, ref, { state: 'failed', message, stoppedAt: now() });
          },
        )
        .catch((e: unknown) => {
          log.error({ err: e }, 'recording a start result failed');
        });
    },

    /** `message` tells the user why it stopped (the culler says so); files are always kept. */
    async stop(user: User, serverName: string, options: { message?: string } = {}): Promise<void> {
      const ref: ServerRef = { user: user.name, server: serverName };
      await record(user, ref, { state: 'stopping' });
      await backend.stop(ref);
      await record(user, ref, {
        state: 'stopped',
        stoppedAt: now(),
        message: options.message ?? null,
      });
      log.info({ user: user.name, server: serverName }, 'stopped server');
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
        } else if (server.state !== 'stopped' && server.state !== 'failed') {
          markedStopped++;
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
