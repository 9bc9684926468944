/**
 * Throttles activity records: the culler only needs to know a server was used in the last
 * minute or so, and a store write per request (or per WebSocket frame) would cost more than
 * the proxying itself. The first use of a server is recorded at once, then at most one record
 * per `intervalMs`, at the time of the use that triggered it.
 */
import type { ServerRef } from '../backends/types.ts';

export interface ActivityThrottle {
  /** Cheap enough to call per request and per WebSocket chunk. */
  touch(ref: ServerRef): void;
}

export interface ActivityThrottleOptions {
  readonly intervalMs: number;
  readonly now: () => number;
  readonly record: (ref: ServerRef, at: Date) => void;
  /** Called if `record` throws; the request goes on regardless. */
  readonly onError?: (error: unknown) => void;
}

/** Above this many remembered servers, forget the ones not used for an interval. */
const SWEEP_ABOVE = 10_000;

export function createActivityThrottle(options: ActivityThrottleOptions): ActivityThrottle {
  const last = new Map<string, number>();
  return {
    touch(ref) {
      const at = options.now();
      // '\n' cannot occur in a user name (src/names/user-names.ts), so keys never collide.
      const key = ref.server === '' ? ref.user : `${ref.user}\n${ref.server}`;
      const previous = last.get(key);
      if (previous !== undefined && at - previous < options.intervalMs) return;
      if (previous === undefined && last.size >= SWEEP_ABOVE) sweep(last, at, options.intervalMs);
      last.set(key, at);
      try {
        options.record(ref, new Date(at));
      } catch (error) {
        options.onError?.(error);
      }
    },
  };
}

function sweep(last: Map<string, number>, at: number, intervalMs: number): void {
  for (const [key, time] of last) if (at - time >= intervalMs) last.delete(key);
}
