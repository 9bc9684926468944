/**
 * Activity the proxy reports, written to the store in batches: one transaction per
 * `flushMs` for every server used meanwhile, instead of one per report. The proxy already
 * reports a server at most once a minute (src/proxy/activity-throttle.ts), but a hub that
 * has just started hears from every running server at once: at 1,000 running servers that was
 * 1,000 SQLite commits, each waiting for the disk on the event loop, seconds in which no
 * request was answered (bench/scale, restart). The latest time per server wins.
 *
 * A batch the store could not take (a database outage) goes back into the pending one, under
 * any later time, and is tried again every `RETRY_MS`: at most one entry per server is ever
 * held, so an outage cannot grow it, and the culler does not see a server idle because its
 * activity fell into the outage.
 */
import { isGanymedeError } from '../errors/ganymede-error.ts';
import type { ActivityRecord } from '../store/types.ts';

const RETRY_MS = 5_000;

export interface ActivityBatch {
  add(userName: string, server: string, at: Date): void;
  /** Writes what is pending now (at close). */
  flush(): Promise<void>;
}

export function createActivityBatch(options: {
  readonly flushMs: number;
  readonly userIdOf: (name: string) => Promise<number | undefined>;
  readonly write: (records: readonly ActivityRecord[]) => Promise<void>;
  readonly onError: (error: unknown) => void;
}): ActivityBatch {
  let pending = new Map<string, { user: string; server: string; at: Date }>();
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const keep = (user: string, server: string, at: Date): void => {
    // '\n' cannot occur in a user name (src/names/user-names.ts), so keys never collide.
    const key = `${user}\n${server}`;
    const before = pending.get(key);
    if (!before || before.at < at) pending.set(key, { user, server, at });
  };

  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = [...pending.values()];
    pending = new Map();
    if (batch.length === 0) return writing;
    // One write at a time, in order, so a later time never lands before an earlier one.
    writing = writing.then(async () => {
      try {
        const records: ActivityRecord[] = [];
        for (const r of batch) {
          const userId = await options.userIdOf(r.user);
          if (userId !== undefined) records.push({ userId, name: r.server, at: r.at });
        }
        if (records.length > 0) await options.write(records);
      } catch (e) {
        options.onError(e);
        if (isGanymedeError(e) && e.code === 'unavailable') {
          for (const r of batch) keep(r.user, r.server, r.at);
          // Unref'd: a hub closing during an outage does not wait for the database.
          timer ??= setTimeout(() => void flush(), Math.max(options.flushMs, RETRY_MS)).unref();
        }
      }
    });
    return writing;
  };

  return {
    add(user, server, at) {
      keep(user, server, at);
      timer ??= setTimeout(() => void flush(), options.flushMs);
    },
    flush,
  };
}
