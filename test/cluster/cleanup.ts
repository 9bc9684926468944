/**
 * Every running harness is registered here, so that nothing it started outlives the test
 * process: on normal exit (synchronously: `exit` listeners cannot await) and on SIGINT,
 * SIGTERM and SIGHUP (asynchronously, then exit with the signal's conventional status).
 * SIGKILL of the test process is covered by `--pdeathsig` on every child (managed-process.ts)
 * and by the sweep of stale pod networks at the next start (network/claim.ts).
 */
import { constants } from 'node:os';

export interface Cleanable {
  stop(): Promise<void>;
  /** Best effort without awaiting anything: kill processes, delete links, remove files. */
  stopNow(): void;
}

const active = new Set<Cleanable>();
let hooksInstalled = false;

export function trackForCleanup(resource: Cleanable): () => void {
  installHooks();
  active.add(resource);
  return () => {
    active.delete(resource);
  };
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const resource of active) {
      try {
        resource.stopNow();
      } catch {
        // Keep going: the other resources still need their cleanup.
      }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      void Promise.allSettled([...active].map((r) => r.stop())).then(() => {
        process.exit(128 + constants.signals[signal]);
      });
    });
  }
}
