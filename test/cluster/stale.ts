/**
 * Harness folders whose owner process died without cleaning up (SIGKILL, power loss) are
 * removed by the next harness that starts. Their processes are already gone (pdeathsig) and
 * their pod networks are swept by network/claim.ts.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sweepStaleClaims } from './network/claim.ts';
import { isProcessAlive } from './network/ip-command.ts';
import { unmountUnder } from './real-node/host-state.ts';

const ownerFile = 'owner.pid';

export function writeOwner(dir: string): void {
  writeFileSync(join(dir, ownerFile), String(process.pid));
}

export function sweepStaleHarnessDirs(parent: string): void {
  // Processes first (a real node's containers use mounts inside the folders).
  sweepStaleClaims();
  for (const entry of readdirSync(parent)) {
    if (!entry.startsWith('ganymede-cluster-') || entry === 'ganymede-cluster-net') continue;
    const dir = join(parent, entry);
    let owner: number;
    try {
      owner = Number(readFileSync(join(dir, ownerFile), 'utf8'));
    } catch {
      continue;
    }
    if (owner > 0 && !isProcessAlive(owner)) {
      // A real node's mounts (volumes, container root filesystems) first: rm must not walk
      // into them.
      unmountUnder(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
