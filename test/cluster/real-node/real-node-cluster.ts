/**
 * startCluster({ node: 'kubelet' }): the control plane (Node authorizer, kube-scheduler) plus
 * a real node (real-node.ts), a registry of this run serving the images built here under their
 * real names (images/), volumes that behave like users' volumes (storage/), and cluster DNS.
 */
import { mkdtemp, chmod, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, KubernetesObjectApi, type V1Deployment } from '@kubernetes/client-node';
import { trackForCleanup } from '../cleanup.ts';
import { realNodeBinaries, requiredBinaries, resolveBinaries } from '../control-plane/binaries.ts';
import { startControlPlane, type ControlPlane } from '../control-plane/control-plane.ts';
import { runKubectl, waitForControllerManager } from '../control-plane/kubectl.ts';
import { killGroup } from '../control-plane/managed-process.ts';
import { createClusterFaults } from '../faults.ts';
import type { TestCluster } from '../harness.ts';
import { startNodeImages, type NodeImages } from './node-images.ts';
import { claimNetworkIndex, type NetworkClaim } from '../network/claim.ts';
import { ipNow } from '../network/ip-command.ts';
import { sweepStaleHarnessDirs, writeOwner } from '../stale.ts';
import { localProvisionerName, startLocalProvisioner } from '../storage/local-provisioner.ts';
import type { LocalProvisioner } from '../storage/local-provisioner.ts';
import { watchUntil } from '../watch-until.ts';
import { realNodeAddresses } from './addresses.ts';
import { clusterDnsObjects } from './cluster-dns.ts';
import { kubeRouterBinary, kubeRouterRbac } from './network-policy.ts';
import { createNodeNetwork, removeNodeNetwork } from './node-network.ts';
import { startRealNode, type RealNode } from './real-node.ts';

export async function startRealNodeCluster(
  options: { networkPolicy?: boolean } = {},
): Promise<TestCluster> {
  const binDir = await resolveBinaries(process.env, [...requiredBinaries, ...realNodeBinaries]);
  sweepStaleHarnessDirs(tmpdir());
  const dir = await mkdtemp(join(tmpdir(), 'ganymede-cluster-'));
  writeOwner(dir);
  await chmod(dir, 0o755);
  const keep = process.env['GANYMEDE_CLUSTER_KEEP'] === '1';
  let claim: NetworkClaim | undefined;
  let controlPlane: ControlPlane | undefined;
  let images: NodeImages | undefined;
  let node: RealNode | undefined;
  let provisioner: LocalProvisioner | undefined;
  let networkUp = false;
  let stopping: Promise<void> | undefined;

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const a = claim ? realNodeAddresses(claim.index) : undefined;
      try {
        await provisioner?.stop();
        // Nothing new may be placed on the node while its pods are being removed.
        await controlPlane?.processes.find((p) => p.name === 'kube-scheduler')?.stop(5000);
        await node?.stop();
        await images?.stop();
        await controlPlane?.stop();
        if (a && networkUp) await removeNodeNetwork(a);
      } finally {
        claim?.release();
        untrack();
        if (!keep) await rm(dir, { recursive: true, force: true });
      }
    })();
    return stopping;
  };
  const untrack = trackForCleanup({
    stop,
    stopNow: () => {
      node?.stopNow();
      images?.stopNow();
      for (const p of controlPlane?.processes ?? []) killGroup(p.pid, 'SIGKILL');
      if (claim) {
        const a = realNodeAddresses(claim.index);
        ipNow('netns', 'delete', a.netns);
        ipNow('link', 'delete', a.hostVeth);
        claim.release();
      }
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  });

  try {
    claim = await claimNetworkIndex();
    const a = realNodeAddresses(claim.index);
    const nodeName = `ganymede-node-${claim.index}`;
    await createNodeNetwork(a);
    networkUp = true;
    controlPlane = await startControlPlane({
      dir,
      binDir,
      advertiseAddress: a.hostAddress,
      serviceClusterIpRange: a.serviceCidr,
      realNode: { nodeName, bindAddress: a.hostAddress },
    });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(controlPlane.adminKubeconfigPath);
    const nodeKubeconfigs = controlPlane.nodeKubeconfigs;
    if (!nodeKubeconfigs) throw new Error('control plane started without node credentials');
    const kubeRouter = options.networkPolicy ? await kubeRouterBinary() : undefined;
    if (kubeRouter) {
      const rbac = KubernetesObjectApi.makeApiClient(kubeConfig);
      for (const object of kubeRouterRbac()) await rbac.create(object);
    }
    images = await startNodeImages({ dir: join(dir, 'registry'), address: a.hostAddress, binDir });
    await waitForControllerManager(kubeConfig, controlPlane);
    node = await startRealNode({
      dir,
      binDir,
      runtimeBinDir: binDir,
      addresses: a,
      nodeName,
      kubeletKubeconfig: nodeKubeconfigs.kubelet,
      kubeProxyKubeconfig: nodeKubeconfigs.kubeProxy,
      kubeConfig,
      mirrors: images.mirrors,
    });
    const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
    await objects.create({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: {
        name: 'standard',
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      },
      provisioner: localProvisionerName,
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
    } as never);
    provisioner = await startLocalProvisioner({
      kubeConfig,
      nodeName,
      dir: join(dir, 'volumes'),
    });
    for (const object of clusterDnsObjects({
      image: images.coreDnsImage,
      serviceAddress: a.dnsServiceAddress,
    })) {
      await objects.create(object);
    }
    await watchUntil<V1Deployment>(
      kubeConfig,
      '/apis/apps/v1/namespaces/kube-system/deployments',
      (_t, d) => (d.status?.availableReplicas ?? 0) >= 1,
      { fieldSelector: 'metadata.name=coredns', timeoutMs: 60_000 },
    ).catch(async (e: unknown) => {
      const pods = await runKubectl(join(binDir, 'kubectl'), controlPlane!.adminKubeconfigPath, [
        '-n',
        'kube-system',
        'describe',
        'pods',
      ]);
      throw new Error(`cluster DNS did not become available:\n${pods.stdout.slice(-3000)}`, {
        cause: e,
      });
    });
    if (kubeRouter) {
      await node.startNetworkPolicy({ binary: kubeRouter, kubeconfig: nodeKubeconfigs.kubeRouter });
    }
    const kubeconfigPath = controlPlane.adminKubeconfigPath;
    return {
      node: 'kubelet',
      server: controlPlane.server,
      token: controlPlane.adminToken,
      kubeconfigPath,
      kubeConfig,
      binDir,
      dir,
      realNode: { nodeName, addresses: a, registry: images.registry, images },
      faults: createClusterFaults(controlPlane, dir),
      kubectl: (args, input) => runKubectl(join(binDir, 'kubectl'), kubeconfigPath, args, input),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
