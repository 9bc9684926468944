/**
 * The faults the soak injects, behind one interface, and the runner that injects them on the
 * schedule (schedule.ts). The cluster's, the node's and PostgreSQL's fault functions are
 * found at run time on the objects the test harness returns (`TestCluster.faults`,
 * `TestCluster.nodeFaults`, `TestPostgres.stopServer/startServer`, the names issue 16's
 * helpers share): a fault whose functions are not there is left out, and the results say so.
 * The hub kill is the soak's own (replicas.ts).
 */
import type { FaultKind, ScheduledFault } from './schedule.ts';
import type { FaultWindow } from './stats.ts';

/** The shapes of the shared fault functions (test/cluster/faults.ts and friends). */
interface ClusterFaultsLike {
  stopApiServer(): Promise<void>;
  startApiServer(): Promise<void>;
  restartEtcd(): Promise<void>;
}
interface NodeFaultsLike {
  killNode(): Promise<void>;
  startNode(): Promise<void>;
}
interface PostgresFaultsLike {
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
}

export interface Fault {
  readonly kind: FaultKind;
  /** What is done, in words, for the report. */
  readonly what: string;
  inject(): Promise<string | undefined>;
  /** How long the fault lasts before `recover`. */
  readonly holdMs: number;
  recover(): Promise<void>;
}

export interface FaultTargets {
  readonly cluster: object;
  readonly postgres: object;
  /** SIGKILL a hub replica and start it again after `downMs`; returns its name. */
  readonly killHub: (downMs: number) => Promise<string>;
}

const has = <T extends object>(o: unknown, ...fns: (keyof T)[]): o is T =>
  typeof o === 'object' &&
  o !== null &&
  fns.every((f) => typeof (o as Record<keyof T, unknown>)[f] === 'function');

/** The faults this build can inject; the others with the reason they are missing. */
export function availableFaults(t: FaultTargets): {
  faults: Map<FaultKind, Fault>;
  missing: Map<FaultKind, string>;
} {
  const faults = new Map<FaultKind, Fault>();
  const missing = new Map<FaultKind, string>();
  const add = (f: Fault): void => {
    faults.set(f.kind, f);
  };
  add({
    kind: 'hub-kill',
    what: 'one hub replica (in turn) SIGKILLed, started again on the same port 10 s later',
    holdMs: 0,
    inject: () => t.killHub(10_000),
    recover: () => Promise.resolve(),
  });
  const cf = (t.cluster as { faults?: unknown }).faults;
  if (has<ClusterFaultsLike>(cf, 'stopApiServer', 'startApiServer')) {
    add({
      kind: 'api-server-down',
      what: 'the API server stopped for 2 minutes, started again on the same port',
      holdMs: 120_000,
      inject: async () => {
        await cf.stopApiServer();
        return undefined;
      },
      recover: () => cf.startApiServer(),
    });
  } else
    missing.set(
      'api-server-down',
      'TestCluster.faults.stopApiServer/startApiServer not on this branch',
    );
  if (has<ClusterFaultsLike>(cf, 'restartEtcd')) {
    add({
      kind: 'etcd-restart',
      what: 'etcd restarted',
      holdMs: 0,
      inject: async () => {
        await cf.restartEtcd();
        return undefined;
      },
      recover: () => Promise.resolve(),
    });
  } else missing.set('etcd-restart', 'TestCluster.faults.restartEtcd not on this branch');
  const pg = t.postgres;
  if (has<PostgresFaultsLike>(pg, 'stopServer', 'startServer')) {
    add({
      kind: 'postgres-down',
      what: 'PostgreSQL stopped for 1 minute (data kept), started again on the same port',
      holdMs: 60_000,
      inject: async () => {
        await pg.stopServer();
        return undefined;
      },
      recover: () => pg.startServer(),
    });
  } else missing.set('postgres-down', 'TestPostgres.stopServer/startServer not on this branch');
  const nf = (t.cluster as { nodeFaults?: unknown }).nodeFaults;
  if (has<NodeFaultsLike>(nf, 'killNode', 'startNode')) {
    add({
      kind: 'node-lost',
      what: 'the node (node agent and its pods) killed, a node agent started again 1 minute later',
      holdMs: 60_000,
      inject: async () => {
        await nf.killNode();
        return undefined;
      },
      recover: () => nf.startNode(),
    });
  } else missing.set('node-lost', 'TestCluster.nodeFaults.killNode/startNode not on this branch');
  return { faults, missing };
}

export interface FaultEvent {
  readonly kind: FaultKind;
  readonly scheduledMs: number;
  injectedMs: number;
  recoveredMs: number | null;
  detail?: string;
  error?: string;
}

/**
 * Injects the scheduled faults one at a time (never before the previous one recovered) until
 * the schedule ends or `signal` aborts; a fault under way is always recovered before this
 * resolves.
 */
export async function runFaults(input: {
  schedule: readonly ScheduledFault[];
  faults: ReadonlyMap<FaultKind, Fault>;
  nowMs: () => number;
  signal: AbortSignal;
  log: (m: string) => void;
  events: FaultEvent[];
}): Promise<void> {
  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (ms <= 0 || input.signal.aborted) {
        resolve();
        return;
      }
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        input.signal.removeEventListener('abort', done);
        resolve();
      }
      input.signal.addEventListener('abort', done, { once: true });
    });
  for (const s of input.schedule) {
    await wait(s.atMs - input.nowMs());
    if (input.signal.aborted) return;
    const fault = input.faults.get(s.kind);
    if (!fault) continue;
    const event: FaultEvent = {
      kind: s.kind,
      scheduledMs: s.atMs,
      injectedMs: input.nowMs(),
      recoveredMs: null,
    };
    input.events.push(event);
    input.log(`fault: ${fault.what}`);
    try {
      const detail = await fault.inject();
      if (detail !== undefined) event.detail = detail;
      // Held for its time even when the soak ends meanwhile: then it recovers at once.
      await wait(fault.holdMs);
      await fault.recover();
      event.recoveredMs = input.nowMs();
      input.log(
        `fault ${s.kind}: recovered after ${String(Math.round((event.recoveredMs - event.injectedMs) / 1000))} s`,
      );
    } catch (e) {
      event.error = String(e);
      input.log(`fault ${s.kind} failed: ${String(e)}`);
      // Put things back as far as possible; a failed recovery is reported, not retried blindly.
      await fault.recover().catch(() => undefined);
      event.recoveredMs = input.nowMs();
    }
  }
}

export function faultWindows(
  events: readonly FaultEvent[],
  graceMs: number,
  endMs: number,
): FaultWindow[] {
  return events.map((e) => ({
    kind: e.kind,
    fromMs: e.injectedMs,
    toMs: (e.recoveredMs ?? endMs) + graceMs,
  }));
}
