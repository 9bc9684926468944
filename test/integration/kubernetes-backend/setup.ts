/**
 * Shared set-up of the Kubernetes backend's integration tests: one real control plane with
 * the node agent (real Jupyter servers in their own network namespaces), the CRD, a namespace
 * enforcing the `restricted` Pod Security Standard, and profiles that the node agent can run.
 */
import { profileSchema, type Profile } from '../../../src/config/schema.ts';
import type { TestCluster } from '../../cluster/harness.ts';
import { kubectlOk } from '../operator/helpers.ts';

export {
  installCrd,
  kubectlOk,
  restrictedNamespace,
  startOperatorCluster,
  watchFor,
  type OperatorCluster,
} from '../operator/helpers.ts';

/** Generous: other engineers' tests load the machine (load 10+ is common). */
export const START_TIMEOUT_MS = 240_000;

export const jupyterProfile: Profile = profileSchema.parse({
  name: 'standard',
  displayName: 'Standard',
  image: 'quay.io/jupyter/minimal-notebook:latest',
  cpu: '100m',
  memory: '1Gi',
  default: true,
});

export const missingImageProfile: Profile = profileSchema.parse({
  name: 'ghost',
  displayName: 'Ghost',
  image: 'registry.example.org/nobody/nothing:1',
  cpu: '100m',
  memory: '256Mi',
});

interface Listed<T> {
  items: T[];
}

export interface PodInfo {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  status?: { podIP?: string; phase?: string };
}

export async function getJson<T>(cluster: TestCluster, args: readonly string[]): Promise<T> {
  return JSON.parse(await kubectlOk(cluster, [...args, '-o', 'json'])) as T;
}

export async function listItems<T>(
  cluster: TestCluster,
  namespace: string,
  resource: string,
  selector?: string,
): Promise<T[]> {
  const args = ['get', resource, '-n', namespace, ...(selector ? ['-l', selector] : [])];
  return (await getJson<Listed<T>>(cluster, args)).items;
}
