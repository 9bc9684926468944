/**
 * The Node the agent plays, and its Lease, as a kubelet registers them. Pure.
 * https://kubernetes.io/docs/concepts/architecture/nodes/#heartbeats
 */
export interface NodeFacts {
  readonly name: string;
  readonly internalIP: string;
  readonly podCIDR: string;
  readonly cpuCores: number;
  readonly memoryBytes: number;
  readonly maxPods: number;
  readonly kubeletVersion: string;
  readonly kernelVersion: string;
  readonly osImage: string;
  readonly bootID: string;
  /** Port of our kubelet API (logs) on internalIP; the API server proxies `kubectl logs` there. */
  readonly kubeletPort: number;
}

export const nodeLabels = (name: string): Record<string, string> => ({
  'kubernetes.io/hostname': name,
  'kubernetes.io/os': 'linux',
  'kubernetes.io/arch': 'amd64',
  'beta.kubernetes.io/os': 'linux',
  'beta.kubernetes.io/arch': 'amd64',
});

export function nodeResources(facts: NodeFacts): Record<string, string> {
  return {
    cpu: String(facts.cpuCores),
    memory: `${Math.floor(facts.memoryBytes / 1024)}Ki`,
    pods: String(facts.maxPods),
    'ephemeral-storage': '100Gi',
  };
}

export function nodeObject(facts: NodeFacts): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: facts.name, labels: nodeLabels(facts.name) },
    spec: { podCIDR: facts.podCIDR, podCIDRs: [facts.podCIDR] },
  };
}

export function nodeStatus(facts: NodeFacts, now: Date): Record<string, unknown> {
  const at = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: at,
    lastTransitionTime: at,
  });
  const resources = nodeResources(facts);
  return {
    capacity: resources,
    allocatable: resources,
    conditions: [
      condition(
        'MemoryPressure',
        'False',
        'KubeletHasSufficientMemory',
        'kubelet has sufficient memory available',
      ),
      condition(
        'DiskPressure',
        'False',
        'KubeletHasNoDiskPressure',
        'kubelet has no disk pressure',
      ),
      condition(
        'PIDPressure',
        'False',
        'KubeletHasSufficientPID',
        'kubelet has sufficient PID available',
      ),
      condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
    ],
    addresses: [
      { type: 'InternalIP', address: facts.internalIP },
      { type: 'Hostname', address: facts.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: facts.kubeletPort } },
    nodeInfo: {
      machineID: facts.bootID.replace(/-/g, ''),
      systemUUID: facts.bootID,
      bootID: facts.bootID,
      kernelVersion: facts.kernelVersion,
      osImage: facts.osImage,
      containerRuntimeVersion: 'ganymede-node-agent://1',
      kubeletVersion: facts.kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
  };
}

/** Lease kube-node-lease/<node>; the node lifecycle controller reads renewTime as the heartbeat. */
export function leaseObject(
  nodeName: string,
  nodeUid: string,
  durationSeconds: number,
  now: Date,
): Record<string, unknown> {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: nodeName,
      namespace: 'kube-node-lease',
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid }],
    },
    spec: {
      holderIdentity: nodeName,
      leaseDurationSeconds: durationSeconds,
      renewTime: microTime(now),
    },
  };
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(now: Date): string {
  return now.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
