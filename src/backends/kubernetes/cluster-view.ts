/**
 * The backend's view of the cluster: the operator's watch caches (notebooks, pods, Secrets,
 * Warning events; src/kubernetes/operator/informers.ts) in one namespace, read through
 * ./observe.ts. Every replica fills the same caches from the same API server, so every
 * replica derives the same routes and statuses; nothing is kept that the cluster lacks.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeApi } from '../../kubernetes/client/kube-api.ts';
import { labelKeys } from '../../kubernetes/labels.ts';
import { notebookObjectNames } from '../../kubernetes/object-names.ts';
import { createInformers, splitKey } from '../../kubernetes/operator/informers.ts';
import type { Pod } from '../../kubernetes/plain.ts';
import { TOKEN_KEY } from '../../kubernetes/resources/settings.ts';
import { HUB_LABEL } from './notebook-request.ts';
import type { NotebookStatus } from '../../notebook-spec/status.ts';
import { queueOrder, queuedSince } from '../../kubernetes/operator/admission.ts';
import { observe, type ObservedNotebook, type Observation } from './observe.ts';

export interface ClusterView {
  /** Lists every kind, then watches; resolves when every cache is filled. */
  readonly start: () => Promise<void>;
  readonly stop: () => Promise<void>;
  readonly notebookOf: (name: string) => ObservedNotebook | undefined;
  /** Names of every `JupyterNotebook` in the namespace. */
  readonly notebookNames: () => string[];
  readonly podsOf: (name: string) => Pod[];
  /** The server's state now, derived from the caches (see ./observe.ts). */
  readonly observe: (name: string) => Observation;
}

export function createClusterView(input: {
  readonly kubeConfig: KubeConfig;
  readonly api: KubeApi;
  readonly namespace: string;
  readonly startTimeoutMs: number;
  readonly now: () => Date;
  /** Called with the notebook name after any change to it or to what it owns. */
  readonly onChange: (name: string) => void;
  readonly onError: (kind: string, error: unknown) => void;
}): ClusterView {
  const { namespace } = input;
  const informers = createInformers({
    kubeConfig: input.kubeConfig,
    api: input.api,
    namespace,
    only: ['notebooks', 'pods', 'secrets', 'events'],
    onChange: (key) => {
      input.onChange(splitKey(key).name);
    },
    onError: input.onError,
  });
  const { caches } = informers;

  const notebookOf = (name: string): ObservedNotebook | undefined =>
    caches.notebooks.get(name, namespace);

  const podsOf = (name: string): Pod[] => {
    const base = notebookObjectNames(name).base;
    return caches.pods
      .list(namespace)
      .filter((p) => p.metadata?.labels?.[labelKeys.notebook] === base);
  };

  const tokenOf = (name: string): string | undefined => {
    const secret = caches.secrets.get(notebookObjectNames(name).secret, namespace) as
      { data?: Record<string, string> } | undefined;
    const encoded = secret?.data?.[TOKEN_KEY];
    return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
  };

  /** The newest Warning about the notebook's pods (pull errors, scheduling), as detail. */
  const warningOf = (pods: readonly Pod[]): string | undefined => {
    const uids = new Set(pods.map((p) => p.metadata?.uid));
    const events = caches.events.list(namespace).filter(
      (e) =>
        e.involvedObject.kind === 'Pod' &&
        uids.has(e.involvedObject.uid) &&
        // Failed probes are how a starting server looks; they explain nothing.
        e.reason !== 'Unhealthy',
    );
    // The newest by time, not by place in the cache: a repeated event is updated in place
    // (count and lastTimestamp), so the cache's order is the order of first occurrence.
    const time = (e: (typeof events)[number]): number =>
      Date.parse(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '') || 0;
    const last = events.reduce<(typeof events)[number] | undefined>(
      (newest, e) => (newest === undefined || time(e) >= time(newest) ? e : newest),
      undefined,
    );
    return last ? `${last.reason ?? ''}: ${last.message ?? ''}` : undefined;
  };

  /** How many queued before `name` (the operator's order: queue time, then name), if queued. */
  const queueAhead = (name: string, notebook: ObservedNotebook | undefined): number | undefined => {
    const since = queuedSince(notebook?.status as NotebookStatus | undefined);
    if (since === undefined) return undefined;
    const self = { key: `${namespace}/${name}`, queuedSince: since };
    let ahead = 0;
    for (const other of caches.notebooks.list(namespace)) {
      const otherName = other.metadata?.name;
      const otherSince = queuedSince(other.status as NotebookStatus | undefined);
      if (otherName === undefined || otherName === name || otherSince === undefined) continue;
      if (queueOrder({ key: `${namespace}/${otherName}`, queuedSince: otherSince }, self) < 0) {
        ahead++;
      }
    }
    return ahead;
  };

  return {
    start: () => informers.start(),
    stop: () => informers.stop(),
    notebookOf,
    notebookNames: () =>
      caches.notebooks
        .list(namespace)
        .flatMap((nb) => (nb.metadata?.name ? [nb.metadata.name] : [])),
    podsOf,
    observe: (name) => {
      const pods = podsOf(name);
      const notebook = notebookOf(name);
      const observation = observe({
        notebook,
        pods,
        token: tokenOf(name),
        now: input.now(),
        startTimeoutMs: input.startTimeoutMs,
        queueAhead: queueAhead(name, notebook),
      });
      const progress = observation.progress;
      if (observation.status.phase !== 'starting' || !progress) return observation;
      const detail = warningOf(pods);
      return detail === undefined
        ? observation
        : { ...observation, progress: { ...progress, detail } };
    },
  };
}

/** Hub-made resources only: a notebook applied by hand with kubectl is its author's business. */
export function isHubMade(nb: ObservedNotebook | undefined): boolean {
  const labels = (nb?.metadata as { labels?: Record<string, string> } | undefined)?.labels;
  return labels?.[HUB_LABEL.key] === HUB_LABEL.value;
}
