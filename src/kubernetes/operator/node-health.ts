/**
 * Which nodes are lost, from the same node list start admission reads (./start-capacity.ts).
 *
 * Why the operator judges a node itself instead of waiting for Kubernetes to evict the pods:
 * the node lifecycle controller evicts nothing when every node of a zone is unreachable (its
 * "full disruption" mode: one-node clusters, a zone-wide network cut), and otherwise only after
 * the pods' default toleration of 300 s. Meanwhile the pod stays bound and looks Running, and
 * the person's notebook is dead behind a route that answers nothing (issue 16, point 4).
 *
 * A node is:
 * - `ready`: its Ready condition is True;
 * - `silent`: Ready is False or Unknown (the kubelet or its heartbeats stopped), for less than
 *   `lostAfterMs`. An API server outage longer than the node grace period makes every node
 *   silent for a few seconds until the kubelets report again: that must not stop anyone's
 *   notebook, hence the wait;
 * - `lost`: silent for `lostAfterMs` or more (counted from the condition's last transition), or
 *   deleted (a node seen in an earlier list and absent now: cloud providers delete the Node of
 *   a machine that is gone);
 * - `unknown`: never listed (no permission to list nodes, or a node newer than the last list).
 */
export type NodeState = 'ready' | 'silent' | 'lost' | 'unknown';

export interface NodeLike {
  readonly metadata?: { readonly name?: string };
  readonly spec?: { readonly unschedulable?: boolean };
  readonly status?: {
    readonly allocatable?: Readonly<Record<string, string>>;
    readonly conditions?: readonly {
      readonly type: string;
      readonly status: string;
      readonly lastTransitionTime?: string | Date;
    }[];
  };
}

const MAX_DELETED = 10_000;

export class NodeHealth {
  readonly #lostAfterMs: number;
  /** Node name → when it stopped being heard from (ms), or undefined while ready. */
  #silentSince = new Map<string, number | undefined>();
  /** Nodes seen in some list and absent from a later one: deleted. Bounded by the node count. */
  readonly #deleted = new Set<string>();
  #listed = false;
  /** Each node's state at the last update, to tell what changed (time alone turns silent into lost). */
  #reported = new Map<string, NodeState>();

  constructor(lostAfterMs: number) {
    this.#lostAfterMs = lostAfterMs;
  }

  /** Takes a fresh list; returns the names whose state changed (to look at their pods again). */
  update(nodes: readonly NodeLike[], now: number): string[] {
    const next = new Map<string, number | undefined>();
    for (const node of nodes) {
      const name = node.metadata?.name;
      if (name === undefined) continue;
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status === 'True') next.set(name, undefined);
      else {
        const since = ready?.lastTransitionTime
          ? Date.parse(String(ready.lastTransitionTime))
          : NaN;
        next.set(name, Number.isNaN(since) ? (this.#silentSince.get(name) ?? now) : since);
      }
      this.#deleted.delete(name);
    }
    for (const name of this.#silentSince.keys()) if (!next.has(name)) this.#deleted.add(name);
    // Pod garbage collection removes the pods of a deleted node; keep the newest names only.
    for (const name of this.#deleted) {
      if (this.#deleted.size <= MAX_DELETED) break;
      this.#deleted.delete(name);
    }
    this.#silentSince = next;
    this.#listed = true;
    const reported = new Map<string, NodeState>();
    const changed: string[] = [];
    for (const name of new Set([...this.#reported.keys(), ...next.keys(), ...this.#deleted])) {
      const state = this.state(name, now);
      reported.set(name, state);
      // Nothing is known before the first list, and the operator looks at every notebook then.
      const was = this.#reported.get(name);
      if (was !== undefined && was !== state) changed.push(name);
    }
    this.#reported = reported;
    return changed;
  }

  state(name: string, now: number): NodeState {
    if (this.#deleted.has(name)) return 'lost';
    if (!this.#listed || !this.#silentSince.has(name)) return 'unknown';
    const since = this.#silentSince.get(name);
    if (since === undefined) return 'ready';
    return now - since >= this.#lostAfterMs ? 'lost' : 'silent';
  }

  /** Since when a node is not heard from (ms, its Ready condition's change); undefined while
   * ready, deleted, or never listed. */
  silentSince(name: string): number | undefined {
    return this.#deleted.has(name) ? undefined : this.#silentSince.get(name);
  }

  /** When a silent node turns lost (ms), to look again then; undefined otherwise. */
  lostAt(name: string): number | undefined {
    const since = this.#silentSince.get(name);
    return since === undefined || this.#deleted.has(name) ? undefined : since + this.#lostAfterMs;
  }
}

/**
 * Whether a pod was bound to its node after the node went silent (`NodeHealth.silentSince`).
 * The scheduler places pods only on ready nodes, so such a pod says the node came back since
 * the operator's last look at the node list (every few seconds): it is not lost with the node.
 * Without this a start made right after a node returned was ended as lost until that look.
 */
export function boundAfterSilence(
  pod: {
    readonly status?: {
      readonly conditions?: readonly { type: string; lastTransitionTime?: string | Date }[];
    };
  },
  silentSince: number | undefined,
): boolean {
  if (silentSince === undefined) return false;
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  const at = Date.parse(String(scheduled?.lastTransitionTime ?? ''));
  return !Number.isNaN(at) && at > silentSince;
}
