/**
 * The shared test control plane for both systems (test/cluster/harness.ts), with image rules
 * that run both systems' notebook servers from ONE Python environment (the anchor venv): the
 * docker-stacks images Ganymede uses run its `jupyter lab`, JupyterHub's singleuser image its
 * `jupyterhub-singleuser` (the same Jupyter server with JupyterHub's extension).
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, V1Namespace, V1ObjectMeta } from '@kubernetes/client-node';
import { startCluster, type TestCluster } from '../../test/cluster/harness.ts';
import {
  defaultImageRules,
  jupyterhubSingleuserImageRule,
  writeJupyterImageConfig,
} from '../../test/cluster/node-agent/default-images.ts';

export interface BenchCluster {
  readonly cluster: TestCluster;
  /** The pod bridge's address on the host: what pods reach the host at. */
  readonly hostIp: string;
  createNamespace(name: string, labels?: Record<string, string>): Promise<void>;
  /** Deletes the namespace and waits until it (and so every pod in it) and the volumes of
   * its claims are gone. */
  deleteNamespace(name: string, timeoutMs?: number): Promise<void>;
  podCount(): Promise<number>;
}

async function kubectlOk(cluster: TestCluster, args: string[], input?: string): Promise<string> {
  const r = await cluster.kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * `node: 'agent'` (default): pods as processes of the anchor venv (above). `node: 'kubelet'`:
 * a real node, real containers from the images test/cluster/images/build-node-images.sh
 * builds, the same image for both systems (it has `jupyter` and `jupyterhub-singleuser`),
 * pulled onto the node before anything is measured, as a pre-puller would have it.
 */
export async function startBenchCluster(
  venv: string,
  crdPath: string,
  node: 'agent' | 'kubelet' = 'agent',
): Promise<BenchCluster> {
  if (node === 'kubelet') {
    const cluster = await startCluster({ node: 'kubelet' });
    const hostIp = cluster.realNode?.addresses.hostAddress ?? '';
    await installCrd(cluster, crdPath);
    await prePull(cluster, [realNodeImages.ganymede, realNodeImages.jupyterhub]);
    return benchCluster(cluster, hostIp);
  }
  // Pods run as uid 1000 and read the image config: the folder must be world-readable.
  const imagesDir = mkdtempSync(join(tmpdir(), 'ganymede-bench-spawn-'));
  chmodSync(imagesDir, 0o755);
  process.on('exit', () => {
    rmSync(imagesDir, { recursive: true, force: true });
  });
  const configDir = writeJupyterImageConfig(imagesDir);
  const cluster = await startCluster({
    images: [
      ...defaultImageRules({ jupyter: join(venv, 'bin', 'jupyter'), jupyterConfigDir: configDir }),
      jupyterhubSingleuserImageRule({
        singleuser: join(venv, 'bin', 'jupyterhub-singleuser'),
        jupyterConfigDir: configDir,
      }),
    ],
  });
  const nodes = await cluster.kubeConfig.makeApiClient(CoreV1Api).listNode();
  const hostIp =
    nodes.items[0]?.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '';
  if (!hostIp) throw new Error('the node agent registered no InternalIP');
  await installCrd(cluster, crdPath);
  return benchCluster(cluster, hostIp);
}

/** The images each system's notebooks use on a real node (one image under two names). */
export const realNodeImages = {
  ganymede: 'quay.io/jupyter/minimal-notebook:2025-06-02',
  jupyterhub: 'quay.io/jupyterhub/k8s-singleuser-sample:4.3.0',
} as const;

async function installCrd(cluster: TestCluster, crdPath: string): Promise<void> {
  await kubectlOk(cluster, ['apply', '--server-side', '-f', '-'], readFileSync(crdPath, 'utf8'));
  await kubectlOk(cluster, [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/jupyternotebooks.ganymede.dev',
  ]);
}

/** Runs a pod of each image once, so no measurement pays for a pull. */
async function prePull(cluster: TestCluster, images: readonly string[]): Promise<void> {
  for (const [i, image] of images.entries()) {
    const name = `pre-pull-${String(i)}`;
    await kubectlOk(
      cluster,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default' },
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 0,
          containers: [{ name: 'c', image, command: ['true'] }],
        },
      }),
    );
    await kubectlOk(cluster, [
      'wait',
      '--for=jsonpath={.status.phase}=Succeeded',
      '--timeout=300s',
      `pod/${name}`,
    ]);
    await kubectlOk(cluster, ['delete', 'pod', name, '--wait=true']);
  }
}

function benchCluster(cluster: TestCluster, hostIp: string): BenchCluster {
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  return {
    cluster,
    hostIp,
    async createNamespace(name, labels = {}) {
      const body = new V1Namespace();
      body.metadata = new V1ObjectMeta();
      body.metadata.name = name;
      body.metadata.labels = labels;
      await core.createNamespace({ body });
      // The service-account controller must create `default` before pods can be admitted.
      for (let i = 0; i < 200; i++) {
        try {
          await core.readNamespacedServiceAccount({ name: 'default', namespace: name });
          return;
        } catch {
          await sleep(100);
        }
      }
      throw new Error(`namespace ${name}: no default ServiceAccount`);
    },
    async deleteNamespace(name, timeoutMs = 300_000) {
      try {
        await core.deleteNamespace({ name });
      } catch {
        return;
      }
      const deadline = Date.now() + timeoutMs;
      const gone = async (): Promise<boolean> => {
        try {
          await core.readNamespace({ name });
          return false;
        } catch {
          return true;
        }
      };
      // The namespace first; then its volumes. Deleting the claims leaves the controller
      // manager deleting their volumes afterwards, one by one; a measurement started before
      // that ends waits behind it for its own claims (seen: the first of fifty notebooks
      // ready after 18 s instead of 4 s when measured right after the other system's fifty).
      const volumesLeft = async (): Promise<number> =>
        (await core.listPersistentVolume()).items.filter(
          (pv) => pv.spec?.claimRef?.namespace === name,
        ).length;
      while (Date.now() < deadline) {
        if ((await gone()) && (await volumesLeft()) === 0) return;
        await sleep(500);
      }
      throw new Error(`namespace ${name} or its volumes still there after ${String(timeoutMs)} ms`);
    },
    async podCount() {
      // Notebook pods only: a real node's cluster DNS runs in kube-system all along.
      return (await core.listPodForAllNamespaces()).items.filter(
        (p) => p.metadata?.namespace !== 'kube-system',
      ).length;
    },
  };
}
