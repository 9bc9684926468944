/**
 * An in-memory Backend for unit tests of the modules above the backend (web pages, server
 * service), with misbehaving modes in the spirit of JupyterHub's test spawners. Never the
 * only proof that a feature works: the local backend's tests run real Jupyter.
 */
import type {
  Backend,
  ProgressEvent,
  Route,
  ServerRef,
  ServerStatus,
  StartOptions,
} from '../types.ts';

export type FakeMode = 'ok' | 'fails' | 'never-starts';

const key = (ref: ServerRef) => `${ref.user}\0${ref.server}`;

export function createFakeBackend(options: { mode?: FakeMode; target?: string } = {}) {
  const mode = options.mode ?? 'ok';
  const servers = new Map<string, { status: ServerStatus; events: ProgressEvent[] }>();
  const calls: { op: string; ref: ServerRef; options?: StartOptions }[] = [];

  const backend: Backend & { calls: typeof calls } = {
    kind: 'local',
    calls,
    start(ref, startOptions) {
      calls.push({ op: 'start', ref, options: startOptions });
      const events: ProgressEvent[] = [{ progress: 10, message: 'Starting Jupyter' }];
      if (mode === 'ok') {
        events.push({ progress: 100, message: 'Your server is ready', ready: true });
        const status: ServerStatus = { phase: 'running', profile: startOptions.profile.name };
        servers.set(key(ref), { status, events });
        return Promise.resolve(status);
      }
      if (mode === 'fails') {
        events.push({
          progress: 100,
          message: 'The notebook server stopped while starting.',
          failed: true,
          detail: 'Traceback: boom',
        });
        servers.set(key(ref), {
          status: { phase: 'failed', message: 'The notebook server stopped while starting.' },
          events,
        });
        return Promise.resolve({ phase: 'failed' });
      }
      servers.set(key(ref), { status: { phase: 'starting' }, events });
      return new Promise<ServerStatus>(() => undefined);
    },
    stop(ref) {
      calls.push({ op: 'stop', ref });
      servers.delete(key(ref));
      return Promise.resolve();
    },
    delete(ref) {
      calls.push({ op: 'delete', ref });
      servers.delete(key(ref));
      return Promise.resolve();
    },
    status(ref) {
      return Promise.resolve(servers.get(key(ref))?.status ?? { phase: 'stopped' });
    },
    async *progress(ref) {
      await Promise.resolve();
      for (const e of servers.get(key(ref))?.events ?? []) yield e;
    },
    list() {
      return Promise.resolve(
        [...servers.entries()].map(([k, v]) => {
          const [user = '', server = ''] = k.split('\0');
          return { ref: { user, server }, status: v.status };
        }),
      );
    },
    find(filter) {
      return [...servers.entries()].flatMap(([k, v]) => {
        const [user = '', server = ''] = k.split('\0');
        if (filter.user !== undefined && user !== filter.user) return [];
        return filter.phases.includes(v.status.phase)
          ? [{ ref: { user, server }, status: v.status }]
          : [];
      });
    },
    route(ref): Route | undefined {
      const s = servers.get(key(ref));
      return s?.status.phase === 'running'
        ? { target: options.target ?? 'http://127.0.0.1:9', token: 'fake-token' }
        : undefined;
    },
    close() {
      return Promise.resolve();
    },
  };
  return backend;
}
