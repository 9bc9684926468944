/**
 * Claims a network index N for one harness, across processes: `mkdir` of
 * <tmp>/ganymede-cluster-net/N is atomic, and the folder records the owner's pid. A claim
 * whose owner died (SIGKILL, crash) is swept: processes in its namespaces are killed, the
 * namespaces and bridge deleted, then the index is reused.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ip, ipNow, isProcessAlive } from './ip-command.ts';
import { bridgeName, netnsPrefix, podNetworkPrefix } from './names.ts';
import { realNodeAddresses } from '../real-node/addresses.ts';
import { removeCgroupRoot } from '../real-node/cgroups.ts';
import { deletePodNamespaces } from '../real-node/host-state.ts';

const claimsDir = join(tmpdir(), 'ganymede-cluster-net');

export interface NetworkClaim {
  readonly index: number;
  release(): void;
}

export async function claimNetworkIndex(): Promise<NetworkClaim> {
  mkdirSync(claimsDir, { recursive: true });
  const inUse = await addressesInUse();
  for (let index = 0; index < 256; index++) {
    if (inUse.has(index) && !isStaleClaim(index)) continue;
    const path = join(claimsDir, String(index));
    if (isStaleClaim(index)) sweepNetwork(index);
    try {
      mkdirSync(path);
    } catch {
      continue; // Claimed by a live harness (or won by another process just now).
    }
    writeFileSync(join(path, 'owner'), String(process.pid));
    return {
      index,
      release: () => {
        rmSync(path, { recursive: true, force: true });
      },
    };
  }
  throw new Error(`no free pod network: all of ${podNetworkPrefix}.0-255.0/24 are in use`);
}

/** Sweeps every claim whose owner died, so its processes are gone before its folder is. */
export function sweepStaleClaims(): void {
  let entries: string[];
  try {
    entries = readdirSync(claimsDir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const index = Number(entry);
    if (Number.isInteger(index) && isStaleClaim(index)) sweepNetwork(index);
  }
}

function isStaleClaim(index: number): boolean {
  const path = join(claimsDir, String(index));
  let owner: number;
  try {
    owner = Number(readFileSync(join(path, 'owner'), 'utf8'));
  } catch {
    return false;
  }
  return !isProcessAlive(owner);
}

/** Deletes everything an index's network may have left behind, synchronously. */
export function sweepNetwork(index: number): void {
  // A real node's pods (network namespaces named by CNI, cgroups under the node's root) and
  // its link to the host; the node's own processes go with its namespace below.
  const realNode = realNodeAddresses(index);
  deletePodNamespaces(`${podNetworkPrefix}.${index}.`);
  removeCgroupRoot(realNode.cgroupRoot);
  ipNow('link', 'delete', realNode.hostVeth);
  for (const ns of ipNow('netns', 'list').split('\n')) {
    const name = ns.split(' ')[0] ?? '';
    if (!name.startsWith(netnsPrefix(index))) continue;
    for (const pid of ipNow('netns', 'pids', name).split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    ipNow('netns', 'delete', name);
  }
  ipNow('link', 'delete', bridgeName(index));
  rmSync(join(claimsDir, String(index)), { recursive: true, force: true });
}

/** Indexes whose /24 already has an address on this host (ours or anyone's). */
async function addressesInUse(): Promise<Set<number>> {
  const used = new Set<number>();
  const out = await ip('-4', '-o', 'addr', 'show');
  for (const m of out.matchAll(/inet 10\.21[23]\.(\d+)\./g)) used.add(Number(m[1]));
  for (const entry of readdirSync(claimsDir)) used.add(Number(entry));
  return used;
}
