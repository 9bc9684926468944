/**
 * The kubelet's cgroupRoot in every cgroup hierarchy of this (v1 hybrid) host. It must exist
 * before the kubelet starts (it checks every hierarchy: "cgroup [...] has some missing
 * paths"), cpuset needs its cpus/mems copied from the parent, and on stop everything under it
 * is killed and removed depth-first, so no process or cgroup of a test outlives the cluster.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const cgroupMount = '/sys/fs/cgroup';

/** The hierarchy folders (symlinks such as cpu → cpu,cpuacct are skipped). */
function hierarchies(): string[] {
  return readdirSync(cgroupMount)
    .map((name) => join(cgroupMount, name))
    .filter((path) => !lstatSync(path).isSymbolicLink() && lstatSync(path).isDirectory());
}

export async function createCgroupRoot(root: string): Promise<void> {
  for (const h of hierarchies()) {
    const path = join(h, root);
    await mkdir(path, { recursive: true });
    if (h.endsWith('/cpuset')) {
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        const parent = (await readFile(join(h, file), 'utf8')).trim();
        await writeFile(join(path, file), parent);
      }
    }
  }
}

/** Kills every process under `root` and removes its cgroups, deepest first. Synchronous. */
export function removeCgroupRoot(root: string): void {
  for (const h of hierarchies()) {
    const path = join(h, root);
    if (!existsSync(path)) continue;
    for (let attempt = 0; attempt < 20; attempt++) {
      if (removeTree(path)) break;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
}

/** One pass: SIGKILL what runs, rmdir what is empty. True once the tree is gone. */
function removeTree(path: string): boolean {
  if (!existsSync(path)) return true;
  let gone = true;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isDirectory()) gone = removeTree(join(path, entry.name)) && gone;
  }
  try {
    for (const pid of readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n')) {
      if (pid) process.kill(Number(pid), 'SIGKILL');
    }
  } catch {
    // The process or the cgroup is already gone.
  }
  try {
    rmdirSync(path);
    return gone;
  } catch {
    return false;
  }
}

/** For a test: which hierarchies still have `root`. */
export function remainingCgroups(root: string): string[] {
  return hierarchies()
    .map((h) => join(h, root))
    .filter((p) => existsSync(p));
}
