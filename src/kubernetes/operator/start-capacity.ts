/**
 * How many notebook servers may be starting at once when the operator is left to choose
 * (`maxStarting: auto`): two per CPU of the Ready, schedulable nodes, at least two.
 *
 * Why two per CPU: a starting server is CPU-bound for about a second and a half, then idle
 * while its readiness is noticed and the next pod is created (API round trips, a probe
 * period); two per CPU keeps the CPUs busy through those gaps, while more make each start
 * slower by sharing the CPUs (see ./admission.ts). Measured with bench/spawn, fifty servers
 * on a 2-CPU node, median start (2 rounds each, turns spread over 2 s): 26-27 s with 3 at once,
 * 27-29 s with 4, 30-31 s with 5 and with 2 (too few to fill the gaps), 31-35 s with 6 (the
 * earlier three per CPU, turns over 4.5 s), 34-36 s with 10. Two rather than one and a half:
 * on real clusters a start also waits for image pulls and volume attachment, which use no CPU.
 *
 * Nodes are listed every 30 s rather than watched: the figure only needs to follow nodes
 * being added and removed, and a watch on every node's frequent status updates would cost
 * more than it tells. The same list tells which nodes are lost (./node-health.ts); the poll
 * then runs often enough to notice one within a third of the lost-node wait. Without
 * permission to list nodes (a namespace-only installation) the fallback applies, no node is
 * judged lost (a lost server is noticed when Kubernetes evicts its pod), and the log says so
 * once.
 */
import type { KubeApi } from '../client/kube-api.ts';
import type { Logger } from '../../logging/logger.ts';
import { NodeHealth, type NodeLike, type NodeState } from './node-health.ts';
import type { Timers } from './work-queue.ts';

export const FALLBACK_MAX_STARTING = 16;
export const STARTING_PER_CPU = 2;
export const MIN_MAX_STARTING = 2;
const POLL_MS = 30_000;

/** CPUs from a Kubernetes CPU quantity ("2", "1500m", "0.5"); 0 when unreadable. */
export function cpuOf(quantity: string | undefined): number {
  if (quantity === undefined) return 0;
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(quantity.trim());
  if (!m) return 0;
  const n = Number(m[1]);
  return m[2] === 'm' ? n / 1000 : n;
}

/** The limit for these nodes: STARTING_PER_CPU per CPU of the usable ones, at least MIN. */
export function startCapacity(nodes: readonly NodeLike[]): number {
  const cpus = nodes
    .filter(
      (n) =>
        n.spec?.unschedulable !== true &&
        (n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false),
    )
    .reduce((sum, n) => sum + cpuOf(n.status?.allocatable?.['cpu']), 0);
  return Math.max(MIN_MAX_STARTING, Math.ceil(STARTING_PER_CPU * cpus));
}

export interface CapacityWatch {
  /** The current limit; undefined until the nodes were read (or when they cannot be). */
  limit(): number | undefined;
  /** A node's state for lost-node judgement ('unknown' when nodes cannot be listed). */
  nodeState(name: string): NodeState;
  /** When a silent node turns lost (ms since the epoch), if it is silent. */
  nodeLostAt(name: string): number | undefined;
  /** NodeHealth.silentSince. */
  nodeSilentSince(name: string): number | undefined;
  /** Settles after the first reading of the nodes, successful or not. */
  readonly ready: Promise<void>;
  stop(): void;
}

export function startCapacityWatch(input: {
  readonly api: KubeApi;
  readonly log: Logger;
  readonly timers: Timers;
  readonly pollMs?: number;
  /** How long a node may be silent before its servers are reported lost (./node-health.ts). */
  readonly nodeLostAfterMs: number;
  readonly now: () => number;
  /** Nodes whose state changed since the last list: their pods' notebooks are looked at again. */
  readonly onNodesChanged?: (names: readonly string[]) => void;
}): CapacityWatch {
  let current: number | undefined;
  const health = new NodeHealth(input.nodeLostAfterMs);
  const pollMs = Math.min(input.pollMs ?? POLL_MS, Math.max(1_000, input.nodeLostAfterMs / 3));
  let stopped = false;
  let handle: unknown;
  let warned = false;
  const poll = async (): Promise<void> => {
    try {
      const list = (await input.api.list('/api/v1/nodes')) as { items?: NodeLike[] };
      const changed = health.update(list.items ?? [], input.now());
      if (changed.length > 0) input.onNodesChanged?.(changed);
      const next = startCapacity(list.items ?? []);
      if (next !== current) input.log.info({ maxStarting: next }, 'servers starting at once');
      current = next;
    } catch (err) {
      if (!warned) {
        warned = true;
        input.log.warn(
          { err, fallbackMaxStarting: FALLBACK_MAX_STARTING },
          'cannot list nodes (needs list on nodes): maxStartingServers auto uses the fallback, and a lost node is noticed only when Kubernetes evicts its pods',
        );
      }
    }
    if (!stopped) {
      handle = input.timers.setTimeout(() => void poll(), pollMs);
    }
  };
  const ready = poll();
  return {
    ready,
    limit: () => current,
    nodeState: (name) => health.state(name, input.now()),
    nodeLostAt: (name) => health.lostAt(name),
    nodeSilentSince: (name) => health.silentSince(name),
    stop() {
      stopped = true;
      if (handle !== undefined) input.timers.clearTimeout(handle);
    },
  };
}
