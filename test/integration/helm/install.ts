/**
 * Installs the chart on a test cluster the way the chart tests do: `helm template` applied
 * with server-side apply, then waits for the hub Deployment to be Available, and finds the
 * address behind the hub's Service (its EndpointSlice: there is no kube-proxy here).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestCluster } from '../../cluster/harness.ts';
import { kubectlOk } from '../operator/helpers.ts';
import { renderChartText } from './helm.ts';

interface Slice {
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[];
  ports?: { name?: string; port: number }[];
}

/** The hub containers' output, from the node agent's pod folders (no kubelet: no kubectl logs). */
export function hubLogs(c: TestCluster): string {
  const podsDir = join(c.dir, 'pods');
  if (!existsSync(podsDir)) return '(no pod folders)';
  return readdirSync(podsDir)
    .map((pod) => join(podsDir, pod, 'logs', 'hub.log'))
    .filter((f) => existsSync(f))
    .map((f) => `--- ${f}\n${readFileSync(f, 'utf8').slice(-4000)}`)
    .join('\n');
}

/** `http://<ready address>:<port>` of a Service's first ready endpoint for port `portName`. */
export async function serviceEndpoint(
  c: TestCluster,
  namespace: string,
  service: string,
  portName: string,
): Promise<string> {
  const slices = JSON.parse(
    await kubectlOk(c, [
      'get',
      'endpointslices',
      '-n',
      namespace,
      '-l',
      `kubernetes.io/service-name=${service}`,
      '-o',
      'json',
    ]),
  ) as { items: Slice[] };
  const endpoint = slices.items.flatMap((s) => s.endpoints ?? []).find((e) => e.conditions?.ready);
  const port = slices.items.flatMap((s) => s.ports ?? []).find((p) => p.name === portName)?.port;
  const address = endpoint?.addresses[0];
  if (address === undefined || port === undefined) {
    throw new Error(
      `no ready endpoint for ${namespace}/${service}: ${JSON.stringify(slices.items)}`,
    );
  }
  return `http://${address}:${String(port)}`;
}

export async function installChart(
  c: TestCluster,
  input: {
    namespace: string;
    release: string;
    values: Record<string, unknown>;
    timeoutSeconds?: number;
  },
): Promise<{ hubBase: string }> {
  const manifests = await renderChartText(
    { 'image.tag': 'test', 'image.pullPolicy': 'Never', ...input.values },
    { namespace: input.namespace, release: input.release, includeCrds: true },
  );
  await kubectlOk(
    c,
    ['apply', '--server-side', '--field-manager=helm-chart-test', '-f', '-'],
    manifests,
  );
  await kubectlOk(c, [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/jupyternotebooks.ganymede.dev',
  ]);
  const deployment = `deployment/${input.release}-ganymede`;
  const waited = await c.kubectl([
    'wait',
    '-n',
    input.namespace,
    '--for=condition=Available',
    `--timeout=${String(input.timeoutSeconds ?? 300)}s`,
    deployment,
  ]);
  if (waited.code !== 0) {
    const pods = await c.kubectl(['get', 'pods', '-n', input.namespace, '-o', 'wide']);
    throw new Error(`hub not available: ${waited.stderr}\n${pods.stdout}\n${hubLogs(c)}`);
  }
  return {
    hubBase: await serviceEndpoint(c, input.namespace, `${input.release}-ganymede`, 'http'),
  };
}

/** The admin password the chart generated (its Secret `<release>-ganymede`). */
export async function adminPassword(
  c: TestCluster,
  namespace: string,
  release: string,
): Promise<string> {
  const encoded = await kubectlOk(c, [
    'get',
    'secret',
    '-n',
    namespace,
    `${release}-ganymede`,
    '-o',
    'jsonpath={.data.admin-password}',
  ]);
  return Buffer.from(encoded, 'base64').toString();
}

/** Profiles the test node can run: the node agent plays quay.io/jupyter/* with Jupyter. */
export const smallProfiles = [
  {
    name: 'standard',
    displayName: 'Standard',
    image: 'quay.io/jupyter/minimal-notebook:latest',
    cpu: '100m',
    memory: '1Gi',
    default: true,
  },
];
