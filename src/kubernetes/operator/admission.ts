/**
 * Start admission: how many notebook servers may be starting at once, and whose turn is next.
 *
 * Why: a starting Jupyter server is CPU-bound for a second or two (Python imports, extension
 * discovery). Fifty started at once on one machine share its CPU, so every one of them finishes
 * at about the time the last one would have finished had they started one after another:
 * everyone waits as long as the slowest. Letting a few start at a time, first come first
 * served, ends the last start at the same time but gives half the people their notebook in
 * about half the time; and nobody is turned away (JupyterHub answers a burst with 429 "Too many
 * users trying to log in right now"). A server that no machine has room for uses no CPU and is
 * the scheduler's (or cluster autoscaler's) business, so it does not hold a turn: an autoscaler
 * still sees every waiting pod at once.
 *
 * The decision is synchronous over the watch caches plus this operator's own record of what
 * it admitted and not yet seen in the caches, so concurrent workers cannot admit past the
 * limit. Turns are kept in the cluster (the `Admitted` condition's time), so a new leader
 * carries on in the same order.
 */
import type { NotebookCondition, NotebookStatus } from '../../notebook-spec/status.ts';
import { labelKeys } from '../labels.ts';
import { notebookObjectNames } from '../object-names.ts';
import type { KubeObject, Pod } from '../plain.ts';
import { keyOf, splitKey, type Caches } from './informers.ts';
import { QUEUED_REASON, isPodReady, isTerminating } from './status.ts';

/** Ready reasons (src/kubernetes/operator/diagnose.ts) of a pod no machine can take now. */
const UNPLACEABLE = new Set([
  'Unschedulable',
  'InsufficientCPU',
  'InsufficientMemory',
  'InsufficientGPU',
]);

/** One notebook, as far as admission is concerned. */
export interface AdmissionView {
  readonly key: string;
  /** Not stopped and not being deleted. */
  readonly wantsToRun: boolean;
  /** Its Deployment asks for a pod, or this operator has just admitted it. */
  readonly admitted: boolean;
  /** Admitted and holding a turn: not ready, not failed, placeable, not stale. */
  readonly starting: boolean;
  /** When it joined the queue (ms since the epoch); undefined: not queued yet. */
  readonly queuedSince: number | undefined;
}

export type AdmissionDecision =
  | { readonly admit: true }
  | {
      readonly admit: false;
      readonly ahead: number;
      /** Its turn is near: create its Secret, claim, Service and NetworkPolicy now, so its
       * storage is ready when the turn comes (see PREPARE_BATCHES). */
      readonly prepare: boolean;
      /** Held only to spread the turns out: ask again after this long. */
      readonly retryInMs?: number;
    };

/** The queue's order, which the hub follows too: queue time (none yet: last), then key. */
export function queueOrder(
  a: { readonly key: string; readonly queuedSince: number | undefined },
  b: { readonly key: string; readonly queuedSince: number | undefined },
): number {
  return (
    (a.queuedSince ?? Infinity) - (b.queuedSince ?? Infinity) ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  );
}

/** When a status says its notebook joined the queue (ms), or undefined: not queued. */
export function queuedSince(status: NotebookStatus | undefined): number | undefined {
  const condition = admittedCondition(status);
  return condition?.status === 'False' && condition.reason === QUEUED_REASON
    ? Date.parse(condition.lastTransitionTime)
    : undefined;
}

/** Where a notebook that waits stands: its place in the queue, and how many turns are free. */
export interface Place {
  readonly position: number;
  readonly free: number;
}

/**
 * The place of `key` in the queue, or undefined when it does not queue (stopped, already
 * admitted, or `limit` 0: no limit). Order: queue time, then key, so every replica agrees.
 */
export function placeInQueue(
  key: string,
  views: readonly AdmissionView[],
  limit: number,
): Place | undefined {
  const self = views.find((v) => v.key === key);
  if (limit === 0 || self === undefined || !self.wantsToRun || self.admitted) return undefined;
  const starting = views.filter((v) => v.starting).length;
  const waiting = views.filter((v) => v.wantsToRun && !v.admitted).sort(queueOrder);
  return { position: waiting.findIndex((v) => v.key === key), free: limit - starting };
}

/**
 * A waiting server's objects are created once at most this many full sets of turns are ahead
 * of it. Why not at once for everyone: fifty queued servers' Secrets, claims, volumes, Services
 * and NetworkPolicies are a few hundred writes for the API server and the volume provisioner,
 * and done up front they compete for the CPU with the first servers to start, delaying
 * everyone (bench/spawn). Why not only at the turn: a claim takes a moment to be bound (longer
 * with a cloud disk), and a pod waiting for its volume would hold a turn doing nothing.
 */
export const PREPARE_BATCHES = 2;

/** The answer for a server that waits at `place`. */
function wait(place: Place, limit: number, retryInMs?: number): AdmissionDecision {
  return {
    admit: false,
    ahead: place.position,
    prepare: place.position < place.free + PREPARE_BATCHES * limit,
    ...(retryInMs === undefined ? {} : { retryInMs }),
  };
}

/** Admits `key` when the servers starting now plus those queued before it leave a turn free. */
export function decide(
  key: string,
  views: readonly AdmissionView[],
  limit: number,
): AdmissionDecision {
  const place = placeInQueue(key, views, limit);
  return place === undefined || place.position < place.free ? { admit: true } : wait(place, limit);
}

const DEFAULT_SPREAD_MS = 2000;

export function admittedCondition(
  status: NotebookStatus | undefined,
): NotebookCondition | undefined {
  return status?.conditions?.find((c) => c.type === 'Admitted');
}

export interface AdmissionOptions {
  /** Servers that may be starting at once; 0: no limit. Read at every decision. */
  readonly limit: () => number;
  /** An admitted server not ready after this long stops holding a turn. Default 10 min. */
  readonly staleMs?: number;
  /** A full set of turns is handed out over about this long. Default 2 s: with fifty
   * waiting on 2 CPUs (bench/spawn, 2 rounds each, limit 4) the median start took 27-29 s
   * with 2 s, 28-29 s with 3 s, 30 s with 4.5 s (turns then came too slowly to keep the CPUs
   * busy) and 29-31 s with no spreading. */
  readonly spreadMs?: number;
  readonly now: () => Date;
}

/** The operator's admission state: what it admitted (ahead of its caches) and who waits. */
export class Admission {
  readonly #options: AdmissionOptions;
  /** Admitted by this operator, with when: the Deployment cache may not show it yet. */
  readonly #admitted = new Map<string, number>();
  /** Told to wait at their last reconcile; woken when a turn may have come free. */
  readonly #waiting = new Set<string>();
  /** Holding a turn at their last reconcile. */
  readonly #starting = new Set<string>();
  /** When this operator last admitted a queued server (ms since the epoch). */
  #lastAdmission = -Infinity;

  constructor(options: AdmissionOptions) {
    this.#options = options;
  }

  /**
   * Decides for one notebook, from the caches and the statuses this operator wrote last
   * (`written`, fresher than the cache).
   */
  decide(key: string, caches: Caches, written: Written): AdmissionDecision {
    const self = this.#viewOf(key, caches, written);
    // Most reconciles are of servers already running or stopped: no need to look at the rest.
    const decision =
      self === undefined || !self.wantsToRun || self.admitted
        ? ({ admit: true } as const)
        : this.#decideNew(key, caches, written);
    if (decision.admit) {
      if (self?.wantsToRun === true && !this.#admitted.has(key)) {
        this.#admitted.set(key, this.#options.now().getTime());
      }
      this.#waiting.delete(key);
    } else {
      this.#waiting.add(key);
    }
    return decision;
  }

  /**
   * Turns are handed out at most one per `spreadMs / limit`: fifty asking at once would
   * otherwise start in batches that share the CPUs and finish together, leaving them idle
   * while the next batch's pods are created; spread out, one finishes while others start.
   */
  #decideNew(key: string, caches: Caches, written: Written): AdmissionDecision {
    const limit = this.#options.limit();
    const place = placeInQueue(key, this.views(caches, written), limit);
    if (place === undefined) return { admit: true };
    if (place.position >= place.free) return wait(place, limit);
    const now = this.#options.now().getTime();
    const held = this.#lastAdmission + (this.#options.spreadMs ?? DEFAULT_SPREAD_MS) / limit - now;
    if (held > 0) return wait(place, limit, Math.ceil(held));
    this.#lastAdmission = now;
    return { admit: true };
  }

  /** After a reconcile: true when `key` gave up a turn and someone is waiting for one. */
  settle(key: string, caches: Caches, written: Written): boolean {
    const view = this.#viewOf(key, caches, written);
    if (!view?.wantsToRun) {
      this.#admitted.delete(key);
      this.#waiting.delete(key);
    }
    const wasStarting = this.#starting.delete(key);
    if (view?.starting === true) this.#starting.add(key);
    return wasStarting && view?.starting !== true && this.#waiting.size > 0;
  }

  /** Keys told to wait at their last reconcile. */
  waiting(): string[] {
    return [...this.#waiting];
  }

  /**
   * The waiting keys whose answer a freed turn can change, in queue order: those that may be
   * admitted now or must be prepared (PREPARE_BATCHES sets of turns behind), not the whole
   * queue. Waking everyone cost one decision per waiting server, each over every unsettled
   * notebook: with 700 queued behind 1,000 starts, seconds of CPU per freed turn, which then
   * paced the starts (bench/scale). Those further back are woken as the queue moves up.
   */
  waitingHead(caches: Caches, written: Written): string[] {
    if (this.#waiting.size === 0) return [];
    const limit = this.#options.limit();
    if (limit === 0) return this.waiting();
    const views = this.views(caches, written);
    const starting = views.filter((v) => v.starting).length;
    const count = Math.max(0, limit - starting) + (PREPARE_BATCHES + 1) * limit;
    return views
      .filter((v) => v.wantsToRun && !v.admitted && this.#waiting.has(v.key))
      .sort(queueOrder)
      .slice(0, count)
      .map((v) => v.key);
  }

  /**
   * The notebooks that may hold or want a turn, as admission sees them: from the index of
   * notebooks asked to run whose status is not Running (./informers.ts), so a start's decision
   * never walks the servers that already run.
   */
  views(caches: Caches, written: Written): AdmissionView[] {
    return caches.notebooks
      .byIndex('unsettled', 'unsettled')
      .flatMap(
        (nb) =>
          this.#view(nb, caches, written, (ns, base) =>
            caches.pods
              .byIndex('notebook', keyOf(ns, base))
              .some((p) => readyNotebookOf(p) === base),
          ) ?? [],
      );
  }

  #viewOf(key: string, caches: Caches, written: Written): AdmissionView | undefined {
    const { namespace, name } = splitKey(key);
    const nb = caches.notebooks.get(name, namespace);
    if (nb === undefined) return undefined;
    return this.#view(nb, caches, written, (ns, base) =>
      caches.pods.byIndex('notebook', keyOf(ns, base)).some((p) => readyNotebookOf(p) === base),
    );
  }

  #view(
    nb: CachedNotebook,
    caches: Caches,
    written: Written,
    hasReadyPod: (namespace: string, base: string) => boolean,
  ): AdmissionView | undefined {
    const namespace = nb.metadata?.namespace;
    const name = nb.metadata?.name;
    if (namespace === undefined || name === undefined) return undefined;
    const key = keyOf(namespace, name);
    const mine = written.get(key);
    const status =
      mine !== undefined && mine.uid === nb.metadata?.uid
        ? mine.status
        : (nb.status as NotebookStatus | undefined);
    const base = notebookObjectNames(name).base;
    const wantsToRun =
      nb.metadata?.deletionTimestamp === undefined &&
      (nb.spec as { stopped?: unknown } | undefined)?.stopped !== true;
    const admittedAt = this.#admitted.get(key);
    const admitted =
      admittedAt !== undefined || asksForPod(caches.deployments.get(base, namespace));
    const current = status !== undefined && status.observedGeneration === nb.metadata?.generation;
    const reason = status?.conditions?.find((c) => c.type === 'Ready')?.reason ?? '';
    const condition = admittedCondition(status);
    const since =
      condition?.status === 'True' ? Date.parse(condition.lastTransitionTime) : admittedAt;
    const staleMs = this.#options.staleMs ?? 10 * 60_000;
    const starting =
      wantsToRun &&
      admitted &&
      !(current && (status.phase === 'Failed' || UNPLACEABLE.has(reason))) &&
      !(since !== undefined && this.#options.now().getTime() - since > staleMs) &&
      !hasReadyPod(namespace, base);
    return { key, wantsToRun, admitted, starting, queuedSince: queuedSince(status) };
  }
}

type Written = ReadonlyMap<string, { readonly uid: string; readonly status: NotebookStatus }>;
type CachedNotebook = ReturnType<Caches['notebooks']['list']>[number];

/** The notebook (base name) whose server `pod` is and is ready to serve, if so. */
function readyNotebookOf(pod: Pod): string | undefined {
  const base = pod.metadata?.labels?.[labelKeys.notebook];
  return base !== undefined && !isTerminating(pod) && isPodReady(pod) ? base : undefined;
}

function asksForPod(deployment: KubeObject | undefined): boolean {
  if (deployment === undefined) return false;
  const replicas = (deployment as { spec?: { replicas?: number } }).spec?.replicas;
  return (replicas ?? 1) > 0;
}
