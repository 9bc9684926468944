/**
 * A real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager built from Go
 * modules by build.sh) plus our node agent, for integration tests and `npm run cluster`.
 *
 *   const cluster = await startCluster();
 *   after(() => cluster.stop());
 *
 * Lifecycle: `startCluster` resolves once the API server is ready, the controller manager has
 * created the `default` ServiceAccount (so pods can be created) and the default StorageClass
 * `standard` exists. `stop` is idempotent and leaves no process, network namespace, bridge or
 * veth behind; it also runs on process exit and on SIGINT/SIGTERM/SIGHUP (cleanup.ts).
 * Several clusters may run side by side: each has its own ports, folder, bridge and pod CIDR.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { trackForCleanup } from './cleanup.ts';
import { resolveBinaries } from './control-plane/binaries.ts';
import { startControlPlane, type ControlPlane } from './control-plane/control-plane.ts';
import { killGroup } from './control-plane/managed-process.ts';
import { waitFor } from './control-plane/wait.ts';
import { NodeAgent } from './node-agent/agent.ts';
import {
  defaultImageRules,
  jupyterCommand,
  writeJupyterImageConfig,
} from './node-agent/default-images.ts';
import type { ImageRule } from './node-agent/images.ts';
import { jupyterForPods } from './node-agent/jupyter-runtime.ts';
import { PodNetwork } from './network/pod-network.ts';
import { sweepStaleHarnessDirs, writeOwner } from './stale.ts';

export type { ImageRule } from './node-agent/images.ts';

export interface TestCluster {
  readonly server: string; // https://127.0.0.1:<port>
  readonly token: string; // static admin token (system:masters)
  readonly kubeconfigPath: string; // file usable by kubectl and by KubeConfig.loadFromFile
  readonly kubeConfig: KubeConfig;
  readonly binDir: string; // has kubectl, kube-apiserver, ...
  readonly dir: string; // the harness's temp folder
  /** Runs the built kubectl with this cluster's kubeconfig. */
  kubectl(
    args: readonly string[],
    input?: string,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>; // idempotent; leaves no process, netns, bridge or veth behind
}

export interface StartClusterOptions {
  /** Run the node agent (one Node, pods as local processes). Default true. */
  nodeAgent?: boolean;
  /**
   * image pattern → how to run it locally; default includes quay.io/jupyter/* → GANYMEDE_JUPYTER.
   * These rules are tried first, the defaults (node-agent/default-images.ts) after them.
   */
  images?: readonly ImageRule[];
}

export async function startCluster(options: StartClusterOptions = {}): Promise<TestCluster> {
  const binDir = await resolveBinaries();
  sweepStaleHarnessDirs(tmpdir());
  const dir = await mkdtemp(join(tmpdir(), 'ganymede-cluster-'));
  writeOwner(dir);
  // Pods run as other users (runAsUser) and read files the harness writes here.
  await chmod(dir, 0o755);
  let controlPlane: ControlPlane | undefined;
  let network: PodNetwork | undefined;
  let agent: NodeAgent | undefined;
  let stopping: Promise<void> | undefined;
  const keep = process.env['GANYMEDE_CLUSTER_KEEP'] === '1';

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        await agent?.stop();
        if (controlPlane) await removeProvisionedFolders(controlPlane.adminKubeconfigPath);
        await controlPlane?.stop();
        await network?.destroy();
      } finally {
        untrack();
        if (!keep) await rm(dir, { recursive: true, force: true });
      }
    })();
    return stopping;
  };
  const untrack = trackForCleanup({
    stop,
    stopNow: () => {
      for (const p of controlPlane?.processes ?? []) killGroup(p.pid, 'SIGKILL');
      network?.destroyNow();
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  });

  try {
    const withAgent = options.nodeAgent ?? true;
    // The bridge comes first so the API server can advertise its address (never loopback,
    // never an address outside this machine).
    if (withAgent) network = await PodNetwork.create();
    controlPlane = await startControlPlane({
      dir,
      binDir,
      ...(network ? { advertiseAddress: network.gateway } : {}),
    });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(controlPlane.adminKubeconfigPath);
    await waitForControllerManager(kubeConfig, controlPlane);
    await createDefaultStorageClass(kubeConfig);
    if (network) {
      // The caller's rules come first (first match wins); the defaults stay as a fallback.
      const images = [
        ...(options.images ?? []),
        ...defaultImageRules({
          jupyter: jupyterForPods(jupyterCommand()),
          jupyterConfigDir: writeJupyterImageConfig(dir),
        }),
      ];
      agent = await NodeAgent.start({ kubeConfig, network, images, dir });
    }
    const kubeconfigPath = controlPlane.adminKubeconfigPath;
    return {
      server: controlPlane.server,
      token: controlPlane.adminToken,
      kubeconfigPath,
      kubeConfig,
      binDir,
      dir,
      kubectl: (args, input) => runKubectl(join(binDir, 'kubectl'), kubeconfigPath, args, input),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * The controller manager has no port we open; it is working once its service-account
 * controller has created `default/default`, which the ServiceAccount admission plugin needs
 * before any pod can be created in that namespace.
 */
async function waitForControllerManager(kc: KubeConfig, cp: ControlPlane): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const kcm = cp.processes.find((p) => p.name === 'kube-controller-manager');
  await waitFor(
    'kube-controller-manager to create ServiceAccount default/default',
    async () => {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
      return true;
    },
    {
      timeoutMs: 60_000,
      intervalMs: 200,
      abortIf: () =>
        kcm?.exitInfo
          ? `kube-controller-manager exited; see ${kcm.logFile}:\n${kcm.logTail()}`
          : undefined,
    },
  );
}

/**
 * The hostpath provisioner writes PV folders under /tmp/hostpath_pv, shared by every harness;
 * remove the ones this cluster made (the Delete reclaim policy only runs while it lives).
 */
async function removeProvisionedFolders(kubeconfigPath: string): Promise<void> {
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const pvs = await kc.makeApiClient(CoreV1Api).listPersistentVolume();
    for (const pv of pvs.items) {
      const path = pv.spec?.hostPath?.path;
      if (path?.startsWith('/tmp/hostpath_pv/')) await rm(path, { recursive: true, force: true });
    }
  } catch {
    // Best effort: the API server may already be unreachable when a start failed half way.
  }
}

/** `standard`, default class, provisioned as folders by the controller manager. */
async function createDefaultStorageClass(kc: KubeConfig): Promise<void> {
  await KubernetesObjectApi.makeApiClient(kc).create({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name: 'standard',
      annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
    },
    provisioner: 'kubernetes.io/host-path',
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
  });
}

function runKubectl(
  kubectl: string,
  kubeconfigPath: string,
  args: readonly string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(kubectl, [`--kubeconfig=${kubeconfigPath}`, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code: code ?? 1, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}
