/**
 * The backend's view of the cluster: the process's watch caches (src/kubernetes/operator/
 * informers.ts; shared with the in-hub operator when it runs here) of notebooks and their
 * token Secrets in one namespace, read through ./observe.ts. The hub needs nothing else: the
 * operator writes every runtime fact into the notebook's status.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeApi } from '../../kubernetes/client/kube-api.ts';
import { notebookObjectNames } from '../../kubernetes/object-names.ts';
import { queueOrder, queuedSince } from '../../kubernetes/operator/admission.ts';
import {
  createInformers,
  keyOf,
  splitKey,
  type InformerSet,
} from '../../kubernetes/operator/informers.ts';
import { TOKEN_KEY } from '../../kubernetes/resources/settings.ts';
import type { NotebookStatus } from '../../notebook-spec/status.ts';
import { HUB_LABEL } from './notebook-request.ts';
import { observe, type ObservedNotebook, type Observation } from './observe.ts';

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
      only: ['notebooks', 'secrets'],
      onError: input.onError,
    });
  const unsubscribe = informers.subscribe((key) => {
    const { namespace: ns, name } = splitKey(key);
    if (ns === namespace) input.onChange(name);
  });
  const { caches } = informers;

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
    const self = { key: keyOf(namespace, name), queuedSince: since };
    let ahead = 0;
    // Only the queued ones, from their index: a queue is short next to the namespace.
    for (const other of caches.notebooks.byIndex('queued', 'queued')) {
      const otherName = other.metadata?.name;
      const otherSince = queuedSince(other.status as NotebookStatus | undefined);
      if (other.metadata?.namespace !== namespace || otherName === undefined) continue;
      if (otherName === name || otherSince === undefined) continue;
      if (queueOrder({ key: keyOf(namespace, otherName), queuedSince: otherSince }, self) < 0) {
        ahead++;
      }
    }
    return ahead;
  };

  return {
    // Starting a shared set is idempotent: whoever needs the caches first fills them.
    start: () => informers.start(),
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
