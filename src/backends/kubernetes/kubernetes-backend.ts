/**
 * The Kubernetes backend: each server is one `JupyterNotebook` resource, reconciled into a
 * pod by the operator (src/kubernetes/operator), which owns every runtime fact and writes it
 * to the resource's status. It keeps the lifecycle rules of ../types.ts; how, in short:
 *
 * - The hub writes intent only: `start` server-side-applies the resource (one field manager,
 *   `ganymede-hub`; a new start-request time each start), `stop` merge-patches
 *   `spec.stopped: true`. Files are never touched.
 * - Everything else is read from the process's watch cache of notebooks (and their token
 *   Secrets) through ./observe.ts: any number of hub replicas route, list and report alike.
 * - A start follows the status until the operator reports this start Running with a ready
 *   address, Failed (including its time-out), or stopped. Two concurrent starts, in one
 *   replica or in two, apply the same object: one resource. Callers in this replica join the
 *   start in flight (../start-in-flight.ts).
 * - `find` answers from an index of servers by phase, kept on every watch event.
 * - `close` stops watching and waiting; resources and pods are left as they are.
 */
import { randomUUID } from 'node:crypto';
import { createKubeApi, KubeApiError, type KubeApi } from '../../kubernetes/client/kube-api.ts';
import { collectionPath, objectPath } from '../../kubernetes/client/resource-paths.ts';
import { notebookObjectNames } from '../../kubernetes/object-names.ts';
import { buildHubTokenSecret } from '../../kubernetes/resources/secret.ts';
import { kinds, type InformerSet } from '../../kubernetes/operator/informers.ts';
import { GanymedeError } from '../../errors/ganymede-error.ts';
import { notebookIngressSpec } from '../../ingress/notebook-host.ts';
import { parseBaseUrl, silentBackendLogger as silent } from '../local/options.ts';
import type { ProgressLog } from '../local/progress-log.ts';
import { StartInFlight } from '../start-in-flight.ts';
import type {
  Backend,
  DeleteOptions,
  FoundServer,
  ProgressEvent,
  Route,
  ServerFilter,
  ServerPhase,
  ServerRef,
  ServerStatus,
  StartOptions,
} from '../types.ts';
import { K8S_MESSAGES, K8S_PROGRESS } from './messages.ts';
import { ClusterUnreachableError, retryWhileUnreachable } from './retry-unreachable.ts';
import {
  HUB_FIELD_MANAGER,
  hubAnnotations,
  refOfResource,
  resourceNameOf,
  startRequest,
  STOP_PATCH,
} from './notebook-request.ts';
import { queuedSince } from '../../kubernetes/operator/admission.ts';
import type { NotebookStatus } from '../../notebook-spec/status.ts';
import { createClusterView, isHubMade } from './cluster-view.ts';
import { parseKubernetesSettings, type KubernetesBackendOptions } from './options.ts';

interface Entry {
  readonly ref: ServerRef;
  readonly start: StartInFlight;
  stopping?: Promise<void> | undefined;
}

function refKey(ref: ServerRef): string {
  return `${ref.user}\0${ref.server}`;
}

function is404(e: unknown): boolean {
  return e instanceof KubeApiError && e.status === 404;
}

/**
 * One list call before anything starts, so a missing CRD or missing permission stops the hub
 * with its fix instead of failing every start later (the watches would retry silently).
 */
async function checkAccess(api: KubeApi, namespace: string): Promise<void> {
  try {
    await api.list(collectionPath(kinds.notebooks, namespace), { limit: '1' });
  } catch (e) {
    const status = e instanceof KubeApiError ? e.status : undefined;
    const detail = e instanceof Error ? e.message : String(e);
    if (status === 404) {
      throw new GanymedeError(
        'unavailable',
        'The JupyterNotebook resource type is not installed.',
        {
          detail: `Install the CRD first: kubectl apply -f deploy/crd/jupyternotebooks.ganymede.dev.yaml (${detail})`,
          field: 'backend.kubernetes',
        },
      );
    }
    if (status === 401 || status === 403) {
      throw new GanymedeError('unavailable', 'The hub may not read JupyterNotebooks.', {
        detail: `Grant its service account list/watch on jupyternotebooks in namespace ${namespace} (${detail})`,
        field: 'backend.kubernetes.namespace',
      });
    }
    throw new GanymedeError('unavailable', 'The Kubernetes API server cannot be reached.', {
      detail,
      field: 'backend.kubernetes.kubeconfig',
    });
  }
}

export async function createKubernetesBackend(
  options: KubernetesBackendOptions & {
    /** The process's informer set (shared with the in-hub operator); else the backend watches. */
    readonly informers?: InformerSet;
  },
): Promise<Backend> {
  const settings = parseKubernetesSettings(options);
  const { namespace } = settings;
  const log = options.log ?? silent;
  const now = options.now ?? (() => new Date());
  const api: KubeApi = await createKubeApi(options.kubeConfig);
  await checkAccess(api, namespace);
  const entries = new Map<string, Entry>();
  /** Wake-ups for code waiting on a change to one notebook, by resource name. */
  const waiters = new Map<string, Set<() => void>>();
  /** Notebooks waiting for their turn to start, with their queue time (ms). */
  const queued = new Map<string, number>();
  const routes = new Map<string, Route | undefined>();
  /** Hub-made servers by phase, kept on every watch event: `find` reads these, never a scan. */
  const byPhase = new Map<ServerPhase, Map<string, ServerRef>>();
  const phaseOf = new Map<string, ServerPhase>();
  let closed = false;
  /** Aborted on close: ends a stop still waiting for the cluster to answer. */
  const closing = new AbortController();

  const wake = (name: string): void => {
    routes.delete(name);
    const set = waiters.get(name);
    if (!set) return;
    waiters.delete(name);
    for (const w of set) w();
  };

  /** Files the notebook under its phase now (or nowhere, once gone or not the hub's). */
  const index = (name: string): void => {
    const before = phaseOf.get(name);
    if (before !== undefined) byPhase.get(before)?.delete(name);
    phaseOf.delete(name);
    const nb = notebookOf(name);
    const ref = refOfResource(nb?.metadata?.annotations);
    if (!ref || !isHubMade(nb) || resourceNameOf(ref) !== name) return;
    const phase = view.observe(name).status.phase;
    let bucket = byPhase.get(phase);
    if (!bucket) byPhase.set(phase, (bucket = new Map<string, ServerRef>()));
    bucket.set(name, ref);
    phaseOf.set(name, phase);
  };

  const view = createClusterView({
    kubeConfig: options.kubeConfig,
    api,
    namespace,
    informers: options.informers,
    onChange: (name) => {
      index(name);
      wake(name);
      // Places in the start queue move only when someone joins or leaves it (admitted,
      // stopped, deleted): then whoever follows a queued start hears about it too. Any other
      // change (a pod, a status line) moves no one, and wakes no one else.
      const since = queuedSince(notebookOf(name)?.status as NotebookStatus | undefined);
      if (since !== queued.get(name)) {
        if (since === undefined) queued.delete(name);
        else queued.set(name, since);
        for (const other of [...queued.keys()]) if (other !== name) wake(other);
      }
    },
    onError: (kind, err) => {
      log.warn({ kind, err }, 'kubernetes backend watch failed; re-listing');
    },
  });
  const notebookOf = view.notebookOf;
  const observeName = view.observe;

  const patchNotebook = async (name: string, patch: unknown): Promise<void> => {
    try {
      await api.request({
        method: 'PATCH',
        path: objectPath(kinds.notebooks, namespace, name),
        query: { fieldManager: HUB_FIELD_MANAGER },
        body: patch,
        contentType: 'application/merge-patch+json',
      });
    } catch (e) {
      if (!is404(e)) throw e;
    }
  };

  const entryOf = (ref: ServerRef): Entry => {
    const key = refKey(ref);
    let entry = entries.get(key);
    if (!entry) {
      entry = { ref: { user: ref.user, server: ref.server }, start: new StartInFlight() };
      entries.set(key, entry);
    }
    return entry;
  };

  /** Resolves at the next change to `name`, after `ms`, or when `signal` aborts. */
  const nextChange = (name: string, ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve) => {
      let set = waiters.get(name);
      if (!set) {
        set = new Set();
        waiters.set(name, set);
      }
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        waiters.get(name)?.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      set.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });

  /** Waits (on watch events, never by polling) until `until` holds or `ms` have passed. */
  const waitUntil = async (
    name: string,
    until: () => boolean,
    ms: number,
    signal?: AbortSignal,
  ): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (!until()) {
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted === true) return false;
      await nextChange(name, left, signal);
    }
    return true;
  };

  /**
   * Follows a start, by this replica or another, through the cache: one progress event per
   * new step (never going backwards), until the operator reports it ready, failed or stopped.
   * The operator owns the start's time-out; this only gives up when no operator answers.
   */
  const follow = async (
    name: string,
    startedAt: string,
    signal: AbortSignal,
    progress: ProgressLog,
    appliedGeneration?: number,
  ): Promise<ServerStatus> => {
    // Steps already told (by runStart) are not told twice.
    const told = progress.events.at(-1);
    let last = told?.progress ?? 0;
    let lastMessage = told?.message ?? '';
    // The cache may not have seen our own apply yet: until it has, the story is "requested".
    // A concurrent start by another replica writes a later time; that one is followed too.
    // Two replicas starting at once race: the apply that lands last may carry the EARLIER
    // time. Its spec is the same start, so the generation our apply produced identifies it too.
    const isOurs = (): boolean => {
      const nb = notebookOf(name);
      const seen = nb?.metadata?.annotations?.[hubAnnotations.startedAt];
      if (seen !== undefined && Date.parse(seen) >= Date.parse(startedAt)) return true;
      const generation = nb?.metadata?.generation;
      return (
        appliedGeneration !== undefined &&
        generation !== undefined &&
        generation >= appliedGeneration &&
        (nb?.spec as { stopped?: boolean } | undefined)?.stopped === false
      );
    };
    // No operator answering at all (not installed, not leading anywhere): say so in the end.
    const giveUpAt = Date.parse(startedAt) + settings.startTimeoutMs + NO_OPERATOR_GRACE_MS;
    for (;;) {
      if (signal.aborted) {
        if (signal.reason === 'closed') {
          progress.push({
            progress: K8S_PROGRESS.done,
            message: K8S_MESSAGES.hubClosing,
            failed: true,
          });
          return { phase: 'starting', message: K8S_MESSAGES.hubClosing };
        }
        progress.push({
          progress: K8S_PROGRESS.done,
          message: K8S_MESSAGES.cancelled,
          failed: true,
        });
        return { phase: 'stopped', message: K8S_MESSAGES.cancelled };
      }
      if (isOurs()) {
        const observation = observeName(name);
        const { status } = observation;
        if (status.phase === 'running' && observation.route) {
          progress.push({ progress: K8S_PROGRESS.done, message: K8S_MESSAGES.ready, ready: true });
          log.info({ notebook: name }, 'notebook server ready');
          return status;
        }
        if (status.phase === 'failed') {
          progress.push(
            observation.progress ?? {
              progress: K8S_PROGRESS.done,
              message: status.message ?? K8S_MESSAGES.couldNotStart,
              failed: true,
            },
          );
          log.warn({ notebook: name, status }, 'notebook server start failed');
          return status;
        }
        if (status.phase !== 'starting' && status.phase !== 'running') {
          // Stopped by someone else (another replica, kubectl), or its pod went away.
          const message = status.message ?? K8S_MESSAGES.cancelled;
          progress.push({ progress: K8S_PROGRESS.done, message, failed: true });
          return status;
        }
        const step = observation.progress;
        if (
          step &&
          (step.progress > last || (step.progress === last && step.message !== lastMessage))
        ) {
          last = step.progress;
          lastMessage = step.message;
          progress.push(step);
        }
      }
      if (now().getTime() > giveUpAt) {
        const message = K8S_MESSAGES.couldNotStart;
        progress.push({ progress: K8S_PROGRESS.done, message, failed: true });
        return {
          phase: 'failed',
          message,
          detail: 'no operator reported on this start (is the operator running?)',
        };
      }
      await nextChange(name, 5_000, signal);
    }
  };

  /** Follows a start this replica did not make (another replica's, or an earlier process'). */
  const beginFollow = (entry: Entry): Promise<ServerStatus> | undefined => {
    if (entry.start.current) return entry.start.current;
    const name = resourceNameOf(entry.ref);
    const startedAt = notebookOf(name)?.metadata?.annotations?.[hubAnnotations.startedAt];
    if (startedAt === undefined) return undefined;
    return entry.start.begin((signal, progress) => {
      progress.push({ progress: K8S_PROGRESS.requested, message: K8S_MESSAGES.requested });
      return follow(name, startedAt, signal, progress);
    });
  };

  const runStart = async (
    entry: Entry,
    startOptions: StartOptions,
    baseUrl: string,
    signal: AbortSignal,
    progress: ProgressLog,
  ): Promise<ServerStatus> => {
    const name = resourceNameOf(entry.ref);
    progress.push({ progress: K8S_PROGRESS.requested, message: K8S_MESSAGES.requested });
    // A resource being deleted cannot be started again until the API server has removed it.
    await waitUntil(
      name,
      () => notebookOf(name)?.metadata?.deletionTimestamp === undefined,
      settings.startTimeoutMs,
      signal,
    );
    const { hub } = startOptions;
    const hubSecret = notebookObjectNames(name).hubSecret;
    const withToken = hub?.apiUrl !== undefined;
    const requestAt = (at: Date) =>
      startRequest({
        ref: entry.ref,
        namespace,
        profile: startOptions.profile,
        baseUrl,
        now: at,
        ...(options.ingress ? { ingress: notebookIngressSpec(entry.ref, options.ingress) } : {}),
        ...(hub === undefined
          ? {}
          : {
              hub: {
                user: entry.ref.user,
                serverName: entry.ref.server,
                baseUrl: hub.hubBaseUrl,
                ...(hub.hubHost === '' ? {} : { host: hub.hubHost }),
                ...(hub.apiUrl === undefined ? {} : { apiUrl: hub.apiUrl }),
                ...(withToken ? { apiTokenSecret: hubSecret } : {}),
              },
            }),
      });
    let request = requestAt(now());
    let startedAt = request.metadata.annotations[hubAnnotations.startedAt] ?? '';
    let appliedGeneration: number | undefined;
    try {
      if (signal.aborted) return await follow(name, startedAt, signal, progress);
      // The server's API token goes into its own Secret before the resource asks for a pod,
      // so the pod never starts with the last start's (revoked) token.
      const token = withToken ? await hub.issueApiToken() : undefined;
      const writeToken = (uid: string | undefined) =>
        token === undefined
          ? Promise.resolve(undefined)
          : api.apply(
              buildHubTokenSecret(
                { metadata: { ...request.metadata, ...(uid === undefined ? {} : { uid }) } },
                token,
                hubSecret,
              ),
              HUB_FIELD_MANAGER,
            );
      // An object, not a `let`: it is set inside the retried function.
      const waited = { told: false };
      // While the cluster does not answer (its API server restarting, say), the start waits
      // and says so, and goes on when it answers, up to the start's time-out.
      await retryWhileUnreachable(
        async () => {
          if (waited.told) {
            // Asked anew: the operator counts the start's time-out from when it was asked.
            request = requestAt(now());
            startedAt = request.metadata.annotations[hubAnnotations.startedAt] ?? '';
          }
          const existing = notebookOf(name)?.metadata;
          const existingUid = existing?.uid;
          await writeToken(existingUid);
          // Server-side apply (https://kubernetes.io/docs/reference/using-api/server-side-apply/):
          // create or update in one idempotent request; force takes over fields a stop patched.
          // The new start-request time makes it a new start for the operator, even when the
          // spec is the same as the last (failed or lost) one's.
          const applied = await api.apply(request, HUB_FIELD_MANAGER);
          const meta = (applied as { metadata?: { generation?: number; uid?: string } }).metadata;
          // Only a generation this apply made identifies this start: a start again with the
          // same spec (after a lost server) keeps the generation, and the last start's status
          // matches it until the operator has seen the new request.
          appliedGeneration =
            meta?.generation === existing?.generation ? undefined : meta?.generation;
          // A new resource: now that it exists, the Secret is made its own, to go with it.
          if (existingUid === undefined && meta?.uid !== undefined) await writeToken(meta.uid);
        },
        {
          signal,
          deadline: now().getTime() + settings.startTimeoutMs,
          now: () => now().getTime(),
          onUnreachable: (err, attempt) => {
            if (!waited.told) {
              progress.push({
                progress: K8S_PROGRESS.requested,
                message: K8S_MESSAGES.clusterNotAnswering,
              });
            }
            waited.told = true;
            log.warn({ notebook: name, err, attempt }, 'the API server did not answer; retrying');
          },
        },
      );
      if (waited.told) {
        progress.push({ progress: K8S_PROGRESS.requested, message: K8S_MESSAGES.requested });
      }
    } catch (e) {
      if (e instanceof ClusterUnreachableError && signal.aborted) {
        return follow(name, startedAt, signal, progress);
      }
      const detail = e instanceof Error ? e.message : String(e);
      const message =
        e instanceof ClusterUnreachableError
          ? K8S_MESSAGES.clusterDidNotAnswer
          : K8S_MESSAGES.couldNotStart;
      progress.push({ progress: K8S_PROGRESS.done, message, failed: true, detail });
      log.warn({ notebook: name, err: e }, 'applying the JupyterNotebook failed');
      return { phase: 'failed', message, detail, profile: startOptions.profile.name };
    }
    log.info(
      { notebook: name, ref: entry.ref, profile: startOptions.profile.name },
      'notebook requested',
    );
    return follow(name, startedAt, signal, progress, appliedGeneration);
  };

  const start = async (ref: ServerRef, startOptions: StartOptions): Promise<ServerStatus> => {
    if (closed) {
      throw new GanymedeError('unavailable', 'The hub is restarting. Please try again shortly.', {
        detail: 'start() after close()',
      });
    }
    const baseUrl = parseBaseUrl(startOptions.baseUrl);
    const entry = entryOf(ref);
    while (entry.stopping) await entry.stopping;
    if (entry.start.current) return entry.start.current;
    const name = resourceNameOf(ref);
    const current = observeName(name);
    if (current.status.phase === 'running' && current.route) return current.status;
    if (current.status.phase === 'starting') {
      const joined = beginFollow(entry);
      if (joined) return joined;
    }
    return entry.start.begin((signal, progress) =>
      runStart(entry, startOptions, baseUrl, signal, progress),
    );
  };

  const stopEntry = async (entry: Entry): Promise<void> => {
    const name = resourceNameOf(entry.ref);
    await entry.start.cancel('stopped');
    const nb = notebookOf(name);
    const stopped = (nb?.spec as { stopped?: boolean } | undefined)?.stopped === true;
    if (nb && !stopped) {
      // As a start does: while the cluster does not answer (its API server restarting), the
      // stop is sent again, up to the stop's wait, instead of failing at once.
      await retryWhileUnreachable(() => patchNotebook(name, STOP_PATCH), {
        signal: closing.signal,
        // As long as a start would wait: an outage is the cluster's, the stop is still wanted.
        deadline: now().getTime() + Math.max(settings.stopWaitMs, settings.startTimeoutMs),
        now: () => now().getTime(),
        onUnreachable: (err, attempt) => {
          log.warn(
            { notebook: name, err, attempt },
            'the API server did not answer a stop; retrying',
          );
        },
      });
    }
    entry.start.progress = undefined;
    // Wait for the operator to report it stopped (its pod gone), so a start right after never
    // meets the old server.
    await waitUntil(
      name,
      () => notebookOf(name) === undefined || observeName(name).status.phase === 'stopped',
      settings.stopWaitMs,
    );
    log.info({ notebook: name, ref: entry.ref }, 'notebook server stopped');
  };

  const stop = (ref: ServerRef): Promise<void> => {
    const entry = entryOf(ref);
    if (entry.stopping) return entry.stopping;
    const stopping = stopEntry(entry).finally(() => {
      if (entry.stopping === stopping) entry.stopping = undefined;
    });
    entry.stopping = stopping;
    return stopping;
  };

  const deleteServer = async (ref: ServerRef, deleteOptions: DeleteOptions = {}): Promise<void> => {
    await stop(ref);
    const name = resourceNameOf(ref);
    try {
      // Background propagation: the garbage collector removes what the notebook owns; the home
      // claim carries no ownerReference (retain: true) and stays
      // (https://kubernetes.io/docs/concepts/architecture/garbage-collection/).
      await api.request({
        method: 'DELETE',
        path: objectPath(kinds.notebooks, namespace, name),
        body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
      });
    } catch (e) {
      if (!is404(e)) throw e;
    }
    await waitUntil(name, () => notebookOf(name) === undefined, settings.stopWaitMs);
    if (deleteOptions.deleteStorage === true) {
      try {
        await api.request({
          method: 'DELETE',
          path: objectPath(kinds.claims, namespace, notebookObjectNames(name).claim),
        });
        log.warn({ ref, notebook: name }, "user's files deleted on request");
      } catch (e) {
        if (!is404(e)) throw e;
      }
    }
    entries.delete(refKey(ref));
  };

  const status = (ref: ServerRef): Promise<ServerStatus> => {
    const entry = entries.get(refKey(ref));
    const observed = observeName(resourceNameOf(ref)).status;
    if (entry?.stopping && (observed.phase === 'running' || observed.phase === 'starting')) {
      // Asked to stop, and the cluster has not heard yet (its API server restarting, say).
      return Promise.resolve({ phase: 'stopping', message: K8S_MESSAGES.stopping });
    }
    if (entry?.start.current) {
      return Promise.resolve(
        observed.phase === 'starting'
          ? observed
          : { phase: 'starting', message: K8S_MESSAGES.requested },
      );
    }
    return Promise.resolve(observed);
  };

  async function* progress(ref: ServerRef): AsyncGenerator<ProgressEvent, void, undefined> {
    const entry = entryOf(ref);
    if (!entry.start.current) {
      const observation = observeName(resourceNameOf(ref));
      const phase = observation.status.phase;
      // This replica's own last start still tells its end (a failure stays the story until
      // the next start or stop), even while the cluster is still removing the failed pod.
      const terminal = entry.start.progress?.terminal();
      if (terminal?.failed === true && phase !== 'starting' && phase !== 'running') {
        yield terminal;
        return;
      }
      if (phase === 'starting') void beginFollow(entry);
      else {
        if ((phase === 'running' || phase === 'failed') && observation.progress) {
          yield observation.progress;
        }
        return;
      }
    }
    const events = entry.start.progress;
    if (!events) return;
    yield* events.follow();
  }

  /** Every hub-made server in the cluster (hub start-up); follows starts left half done. */
  const list = (): Promise<{ ref: ServerRef; status: ServerStatus }[]> => {
    const found: { ref: ServerRef; status: ServerStatus }[] = [];
    for (const name of view.notebookNames()) {
      const observed = notebookOf(name);
      const ref = refOfResource(observed?.metadata?.annotations);
      if (!ref || !isHubMade(observed) || resourceNameOf(ref) !== name) continue;
      const { status: now } = observeName(name);
      // Left half done by a replica that went away: finish following it, in the background.
      if (now.phase === 'starting') void beginFollow(entryOf(ref));
      found.push({ ref, status: now });
    }
    return Promise.resolve(found);
  };

  const find = (filter: ServerFilter): FoundServer[] => {
    const found: FoundServer[] = [];
    if (filter.user !== undefined) {
      for (const name of view.notebooksOfUser(filter.user)) {
        const phase = phaseOf.get(name);
        const ref = phase === undefined ? undefined : byPhase.get(phase)?.get(name);
        if (ref && phase !== undefined && filter.phases.includes(phase)) {
          found.push({ ref, status: observeName(name).status });
        }
      }
      return found;
    }
    for (const phase of filter.phases) {
      for (const [name, ref] of byPhase.get(phase) ?? []) {
        found.push({ ref, status: observeName(name).status });
      }
    }
    return found;
  };

  const route = (ref: ServerRef): Route | undefined => {
    const name = resourceNameOf(ref);
    if (routes.has(name)) return routes.get(name);
    const found = observeName(name).route;
    // Bounded: the proxy asks for any name a request carries, existing or not.
    if (routes.size >= 10_000) routes.clear();
    routes.set(name, found);
    return found;
  };

  await view.start();
  for (const name of view.notebookNames()) index(name);

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    closing.abort();
    await Promise.allSettled([...entries.values()].map((e) => e.start.cancel('closed')));
    await view.stop();
    api.close();
  };

  log.info({ namespace, instance: randomUUID() }, 'kubernetes backend watching');
  return {
    kind: 'kubernetes',
    start,
    stop,
    delete: deleteServer,
    status,
    progress,
    list,
    find,
    route,
    close,
  };
}

/** Past the operator's own start time-out: no operator is reporting on this start at all. */
const NO_OPERATOR_GRACE_MS = 30_000;
