/**
 * Names and addresses of one harness's pod network, all derived from its index N (0..255):
 * pod CIDR 10.213.N.0/24, bridge `gnmbrN` holding 10.213.N.1, pod netns `gnmN-K`, host-side
 * veth `gnmNvK`. Interface names stay within the kernel's 15 characters (IFNAMSIZ - 1).
 * Pure, so the stale-network sweep can recompute them from N alone.
 */
export const podNetworkPrefix = '10.213';

export function bridgeName(index: number): string {
  return `gnmbr${index}`;
}

export function netnsName(index: number, pod: number): string {
  return `gnm${index}-${pod}`;
}

export function netnsPrefix(index: number): string {
  return `gnm${index}-`;
}

export function hostVethName(index: number, pod: number): string {
  return `gnm${index}v${pod}`;
}

export function podCidr(index: number): string {
  return `${podNetworkPrefix}.${index}.0/24`;
}

export function gatewayAddress(index: number): string {
  return `${podNetworkPrefix}.${index}.1`;
}

export function podAddress(index: number, host: number): string {
  return `${podNetworkPrefix}.${index}.${host}`;
}
