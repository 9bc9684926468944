/**
 * One harness's pod network: a bridge on the host holding the gateway address, and per pod a
 * network namespace whose `eth0` is one end of a veth pair, the other end on the bridge.
 * The host (the hub, the agent's probes) reaches pod IPs over the bridge, as a hub in a
 * cluster reaches pods. Pods get no default route, so they reach only their own loopback, the
 * host's bridge address and the other pods of this harness: never another network.
 */
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
  #nextPod = 0;

  private constructor(claim: NetworkClaim) {
    this.#claim = claim;
    this.index = claim.index;
    this.cidr = podCidr(claim.index);
    this.gateway = gatewayAddress(claim.index);
    this.bridge = bridgeName(claim.index);
  }

  static async create(): Promise<PodNetwork> {
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
    if (!pod) return;
    this.#pods.delete(key);
    killNamespaceProcesses(pod.netns);
    await ip('netns', 'delete', pod.netns).catch(() => undefined);
    await ip('link', 'delete', pod.hostVeth).catch(() => undefined);
    const host = Number(pod.ip.split('.')[3]);
    this.#usedHosts.delete(host);
  }

  async destroy(): Promise<void> {
    for (const key of [...this.#pods.keys()]) await this.removePod(key);
    await ip('link', 'delete', this.bridge).catch(() => undefined);
    this.#claim.release();
  }

  /** Synchronous variant for exit hooks. */
  destroyNow(): void {
    sweepNetwork(this.index);
    this.#pods.clear();
    this.#claim.release();
  }
}

function killNamespaceProcesses(netns: string): void {
  for (const pid of ipNow('netns', 'pids', netns).split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
