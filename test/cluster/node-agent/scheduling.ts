/**
 * The one-node scheduler's decision, pure: does a pending pod fit on our node? Covers what a
 * test can provoke: cpu/memory requests against allocatable, the pod count, nodeSelector.
 * Messages follow kube-scheduler's ("0/1 nodes are available: 1 Insufficient cpu.").
 * https://kubernetes.io/docs/concepts/scheduling-eviction/kube-scheduler/#kube-scheduler-implementation
 */
import type { V1Pod } from '@kubernetes/client-node';
import { parseQuantity } from './quantity.ts';

export interface NodeCapacity {
  readonly labels: Readonly<Record<string, string>>;
  readonly allocatable: Readonly<Record<string, string>>;
}

export type FitResult =
  { readonly fits: true } | { readonly fits: false; readonly message: string };

export function podRequests(pod: V1Pod): { cpu: number; memory: number } {
  const sum = { cpu: 0, memory: 0 };
  for (const c of pod.spec?.containers ?? []) {
    sum.cpu += parseQuantity(c.resources?.requests?.['cpu']);
    sum.memory += parseQuantity(c.resources?.requests?.['memory']);
  }
  // Init containers run one at a time before the others: the pod needs the larger of the two.
  for (const c of pod.spec?.initContainers ?? []) {
    sum.cpu = Math.max(sum.cpu, parseQuantity(c.resources?.requests?.['cpu']));
    sum.memory = Math.max(sum.memory, parseQuantity(c.resources?.requests?.['memory']));
  }
  return sum;
}

export function isTerminal(pod: V1Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

export function fitPod(pod: V1Pod, node: NodeCapacity, podsOnNode: readonly V1Pod[]): FitResult {
  const reasons: string[] = [];
  const selector = pod.spec?.nodeSelector ?? {};
  if (Object.entries(selector).some(([k, v]) => node.labels[k] !== v)) {
    reasons.push("1 node(s) didn't match Pod's node affinity/selector");
  } else {
    const active = podsOnNode.filter((p) => !isTerminal(p));
    const used = active
      .map(podRequests)
      .reduce((a, b) => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory }), {
        cpu: 0,
        memory: 0,
      });
    const want = podRequests(pod);
    if (active.length + 1 > parseQuantity(node.allocatable['pods']))
      reasons.push('1 Too many pods');
    if (used.cpu + want.cpu > parseQuantity(node.allocatable['cpu']))
      reasons.push('1 Insufficient cpu');
    if (used.memory + want.memory > parseQuantity(node.allocatable['memory'])) {
      reasons.push('1 Insufficient memory');
    }
  }
  if (reasons.length === 0) return { fits: true };
  return { fits: false, message: `0/1 nodes are available: ${reasons.join(', ')}.` };
}
