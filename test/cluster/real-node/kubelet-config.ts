/**
 * The kubelet's configuration for one test node. Pure, so a test can read what we run.
 * Two settings this machine needs (../../../shared/docs/REAL-NODE.md): `failCgroupV1: false`
 * (kubelet 1.35+ refuses cgroup v1 hosts otherwise) and a cgroupRoot of our own, so several
 * kubelets can run side by side. The rest is a kubeadm-like node with test-sized thresholds.
 */
import { stringify } from 'yaml';
import type { RealNodeAddresses } from './addresses.ts';

export interface KubeletInput {
  readonly addresses: RealNodeAddresses;
  readonly containerdSocket: string;
  readonly resolvConf: string;
  readonly volumePluginDir: string;
  /** Containers' logs (default /var/log/pods, shared by every kubelet on the host). */
  readonly podLogsDir: string;
}

export function kubeletConfig(input: KubeletInput): string {
  const a = input.addresses;
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    failCgroupV1: false,
    failSwapOn: false,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: a.cgroupRoot,
    containerRuntimeEndpoint: `unix://${input.containerdSocket}`,
    // The node's own namespace: the default ports are free there whatever the host runs.
    address: a.nodeAddress,
    port: 10250,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: 10248,
    // The API server has no kubelet client certificate here; logs and exec go through
    // anonymous access, which only the host (and the API server on it) can reach.
    authentication: { anonymous: { enabled: true }, webhook: { enabled: false } },
    authorization: { mode: 'AlwaysAllow' },
    clusterDNS: [a.dnsServiceAddress],
    clusterDomain: 'cluster.local',
    resolvConf: input.resolvConf,
    podCIDR: a.podCidr,
    maxPods: 110,
    serializeImagePulls: false,
    // A shared 2-core test machine: evict only when it is really out of room.
    evictionHard: {
      'memory.available': '100Mi',
      'nodefs.available': '1%',
      'imagefs.available': '1%',
      'nodefs.inodesFree': '1%',
    },
    imageGCHighThresholdPercent: 99,
    imageGCLowThresholdPercent: 98,
    volumePluginDir: input.volumePluginDir,
    podLogsDir: input.podLogsDir,
    // Faster status for tests; the defaults are tuned for thousands of nodes.
    nodeStatusUpdateFrequency: '5s',
    syncFrequency: '10s',
  });
}

export function kubeletArgs(options: {
  configPath: string;
  kubeconfig: string;
  rootDir: string;
  nodeName: string;
  nodeAddress: string;
}): string[] {
  return [
    `--config=${options.configPath}`,
    `--kubeconfig=${options.kubeconfig}`,
    `--root-dir=${options.rootDir}`,
    `--hostname-override=${options.nodeName}`,
    `--node-ip=${options.nodeAddress}`,
    '--v=1',
  ];
}

export function kubeProxyArgs(options: {
  kubeconfig: string;
  nodeName: string;
  podCidr: string;
}): string[] {
  return [
    `--kubeconfig=${options.kubeconfig}`,
    `--hostname-override=${options.nodeName}`,
    '--proxy-mode=iptables',
    `--cluster-cidr=${options.podCidr}`,
    // Pod → Service → pod on the same bridge: without masquerading, the reply would bypass
    // the node's conntrack entry and be dropped by the client.
    '--masquerade-all=true',
    // nf_conntrack_max is a host-wide setting; leave it alone.
    '--conntrack-max-per-core=0',
    '--metrics-bind-address=127.0.0.1:10249',
    '--healthz-bind-address=127.0.0.1:10256',
    '--v=1',
  ];
}
