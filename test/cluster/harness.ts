/**
 * A real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager built from Go
 * modules by build.sh) plus one node, for integration tests and `npm run cluster`. The node is
 * either our node agent (pods as local processes: fast, for breadth) or a real one
 * (`node: 'kubelet'`: kubelet, containerd, kube-proxy, cluster DNS, real images; real-node/).
 *
 *   const cluster = await startCluster();               // node agent
 *   const cluster = await startCluster({ node: 'kubelet' });
 *   after(() => cluster.stop());
 *
 * Lifecycle: `startCluster` resolves once the API server is ready, the controller manager has
 * created the `default` ServiceAccount (so pods can be created) and the default StorageClass
 * `standard` exists. `stop` is idempotent and leaves no process, network namespace, bridge or
 * veth behind; it also runs on process exit and on SIGINT/SIGTERM/SIGHUP (cleanup.ts).
 * Several clusters may run side by side: each has its own ports, folder, bridge and pod CIDR.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { trackForCleanup } from './cleanup.ts';
import { resolveBinaries } from './control-plane/binaries.ts';
import { startControlPlane, type ControlPlane } from './control-plane/control-plane.ts';
import { createClusterFaults, type ClusterFaults } from './faults.ts';
import { runKubectl, waitForControllerManager } from './control-plane/kubectl.ts';
import { killGroup } from './control-plane/managed-process.ts';
import { AgentHolder, type NodeFaults } from './node-agent/node-faults.ts';
import {
  defaultImageRules,
  jupyterCommand,
  writeJupyterImageConfig,
} from './node-agent/default-images.ts';
import type { ImageRule } from './node-agent/images.ts';
import { jupyterForPods } from './node-agent/jupyter-runtime.ts';
import { PodNetwork } from './network/pod-network.ts';
import {
  localProvisionerName,
  startLocalProvisioner,
  type LocalProvisioner,
} from './storage/local-provisioner.ts';
import type { RealNodeAddresses } from './real-node/addresses.ts';
import type { NodeImages } from './real-node/node-images.ts';
import { startRealNodeCluster } from './real-node/real-node-cluster.ts';
import { sweepStaleHarnessDirs, writeOwner } from './stale.ts';

export type { ImageRule } from './node-agent/images.ts';
export type { NodeFaults } from './node-agent/node-faults.ts';

export type NodeKind = 'agent' | 'kubelet' | 'none';

const agentNodeName = 'ganymede-test-node';

export interface TestCluster {
  readonly node: NodeKind;
  readonly server: string; // https://127.0.0.1:<port> (a real node: the host's end of its link)
  readonly token: string; // static admin token (system:masters)
  readonly kubeconfigPath: string; // file usable by kubectl and by KubeConfig.loadFromFile
  readonly kubeConfig: KubeConfig;
  readonly binDir: string; // has kubectl, kube-apiserver, ...
  readonly dir: string; // the harness's temp folder
  /** A real node: its name, cluster DNS address, the test registry, the node's addresses. */
  readonly realNode?: RealNodeInfo;
  /** The API server stopped and started, etcd restarted, a stalled watch (./faults.ts). */
  readonly faults: ClusterFaults;
  /** The node agent only: lose the node (agent and pods SIGKILLed) and bring it back. */
  readonly nodeFaults?: NodeFaults;
  /** Runs the built kubectl with this cluster's kubeconfig. */
  kubectl(
    args: readonly string[],
    input?: string,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>; // idempotent; leaves no process, netns, bridge or veth behind
}

export interface RealNodeInfo {
  readonly nodeName: string;
  readonly addresses: RealNodeAddresses;
  /** host:port of this run's registry; quay.io, docker.io, registry.k8s.io resolve to it. */
  readonly registry: string;
  readonly images: NodeImages;
}

export interface StartClusterOptions {
  /** Which node: our agent (default), a real kubelet + containerd, or none. */
  node?: NodeKind;
  /** Deprecated spelling of `node: 'none'` (false) / `node: 'agent'` (true). */
  nodeAgent?: boolean;
  /** A real node only: enforce NetworkPolicy (kube-router's policy controller). */
  networkPolicy?: boolean;
  /**
   * image pattern → how to run it locally; default includes quay.io/jupyter/* → GANYMEDE_JUPYTER.
   * These rules are tried first, the defaults (node-agent/default-images.ts) after them.
   */
  images?: readonly ImageRule[];
  /**
   * Node agent only: pods the Node admits (default 110, the kubelet's). Above 253, the pod
   * network spans several /24s (bench/scale runs 1,000 notebooks).
   */
  maxPods?: number;
}

export async function startCluster(options: StartClusterOptions = {}): Promise<TestCluster> {
  const kind: NodeKind = options.node ?? (options.nodeAgent === false ? 'none' : 'agent');
  if (kind === 'kubelet') {
    return startRealNodeCluster({ networkPolicy: options.networkPolicy ?? false });
  }
  const binDir = await resolveBinaries();
  sweepStaleHarnessDirs(tmpdir());
  const dir = await mkdtemp(join(tmpdir(), 'ganymede-cluster-'));
  writeOwner(dir);
  // Pods run as other users (runAsUser) and read files the harness writes here.
  await chmod(dir, 0o755);
  let controlPlane: ControlPlane | undefined;
  let network: PodNetwork | undefined;
  let agent: AgentHolder | undefined;
  let provisioner: LocalProvisioner | undefined;
  let stopping: Promise<void> | undefined;
  const keep = process.env['GANYMEDE_CLUSTER_KEEP'] === '1';

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        await provisioner?.stop();
        await agent?.stop();
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
    const withAgent = kind === 'agent';
    // The bridge comes first so the API server can advertise its address (never loopback,
    // never an address outside this machine).
    if (withAgent) network = await PodNetwork.create({ pods: options.maxPods ?? 0 });
    controlPlane = await startControlPlane({
      dir,
      binDir,
      ...(network ? { advertiseAddress: network.gateway } : {}),
    });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(controlPlane.adminKubeconfigPath);
    await waitForControllerManager(kubeConfig, controlPlane);
    await createDefaultStorageClass(kubeConfig);
    provisioner = await startLocalProvisioner({
      kubeConfig,
      nodeName: agentNodeName,
      dir: join(dir, 'volumes'),
    });
    if (network) {
      // The caller's rules come first (first match wins); the defaults stay as a fallback.
      const images = [
        ...(options.images ?? []),
        ...defaultImageRules({
          jupyter: jupyterForPods(jupyterCommand()),
          jupyterConfigDir: writeJupyterImageConfig(dir),
        }),
      ];
      agent = await AgentHolder.start({
        kubeConfig,
        network,
        images,
        dir,
        nodeName: agentNodeName,
        ...(options.maxPods === undefined ? {} : { maxPods: options.maxPods }),
      });
    }
    const kubeconfigPath = controlPlane.adminKubeconfigPath;
    return {
      node: kind,
      server: controlPlane.server,
      token: controlPlane.adminToken,
      kubeconfigPath,
      kubeConfig,
      binDir,
      dir,
      faults: createClusterFaults(controlPlane, dir),
      ...(agent ? { nodeFaults: agent } : {}),
      kubectl: (args, input) => runKubectl(join(binDir, 'kubectl'), kubeconfigPath, args, input),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * `standard`, the default class: `local` volumes from the harness's provisioner, to which the
 * kubelet (and the node agent, like it) applies fsGroup, as to cloud block volumes.
 */
async function createDefaultStorageClass(kc: KubeConfig): Promise<void> {
  await KubernetesObjectApi.makeApiClient(kc).create({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name: 'standard',
      annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
    },
    provisioner: localProvisionerName,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
  });
}
