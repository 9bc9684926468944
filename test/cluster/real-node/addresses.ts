/**
 * Addresses of one real-node cluster, all derived from its network index N (the same claim as
 * the node agent's pod network, network/claim.ts), so side-by-side clusters never overlap:
 *
 *   host ── veth gnmNh 10.212.N.1/30 ═══ eth0 10.212.N.2/30 ── node netns gnmN-node
 *                                                              ├ containerd, kubelet, kube-proxy
 *                                                              └ bridge cni0 10.213.N.1/24 ── pods
 *   Services 10.214.N.0/24: the API server 10.214.N.1, cluster DNS 10.214.N.10.
 *
 * The node's whole network side (bridge, iptables rules of kube-proxy and CNI) lives in its
 * own network namespace, so the host's iptables are never touched. The host routes the pod
 * and Service ranges to the node, so tests on the host reach pods and ClusterIPs as a client
 * inside the cluster network would.
 */
import { netnsPrefix, podCidr, podNetworkPrefix } from '../network/names.ts';

export interface RealNodeAddresses {
  readonly index: number;
  /** `ip netns` name of the node (its file is /run/netns/<name>). */
  readonly netns: string;
  readonly hostVeth: string;
  /** The host's end of the link: the API server and the registry listen here. */
  readonly hostAddress: string;
  /** The node's InternalIP. */
  readonly nodeAddress: string;
  readonly linkPrefixLength: number;
  readonly podCidr: string;
  readonly podGateway: string;
  readonly serviceCidr: string;
  readonly apiServiceAddress: string;
  readonly dnsServiceAddress: string;
  /** cgroup parent of every pod, pre-created in each hierarchy: one kubelet owns one root. */
  readonly cgroupRoot: string;
}

export const linkNetworkPrefix = '10.212';
export const serviceNetworkPrefix = '10.214';

export function realNodeAddresses(index: number): RealNodeAddresses {
  return {
    index,
    netns: `${netnsPrefix(index)}node`,
    hostVeth: `gnm${index}h`,
    hostAddress: `${linkNetworkPrefix}.${index}.1`,
    nodeAddress: `${linkNetworkPrefix}.${index}.2`,
    linkPrefixLength: 30,
    podCidr: podCidr(index),
    podGateway: `${podNetworkPrefix}.${index}.1`,
    serviceCidr: `${serviceNetworkPrefix}.${index}.0/24`,
    apiServiceAddress: `${serviceNetworkPrefix}.${index}.1`,
    dnsServiceAddress: `${serviceNetworkPrefix}.${index}.10`,
    cgroupRoot: `/ganymede-${index}`,
  };
}
