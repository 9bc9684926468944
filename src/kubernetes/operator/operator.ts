/**
 * The JupyterNotebook operator: caches filled by watches, a work queue of notebook keys, a
 * few workers running `reconcileNotebook`, and optional Lease-based leader election. Runs as
 * `ganymede operator` or inside the hub process (`startOperator`).
 *
 * Lifecycle: `startOperator` resolves at once; `ready` resolves when this replica leads (or
 * leader election is off) and its caches are filled. `stop` is idempotent: it stops the
 * workers after their current step, closes the watches and hands back the Lease. Killing the
 * process at any point is safe: reconciles are idempotent and re-derived from the cluster.
 */
import { hostname } from 'node:os';
import type { KubeConfig } from '#kubernetes-client';
import { silentLogger, type Logger } from '../../logging/logger.ts';
import { createKubeApi, type KubeApi } from '../client/kube-api.ts';
import { newToken } from '../resources/secret.ts';
import { defaultBuildSettings, type BuildSettings } from '../resources/settings.ts';
import { createInformers, notebookKeyOfOwned, splitKey, type InformerSet } from './informers.ts';
import {
  startLeaderElection,
  type LeaderElectionTiming,
  type LeaderElector,
} from './leader-election.ts';
import { Admission } from './admission.ts';
import { firstLooks } from './first-look.ts';
import { FALLBACK_MAX_STARTING, startCapacityWatch } from './start-capacity.ts';
import { reconcileNotebook, type ReconcileDeps, type RunningEvent } from './reconcile.ts';
import { WorkQueue, realTimers, type Timers } from './work-queue.ts';

/** How long a routine change waits for others to the same notebook (see onChange below). */
const COALESCE_MS = 150;

/** The hub's own default (`backend.kubernetes.nodeLostSeconds`). */
export const DEFAULT_NODE_LOST_AFTER_MS = 60_000;
/** Settled notebooks' first looks after taking the lead are spread over this (./first-look.ts). */
const FIRST_LOOK_SPREAD_MS = 5_000;
/** The hub's own default (`backend.kubernetes.startTimeoutSeconds`). */
export const DEFAULT_START_TIMEOUT_MS = 300_000;

export interface OperatorOptions {
  readonly kubeConfig: KubeConfig;
  /** Watch and manage notebooks in this namespace only; undefined means all namespaces. */
  readonly namespace?: string | undefined;
  readonly settings?: BuildSettings;
  /** Notebooks reconciled at once. Default 4. */
  readonly workers?: number;
  /** Lease-based election, for several replicas; off when undefined. */
  readonly leaderElection?:
    | {
        readonly namespace: string;
        /** Default `ganymede-operator`. */
        readonly leaseName?: string;
        /** Default `<hostname>_<pid>`. */
        readonly identity?: string;
        readonly timing?: LeaderElectionTiming;
      }
    | undefined;
  /** Called when this replica loses the Lease; the CLI exits so it restarts clean. */
  readonly onLostLeadership?: () => void;
  readonly log?: Logger;
  readonly now?: () => Date;
  readonly timers?: Timers;
  /** Called when a notebook turns Running, with the operator's own share of the latency
   * (its watch saw the pod Ready → the API server accepted status Running). */
  readonly onRunning?: (event: RunningEvent) => void;
  /** First and longest retry delay of a failing notebook. Default 100 ms and 60 s. */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  /** Servers that may be starting at once (./admission.ts): a number (0: no limit), or
   * 'auto' (default): from the nodes' CPUs (./start-capacity.ts). */
  readonly maxStarting?: number | 'auto';
  /** A hub-started server not ready this long after its start (or admission) fails. Default
   * 300 s; 0 turns the time-out off. */
  readonly startTimeoutMs?: number;
  /** A hub-started server whose node has not been heard from this long is reported stopped
   * (./node-health.ts). Default 60 s. Needs permission to list nodes. */
  readonly nodeLostAfterMs?: number;
  /**
   * The process's one informer set (./informers.ts), when the operator runs inside the hub: the
   * hub's backend and culler read the same caches, so every object is watched once. Started
   * and stopped by its owner; without it the operator makes and runs its own.
   */
  readonly informers?: InformerSet;
}

export interface RunningOperator {
  readonly ready: Promise<void>;
  isLeader(): boolean;
  stop(): Promise<void>;
}

export function startOperator(options: OperatorOptions): RunningOperator {
  const log = options.log ?? silentLogger;
  const workers = options.workers ?? 4;
  let api: KubeApi | undefined;
  let informers: InformerSet | undefined;
  let queue: WorkQueue | undefined;
  let running: Promise<void>[] = [];
  let elector: LeaderElector | undefined;
  let stopping: Promise<void> | undefined;
  let stopCapacity: () => void = () => undefined;
  let stopWake: () => void = () => undefined;
  let unsubscribe: () => void = () => undefined;
  let wakeTimer: unknown;
  let resolveReady: () => void = () => undefined;
  let rejectReady: (e: unknown) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });

  async function worker(q: WorkQueue, deps: ReconcileDeps): Promise<void> {
    for (;;) {
      const key = await q.get();
      if (key === undefined) return;
      try {
        const result = await reconcileNotebook(deps, key);
        // A turn came free: the head of the queue looks again (each decides in queue order).
        if (deps.admission?.settle(key, deps.caches, deps.written) === true) {
          for (const waiting of deps.admission.waitingHead(deps.caches, deps.written)) {
            q.add(waiting);
          }
        }
        if (result.outcome === 'retry') {
          const delay = q.addRateLimited(key);
          log.warn(
            { notebook: key, err: result.error, retryInMs: delay },
            'reconcile failed; will retry',
          );
        } else {
          q.forget(key);
          if (result.retryInMs !== undefined) q.addAfter(key, result.retryInMs);
          log.debug({ notebook: key, phase: result.phase }, 'reconciled');
        }
      } catch (e) {
        const delay = q.addRateLimited(key);
        log.error({ notebook: key, err: e, retryInMs: delay }, 'reconcile crashed; will retry');
      } finally {
        q.done(key);
      }
    }
  }

  async function startController(kubeApi: KubeApi): Promise<void> {
    const generationSeen = new Map<string, number | undefined>();
    const specChanged = (key: string): boolean => {
      const { namespace, name } = splitKey(key);
      const nb = informers?.caches.notebooks.get(name, namespace);
      if (nb === undefined) return false;
      const generation = nb.metadata?.generation;
      if (generationSeen.get(key) === generation) return false;
      if (generationSeen.size > 100_000) generationSeen.clear();
      generationSeen.set(key, generation);
      return true;
    };
    const q = new WorkQueue(
      options.timers ?? realTimers,
      options.backoff ?? { baseMs: 100, maxMs: 60_000 },
    );
    queue = q;
    const onChange = (key: string, urgent: boolean): void => {
      // A start is a quick run of changes (pod created, bound, container started, events):
      // a short wait lets one reconcile and one status write cover several of them. What
      // someone waits for goes at once: a pod that just became ready (first in line), a
      // new notebook or a changed spec (in the order they came).
      if (urgent) q.add(key, true);
      else if (specChanged(key)) q.add(key);
      else q.addAfter(key, COALESCE_MS);
    };
    const inf =
      options.informers ??
      createInformers({
        kubeConfig: options.kubeConfig,
        api: kubeApi,
        namespace: options.namespace,
        onError: (kind, err) => {
          log.warn({ kind, err }, 'watch failed; re-listing');
        },
      });
    informers = inf;
    unsubscribe = inf.subscribe(onChange);
    // Workers wait for every cache: a status computed from a half-filled pod cache would be wrong.
    await inf.start();
    const looks = firstLooks(
      inf.caches.notebooks.list(),
      (key) => inf.caches.pods.byIndex('notebook', key),
      FIRST_LOOK_SPREAD_MS,
    );
    for (const { key, afterMs } of looks) {
      if (afterMs === 0) q.add(key);
      else q.addAfter(key, afterMs);
    }
    const now = options.now ?? (() => new Date());
    // Listed whatever maxStarting says: the same list tells which nodes are lost.
    const capacity = startCapacityWatch({
      api: kubeApi,
      log,
      timers: options.timers ?? realTimers,
      nodeLostAfterMs: options.nodeLostAfterMs ?? DEFAULT_NODE_LOST_AFTER_MS,
      now: () => now().getTime(),
      onNodesChanged: (names) => {
        for (const node of names) {
          for (const pod of inf.caches.pods.byIndex('node', node)) {
            const key = notebookKeyOfOwned(pod);
            if (key !== undefined) q.add(key);
          }
        }
      },
    });
    stopCapacity = () => {
      capacity.stop();
    };
    await capacity.ready;
    const fixed = typeof options.maxStarting === 'number' ? options.maxStarting : undefined;
    const deps: ReconcileDeps = {
      api: kubeApi,
      caches: inf.caches,
      settings: options.settings ?? defaultBuildSettings,
      now,
      newToken,
      applied: new Map(),
      logTails: new Map(),
      written: new Map(),
      podReadyObservedAt: (uid) => inf.podReadyObservedAt(uid),
      ...(options.startTimeoutMs === 0
        ? {}
        : { startTimeoutMs: options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS }),
      admission: new Admission({
        limit: () => fixed ?? capacity.limit() ?? FALLBACK_MAX_STARTING,
        now,
      }),
      ...(options.onRunning ? { onRunning: options.onRunning } : {}),
      nodes: {
        state: (n) => capacity.nodeState(n),
        lostAt: (n) => capacity.nodeLostAt(n),
        silentSince: (n) => capacity.nodeSilentSince(n),
      },
    };
    running = Array.from({ length: workers }, () => worker(q, deps));
    // A turn can also come free without an event (a start gone stale): look again now and then.
    const timers = options.timers ?? realTimers;
    const rewake = (): void => {
      for (const waiting of deps.admission?.waitingHead(deps.caches, deps.written) ?? []) {
        q.add(waiting);
      }
      wakeTimer = timers.setTimeout(rewake, 5_000);
    };
    wakeTimer = timers.setTimeout(rewake, 5_000);
    stopWake = () => {
      timers.clearTimeout(wakeTimer);
    };
    log.info({ namespace: options.namespace ?? '(all)', workers }, 'operator reconciling');
    resolveReady();
  }

  async function stopController(): Promise<void> {
    stopCapacity();
    stopWake();
    queue?.shutdown();
    unsubscribe();
    // Shared informers belong to the hub, which keeps them for its backend.
    if (!options.informers) await informers?.stop();
    await Promise.all(running);
    running = [];
  }

  void (async () => {
    try {
      const kubeApi = await createKubeApi(options.kubeConfig);
      api = kubeApi;
      const le = options.leaderElection;
      if (!le) {
        await startController(kubeApi);
        return;
      }
      const identity = le.identity ?? `${hostname()}_${process.pid}`;
      elector = startLeaderElection({
        api: kubeApi,
        namespace: le.namespace,
        name: le.leaseName ?? 'ganymede-operator',
        identity,
        ...(le.timing ? { timing: le.timing } : {}),
        onStartedLeading: () => {
          log.info({ identity }, 'leading');
          startController(kubeApi).catch((e: unknown) => {
            rejectReady(e);
          });
        },
        onStoppedLeading: () => {
          log.error({ identity }, 'lost the lease; stopping');
          void stopController().then(() => options.onLostLeadership?.());
        },
        onError: (err) => {
          log.warn({ err }, 'leader election');
        },
      });
    } catch (e) {
      rejectReady(e);
    }
  })();

  return {
    ready,
    isLeader: () => elector?.isLeader() ?? api !== undefined,
    stop() {
      stopping ??= (async () => {
        await stopController();
        await elector?.stop();
        api?.close();
      })();
      return stopping;
    },
  };
}
