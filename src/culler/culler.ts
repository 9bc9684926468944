/**
 * The culling loop: every `intervalSeconds`, ask each running server how it is used, apply
 * the rules in decide.ts, and stop what is idle or too old through the server service (which
 * keeps files: stopping never deletes storage, see src/backends/types.ts).
 *
 * Lifecycle:
 * - `start()` schedules rounds, one `intervalSeconds` after the previous one finished, so
 *   rounds never overlap however slow a server is to answer. Calling it twice is harmless.
 * - `runOnce()` runs a round now; while one runs, callers share it.
 * - `stop()` cancels the schedule and waits for a round in flight. Idempotent.
 * - Several hub replicas: the culler must act in exactly one. `isLeader()` is asked at
 *   each round; a replica that is not the leader skips the round (default: always the
 *   leader, right for one replica). The Kubernetes deployment passes the Lease holder check.
 * - After a crash nothing is lost: the next round reads everything again from the backend and
 *   the store.
 *
 * A round's queue is the backend's running servers (`Backend.find`, its index), joined with
 * one batched store read for their users, records and open runs: never a whole table.
 */
import type { Backend, ServerRef, ServerStatus } from '../backends/types.ts';
import type { Config, Profile } from '../config/schema.ts';
import type { Logger } from '../logging/logger.ts';
import { serverBaseUrl } from '../servers/server-service.ts';
import type { ServerRecord, ServerRun, Store, User } from '../store/types.ts';
import {
  cullMessage,
  decideCull,
  idleTimeoutMs,
  type CullDecision,
  type CullReason,
} from './decide.ts';
import {
  createJupyterActivityReader,
  type JupyterActivity,
  type ReadJupyterActivity,
} from './jupyter-activity.ts';

export type CullerSettings = Config['culler'];

export interface CullerOptions {
  readonly store: Store;
  readonly servers: {
    profileFor(name: string | undefined): Profile;
    stop(user: User, serverName: string, options?: { message?: string }): Promise<void>;
  };
  /**
   * The backend: `find` lists the running servers, `status` checks one again before it is
   * stopped, `route` says where it answers, with its own token.
   */
  readonly backend: Pick<Backend, 'find' | 'status' | 'route'>;
  readonly settings: CullerSettings;
  readonly log: Logger;
  /** Default: HTTP to the server (jupyter-activity.ts). */
  readonly readActivity?: ReadJupyterActivity;
  /** Default: `() => new Date()`. */
  readonly now?: () => Date;
  /** Runs `fn` after `ms`; returns a cancel function. Default: an unref'd setTimeout. */
  readonly schedule?: (fn: () => void, ms: number) => () => void;
  /** Whether this replica culls; asked at every round. Default: always true. */
  readonly isLeader?: () => boolean;
  /** Called once per server stopped (metrics). Must not throw. */
  readonly onCull?: (reason: CullReason) => void;
  /** Servers asked at once in a round. Default 8. */
  readonly concurrency?: number;
}

export interface ServerVerdict {
  readonly ref: ServerRef;
  readonly decision: CullDecision;
  /** The server's own status, when it answered. */
  readonly jupyter: JupyterActivity | undefined;
  /** Set when stopping failed; the next round tries again. */
  readonly error?: string;
}

export interface CullRound {
  readonly at: Date;
  readonly skipped?: 'not-leader';
  readonly verdicts: readonly ServerVerdict[];
}

export interface Culler {
  start(): void;
  runOnce(): Promise<CullRound>;
  /** Resolves with the next round to finish (tests and diagnostics). */
  nextRound(): Promise<CullRound>;
  stop(): Promise<void>;
}

/** One running server, as a round found it: the backend's status, the store's record and run. */
interface Candidate {
  readonly user: User;
  readonly ref: ServerRef;
  readonly status: ServerStatus;
  readonly record: ServerRecord | undefined;
  readonly run: ServerRun | undefined;
}

function defaultSchedule(fn: () => void, ms: number): () => void {
  const timer = setTimeout(fn, ms);
  // The culler alone must not keep a process alive (the CLI and tests close the hub).
  timer.unref();
  return () => {
    clearTimeout(timer);
  };
}

export function createCuller(options: CullerOptions): Culler {
  const { store, servers, settings, log } = options;
  const now = options.now ?? (() => new Date());
  const schedule = options.schedule ?? defaultSchedule;
  const isLeader = options.isLeader ?? (() => true);
  const readActivity = options.readActivity ?? createJupyterActivityReader();
  const concurrency = options.concurrency ?? 8;
  const intervalMs = settings.intervalSeconds * 1000;

  let running = false;
  let cancelTimer: (() => void) | undefined;
  let inFlight: Promise<CullRound> | undefined;
  let waiters: ((round: CullRound) => void)[] = [];

  async function examine(candidate: Candidate): Promise<ServerVerdict> {
    const { user, ref, status, record, run } = candidate;
    const profile = profileOf(record?.profile ?? status.profile);
    const timeoutMs = idleTimeoutMs(
      profile.idleTimeoutMinutes,
      settings.idleTimeoutSecondsOverride,
    );
    const route = options.backend.route(ref);
    let jupyter: JupyterActivity | undefined;
    if (route) {
      try {
        jupyter = await readActivity(route, serverBaseUrl(ref));
      } catch (e) {
        // Decided on the proxy's record alone this round (see decide.ts).
        log.warn({ user: user.name, server: ref.server, err: e }, 'reading server status failed');
      }
    }
    const lastActivity = record?.lastActivity ?? null;
    if (jupyter && (!lastActivity || jupyter.lastActivity.getTime() > lastActivity.getTime())) {
      // Kernel and API use show on the admin page and in the active-users metric too.
      await store.recordActivity(user.id, ref.server, jupyter.lastActivity);
    }
    const server = {
      phase: status.phase,
      startedAt: status.startedAt ?? run?.requestedAt ?? null,
      lastActivity,
    };
    const decision = decideCull({
      server,
      idleTimeoutMs: timeoutMs,
      jupyter,
      settings,
      now: now(),
    });
    if (decision.action === 'keep') return { ref, decision, jupyter };

    // Between listing and now the user may have stopped and started again: act only on the
    // server that was judged (still running, the same run).
    const [current, latest] = await Promise.all([
      options.backend.status(ref),
      store.lastRun(user.id, ref.server),
    ]);
    const sameRun = run === undefined || (latest?.id === run.id && latest.endedAt === null);
    if (current.phase !== 'running' || !sameRun) {
      return {
        ref,
        decision: { action: 'keep', reason: 'not-running', idleMs: decision.idleMs },
        jupyter,
      };
    }
    log.info(
      {
        user: user.name,
        server: ref.server,
        reason: decision.reason,
        idleSeconds: Math.round(decision.idleMs / 1000),
      },
      'culling server',
    );
    try {
      await servers.stop(user, ref.server, {
        message: cullMessage(decision.reason, timeoutMs, settings.maxAgeHours),
      });
    } catch (e) {
      log.error({ user: user.name, server: ref.server, err: e }, 'culling a server failed');
      return { ref, decision, jupyter, error: e instanceof Error ? e.message : String(e) };
    }
    options.onCull?.(decision.reason);
    return { ref, decision, jupyter };
  }

  function profileOf(name: string | undefined): Profile {
    try {
      return servers.profileFor(name);
    } catch {
      // The profile was removed from the configuration since: judge by the default one.
      return servers.profileFor(undefined);
    }
  }

  /** The running servers with their users, records and open runs: three store queries. */
  async function candidates(): Promise<Candidate[]> {
    const running = options.backend.find({ phases: ['running'] });
    const names = [...new Set(running.map((s) => s.ref.user))];
    const users = new Map<string, User>();
    for (let i = 0; i < names.length; i += 500) {
      for (const u of await store.getUsersByName(names.slice(i, i + 500))) users.set(u.name, u);
    }
    const ids = [...users.values()].map((u) => u.id);
    const [records, runs] =
      ids.length === 0
        ? [[], []]
        : await Promise.all([store.listServersOf(ids), store.openRunsOf(ids)]);
    const key = (userId: number, name: string) => `${String(userId)}\0${name}`;
    const recordOf = new Map(records.map((r) => [key(r.userId, r.name), r]));
    const runOf = new Map(runs.map((r) => [key(r.userId, r.serverName), r]));
    return running.flatMap(({ ref, status }) => {
      const user = users.get(ref.user);
      if (!user) return [];
      const k = key(user.id, ref.server);
      return [{ user, ref, status, record: recordOf.get(k), run: runOf.get(k) }];
    });
  }

  async function round(): Promise<CullRound> {
    const at = now();
    if (!isLeader()) return { at, skipped: 'not-leader', verdicts: [] };
    const queue = await candidates();
    const verdicts: ServerVerdict[] = [];
    const worker = async () => {
      for (let server = queue.shift(); server; server = queue.shift()) {
        try {
          verdicts.push(await examine(server));
        } catch (e) {
          log.error({ err: e }, 'culler could not examine a server');
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { at, verdicts };
  }

  function runOnce(): Promise<CullRound> {
    inFlight ??= round()
      .catch((e: unknown): CullRound => {
        log.error({ err: e }, 'culling round failed');
        return { at: now(), verdicts: [] };
      })
      .then((result) => {
        inFlight = undefined;
        const current = waiters;
        waiters = [];
        for (const resolve of current) resolve(result);
        return result;
      });
    return inFlight;
  }

  function scheduleNext(): void {
    if (!running) return;
    cancelTimer = schedule(() => {
      cancelTimer = undefined;
      void runOnce().then(scheduleNext);
    }, intervalMs);
  }

  return {
    start() {
      if (running) return;
      running = true;
      log.info({ intervalSeconds: settings.intervalSeconds }, 'culler started');
      scheduleNext();
    },
    runOnce,
    nextRound() {
      return new Promise((resolve) => waiters.push(resolve));
    },
    async stop() {
      running = false;
      cancelTimer?.();
      cancelTimer = undefined;
      await inFlight;
    },
  };
}
