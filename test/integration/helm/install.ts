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

/**
 * The first administrator's password, which the hub made and printed once in its log (the
 * chart never generates one: see templates/secret.yaml). Read from the hub pods' logs,
 * waiting a little for the line, as the chart's NOTES.txt tells people to.
 */
export async function adminPassword(
  c: TestCluster,
  namespace: string,
  release: string,
): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await c.kubectl([
      'logs',
      '-n',
      namespace,
      '-l',
      `app.kubernetes.io/instance=${release},app.kubernetes.io/component=hub`,
      '--tail=-1',
    ]);
    // kubectl logs, as people do; the node agent's own log files as well, in case.
    const text = `${r.stdout}\n${c.node === 'agent' ? hubLogs(c) : ''}`;
    const m = /created the administrator account\.[\s\S]*?password:\s+(\S+)/.exec(text);
    if (m?.[1]) return m[1];
    if (Date.now() > deadline) {
      throw new Error(`no admin password in the hub's log:\n${r.stdout}${r.stderr}`);
    }
    await new Promise((done) => setTimeout(done, 1000));
  }
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
