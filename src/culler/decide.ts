/**
 * The culler's rule book, as one pure function: a server's phase and times, its profile's timeout and
 * what the Jupyter server says about itself in → keep or stop, with the reason. No I/O and no
 * clock of its own, so every rule is tested with plain dates (decide.test.ts).
 *
 * Rules, first match wins:
 * 1. Only running servers are culled.
 * 2. Older than `maxAgeHours` (from `startedAt`) → stop, even when busy: the maximum age is
 *    the operator's hard cap, as JupyterHub's idle culler `--max-age`
 *    (https://github.com/jupyterhub/jupyterhub-idle-culler#as-a-standalone-script).
 * 3. A kernel executing code → keep: a long computation is never culled, even though Jupyter's
 *    `last_activity` does not move while a cell sleeps or computes silently.
 * 4. Open kernel connections → keep, only when `countOpenConnections` is on.
 * 5. Idle timeout 0 → keep.
 * 6. Idle (now − last activity) ≥ timeout → stop, else keep.
 *
 * Last activity: with `countOpenConnections` off and the server's own status at hand, it is
 * Jupyter's `last_activity` alone. The proxy's record also counts WebSocket frames, including
 * the keep-alive pings Jupyter exchanges every 30 s with any open tab, so trusting it would
 * let a forgotten tab keep a server forever. Every real use (API calls, code, terminals)
 * reaches Jupyter's own clock anyway. With connections counted, or when the server's status
 * could not be read, the proxy's record counts too. `startedAt` is a floor in every case, so a
 * server is never culled for idleness it had before it started.
 */
import type { ServerPhase } from '../backends/types.ts';
import type { JupyterActivity } from './jupyter-activity.ts';

export type CullReason = 'idle' | 'max-age';

export type KeepReason = 'not-running' | 'busy' | 'connected' | 'no-idle-timeout' | 'active';

export type CullDecision =
  | { readonly action: 'stop'; readonly reason: CullReason; readonly idleMs: number }
  | { readonly action: 'keep'; readonly reason: KeepReason; readonly idleMs: number };

export interface CullSettings {
  /** 0 disables. */
  readonly maxAgeHours: number;
  readonly countOpenConnections: boolean;
}

/** What the culler knows of one server: the backend's phase, the store's times. */
export interface CullServer {
  /** The backend's word (src/backends/types.ts). */
  readonly phase: ServerPhase;
  /** The backend's start time, else when its open run was requested. */
  readonly startedAt: Date | null;
  /** The proxy's and API's record in the store. */
  readonly lastActivity: Date | null;
}

export interface CullInput {
  readonly server: CullServer;
  /** The profile's idle timeout (after any override), in milliseconds; 0 disables. */
  readonly idleTimeoutMs: number;
  /** undefined when the server could not be asked (no route, no answer). */
  readonly jupyter: JupyterActivity | undefined;
  readonly settings: CullSettings;
  readonly now: Date;
}

const HOUR_MS = 3_600_000;

/** The moment the server was last used, by the sources the settings allow. */
export function lastActivityOf(input: Omit<CullInput, 'idleTimeoutMs' | 'now'>): Date | null {
  const { server, jupyter, settings } = input;
  const useProxy = settings.countOpenConnections || jupyter === undefined;
  const times = [server.startedAt, jupyter?.lastActivity, useProxy ? server.lastActivity : null]
    .filter((t): t is Date => t instanceof Date)
    .map((t) => t.getTime());
  return times.length > 0 ? new Date(Math.max(...times)) : null;
}

export function decideCull(input: CullInput): CullDecision {
  const { server, jupyter, settings, now } = input;
  const last = lastActivityOf(input);
  // A running server with no time at all (a row from before activity was recorded) is treated
  // as just used: the culler must not stop something it knows nothing about.
  const idleMs = last ? Math.max(0, now.getTime() - last.getTime()) : 0;

  if (server.phase !== 'running') return { action: 'keep', reason: 'not-running', idleMs };
  if (
    settings.maxAgeHours > 0 &&
    server.startedAt &&
    now.getTime() - server.startedAt.getTime() >= settings.maxAgeHours * HOUR_MS
  ) {
    return { action: 'stop', reason: 'max-age', idleMs };
  }
  if (jupyter?.kernels.some((k) => k.executionState === 'busy')) {
    return { action: 'keep', reason: 'busy', idleMs };
  }
  if (settings.countOpenConnections && (jupyter?.connections ?? 0) > 0) {
    return { action: 'keep', reason: 'connected', idleMs };
  }
  if (input.idleTimeoutMs <= 0) return { action: 'keep', reason: 'no-idle-timeout', idleMs };
  if (idleMs >= input.idleTimeoutMs) return { action: 'stop', reason: 'idle', idleMs };
  return { action: 'keep', reason: 'active', idleMs };
}

/** What the user reads on their home page after a cull. */
export function cullMessage(
  reason: CullReason,
  idleTimeoutMs: number,
  maxAgeHours: number,
): string {
  if (reason === 'max-age') {
    return `Your server was stopped because servers run at most ${formatHours(maxAgeHours)}. Your files are kept.`;
  }
  return `Your server was stopped after ${formatMinutes(idleTimeoutMs)} without activity. Your files are kept.`;
}

function formatHours(hours: number): string {
  return hours === 1 ? '1 hour' : `${hours} hours`;
}

function formatMinutes(ms: number): string {
  if (ms < 60_000) {
    const s = Math.round(ms / 1000);
    return s === 1 ? '1 second' : `${s} seconds`;
  }
  const m = Math.round(ms / 60_000);
  return m === 1 ? '1 minute' : `${m} minutes`;
}

/** A profile's idle timeout in milliseconds; the test-only override applies to non-zero ones. */
export function idleTimeoutMs(profileMinutes: number, overrideSeconds?: number): number {
  if (profileMinutes <= 0) return 0;
  return overrideSeconds === undefined ? profileMinutes * 60_000 : overrideSeconds * 1000;
}
