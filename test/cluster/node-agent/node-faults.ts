/**
 * Node faults for the node-agent cluster (issue 16 point 4): the node lost and brought back.
 *
 * killNode is what a machine losing power looks like to the control plane: the agent and every
 * pod process die at once (SIGKILL, no graceful deletion) and nothing more is written — no pod
 * status, no Node status, no Lease renewal. The controller manager's node lifecycle controller
 * then notices the stale Lease (grace in component-args.ts), marks the Node's Ready condition
 * Unknown and its pods not Ready, and taints it. With one node it evicts nothing (full
 * disruption); the operator judges the node itself (src/kubernetes/operator/node-health.ts).
 *
 * startNode starts a fresh agent under the same node name (as a machine rebooting or replaced
 * under the same name would): it re-registers the Node, renews its Lease, and — like a kubelet
 * coming back — finishes off the pods the API still binds to it.
 */
import { NodeAgent, type NodeAgentOptions } from './agent.ts';

export interface NodeFaults {
  /** The agent and all its pod processes killed at once; the Node's heartbeats stop. */
  killNode(): Promise<void>;
  /** A fresh agent for the same node name; resolves once it has registered and watches pods. */
  startNode(): Promise<void>;
}

/** Owns the cluster's one agent across kills and restarts; `current` is the live one. */
export class AgentHolder implements NodeFaults {
  readonly #options: NodeAgentOptions;
  #agent: NodeAgent | undefined;

  private constructor(options: NodeAgentOptions) {
    this.#options = options;
  }

  static async start(options: NodeAgentOptions): Promise<AgentHolder> {
    const holder = new AgentHolder(options);
    holder.#agent = await NodeAgent.start(options);
    return holder;
  }

  get current(): NodeAgent | undefined {
    return this.#agent;
  }

  async killNode(): Promise<void> {
    const agent = this.#agent;
    this.#agent = undefined;
    // NodeAgent.stop writes nothing to the API: it stops the Lease timer and the pod watch and
    // SIGKILLs every pod's processes (PodWorker.forget: grace 0, no status written).
    await agent?.stop();
  }

  async startNode(): Promise<void> {
    if (this.#agent) throw new Error('startNode: the node is already running (killNode first)');
    this.#agent = await NodeAgent.start(this.#options);
  }

  async stop(): Promise<void> {
    await this.killNode();
  }
}
