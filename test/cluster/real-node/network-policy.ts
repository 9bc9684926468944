/**
 * NetworkPolicy enforcement for the real node: kube-router's network policy controller alone
 * (no routing, no service proxy), built once by test/cluster/kube-router/build.sh, running in
 * the node's network namespace next to kube-proxy (same iptables backend). Its rules live in
 * that namespace and go with it. What it enforces and what not: test/cluster/kube-router/README.md
 * (traffic from the node's own addresses is always admitted, as by kube-router everywhere;
 * traffic from the host is not, so a test reaching a notebook from the host needs a policy).
 */
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
 * client-node's generated models are classes with only static metadata members; plain object
 * literals serialise exactly as instances would. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { KubernetesObject } from '@kubernetes/client-node';

const execFileAsync = promisify(execFile);
const buildScript = fileURLToPath(new URL('../kube-router/build.sh', import.meta.url));

/** The binary's path (built on the first call, then cached). */
export async function kubeRouterBinary(): Promise<string> {
  const { stdout } = await execFileAsync('bash', [buildScript], { maxBuffer: 1 << 20 });
  return stdout.trim().split('\n').pop() ?? '';
}

export const kubeRouterUser = 'system:kube-router';

/** What kube-router reads (it waits for every informer, also in netpol-only mode). */
export function kubeRouterRbac(): KubernetesObject[] {
  const name = 'ganymede:kube-router-netpol';
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name },
      rules: [
        {
          apiGroups: [''],
          resources: ['pods', 'namespaces', 'nodes', 'services', 'endpoints'],
          verbs: ['list', 'watch'],
        },
        { apiGroups: [''], resources: ['nodes'], verbs: ['get'] },
        {
          apiGroups: ['discovery.k8s.io'],
          resources: ['endpointslices'],
          verbs: ['list', 'watch'],
        },
        {
          apiGroups: ['networking.k8s.io'],
          resources: ['networkpolicies'],
          verbs: ['list', 'watch'],
        },
      ],
    } as KubernetesObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: kubeRouterUser }],
    } as KubernetesObject,
  ];
}

export function kubeRouterArgs(options: {
  kubeconfig: string;
  nodeName: string;
  serviceCidr: string;
}): string[] {
  return [
    `--kubeconfig=${options.kubeconfig}`,
    `--hostname-override=${options.nodeName}`,
    '--run-firewall=true',
    '--run-router=false',
    '--run-service-proxy=false',
    `--service-cluster-ip-range=${options.serviceCidr}`,
    '--health-port=0',
    '--metrics-port=0',
  ];
}

/** Whether kube-router has written its chains in the node's namespace (its first sync). */
export async function kubeRouterSynced(netns: string): Promise<boolean> {
  try {
    await execFileAsync('nsenter', [
      `--net=${join('/run/netns', netns)}`,
      '--',
      'iptables',
      '-S',
      'KUBE-ROUTER-FORWARD',
    ]);
    return true;
  } catch {
    return false;
  }
}
