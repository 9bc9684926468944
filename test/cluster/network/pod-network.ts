/**
 * One harness's pod network: a bridge on the host holding the gateway address, and per pod a
 * network namespace whose `eth0` is one end of a veth pair, the other end on the bridge.
 * The host (the hub, the agent's probes) reaches pod IPs over the bridge, as a hub in a
 * cluster reaches pods. Pods get no default route, so they reach only their own loopback, the
 * host's bridge address and the other pods of this harness: never another network.
 *
 * One /24 holds 253 pods. A node agent asked for more (`create({ pods })`, e.g. the scale
 * benchmark's 1,000) claims further indexes, each a PodNetwork of its own (bridge, /24, claim,
 * so the stale-network sweep needs nothing new); pods go to the first with room. Pods of one
 * /24 reach their own gateway (the host) and that /24's pods.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ip, ipNow } from './ip-command.ts';
import { claimNetworkIndex, sweepNetwork, type NetworkClaim } from './claim.ts';
import {
  bridgeName,
  gatewayAddress,
  hostVethName,
  netnsName,
  podAddress,
  podCidr,
} from './names.ts';

/**
 * The host keeps one neighbour (ARP) entry per pod it talks to. Linux's defaults (garbage
 * collection above 512 entries, a hard limit of 1,024, shared by every network on the host)
 * left the scale benchmark's pods past the 512th unreachable ("neighbor table overflow" in the
 * kernel log, startup probes timing out). Raised, never lowered, when a harness asks for many
 * pods, as for a Kubernetes node with many pods.
 */
function raiseNeighbourLimits(pods: number): void {
  if (pods <= 250) return;
  const want = { gc_thresh1: pods * 2, gc_thresh2: pods * 4, gc_thresh3: pods * 8 };
  for (const [name, value] of Object.entries(want)) {
    const file = `/proc/sys/net/ipv4/neigh/default/${name}`;
    if (Number(readFileSync(file, 'utf8')) < value) writeFileSync(file, String(value));
  }
}

export interface PodInterface {
  /** Network namespace name (`ip netns`); its file is /run/netns/<netns>. */
  readonly netns: string;
  readonly ip: string;
  readonly hostVeth: string;
}

export class PodNetwork {
  readonly index: number;
  readonly cidr: string;
  readonly gateway: string;
  readonly bridge: string;
  readonly #claim: NetworkClaim;
  readonly #usedHosts = new Set<number>();
  readonly #pods = new Map<string, PodInterface>();
  /** Further /24s (own claims and bridges) when more than one /24's worth was asked for. */
  readonly #more: PodNetwork[] = [];
  #nextPod = 0;

  private constructor(claim: NetworkClaim) {
    this.#claim = claim;
    this.index = claim.index;
    this.cidr = podCidr(claim.index);
    this.gateway = gatewayAddress(claim.index);
    this.bridge = bridgeName(claim.index);
  }

  /** `pods`: how many pods at once the network must hold (default: one /24, 253). */
  static async create(options: { pods?: number } = {}): Promise<PodNetwork> {
    raiseNeighbourLimits(options.pods ?? 0);
    const network = await PodNetwork.#createOne();
    try {
      for (let room = podsPerNetwork; room < (options.pods ?? 0); room += podsPerNetwork) {
        network.#more.push(await PodNetwork.#createOne());
      }
    } catch (e) {
      network.destroyNow();
      throw e;
    }
    return network;
  }

  static async #createOne(): Promise<PodNetwork> {
    const claim = await claimNetworkIndex();
    const network = new PodNetwork(claim);
    try {
      await ip('link', 'add', network.bridge, 'type', 'bridge');
      await ip('addr', 'add', `${network.gateway}/24`, 'dev', network.bridge);
      await ip('link', 'set', network.bridge, 'up');
    } catch (e) {
      network.destroyNow();
      throw e;
    }
    return network;
  }

  /** Creates the namespace and interface of one pod; `key` is the pod's uid. */
  async addPod(key: string): Promise<PodInterface> {
    const existing = this.#pods.get(key);
    if (existing) return existing;
    const elsewhere = this.#more.find((n) => n.#pods.has(key));
    if (elsewhere) return elsewhere.addPod(key);
    if (this.#usedHosts.size >= podsPerNetwork) {
      const spare = this.#more.find((n) => n.#usedHosts.size < podsPerNetwork);
      if (spare) return spare.addPod(key);
    }
    let host = 2;
    while (this.#usedHosts.has(host)) host++;
    if (host > 254) throw new Error(`pod network ${this.cidr} is full`);
    this.#usedHosts.add(host);
    const n = this.#nextPod++;
    const pod: PodInterface = {
      netns: netnsName(this.index, n),
      ip: podAddress(this.index, host),
      hostVeth: hostVethName(this.index, n),
    };
    this.#pods.set(key, pod);
    try {
      await ip('netns', 'add', pod.netns);
      await ip(
        'link',
        'add',
        pod.hostVeth,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        pod.netns,
      );
      await ip('link', 'set', pod.hostVeth, 'master', this.bridge, 'up');
      await ip('-n', pod.netns, 'addr', 'add', `${pod.ip}/24`, 'dev', 'eth0');
      await ip('-n', pod.netns, 'link', 'set', 'eth0', 'up');
      await ip('-n', pod.netns, 'link', 'set', 'lo', 'up');
    } catch (e) {
      await this.removePod(key);
      throw e;
    }
    return pod;
  }

  /** Kills whatever still runs in the pod's namespace, then deletes it (and so its veth). */
  async removePod(key: string): Promise<void> {
    const pod = this.#pods.get(key);
    if (!pod) {
      await this.#more.find((n) => n.#pods.has(key))?.removePod(key);
      return;
    }
    this.#pods.delete(key);
    killNamespaceProcesses(pod.netns);
    await ip('netns', 'delete', pod.netns).catch(() => undefined);
    await ip('link', 'delete', pod.hostVeth).catch(() => undefined);
    const host = Number(pod.ip.split('.')[3]);
    this.#usedHosts.delete(host);
  }

  async destroy(): Promise<void> {
    for (const more of this.#more) await more.destroy();
    for (const key of [...this.#pods.keys()]) await this.removePod(key);
    await ip('link', 'delete', this.bridge).catch(() => undefined);
    this.#claim.release();
  }

  /** Synchronous variant for exit hooks. */
  destroyNow(): void {
    for (const more of this.#more) more.destroyNow();
    sweepNetwork(this.index);
    this.#pods.clear();
    this.#claim.release();
  }
}

/** Host numbers .2 to .254 of a /24 (.1 is the gateway on the bridge). */
const podsPerNetwork = 253;

function killNamespaceProcesses(netns: string): void {
  for (const pid of ipNow('netns', 'pids', netns).split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
