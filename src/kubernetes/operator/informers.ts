/**
 * The operator's view of the cluster: one list+watch cache per kind (client-node's
 * `ListWatch`, fed raw JSON by our list function), each event mapped to the key of the
 * notebook it concerns. Owned objects are found by the `managed-by` label and mapped back by
 * the raw-name annotation; Warning events are mapped through the pod or claim they are about.
 */
import { ListWatch, Watch, type KubeConfig, type KubernetesObject } from '#kubernetes-client';
import { NOTEBOOK_API_VERSION, NOTEBOOK_KIND } from '../../notebook-spec/resource.ts';
import { credentialsRejected } from '../client/credentials.ts';
import type { KubeApi } from '../client/kube-api.ts';
import { collectionPath, type KindRef } from '../client/resource-paths.ts';
import { annotationKeys, labelKeys, managedSelector } from '../labels.ts';
import { createBackoff, informerBackoff, type BackoffPolicy } from './backoff.ts';
import { QUEUED_REASON } from './status.ts';
import type { CoreEvent, KubeObject, PersistentVolumeClaim, Pod } from '../plain.ts';

export interface Cache<T> {
  get(name: string, namespace: string): T | undefined;
  list(namespace?: string): readonly T[];
  /**
   * The objects whose value for `index` is `value`, from an index kept up to date on every
   * watch event, so a reconcile or a request looks at its own objects, never the namespace.
   * Indexes per kind: `indexes` below.
   */
  byIndex(index: IndexName, value: string): readonly T[];
}

/**
 * - `notebook`: pods by `<namespace>/<notebook base name>` (the `ganymede.dev/notebook` label).
 * - `node`: pods by the node they are bound to (a lost node's servers, ./node-health.ts).
 * - `involved`: events by the uid of the object they are about.
 * - `user`: notebooks by `<namespace>/<user>` (the hub's `ganymede.dev/user` annotation).
 * - `queued`: notebooks waiting for a turn to start, all under the value `queued`.
 * - `unsettled`: notebooks asked to run whose status is not Running (yet), under `unsettled`:
 *   the ones start admission weighs.
 */
export type IndexName = 'notebook' | 'node' | 'involved' | 'user' | 'queued' | 'unsettled';

export interface Caches {
  readonly notebooks: Cache<KubeObject & { spec?: unknown; status?: unknown }>;
  readonly deployments: Cache<KubeObject>;
  readonly services: Cache<KubeObject>;
  readonly secrets: Cache<KubeObject>;
  readonly claims: Cache<PersistentVolumeClaim>;
  readonly ingresses: Cache<KubeObject>;
  readonly networkPolicies: Cache<KubeObject>;
  readonly pods: Cache<Pod>;
  readonly events: Cache<CoreEvent>;
  /** The kubelet's `Pulling` events: an image is being downloaded for a pod. */
  readonly pulls: Cache<CoreEvent>;
}

export const kinds = {
  notebooks: { apiVersion: NOTEBOOK_API_VERSION, kind: NOTEBOOK_KIND },
  deployments: { apiVersion: 'apps/v1', kind: 'Deployment' },
  services: { apiVersion: 'v1', kind: 'Service' },
  secrets: { apiVersion: 'v1', kind: 'Secret' },
  claims: { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  ingresses: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  networkPolicies: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
  pods: { apiVersion: 'v1', kind: 'Pod' },
  events: { apiVersion: 'v1', kind: 'Event' },
  pulls: { apiVersion: 'v1', kind: 'Event' },
} as const satisfies Record<keyof Caches, KindRef>;

export function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** The notebook an owned object belongs to, from the annotation every builder sets. */
export function notebookKeyOfOwned(object: KubeObject): string | undefined {
  const ns = object.metadata?.namespace;
  const name = object.metadata?.annotations?.[annotationKeys.notebookName];
  return ns && name ? keyOf(ns, name) : undefined;
}

/** Called with the key of every notebook something happened to; `urgent`: a pod of it just
 * became ready (see WorkQueue.add). */
export type ChangeListener = (key: string, urgent: boolean) => void;

export interface InformerSet {
  readonly caches: Caches;
  /**
   * Adds a listener for notebook changes; returns its removal. One informer set per process
   * serves the in-hub operator, the backend and the culler alike.
   */
  subscribe(listener: ChangeListener): () => void;
  /** When (`performance.now()`) this process first saw the pod with this uid Ready, for the
   * operator's latency figure (pod ready → status Running). */
  podReadyObservedAt(uid: string): number | undefined;
  /**
   * Lists every kind, then watches: the `first` kinds (InformerOptions) before the others.
   * Resolves when the caches of `kinds` (default: every kind) are filled. Idempotent until
   * `stop`: a later call waits for the same lists.
   */
  start(kinds?: readonly (keyof Caches)[]): Promise<void>;
  stop(): Promise<void>;
}

export interface InformerOptions {
  readonly kubeConfig: KubeConfig;
  readonly api: KubeApi;
  /** Watch one namespace; undefined watches all. */
  readonly namespace?: string | undefined;
  /** A first listener (more with `subscribe`). */
  readonly onChange?: ChangeListener;
  readonly onError: (kind: string, error: unknown) => void;
  /** Backoff before restarting a failed list+watch (`backoff.ts`); default 1 s doubling to
   * 30 s with jitter. Injected for tests, with the clock and the sleep. */
  readonly backoff?: BackoffPolicy;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Watch only these kinds (the others' caches stay empty); default all. Every watch is
   * work for the API server on every change, so a reader takes only what it reads. */
  readonly only?: readonly (keyof Caches)[];
  /** How long a watch may go without a byte before it is taken for stalled (default
   * `WATCH_SILENCE_MS`); injected for tests. */
  readonly watchSilenceMs?: number;
  /** Told of each watch given up for silence (and reconnected), for logs and tests. */
  readonly onSilent?: (kind: string) => void;
  /**
   * Kinds listed before the others, which start `restAfterMs` after these are filled. The
   * hub's routes need notebooks and their Secrets only; with the in-hub operator the same set
   * also lists pods, Deployments, Services… (~8 × 1,000 objects at 1,000 servers), and on a
   * small machine those lists, run at the same time, shared the API server and the CPU with
   * what a restarted hub's users wait for (bench/scale: restart re-adoption). Default: none
   * (every kind at once).
   */
  readonly first?: readonly (keyof Caches)[];
  /** How long after the `first` kinds are filled the others start (default 0). */
  readonly restAfterMs?: number;
}

/**
 * How long a watch may go without a byte before it is taken for stalled: a connection that
 * stays open but carries nothing (a load balancer or NAT that dropped it, a half-dead network
 * path, an API server that stopped sending) looks exactly like a quiet resource, and was how
 * KubeSpawner's reflector went deaf (kubespawner #209, #216). After this long the watch is
 * abandoned and started again on a new connection from the last version seen; the API server
 * sends what happened since, or answers 410 Gone when it no longer has that version, and the
 * cache is relisted. Watches ask for bookmarks, so a busy kind keeps its version fresh (a
 * restart rarely needs the relist); a quiet kind may get none for a minute or two and is
 * simply reconnected, which costs the API server one watch from its cache.
 * docs/operations.md ("When the API server or etcd goes away") states the bound.
 */
export const WATCH_SILENCE_MS = 30_000;

/**
 * client-node's Watch with bookmarks asked for (its ListWatch sends only the version and the
 * selectors) and our silence bound. Its own inactivity timer is what abandons a silent
 * stream ('TimeoutError', after which its ListWatch reconnects at once from the last version);
 * the bound is its `requestTimeoutMs`, private in its types, set here.
 */
class InformerWatch extends Watch {
  readonly #onSilent: (path: string) => void;
  constructor(kubeConfig: KubeConfig, silenceMs: number, onSilent: (path: string) => void) {
    super(kubeConfig);
    (this as unknown as { requestTimeoutMs: number }).requestTimeoutMs = silenceMs;
    this.#onSilent = onSilent;
  }

  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    return super.watch(path, { ...queryParams, allowWatchBookmarks: true }, callback, (err) => {
      if ((err as { name?: unknown } | null)?.name === 'TimeoutError') this.#onSilent(path);
      done(err);
    });
  }
}

/** client-node's Watch puts the HTTP status on `statusCode`, our KubeApiError on `status`. */
function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { statusCode, status } = err as { statusCode?: unknown; status?: unknown };
  if (typeof statusCode === 'number') return statusCode;
  return typeof status === 'number' ? status : undefined;
}

export function createInformers(options: InformerOptions): InformerSet {
  const watchers: { readonly name: keyof Caches; readonly lw: ListWatch<KubernetesObject> }[] = [];
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? Date.now;
  let stopped = false;
  let starting: { readonly first: Promise<void>; readonly all: Promise<void> } | undefined;
  const first = new Set(options.first ?? []);
  const listeners = new Set<ChangeListener>(options.onChange ? [options.onChange] : []);

  function make<T>(
    name: keyof Caches,
    selectors: { label?: string; field?: string },
    toKey: (o: T) => string | { readonly key: string; readonly urgent: boolean } | undefined,
    indexBy: readonly IndexName[] = [],
  ): Cache<T> {
    if (options.only !== undefined && !options.only.includes(name)) {
      return { get: () => undefined, list: () => [], byIndex: () => [] };
    }
    const index = createIndex<T>(indexBy);
    const path = collectionPath(kinds[name], options.namespace);
    const watch = new InformerWatch(
      options.kubeConfig,
      options.watchSilenceMs ?? WATCH_SILENCE_MS,
      () => options.onSilent?.(name),
    );
    const query = { labelSelector: selectors.label, fieldSelector: selectors.field };
    // client-node's ListWatch is typed for its model classes; the objects are raw JSON here.
    const lw = new ListWatch<KubernetesObject>(
      path,
      watch,
      () => options.api.list(path, query) as never,
      false,
      selectors.label,
      selectors.field,
    );
    const notify = (o: KubernetesObject): void => {
      const target = toKey(o as T);
      if (target === undefined) return;
      const [key, urgent] =
        typeof target === 'string' ? [target, false] : [target.key, target.urgent];
      for (const listener of listeners) listener(key, urgent);
    };
    lw.on('add', (o) => {
      index.put(o as T);
      notify(o);
    });
    lw.on('update', (o) => {
      index.put(o as T);
      notify(o);
    });
    lw.on('delete', (o) => {
      index.remove(o as T);
      notify(o);
    });
    // Not reset on ListWatch's 'connect': that fires at the start of every restart, before
    // the list, so a list failing at once would be retried every second forever. The attempt
    // goes back to 0 only once a restart has run a while without an error (backoff.ts).
    const backoff = createBackoff(options.backoff ?? informerBackoff);
    // After the backoff, or as soon as the API server answers again after an outage
    // (KubeApi.onRecovered), whichever comes first: a 30 s step would otherwise keep a kind
    // unwatched, and starts waiting on it, that long after the cluster is back. A recovery
    // also resets the steps, so a kind failing once more just after (a custom resource not
    // served yet while the API server starts) is retried within a second or two.
    const restartLater = (): void => {
      let woken = false;
      const wake = (recovered: boolean): void => {
        if (woken) return;
        woken = true;
        stopListening();
        if (recovered) backoff.reset();
        void restart();
      };
      const stopListening = options.api.onRecovered(() => {
        wake(true);
      });
      void sleep(backoff.next(now())).then(() => {
        wake(false);
      });
    };
    const restart = async (): Promise<void> => {
      if (stopped) return;
      try {
        await lw.start();
      } catch (e) {
        // Thrown before the watch began (credentials could not be applied): no 'error'
        // event follows, so this is the retry's only chance.
        options.onError(name, e);
        restartLater();
      }
    };
    // ListWatch stops on errors other than 410 Gone and timeouts; it is restarted here, from
    // its last resourceVersion (a relist when that is gone). client-node's Watch applies the
    // KubeConfig's credentials to every watch request, so the restart authenticates afresh.
    lw.on('error', (err: unknown) => {
      if (stopped) return;
      // A token file replaced and the old token revoked: read the file again now rather than
      // when the cached token is a minute old. (Our list function has done so already.)
      if (statusOf(err) === 401) credentialsRejected(options.kubeConfig, Date.now());
      options.onError(name, err);
      restartLater();
    });
    watchers.push({ name, lw });
    return {
      get: (n, ns) => lw.get(n, ns) as T | undefined,
      list: (ns) => lw.list(ns) as unknown as readonly T[],
      byIndex: (i, value) => index.get(i, value),
    };
  }

  const owned = { label: managedSelector };
  const readySeen = new Map<string, number>();
  const pods = make<Pod>(
    'pods',
    owned,
    (p) => {
      const uid = p.metadata?.uid;
      const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      let becameReady = false;
      if (uid !== undefined) {
        if (!ready) readySeen.delete(uid);
        else if (!readySeen.has(uid)) {
          if (readySeen.size > 10_000) readySeen.clear();
          readySeen.set(uid, performance.now());
          becameReady = true;
        }
      }
      const key = notebookKeyOfOwned(p);
      return key === undefined ? undefined : { key, urgent: becameReady };
    },
    ['notebook', 'node'],
  );
  const claims = make<PersistentVolumeClaim>('claims', owned, notebookKeyOfOwned);
  const caches: Caches = {
    notebooks: make(
      'notebooks',
      {},
      (o: KubeObject) =>
        o.metadata?.namespace && o.metadata.name
          ? keyOf(o.metadata.namespace, o.metadata.name)
          : undefined,
      ['user', 'queued', 'unsettled'],
    ),
    deployments: make('deployments', owned, notebookKeyOfOwned),
    services: make('services', owned, notebookKeyOfOwned),
    secrets: make('secrets', owned, notebookKeyOfOwned),
    claims,
    ingresses: make('ingresses', owned, notebookKeyOfOwned),
    networkPolicies: make('networkPolicies', owned, notebookKeyOfOwned),
    pods,
    // Only warnings carry problems worth telling a user about.
    // A failed startup or readiness probe is what a starting server looks like, not a
    // problem; it changes nothing the operator or the hub says. The API server leaves those
    // out (`reason` is one of the Event fields it can select on), so their repeats, one a
    // second per starting server, are not even sent; the check below is for a server that
    // would ignore the selector.
    events: make(
      'events',
      { field: 'type=Warning,reason!=Unhealthy' },
      (e: CoreEvent) => {
        if (e.reason === 'Unhealthy') return undefined;
        return eventTarget(e);
      },
      ['involved'],
    ),
    // "Downloading the environment" is told only while the kubelet really pulls: one Normal
    // event per pull, and none when the image is already on the machine.
    pulls: make(
      'pulls',
      { field: 'reason=Pulling' },
      (e: CoreEvent) => (e.reason === 'Pulling' ? eventTarget(e) : undefined),
      ['involved'],
    ),
  };

  function eventTarget(e: CoreEvent): string | undefined {
    const o = e.involvedObject;
    if (!o.namespace || !o.name) return undefined;
    const target =
      o.kind === 'Pod'
        ? pods.get(o.name, o.namespace)
        : o.kind === 'PersistentVolumeClaim'
          ? claims.get(o.name, o.namespace)
          : undefined;
    return target ? notebookKeyOfOwned(target) : undefined;
  }

  let generation = 0;
  function startWaves(): { first: Promise<void>; all: Promise<void> } {
    stopped = false;
    // A stop (and a new start) while the others wait must not start them twice.
    const run = ++generation;
    const listFirst = Promise.all(
      watchers.filter((w) => first.has(w.name)).map((w) => w.lw.start()),
    ).then(() => undefined);
    const rest = watchers.filter((w) => !first.has(w.name));
    const all = listFirst.then(async () => {
      const after = options.restAfterMs ?? 0;
      if (after > 0 && rest.length > 0) await sleep(after);
      if (stopped || run !== generation) return;
      await Promise.all(rest.map((w) => w.lw.start()));
    });
    // Whoever waits for `first` only still hears of a failure of the others through `all`
    // (the operator); this keeps an unawaited `all` from being an unhandled rejection.
    all.catch(() => undefined);
    return { first: listFirst, all };
  }

  return {
    caches,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    podReadyObservedAt: (uid) => readySeen.get(uid),
    start(kinds) {
      starting ??= startWaves();
      const firstOnly = kinds?.every((k) => !watchers.some((w) => w.name === k) || first.has(k));
      return firstOnly === true ? starting.first : starting.all;
    },
    async stop() {
      starting = undefined;
      stopped = true;
      await Promise.all(watchers.map((w) => w.lw.stop()));
    },
  };
}

/** The value an object is filed under in each index (undefined: not filed). */
export const indexers: Record<IndexName, (o: never) => string | undefined> = {
  notebook: (p: Pod) => inNamespace(p, p.metadata?.labels?.[labelKeys.notebook]),
  node: (p: Pod) => p.spec?.nodeName,
  involved: (e: CoreEvent) => e.involvedObject.uid,
  user: (o: KubeObject) => inNamespace(o, o.metadata?.annotations?.[annotationKeys.user]),
  queued: (o: KubeObject & { status?: unknown }) => (isQueued(o.status) ? 'queued' : undefined),
  unsettled: (o: KubeObject & { spec?: unknown; status?: unknown }) =>
    o.metadata?.deletionTimestamp === undefined &&
    (o.spec as { stopped?: unknown } | undefined)?.stopped !== true &&
    (o.status as { phase?: unknown } | undefined)?.phase !== 'Running'
      ? 'unsettled'
      : undefined,
};

function inNamespace(o: KubeObject, value: string | undefined): string | undefined {
  const ns = o.metadata?.namespace;
  return ns === undefined || value === undefined ? undefined : keyOf(ns, value);
}

function isQueued(status: unknown): boolean {
  const conditions = (
    status as { conditions?: { type: string; status: string; reason: string }[] } | undefined
  )?.conditions;
  return (
    conditions?.some(
      (c) => c.type === 'Admitted' && c.status === 'False' && c.reason === QUEUED_REASON,
    ) ?? false
  );
}

/**
 * Secondary indexes over one kind's cache: client-node's ListWatch indexes by namespace only
 * (and its `list` copies every object), so lookups by owner or user would scan the namespace.
 */
export function createIndex<T>(indexBy: readonly IndexName[]) {
  const entries = indexBy.map((i) => [i, indexers[i] as (o: T) => string | undefined] as const);
  const byValue = new Map<IndexName, Map<string, Map<string, T>>>();
  /** What each object was filed under, to unfile it when it changes or goes. */
  const filed = new Map<string, [IndexName, string][]>();
  const idOf = (o: T): string => {
    const m = (o as KubeObject).metadata;
    return `${m?.namespace ?? ''}/${m?.name ?? ''}`;
  };
  const remove = (o: T): void => {
    const id = idOf(o);
    for (const [index, value] of filed.get(id) ?? []) {
      const bucket = byValue.get(index)?.get(value);
      bucket?.delete(id);
      if (bucket?.size === 0) byValue.get(index)?.delete(value);
    }
    filed.delete(id);
  };
  return {
    put(o: T): void {
      if (entries.length === 0) return;
      remove(o);
      const id = idOf(o);
      const keys: [IndexName, string][] = [];
      for (const [index, valueOf] of entries) {
        const value = valueOf(o);
        if (value === undefined) continue;
        let values = byValue.get(index);
        if (!values) byValue.set(index, (values = new Map<string, Map<string, T>>()));
        let bucket = values.get(value);
        if (!bucket) values.set(value, (bucket = new Map<string, T>()));
        bucket.set(id, o);
        keys.push([index, value]);
      }
      if (keys.length > 0) filed.set(id, keys);
    },
    remove,
    get(index: IndexName, value: string): readonly T[] {
      const bucket = byValue.get(index)?.get(value);
      return bucket ? [...bucket.values()] : [];
    },
  };
}
