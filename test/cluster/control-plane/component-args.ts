/**
 * Command lines of the three control plane components. Pure, so a test can read what we run.
 * Modelled on kubernetes/kubernetes hack/local-up-cluster.sh and controller-runtime's envtest
 * (pkg/internal/testing/controlplane), trimmed to one loopback-only machine.
 */
export interface EtcdPorts {
  readonly client: number;
  readonly peer: number;
}

export function etcdArgs(dataDir: string, ports: EtcdPorts): string[] {
  const client = `http://127.0.0.1:${ports.client}`;
  const peer = `http://127.0.0.1:${ports.peer}`;
  return [
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    // Test data is thrown away: fsync only slows every write down.
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ];
}

export interface ApiServerInput {
  readonly etcdClientPort: number;
  readonly securePort: number;
  readonly certDir: string;
  readonly tokenFile: string;
  readonly serviceAccountKeyFile: string;
  /**
   * Written into the `kubernetes` Service's endpoints. Must not be loopback (rejected); when
   * unset the API server takes the default route's address. The harness passes its bridge
   * address when it has one, so the cluster never names an address outside this machine.
   */
  readonly advertiseAddress?: string;
  readonly serviceClusterIpRange: string;
  /**
   * A real kubelet runs in the harness: the Node authorizer and NodeRestriction admission
   * confine it to its own Node and pods, as in a kubeadm cluster.
   */
  readonly realNode?: boolean;
  /** Where to listen; default 127.0.0.1. A real node reaches the API server on its link. */
  readonly bindAddress?: string;
}

export function apiServerArgs(input: ApiServerInput): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${input.etcdClientPort}`,
    `--bind-address=${input.bindAddress ?? '127.0.0.1'}`,
    `--secure-port=${input.securePort}`,
    ...(input.advertiseAddress ? [`--advertise-address=${input.advertiseAddress}`] : []),
    // Self-signed serving certificate, generated for 127.0.0.1 by the API server itself.
    `--cert-dir=${input.certDir}`,
    `--service-cluster-ip-range=${input.serviceClusterIpRange}`,
    input.realNode ? '--authorization-mode=Node,RBAC' : '--authorization-mode=RBAC',
    ...(input.realNode ? ['--enable-admission-plugins=NodeRestriction'] : []),
    `--token-auth-file=${input.tokenFile}`,
    `--service-account-key-file=${input.serviceAccountKeyFile}`,
    `--service-account-signing-key-file=${input.serviceAccountKeyFile}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    // Privileged pods must get as far as admission, so that PodSecurity (not validation)
    // is what rejects them in a `restricted` namespace, as on a kubeadm cluster.
    '--allow-privileged=true',
    // The default admission plugins stay on (PodSecurity, ServiceAccount, DefaultStorageClass…).
    // Reach the node agent's log endpoint by its InternalIP; its Hostname does not resolve.
    '--kubelet-preferred-address-types=InternalIP',
    '--profiling=false',
    '--v=1',
  ];
}

export interface SchedulerInput {
  readonly kubeconfig: string;
}

export function schedulerArgs(input: SchedulerInput): string[] {
  return [
    `--kubeconfig=${input.kubeconfig}`,
    `--authentication-kubeconfig=${input.kubeconfig}`,
    `--authorization-kubeconfig=${input.kubeconfig}`,
    '--leader-elect=false',
    '--secure-port=0',
    '--v=1',
  ];
}

export interface ControllerManagerInput {
  readonly kubeconfig: string;
  readonly serviceAccountKeyFile: string;
  readonly rootCaFile: string;
}

export function controllerManagerArgs(input: ControllerManagerInput): string[] {
  return [
    `--kubeconfig=${input.kubeconfig}`,
    '--leader-elect=false',
    // No metrics/health endpoint: nothing scrapes it, and it would need another free port.
    '--secure-port=0',
    `--service-account-private-key-file=${input.serviceAccountKeyFile}`,
    `--root-ca-file=${input.rootCaFile}`,
    // Each controller acts as its own service account, so RBAC is exercised as in a cluster.
    '--use-service-account-credentials=true',
    // Dynamic PVs as folders under /tmp/hostpath_pv for StorageClass provisioner kubernetes.io/host-path.
    '--enable-hostpath-provisioner=true',
    // The node lifecycle controller marks a node whose Lease went stale for 20 s Unknown
    // (default 50 s; the node agent renews every 10 s), checking every 2 s (default 5 s):
    // node-loss tests (issue 16 point 4, test/integration/faults/node-lost.test.ts) then run
    // in bounded time. (No eviction flags: one node is full disruption, which evicts nothing.)
    '--node-monitor-grace-period=20s',
    '--node-monitor-period=2s',
    '--v=1',
  ];
}
