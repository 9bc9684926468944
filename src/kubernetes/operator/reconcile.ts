/**
 * One idempotent reconcile step for one notebook: read it from the cache, build the desired
 * objects, create the token Secret if missing, server-side apply the rest, then write the
 * status computed from the pods, events and claim. Safe to interrupt anywhere: every step
 * is re-derived from the cluster on the next run, and no step depends on memory of the last.
 * (The only memory, `applied`, merely skips applies that would change nothing.)
 */
import { createHash } from 'node:crypto';
import {
  NOTEBOOK_API_VERSION,
  NOTEBOOK_KIND,
  describeSpecIssues,
  type JupyterNotebook,
} from '../../notebook-spec/resource.ts';
import { notebookSpecSchema } from '../../notebook-spec/schema.ts';
import type { NotebookStatus } from '../../notebook-spec/status.ts';
import { KubeApiError, type KubeApi } from '../client/kube-api.ts';
import { FIELD_MANAGER, annotationKeys, startRequestOf } from '../labels.ts';
import { notebookObjectNames } from '../object-names.ts';
import type { CoreEvent, KubeObject, Pod } from '../plain.ts';
import { buildAppliedObjects } from '../resources/notebook-objects.ts';
import { buildSecret } from '../resources/secret.ts';
import { notebookUrl } from '../resources/service.ts';
import { CONTAINER_NAME, NOTEBOOK_PORT, type BuildSettings } from '../resources/settings.ts';
import type { Admission } from './admission.ts';
import { diagnose } from './diagnose.ts';
import { boundAfterSilence, type NodeState } from './node-health.ts';
import { keyOf, splitKey, type Caches } from './informers.ts';
import {
  computeStatus,
  heldEnded,
  isPodReady,
  isTerminating,
  sameStatus,
  timeoutLeftMs,
} from './status.ts';

export interface ReconcileDeps {
  readonly api: KubeApi;
  readonly caches: Caches;
  readonly settings: BuildSettings;
  readonly now: () => Date;
  readonly newToken: () => string;
  /** Memory of the last apply per object, to skip applies that would change nothing. */
  readonly applied: Map<string, { hash: string; version: string; uid?: string | undefined }>;
  /** Log tails already fetched, by pod uid and restart count. */
  readonly logTails: Map<string, string>;
  /** The status this operator last wrote per notebook key (and uid). The cache can lag behind
   * our own write; comparing with it would write twice and re-stamp `readyAt`. */
  readonly written: Map<string, { readonly uid: string; readonly status: NotebookStatus }>;
  /** When the operator first saw a pod Ready (performance.now()), for `onRunning`. */
  readonly podReadyObservedAt?: (uid: string) => number | undefined;
  /** Called after a notebook's status turned Running, with the operator's own latency. */
  readonly onRunning?: (event: RunningEvent) => void;
  /** Start admission (./admission.ts); undefined: every start goes ahead at once. */
  readonly admission?: Admission;
  /** A hub-started server not ready this long after its start (or admission) fails (./status.ts). */
  readonly startTimeoutMs?: number | undefined;
  /** Which nodes are lost (./node-health.ts); undefined: none ever is. */
  readonly nodes?: {
    state(name: string): NodeState;
    /** When a silent node turns lost (ms since the epoch). */
    lostAt(name: string): number | undefined;
    /** Since when a node is not heard from (ms since the epoch). */
    silentSince(name: string): number | undefined;
  };
}

export interface RunningEvent {
  readonly notebook: string;
  /** Pod Ready seen by the operator's watch → status Running accepted by the API server. */
  readonly operatorLatencyMs: number | undefined;
  /** Of which the status write's round trip to the API server. */
  readonly statusWriteMs: number;
}

export type ReconcileResult =
  | {
      readonly outcome: 'done';
      readonly phase?: string;
      /** Waiting for its turn to start: look again after this long (./admission.ts). */
      readonly retryInMs?: number;
    }
  | { readonly outcome: 'retry'; readonly error: unknown };

const cacheOf: Readonly<Record<string, keyof Caches>> = {
  PersistentVolumeClaim: 'claims',
  Service: 'services',
  NetworkPolicy: 'networkPolicies',
  Ingress: 'ingresses',
  Deployment: 'deployments',
};

function versionOf(o: KubeObject | undefined): string | undefined {
  if (!o?.metadata) return undefined;
  return o.metadata.generation === undefined
    ? o.metadata.resourceVersion
    : `g${o.metadata.generation}`;
}

/**
 * Whether the cached object still holds what we last applied. With a generation, any spec
 * change shows there. Without one (a claim), every status or annotation change by a
 * controller (the binder marks a claim bound) bumps the resourceVersion, so that cannot tell;
 * the same object (uid) is taken to hold our fields, which only another writer could change.
 */
function unchangedSince(
  cached: KubeObject,
  memo: { readonly version: string; readonly uid?: string | undefined },
): boolean {
  if (versionOf(cached) === memo.version) return true;
  return (
    cached.metadata?.generation === undefined &&
    memo.uid !== undefined &&
    cached.metadata?.uid === memo.uid
  );
}

function isPermanent(e: unknown): boolean {
  return (
    e instanceof KubeApiError &&
    e.status >= 400 &&
    e.status < 500 &&
    e.status !== 409 &&
    e.status !== 429
  );
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Whether `live` holds every value `desired` sets (lists element by element, same length);
 * fields only `live` has (defaults, other writers', status) do not matter. Written by hand:
 * it is a dozen lines, and the subset rule (not equality) is the point.
 */
export function holds(live: unknown, desired: unknown): boolean {
  if (desired === undefined) return true;
  if (desired === null || typeof desired !== 'object') return live === desired;
  if (Array.isArray(desired)) {
    return (
      Array.isArray(live) &&
      live.length === desired.length &&
      desired.every((d, i) => holds(live[i], d))
    );
  }
  if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
  const l = live as Record<string, unknown>;
  return Object.entries(desired).every(([k, v]) => holds(l[k], v));
}

function withAppliedHash(desired: KubeObject, hash: string): KubeObject {
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      annotations: { ...desired.metadata?.annotations, [annotationKeys.appliedHash]: hash },
    },
  };
}

async function applyIfChanged(deps: ReconcileDeps, desired: KubeObject): Promise<void> {
  const ns = desired.metadata?.namespace ?? '';
  const name = desired.metadata?.name ?? '';
  const id = `${desired.kind ?? ''}/${ns}/${name}`;
  const hash = createHash('sha256').update(JSON.stringify(desired)).digest('hex');
  const cacheName = cacheOf[desired.kind ?? ''];
  const cached = cacheName ? deps.caches[cacheName].get(name, ns) : undefined;
  const memo = deps.applied.get(id);
  if (memo?.hash === hash && cached && unchangedSince(cached, memo)) return;
  const applied = withAppliedHash(desired, hash);
  // No memory of it (a new operator: a hub restart, a new leader), or changed since: when it
  // was last applied with this very content (the hash: no field we set then is missing from
  // it now) and still holds every value, applying would change nothing. At 1,000 notebooks
  // that spares a new leader some 5,000 writes (issue 13: a restart re-adopts in seconds).
  if (
    cached?.metadata?.annotations?.[annotationKeys.appliedHash] === hash &&
    holds(cached, applied)
  ) {
    deps.applied.set(id, { hash, version: versionOf(cached) ?? '', uid: cached.metadata.uid });
    return;
  }
  const result = await deps.api.apply(applied, FIELD_MANAGER);
  deps.applied.set(id, { hash, version: versionOf(result) ?? '', uid: result.metadata?.uid });
}

function eventsFor(
  caches: Caches,
  namespace: string,
  uid: string | undefined,
  cache: 'events' | 'pulls' = 'events',
): CoreEvent[] {
  if (uid === undefined) return [];
  return caches[cache]
    .byIndex('involved', uid)
    .filter((e) => e.involvedObject.namespace === namespace)
    .sort((a, b) => Date.parse(eventTime(a)) - Date.parse(eventTime(b)));
}

function eventTime(e: CoreEvent): string {
  return e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '1970-01-01T00:00:00Z';
}

/**
 * The kubelet is downloading the notebook's image: it said `Pulling` for this pod, and the
 * container has not been created yet (once it has, the pull is over).
 */
function isPulling(pod: Pod | undefined, pulls: readonly CoreEvent[]): boolean {
  if (pod === undefined || pulls.length === 0) return false;
  const container = pod.status?.containerStatuses?.find((c) => c.name === CONTAINER_NAME);
  if (container?.state?.running || container?.state?.terminated) return false;
  const waiting = container?.state?.waiting?.reason;
  return waiting === undefined || waiting === 'ContainerCreating';
}

/** Best effort: the kubelet copies the log into the termination message only when asked. */
async function crashLogTail(
  deps: ReconcileDeps,
  pod: Pod | undefined,
): Promise<string | undefined> {
  const c = pod?.status?.containerStatuses?.find((s) => s.name === CONTAINER_NAME);
  const terminated = c?.state?.terminated ?? c?.lastState?.terminated;
  if (
    !pod?.metadata?.name ||
    !pod.metadata.namespace ||
    !c ||
    !terminated ||
    terminated.exitCode === 0
  )
    return undefined;
  if (terminated.message?.trim()) return undefined;
  const memoKey = `${pod.metadata.uid ?? ''}/${c.restartCount}`;
  const known = deps.logTails.get(memoKey);
  if (known !== undefined) return known;
  let tail = '';
  try {
    tail = (await deps.api.request({
      method: 'GET',
      path: `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/log`,
      query: {
        container: CONTAINER_NAME,
        tailLines: '20',
        previous: c.state?.terminated ? undefined : 'true',
      },
      text: true,
    })) as string;
  } catch {
    // No log (the node is gone, or logs are not served): the message says so.
  }
  if (deps.logTails.size >= MAX_LOG_TAILS) deps.logTails.clear();
  deps.logTails.set(memoKey, tail);
  return tail;
}

async function writeStatus(
  deps: ReconcileDeps,
  at: { readonly name: string; readonly namespace: string },
  current: NotebookStatus | undefined,
  next: NotebookStatus,
): Promise<boolean> {
  if (sameStatus(current, next)) return false;
  await deps.api.applyStatus(
    {
      apiVersion: NOTEBOOK_API_VERSION,
      kind: NOTEBOOK_KIND,
      metadata: { name: at.name, namespace: at.namespace },
      status: next,
    },
    FIELD_MANAGER,
  );
  return true;
}

/** Drops the apply memory of a deleted notebook's objects. */
function forgetNotebook(deps: ReconcileDeps, namespace: string, name: string): void {
  const names = notebookObjectNames(name);
  for (const kind of Object.keys(cacheOf)) {
    deps.applied.delete(`${kind}/${namespace}/${names.base}`);
    deps.applied.delete(`${kind}/${namespace}/${names.claim}`);
  }
}

const MAX_LOG_TAILS = 1000;

function imageOf(pod: Pod): string | undefined {
  return pod.spec?.containers.find((c) => c.name === CONTAINER_NAME)?.image;
}

/**
 * What a notebook whose turn is near gets: everything but a pod, so its storage is ready
 * when the turn comes. A Deployment left from an earlier run stays at zero replicas; none is
 * created until the turn comes (an empty one would only be more work for the cluster).
 */
function waitingObjects(
  notebook: JupyterNotebook,
  deps: ReconcileDeps,
  at: { readonly namespace: string; readonly base: string },
): KubeObject[] {
  const held = { ...notebook, spec: { ...notebook.spec, stopped: true } };
  const exists = deps.caches.deployments.get(at.base, at.namespace) !== undefined;
  return buildAppliedObjects(held, deps.settings).filter((o) => o.kind !== 'Deployment' || exists);
}

export async function reconcileNotebook(
  deps: ReconcileDeps,
  key: string,
): Promise<ReconcileResult> {
  const { namespace, name } = splitKey(key);
  const raw = deps.caches.notebooks.get(name, namespace);
  // Gone or going: the garbage collector removes what it owned (ownerReferences), and a
  // retained claim stays, as it should.
  if (!raw || raw.metadata?.deletionTimestamp !== undefined) {
    forgetNotebook(deps, namespace, name);
    deps.written.delete(key);
    return { outcome: 'done' };
  }
  const uid = raw.metadata?.uid ?? '';
  const mine = deps.written.get(key);
  const currentStatus =
    mine?.uid === uid ? mine.status : (raw.status as NotebookStatus | undefined);
  const generation = raw.metadata?.generation;
  const parsed = notebookSpecSchema.safeParse(raw.spec);
  const names = notebookObjectNames(name);
  if (!parsed.success) {
    // Possible only if the stored object predates the CRD's current schema.
    const issues = parsed.error.issues.map((i) => ({ ...i, path: ['spec', ...i.path] }));
    const message = `This notebook's settings are not valid: ${describeSpecIssues(issues)}`;
    const failed = {
      phase: 'Failed' as const,
      message,
      ...(generation === undefined ? {} : { observedGeneration: generation }),
    };
    if (await writeStatus(deps, { name, namespace }, currentStatus, failed)) {
      deps.written.set(key, { uid, status: failed });
    }
    return { outcome: 'done', phase: 'Failed' };
  }
  const notebook: JupyterNotebook = {
    apiVersion: NOTEBOOK_API_VERSION,
    kind: NOTEBOOK_KIND,
    metadata: {
      name,
      namespace,
      uid: raw.metadata?.uid,
      generation,
      annotations: raw.metadata?.annotations,
    },
    spec: parsed.data,
  };

  const startRequestedAt = startRequestOf(raw.metadata?.annotations);
  // A start that failed, timed out or lost its pod keeps no pod until the next request.
  const ended = heldEnded({
    spec: parsed.data,
    generation,
    previous: currentStatus,
    startRequestedAt,
    now: deps.now(),
  });
  const admission = ended ? undefined : deps.admission?.decide(key, deps.caches, deps.written);
  let applyError: { message: string; permanent: boolean } | undefined;
  let failure: unknown;
  // Far back in the start queue: nothing is created yet (admission.ts, PREPARE_BATCHES).
  const unprepared = admission?.admit === false && !admission.prepare;
  try {
    if (!unprepared && !deps.caches.secrets.get(names.secret, namespace)) {
      // Created once and never overwritten: a new token would lock out the running server.
      await deps.api.create(buildSecret(notebook, deps.newToken()), FIELD_MANAGER);
    }
    const objects = unprepared
      ? []
      : admission?.admit === false || ended
        ? waitingObjects(notebook, deps, { namespace, base: names.base })
        : buildAppliedObjects(notebook, deps.settings);
    await Promise.all(objects.map((o) => applyIfChanged(deps, o)));
  } catch (e) {
    failure = e;
    applyError = { message: messageOf(e), permanent: isPermanent(e) };
  }

  const pods = deps.caches.pods
    .byIndex('notebook', keyOf(namespace, names.base))
    // A pod of an earlier image (a retry with another environment, before the Deployment
    // replaced it) says nothing about this start: its pull error is not the new image's.
    .filter((p) => parsed.data.stopped || isTerminating(p) || imageOf(p) === parsed.data.image)
    .sort(
      (a, b) =>
        Date.parse(b.metadata?.creationTimestamp ?? '') -
        Date.parse(a.metadata?.creationTimestamp ?? ''),
    );
  const podsOnLostNodes = new Set<string>();
  // A live pod's node gone silent: look again when it would count as lost (no event says so).
  let nodeLostAt: number | undefined;
  for (const p of pods) {
    const node = p.spec?.nodeName;
    if (node === undefined || isTerminating(p) || !deps.nodes) continue;
    const state = deps.nodes.state(node);
    if (
      state === 'lost' &&
      p.metadata?.uid &&
      !boundAfterSilence(p, deps.nodes.silentSince(node))
    ) {
      podsOnLostNodes.add(p.metadata.uid);
    }
    if (state === 'silent') {
      const at = deps.nodes.lostAt(node);
      if (at !== undefined) nodeLostAt = Math.min(nodeLostAt ?? at, at);
    }
  }
  const pod = pods.find((p) => !isTerminating(p) && !podsOnLostNodes.has(p.metadata?.uid ?? ''));
  const claimExpected = parsed.data.storage.existingClaim === undefined;
  const claim = claimExpected ? deps.caches.claims.get(names.claim, namespace) : undefined;
  const diagnosis = diagnose({
    spec: parsed.data,
    pod,
    podEvents: eventsFor(deps.caches, namespace, pod?.metadata?.uid),
    claim,
    claimExpected,
    claimEvents: eventsFor(deps.caches, namespace, claim?.metadata?.uid),
    logTail: await crashLogTail(deps, pod),
  });
  const next = computeStatus({
    spec: parsed.data,
    generation,
    previous: currentStatus,
    pods,
    diagnosis,
    pullingImage: isPulling(pod, eventsFor(deps.caches, namespace, pod?.metadata?.uid, 'pulls')),
    applyError,
    claimBound: claimExpected ? claim?.status?.phase === 'Bound' : undefined,
    admission,
    url: notebookUrl(notebook),
    tokenSecretName: names.secret,
    now: deps.now(),
    startRequestedAt,
    startTimeoutMs: deps.startTimeoutMs,
    port: NOTEBOOK_PORT,
    podsOnLostNodes,
  });
  try {
    const writeStarted = performance.now();
    const written = await writeStatus(deps, { name, namespace }, currentStatus, next);
    if (written) deps.written.set(key, { uid, status: next });
    if (written && next.phase === 'Running' && currentStatus?.phase !== 'Running') {
      const readyPod = pods.find((p) => !isTerminating(p) && isPodReady(p));
      const seen = readyPod?.metadata?.uid
        ? deps.podReadyObservedAt?.(readyPod.metadata.uid)
        : undefined;
      deps.onRunning?.({
        notebook: key,
        operatorLatencyMs: seen === undefined ? undefined : performance.now() - seen,
        statusWriteMs: performance.now() - writeStarted,
      });
    }
  } catch (e) {
    // 404: deleted meanwhile, nothing left to report on.
    if (!(e instanceof KubeApiError && e.status === 404)) failure ??= e;
  }
  // Look again when a turn may have come, or when a start's time is up (no event says so).
  const timeLeft =
    next.phase === 'Pending' || next.phase === 'Starting'
      ? timeoutLeftMs({
          spec: parsed.data,
          generation,
          previous: next,
          admission,
          now: deps.now(),
          startRequestedAt,
          startTimeoutMs: deps.startTimeoutMs,
        })
      : undefined;
  const startRetryInMs =
    admission?.admit === false
      ? admission.retryInMs
      : timeLeft === undefined
        ? undefined
        : Math.max(0, timeLeft) + 50;
  const nodeRetryInMs =
    nodeLostAt === undefined || !['Pending', 'Starting', 'Running'].includes(next.phase)
      ? undefined
      : Math.max(0, nodeLostAt - deps.now().getTime()) + 50;
  const retryInMs =
    startRetryInMs === undefined || nodeRetryInMs === undefined
      ? (startRetryInMs ?? nodeRetryInMs)
      : Math.min(startRetryInMs, nodeRetryInMs);
  return failure === undefined
    ? { outcome: 'done', phase: next.phase, ...(retryInMs === undefined ? {} : { retryInMs }) }
    : { outcome: 'retry', error: failure };
}
