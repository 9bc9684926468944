/**
 * Shared steps of the operator's integration tests: install the CRD, make a namespace that
 * enforces the `restricted` Pod Security Standard, and wait for a condition through a watch
 * of the API server rather than by sleeping.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Watch } from '@kubernetes/client-node';
import { startCluster, type StartClusterOptions, type TestCluster } from '../../cluster/harness.ts';
import {
  startOperator,
  type OperatorOptions,
  type RunningOperator,
} from '../../../src/kubernetes/operator/operator.ts';

export const crdPath = new URL(
  '../../../deploy/crd/jupyternotebooks.ganymede.dev.yaml',
  import.meta.url,
);

export async function kubectlOk(
  cluster: TestCluster,
  args: readonly string[],
  input?: string,
): Promise<string> {
  const r = await cluster.kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

export async function installCrd(cluster: TestCluster): Promise<void> {
  await kubectlOk(cluster, ['apply', '--server-side', '-f', '-'], readFileSync(crdPath, 'utf8'));
  const wait = [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/jupyternotebooks.ganymede.dev',
  ];
  // kubectl wait fails at once, instead of waiting, while the CRD has no status.conditions
  // yet ("accessor error: <nil>"): on a loaded machine the apiextensions controller can take
  // a moment to write the first one. Asked again until then.
  for (let attempt = 1; ; attempt++) {
    const r = await cluster.kubectl(wait);
    if (r.code === 0) return;
    if (!r.stderr.includes('accessor error') || attempt >= 50) {
      throw new Error(`kubectl ${wait.join(' ')} failed (${String(r.code)}): ${r.stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A fresh namespace, enforcing (and warning about) the `restricted` Pod Security Standard
 * (https://kubernetes.io/docs/concepts/security/pod-security-admission/). */
export async function restrictedNamespace(cluster: TestCluster, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await kubectlOk(
    cluster,
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name,
        labels: {
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/warn': 'restricted',
        },
      },
    }),
  );
  return name;
}

export function notebookYaml(
  name: string,
  namespace: string,
  spec: Record<string, unknown>,
): string {
  return JSON.stringify({
    apiVersion: 'ganymede.dev/v1alpha1',
    kind: 'JupyterNotebook',
    metadata: { name, namespace },
    spec,
  });
}

/**
 * Resolves with the first object at `path` (a collection, narrowed by `fieldSelector`) for
 * which `predicate` holds, watching rather than polling; a watch without resourceVersion
 * first replays the current objects, so a state reached before the call counts too.
 */
export function watchFor<T>(
  cluster: TestCluster,
  path: string,
  predicate: (obj: T, type: string) => boolean,
  options: {
    fieldSelector?: string;
    labelSelector?: string;
    timeoutMs?: number;
    what?: string;
  } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  let last: unknown;
  return new Promise<T>((resolve, reject) => {
    let abort: AbortController | undefined;
    let done = false;
    const finish = (e: Error | undefined, v?: T): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      abort?.abort();
      if (e) reject(e);
      else resolve(v as T);
    };
    const timer = setTimeout(() => {
      finish(
        new Error(
          `timed out after ${timeoutMs} ms waiting for ${options.what ?? path}; last seen: ${JSON.stringify({ last }).slice(0, 3000)}`,
        ),
      );
    }, timeoutMs);
    const start = (): void => {
      const query: Record<string, string> = {};
      if (options.fieldSelector) query['fieldSelector'] = options.fieldSelector;
      if (options.labelSelector) query['labelSelector'] = options.labelSelector;
      new Watch(cluster.kubeConfig)
        .watch(
          path,
          query,
          (type, obj: T) => {
            last = obj;
            if (predicate(obj, type)) finish(undefined, obj);
          },
          () => {
            // The server ends watches after a while; carry on until the deadline.
            if (!done) start();
          },
        )
        .then((c) => {
          abort = c;
          if (done) c.abort();
        })
        .catch((e: unknown) => {
          finish(e instanceof Error ? e : new Error(String(e)));
        });
    };
    start();
  });
}

export interface NotebookObject {
  metadata: { name: string; namespace: string; uid: string };
  status?: {
    phase?: string;
    message?: string;
    url?: string;
    readyAt?: string;
    tokenSecretName?: string;
    conditions?: { type: string; status: string; reason?: string }[];
  };
}

export function waitForNotebook(
  cluster: TestCluster,
  namespace: string,
  name: string,
  predicate: (nb: NotebookObject) => boolean,
  what: string,
  timeoutMs = 120_000,
): Promise<NotebookObject> {
  return watchFor<NotebookObject>(
    cluster,
    `/apis/ganymede.dev/v1alpha1/namespaces/${namespace}/jupyternotebooks`,
    (nb, type) => type !== 'DELETED' && predicate(nb),
    { fieldSelector: `metadata.name=${name}`, timeoutMs, what: `${namespace}/${name}: ${what}` },
  );
}

/** Resolves once `kubectl get <kind> -l <selector>` would list nothing. */
export async function waitForNone(
  cluster: TestCluster,
  namespace: string,
  resource: string,
  selector: string,
  timeoutMs = 60_000,
): Promise<void> {
  const r = await cluster.kubectl([
    'wait',
    '--for=delete',
    `--timeout=${Math.round(timeoutMs / 1000)}s`,
    '-n',
    namespace,
    resource,
    '-l',
    selector,
  ]);
  // "no matching resources found" means there was nothing to wait for.
  if (r.code !== 0 && !r.stderr.includes('no matching resources found')) {
    throw new Error(`waiting for ${resource} -l ${selector} to go: ${r.stderr}`);
  }
}

/** A control plane with the node agent, the CRD, a restricted namespace and an operator on it. */
export interface OperatorCluster {
  readonly cluster: TestCluster;
  readonly namespace: string;
  readonly operator: RunningOperator;
  /** Stops the operator, then the control plane. */
  stop(): Promise<void>;
}

/** The usual set-up of a test of the operator with real servers (`prefix` names the namespace). */
export async function startOperatorCluster(
  prefix: string,
  operatorOptions: Omit<OperatorOptions, 'kubeConfig' | 'namespace'> = {},
  clusterOptions: StartClusterOptions = {},
): Promise<OperatorCluster> {
  const cluster = await startCluster(clusterOptions);
  await installCrd(cluster);
  const namespace = await restrictedNamespace(cluster, prefix);
  const operator = startOperator({ ...operatorOptions, kubeConfig: cluster.kubeConfig, namespace });
  await operator.ready;
  return {
    cluster,
    namespace,
    operator,
    stop: async () => {
      await operator.stop();
      await cluster.stop();
    },
  };
}
