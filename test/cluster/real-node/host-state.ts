/**
 * What a real node leaves on the host besides its processes, and how the harness removes it,
 * also after a crash (../../../shared/docs/REAL-NODE.md §6-7): mounts under the cluster's
 * folder (the kubelet's root-dir bind mount, volumes, container root filesystems), shims that
 * outlive containerd (they start their own session), and pod network namespaces under
 * /run/netns that CNI DEL never removed. Synchronous, so exit hooks can use it.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Lazily unmounts every mount at or below `dir`, deepest first. */
export function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    // mountinfo escapes space, tab, newline and backslash as octal.
    .map((p) => p.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const mount of mounts) {
    try {
      execFileSync('umount', ['-l', mount], { stdio: 'ignore' });
    } catch {
      // Already gone (a parent's lazy unmount took it along).
    }
  }
}

/** Every other process whose command line mentions `marker` (a cluster's folder or socket). */
export function processesMentioning(marker: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(join('/proc', entry, 'cmdline'), 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(marker)) found.push({ pid: Number(entry), cmdline });
    } catch {
      // Exited while we read.
    }
  }
  return found;
}

/** SIGKILLs every process whose command line mentions `marker` (our containerd's socket). */
export function killProcessesMentioning(marker: string): number {
  let killed = 0;
  for (const { pid } of processesMentioning(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
      killed++;
    } catch {
      // Exited meanwhile.
    }
  }
  return killed;
}

/** Deletes the /run/netns entries (CNI's `cni-…`) whose interfaces hold an address in `prefix`. */
export function deletePodNamespaces(addressPrefix: string): void {
  let names: string[];
  try {
    names = readdirSync('/run/netns').filter((n) => n.startsWith('cni-'));
  } catch {
    return;
  }
  for (const name of names) {
    let addrs: string;
    try {
      addrs = execFileSync('ip', ['-n', name, '-4', '-o', 'addr', 'show'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch {
      continue;
    }
    if (!addrs.includes(`inet ${addressPrefix}`)) continue;
    try {
      execFileSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
    } catch {
      // Removed by someone else meanwhile.
    }
  }
}

/**
 * containerd 2 puts shim sockets in /run/containerd/s whatever its `state` says; a killed
 * shim leaves its socket behind. Removes the ones no process listens on, then the folders if
 * they are empty (another containerd on the host keeps its own).
 */
export function removeStaleShimSockets(): void {
  const dir = '/run/containerd/s';
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  const listening = new Set(
    readFileSync('/proc/net/unix', 'utf8')
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[7] ?? ''),
  );
  for (const entry of entries) {
    const path = join(dir, entry);
    if (listening.has(path)) continue;
    try {
      unlinkSync(path);
    } catch {
      // Gone meanwhile.
    }
  }
  for (const folder of [dir, '/run/containerd']) {
    try {
      rmdirSync(folder);
    } catch {
      // Not empty: in use by someone else.
    }
  }
}
