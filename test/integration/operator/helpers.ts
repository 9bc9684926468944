/**
 * Shared steps of the operator's integration tests: install the CRD, make a namespace that
 * enforces the `restricted` Pod Security Standard, and wait for a condition through a watch
 * of the API server rather than by sleeping.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TestCluster } from '../../cluster/harness.ts';

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
  await kubectlOk(cluster, [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/jupyternotebooks.ganymede.dev',
  ]);
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
