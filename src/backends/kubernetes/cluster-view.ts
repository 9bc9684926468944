/**
 * The backend's view of the cluster: the process's watch caches (src/kubernetes/operator/
 * informers.ts; shared with the in-hub operator when it runs here) of notebooks and their
 * token Secrets in one namespace, read through ./observe.ts. The hub needs nothing else: the
 * operator writes every runtime fact into the notebook's status.
 */
import type { KubeConfig } from '#kubernetes-client';
import type { KubeApi } from '../../kubernetes/client/kube-api.ts';
import { notebookObjectNames } from '../../kubernetes/object-names.ts';
import { queueOrder, queuedSince } from '../../kubernetes/operator/admission.ts';
import {
  createInformers,
  keyOf,
  splitKey,
  type Caches,
  type InformerSet,
} from '../../kubernetes/operator/informers.ts';
import { TOKEN_KEY } from '../../kubernetes/resources/settings.ts';
import type { NotebookStatus } from '../../notebook-spec/status.ts';
import { HUB_LABEL } from './notebook-request.ts';
import { observe, type ObservedNotebook, type Observation } from './observe.ts';

/** What the hub reads: notebooks (spec and status) and their token Secrets. */
export const VIEW_KINDS = ['notebooks', 'secrets'] as const satisfies readonly (keyof Caches)[];

export interface ClusterView {
  /** Resolves when the caches are filled (starting them when this view owns them). */
  readonly start: () => Promise<void>;
  readonly stop: () => Promise<void>;
  readonly notebookOf: (name: string) => ObservedNotebook | undefined;
  /** Names of every `JupyterNotebook` in the namespace (start-up only: it walks them all). */
  readonly notebookNames: () => string[];
  /** Names of the user's notebooks, from the cache's index by user. */
  readonly notebooksOfUser: (user: string) => string[];
  /** The server's state now (see ./observe.ts). */
  readonly observe: (name: string) => Observation;
}

export function createClusterView(input: {
  readonly kubeConfig: KubeConfig;
  readonly api: KubeApi;
  readonly namespace: string;
  /** The process's informer set, when the hub shares one; else the view makes its own. */
  readonly informers?: InformerSet | undefined;
  /** Called with the notebook name after any change to it or to its Secret. */
  readonly onChange: (name: string) => void;
  readonly onError: (kind: string, error: unknown) => void;
}): ClusterView {
  const { namespace } = input;
  const own = input.informers === undefined;
  const informers =
    input.informers ??
    createInformers({
      kubeConfig: input.kubeConfig,
      api: input.api,
      namespace,
      only: VIEW_KINDS,
      onError: input.onError,
    });
  const { caches } = informers;

  /**
   * The start queue in the operator's order, name → its queue time and how many are ahead,
   * built from the `queued` index when first asked after a change of anyone's place, then
   * read in O(1). Counting the ones ahead per question cost a scan of the queue each time, and
   * every follower of a queued start asks after every change of the queue: with 700 queued
   * behind 1,000 starts that was the hub's whole CPU, and the operator in the same process
   * stalled (bench/scale).
   */
  let queue: Map<string, { since: number; ahead: number }> | undefined;
  const queueOf = (): Map<string, { since: number; ahead: number }> => {
    if (queue) return queue;
    const entries: { key: string; name: string; queuedSince: number }[] = [];
    for (const nb of caches.notebooks.byIndex('queued', 'queued')) {
      const name = nb.metadata?.name;
      const since = queuedSince(nb.status as NotebookStatus | undefined);
      if (nb.metadata?.namespace !== namespace || name === undefined || since === undefined) {
        continue;
      }
      entries.push({ key: keyOf(namespace, name), name, queuedSince: since });
    }
    entries.sort(queueOrder);
    queue = new Map(entries.map((e, i) => [e.name, { since: e.queuedSince, ahead: i }]));
    return queue;
  };

  const unsubscribe = informers.subscribe((key) => {
    const { namespace: ns, name } = splitKey(key);
    if (ns !== namespace) return;
    // Anyone joining, leaving or moving in the queue changes places behind them.
    if (queue) {
      const since = queuedSince(notebookOf(name)?.status as NotebookStatus | undefined);
      if (queue.get(name)?.since !== since) queue = undefined;
    }
    input.onChange(name);
  });

  const notebookOf = (name: string): ObservedNotebook | undefined =>
    caches.notebooks.get(name, namespace);

  const tokenOf = (name: string): string | undefined => {
    const secret = caches.secrets.get(notebookObjectNames(name).secret, namespace) as
      { data?: Record<string, string> } | undefined;
    const encoded = secret?.data?.[TOKEN_KEY];
    return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
  };

  /** How many queued before `name` (the operator's order: queue time, then name), if queued. */
  const queueAhead = (name: string, notebook: ObservedNotebook | undefined): number | undefined => {
    const since = queuedSince(notebook?.status as NotebookStatus | undefined);
    if (since === undefined) return undefined;
    let place = queueOf().get(name);
    if (place?.since !== since) {
      queue = undefined; // a change not heard of yet: look again
      place = queueOf().get(name);
    }
    return place?.ahead ?? 0;
  };

  return {
    // Starting a shared set is idempotent: whoever needs the caches first fills them. The hub
    // waits for these two kinds only (the in-hub operator waits for all of them).
    start: () => informers.start(VIEW_KINDS),
    stop: async () => {
      unsubscribe();
      if (own) await informers.stop();
    },
    notebookOf,
    notebookNames: () =>
      caches.notebooks
        .list(namespace)
        .flatMap((nb) => (nb.metadata?.name ? [nb.metadata.name] : [])),
    notebooksOfUser: (user) =>
      caches.notebooks
        .byIndex('user', keyOf(namespace, user))
        .flatMap((nb) => (nb.metadata?.name ? [nb.metadata.name] : [])),
    observe: (name) => {
      const notebook = notebookOf(name);
      return observe({ notebook, token: tokenOf(name), queueAhead: queueAhead(name, notebook) });
    },
  };
}

/** Hub-made resources only: a notebook applied by hand with kubectl is its author's business. */
export function isHubMade(nb: ObservedNotebook | undefined): boolean {
  const labels = (nb?.metadata as { labels?: Record<string, string> } | undefined)?.labels;
  return labels?.[HUB_LABEL.key] === HUB_LABEL.value;
}
