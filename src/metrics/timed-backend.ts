/**
 * Times spawns by wrapping the backend the server service uses: `start` resolves when the
 * server runs or has failed (see src/backends/types.ts), which is exactly the spawn's end.
 * Every other method passes through unchanged, so the backend contract holds as it was.
 */
import type { Backend } from '../backends/types.ts';
import type { SpawnOutcome } from './hub-metrics.ts';

export type ObserveSpawn = (profile: string, outcome: SpawnOutcome, seconds: number) => void;

export function withSpawnTiming(
  backend: Backend,
  observe: ObserveSpawn,
  /** Monotonic milliseconds. Default `performance.now`. */
  clockMs: () => number = () => performance.now(),
): Backend {
  return {
    kind: backend.kind,
    async start(ref, options) {
      const started = clockMs();
      const seconds = () => (clockMs() - started) / 1000;
      try {
        const status = await backend.start(ref, options);
        observe(
          options.profile.name,
          status.phase === 'running' ? 'success' : 'failure',
          seconds(),
        );
        return status;
      } catch (e) {
        observe(options.profile.name, 'failure', seconds());
        throw e;
      }
    },
    stop: (ref) => backend.stop(ref),
    delete: (ref, options) => backend.delete(ref, options),
    status: (ref) => backend.status(ref),
    progress: (ref) => backend.progress(ref),
    list: () => backend.list(),
    find: (filter) => backend.find(filter),
    route: (ref) => backend.route(ref),
    close: () => backend.close(),
  };
}
