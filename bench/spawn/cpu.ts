/**
 * CPU time of live processes, from /proc/<pid>/stat (utime + stime, fields 14 and 15, in
 * clock ticks: proc(5)). Where the CPU went during a measurement: the hub (with its children,
 * e.g. configurable-http-proxy), the control plane, the notebook servers.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** sysconf(_SC_CLK_TCK); 100 on Linux on every architecture Node supports. */
const ticksPerSecond = 100;

interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly cpuSeconds: number;
  readonly cmdline: string;
}

function readProcs(): ProcInfo[] {
  const procs: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // comm (field 2) may hold spaces and parentheses: split after its closing one.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      procs.push({
        pid: Number(entry),
        ppid: Number(fields[1]),
        cpuSeconds: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond,
        cmdline,
      });
    } catch {
      // Exited while we read.
    }
  }
  return procs;
}

/** `rootPid` and all its live descendants. */
function tree(rootPid: number): ProcInfo[] {
  const procs = readProcs();
  const children = new Map<number, ProcInfo[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: ProcInfo[] = [];
  const stack = procs.filter((p) => p.pid === rootPid);
  for (let p = stack.pop(); p !== undefined; p = stack.pop()) {
    out.push(p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

/** CPU seconds of `rootPid` and all its live descendants. */
export function treeCpuSeconds(rootPid: number): number {
  return tree(rootPid).reduce((sum, p) => sum + p.cpuSeconds, 0);
}

/**
 * CPU seconds and count of the live descendants of `rootPid` whose command line contains any
 * of `needles` (descendants only: other people's clusters run the same programs).
 */
export function matchingCpuSeconds(
  rootPid: number,
  needles: readonly string[],
): { seconds: number; count: number } {
  const matching = tree(rootPid).filter((p) => needles.some((n) => p.cmdline.includes(n)));
  return { seconds: matching.reduce((sum, p) => sum + p.cpuSeconds, 0), count: matching.length };
}

/**
 * On a real node, containers are children of containerd's shims, not of this process: their
 * CPU is the cgroup's. Seconds used by everything under the kubelet's cgroup root (the pods;
 * cluster DNS is idle), and the count of live processes there whose command line contains any
 * of `needles`.
 */
export function cgroupCpuSeconds(
  cgroupRoot: string,
  needles: readonly string[],
): { seconds: number; count: number } {
  const usage = Number(readFileSync(`/sys/fs/cgroup/cpuacct${cgroupRoot}/cpuacct.usage`, 'utf8'));
  const count = readProcs().filter((p) => {
    if (!needles.some((n) => p.cmdline.includes(n))) return false;
    try {
      return readFileSync(`/proc/${String(p.pid)}/cgroup`, 'utf8').includes(`${cgroupRoot}/`);
    } catch {
      return false;
    }
  }).length;
  return { seconds: usage / 1e9, count };
}
