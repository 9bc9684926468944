/**
 * The Kubernetes backend: each server is one `JupyterNotebook` resource, reconciled into a
 * pod by the operator (src/kubernetes/operator). It keeps the lifecycle rules of ../types.ts;
 * how, in short:
 *
 * - Everything is read from watch caches (the operator's informers: notebooks, pods, secrets,
 *   events), and every answer is derived from them by ./observe.ts. Nothing a replica knows is
 *   missing from the cluster, so any number of hub replicas route, list and report alike.
 * - `start` server-side-applies the resource (one field manager, `ganymede-hub`), then follows
 *   the caches until the pod is ready, the operator reports Failed, the time is up, or a stop
 *   arrives. Two concurrent starts, in one replica or in two, apply the same object: one
 *   resource. A start in flight is kept on an in-memory entry so callers in this replica join.
 * - `stop` and failures merge-patch `spec.stopped: true` (files are never touched); failures
 *   and unexpected ends also record why in an annotation, so every replica tells the same.
 * - `list` (hub start-up) reports every hub-made resource; one whose first ready pod went away
 *   while no hub watched is stopped and reported stopped; one still starting is followed.
 * - `close` stops watching and waiting; resources and pods are left as they are.
 */
import { randomUUID } from 'node:crypto';
import { createKubeApi, KubeApiError, type KubeApi } from '../../kubernetes/client/kube-api.ts';
import { collectionPath, objectPath } from '../../kubernetes/client/resource-paths.ts';
import { notebookObjectNames } from '../../kubernetes/object-names.ts';
import { kinds } from '../../kubernetes/operator/informers.ts';
import { GanymedeError } from '../../errors/ganymede-error.ts';
import { notebookIngressSpec } from '../../ingress/notebook-host.ts';
import { ProgressLog } from '../local/progress-log.ts';
import { parseBaseUrl, silentBackendLogger as silent } from '../local/options.ts';
import type {
  Backend,
  DeleteOptions,
  FoundServer,
  ProgressEvent,
  Route,
  ServerRef,
  ServerFilter,
  ServerStatus,
  StartOptions,
} from '../types.ts';
import { K8S_MESSAGES, K8S_PROGRESS } from './messages.ts';
import {
  HUB_FIELD_MANAGER,
  hubAnnotations,
  readyPodPatch,
  refOfResource,
  resourceNameOf,
  startRequest,
  stopPatch,
  type Outcome,
} from './notebook-request.ts';
import type { FollowUp } from './observe.ts';
import { queuedSince } from '../../kubernetes/operator/admission.ts';
import type { NotebookStatus } from '../../notebook-spec/status.ts';
import { createClusterView, isHubMade } from './cluster-view.ts';
import { parseKubernetesSettings, type KubernetesBackendOptions } from './options.ts';

interface Entry {
  readonly ref: ServerRef;
  starting?: Promise<ServerStatus> | undefined;
  abort?: AbortController | undefined;
  stopping?: Promise<void> | undefined;
  progress?: ProgressLog | undefined;
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

export async function createKubernetesBackend(options: KubernetesBackendOptions): Promise<Backend> {
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
  /** Follow-up writes already sent (or in flight), so one change is written once per replica. */
  const followUpsSent = new Map<string, Promise<void>>();
  let closed = false;
  /** False until every cache is filled: a half-filled pod cache would make servers look gone. */
  let synced = false;

  const wake = (name: string): void => {
    routes.delete(name);
    const set = waiters.get(name);
    if (!set) return;
    waiters.delete(name);
    for (const w of set) w();
  };

  const view = createClusterView({
    kubeConfig: options.kubeConfig,
    api,
    namespace,
    startTimeoutMs: settings.startTimeoutMs,
    now,
    onChange: (name) => {
      wake(name);
      // Places in the start queue move only when someone joins or leaves it (admitted,
      // stopped, deleted): then whoever follows a queued start hears about it too. Any other
      // change (a pod, an event, a status line) moves no one, and wakes no one else.
      const since = queuedSince(notebookOf(name)?.status as NotebookStatus | undefined);
      if (since !== queued.get(name)) {
        if (since === undefined) queued.delete(name);
        else queued.set(name, since);
        for (const other of [...queued.keys()]) if (other !== name) wake(other);
      }
      if (synced && !closed) settleFollowUps(name);
    },
    onError: (kind, err) => {
      log.warn({ kind, err }, 'kubernetes backend watch failed; re-listing');
    },
  });
  const notebookOf = view.notebookOf;
  const podsOf = view.podsOf;
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

  /** Writes what an observation asks for (mark the ready pod, or stop with a reason). */
  const sendFollowUp = (name: string, followUp: FollowUp): Promise<void> => {
    const id =
      followUp.kind === 'mark-ready'
        ? `${name}|ready|${followUp.generation}|${followUp.podUid}`
        : `${name}|stop|${String(notebookOf(name)?.metadata?.generation)}`;
    const known = followUpsSent.get(id);
    if (known) return known;
    const patch =
      followUp.kind === 'mark-ready'
        ? readyPodPatch(followUp.generation, followUp.podUid)
        : stopPatch(followUp.outcome);
    const sent = patchNotebook(name, patch)
      .then(() => {
        if (followUp.kind === 'stop') {
          log.warn({ notebook: name, outcome: followUp.outcome }, 'notebook server stopped');
        }
      })
      .catch((e: unknown) => {
        followUpsSent.delete(id);
        log.warn({ notebook: name, err: e }, 'recording a notebook server change failed');
      });
    followUpsSent.set(id, sent);
    if (followUpsSent.size > 10_000) followUpsSent.clear();
    return sent;
  };

  function settleFollowUps(name: string): void {
    const nb = notebookOf(name);
    if (!isHubMade(nb)) return;
    const ref = refOfResource(nb?.metadata?.annotations);
    // A start in flight here writes its own outcome (it may also be cancelled by a stop).
    if (ref && entries.get(refKey(ref))?.starting) {
      const followUp = observeName(name).followUp;
      if (followUp?.kind === 'mark-ready') void sendFollowUp(name, followUp);
      return;
    }
    const followUp = observeName(name).followUp;
    if (followUp) void sendFollowUp(name, followUp);
  }

  const entryOf = (ref: ServerRef): Entry => {
    const key = refKey(ref);
    let entry = entries.get(key);
    if (!entry) {
      entry = { ref: { user: ref.user, server: ref.server } };
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
   * Follows a start, by this replica or another, through the caches: one progress event per
   * new step (never going backwards), until ready, failed, stopped by someone, or timed out.
   */
  const follow = async (
    entry: Entry,
    name: string,
    startedAt: string,
    signal: AbortSignal,
    appliedGeneration?: number,
  ): Promise<ServerStatus> => {
    const progress = entry.progress;
    let last = 0;
    let lastMessage = '';
    // The caches may not have seen our own apply yet: until they have, the story is "requested".
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
    for (;;) {
      if (signal.aborted) {
        if (signal.reason === 'closed') {
          progress?.push({
            progress: K8S_PROGRESS.done,
            message: K8S_MESSAGES.hubClosing,
            failed: true,
          });
          return { phase: 'starting', message: K8S_MESSAGES.hubClosing };
        }
        progress?.push({
          progress: K8S_PROGRESS.done,
          message: K8S_MESSAGES.cancelled,
          failed: true,
        });
        return { phase: 'stopped', message: K8S_MESSAGES.cancelled };
      }
      const nb = notebookOf(name);
      if (isOurs()) {
        const observation = observeName(name);
        const { status } = observation;
        if (status.phase === 'running' && observation.route) {
          if (observation.followUp) await sendFollowUp(name, observation.followUp);
          progress?.push({ progress: K8S_PROGRESS.done, message: K8S_MESSAGES.ready, ready: true });
          log.info({ notebook: name }, 'notebook server ready');
          return status;
        }
        if (status.phase === 'failed') {
          if (observation.followUp) await sendFollowUp(name, observation.followUp);
          progress?.push(
            observation.progress ?? {
              progress: K8S_PROGRESS.done,
              message: status.message ?? K8S_MESSAGES.couldNotStart,
              failed: true,
            },
          );
          log.warn({ notebook: name, status }, 'notebook server start failed');
          return status;
        }
        if (status.phase !== 'starting') {
          // Stopped by someone else (another replica, kubectl), or its pod went away.
          const message = status.message ?? K8S_MESSAGES.cancelled;
          progress?.push({ progress: K8S_PROGRESS.done, message, failed: true });
          return status;
        }
        const step = observation.progress;
        if (
          step &&
          (step.progress > last || (step.progress === last && step.message !== lastMessage))
        ) {
          last = step.progress;
          lastMessage = step.message;
          progress?.push(step);
        }
      } else if (
        nb === undefined &&
        now().getTime() - Date.parse(startedAt) > settings.startTimeoutMs
      ) {
        const message = K8S_MESSAGES.couldNotStart;
        progress?.push({ progress: K8S_PROGRESS.done, message, failed: true });
        return { phase: 'failed', message, detail: 'the JupyterNotebook resource never appeared' };
      }
      // Re-derived at least every few seconds: the start timeout needs no event to pass.
      await nextChange(name, 5_000, signal);
    }
  };

  /** Records an in-flight start on the entry, synchronously, so callers in this replica join. */
  const beginStart = (
    entry: Entry,
    run: (signal: AbortSignal) => Promise<ServerStatus>,
  ): Promise<ServerStatus> => {
    const abort = new AbortController();
    entry.abort = abort;
    entry.progress = new ProgressLog();
    const starting = run(abort.signal).finally(() => {
      if (entry.starting === starting) {
        entry.starting = undefined;
        entry.abort = undefined;
      }
    });
    entry.starting = starting;
    return starting;
  };

  /** Follows a start this replica did not make (another replica's, or an earlier process'). */
  const beginFollow = (entry: Entry): Promise<ServerStatus> | undefined => {
    if (entry.starting) return entry.starting;
    const name = resourceNameOf(entry.ref);
    const startedAt = notebookOf(name)?.metadata?.annotations?.[hubAnnotations.startedAt];
    if (startedAt === undefined) return undefined;
    return beginStart(entry, (signal) => {
      entry.progress?.push({ progress: K8S_PROGRESS.requested, message: K8S_MESSAGES.requested });
      return follow(entry, name, startedAt, signal);
    });
  };

  const runStart = async (
    entry: Entry,
    startOptions: StartOptions,
    baseUrl: string,
    signal: AbortSignal,
  ): Promise<ServerStatus> => {
    const name = resourceNameOf(entry.ref);
    entry.progress?.push({ progress: K8S_PROGRESS.requested, message: K8S_MESSAGES.requested });
    // A resource being deleted cannot be started again until the API server has removed it.
    await waitUntil(
      name,
      () => notebookOf(name)?.metadata?.deletionTimestamp === undefined,
      settings.startTimeoutMs,
      signal,
    );
    // A failure not yet written down as stopped (its follow-up still in flight): stop first, so
    // the start below is a new generation and the operator's old Failed status cannot end it.
    const previous = notebookOf(name);
    if (
      (previous?.spec as { stopped?: boolean } | undefined)?.stopped === false &&
      observeName(name).status.phase === 'failed'
    ) {
      await patchNotebook(name, stopPatch(undefined)).catch((e: unknown) => {
        log.warn({ notebook: name, err: e }, 'stopping a failed notebook before its retry failed');
      });
    }
    const request = startRequest({
      ref: entry.ref,
      namespace,
      profile: startOptions.profile,
      baseUrl,
      now: now(),
      ...(options.ingress ? { ingress: notebookIngressSpec(entry.ref, options.ingress) } : {}),
    });
    const startedAt = request.metadata.annotations[hubAnnotations.startedAt] ?? '';
    let appliedGeneration: number | undefined;
    try {
      if (signal.aborted) return await follow(entry, name, startedAt, signal);
      // Server-side apply (https://kubernetes.io/docs/reference/using-api/server-side-apply/):
      // create or update in one idempotent request; force takes over fields a stop patched.
      const applied = await api.apply(request, HUB_FIELD_MANAGER);
      appliedGeneration = (applied as { metadata?: { generation?: number } }).metadata?.generation;
    } catch (e) {
      const detail = e instanceof Error ? e.message : String(e);
      const message = K8S_MESSAGES.couldNotStart;
      entry.progress?.push({ progress: K8S_PROGRESS.done, message, failed: true, detail });
      log.warn({ notebook: name, err: e }, 'applying the JupyterNotebook failed');
      return { phase: 'failed', message, detail, profile: startOptions.profile.name };
    }
    log.info(
      { notebook: name, ref: entry.ref, profile: startOptions.profile.name },
      'notebook requested',
    );
    return follow(entry, name, startedAt, signal, appliedGeneration);
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
    if (entry.starting) return entry.starting;
    const name = resourceNameOf(ref);
    const current = observeName(name);
    if (current.status.phase === 'running' && current.route) return current.status;
    if (current.status.phase === 'starting') {
      const joined = beginFollow(entry);
      if (joined) return joined;
    }
    return beginStart(entry, (signal) => runStart(entry, startOptions, baseUrl, signal));
  };

  const stopEntry = async (entry: Entry): Promise<void> => {
    const name = resourceNameOf(entry.ref);
    if (entry.starting) {
      entry.abort?.abort('stopped');
      await entry.starting.catch(() => undefined);
    }
    const nb = notebookOf(name);
    const stopped = (nb?.spec as { stopped?: boolean } | undefined)?.stopped === true;
    if (nb && !stopped) await patchNotebook(name, stopPatch(undefined));
    entry.progress = undefined;
    // Wait for the pod to go, so a start right after never meets the old server.
    await waitUntil(
      name,
      () => podsOf(name).length === 0 || notebookOf(name) === undefined,
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
    const name = resourceNameOf(ref);
    if (entry?.starting) {
      const observed = observeName(name).status;
      return Promise.resolve(
        observed.phase === 'starting'
          ? observed
          : { phase: 'starting', message: K8S_MESSAGES.requested },
      );
    }
    const observation = observeName(name);
    if (observation.followUp && isHubMade(notebookOf(name))) {
      void sendFollowUp(name, observation.followUp);
    }
    return Promise.resolve(observation.status);
  };

  async function* progress(ref: ServerRef): AsyncGenerator<ProgressEvent, void, undefined> {
    const entry = entryOf(ref);
    if (!entry.starting) {
      const observation = observeName(resourceNameOf(ref));
      const phase = observation.status.phase;
      // This replica's own last start still tells its end (a failure stays the story until
      // the next start or stop), even while the cluster is still removing the failed pod.
      const terminal = entry.progress?.terminal();
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
    const events = entry.progress;
    if (!events) return;
    yield* events.follow();
  }

  /** Every hub-made server in the cluster; settles what happened while no hub watched. */
  const recoverAll = (): { ref: ServerRef; status: ServerStatus }[] => {
    const found: { ref: ServerRef; status: ServerStatus }[] = [];
    for (const name of view.notebookNames()) {
      const observed = notebookOf(name);
      const ref = refOfResource(observed?.metadata?.annotations);
      if (!ref || !isHubMade(observed) || resourceNameOf(ref) !== name) continue;
      const entry = entryOf(ref);
      let observation = observeName(name);
      if (
        observation.followUp?.kind === 'stop' &&
        observation.followUp.outcome.message === K8S_MESSAGES.gone
      ) {
        // Its pod went away while no hub was watching.
        const outcome: Outcome = { phase: 'stopped', message: K8S_MESSAGES.goneWhileAway };
        void sendFollowUp(name, { kind: 'stop', outcome });
        observation = { status: { phase: 'stopped', message: outcome.message } };
      } else if (observation.followUp) {
        void sendFollowUp(name, observation.followUp);
      }
      if (observation.status.phase === 'starting' && !entry.starting) {
        // Left half done by a replica that went away: finish following it, in the background.
        void beginFollow(entry);
      }
      found.push({ ref, status: observation.status });
    }
    return found;
  };

  const list = (): Promise<{ ref: ServerRef; status: ServerStatus }[]> =>
    Promise.resolve(recoverAll());

  const find = (filter: ServerFilter): FoundServer[] =>
    view.notebookNames().flatMap((name) => {
      const nb = notebookOf(name);
      const ref = refOfResource(nb?.metadata?.annotations);
      if (!ref || !isHubMade(nb) || resourceNameOf(ref) !== name) return [];
      if (filter.user !== undefined && ref.user !== filter.user) return [];
      const found = observeName(name).status;
      return filter.phases.includes(found.phase) ? [{ ref, status: found }] : [];
    });

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
  synced = true;
  recoverAll();

  const sweep = setInterval(() => {
    for (const name of view.notebookNames()) settleFollowUps(name);
  }, settings.sweepIntervalMs);
  sweep.unref();

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    clearInterval(sweep);
    const inFlight = [...entries.values()].flatMap((e) => {
      e.abort?.abort('closed');
      return e.starting ? [e.starting.catch(() => undefined)] : [];
    });
    await Promise.allSettled(inFlight);
    await Promise.allSettled([...followUpsSent.values()]);
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
