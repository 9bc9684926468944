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

/** CPU seconds of `rootPid` and all its live descendants. */
export function treeCpuSeconds(rootPid: number): number {
  const procs = readProcs();
  const children = new Map<number, ProcInfo[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  let total = 0;
  const stack = procs.filter((p) => p.pid === rootPid);
  for (let p = stack.pop(); p !== undefined; p = stack.pop()) {
    total += p.cpuSeconds;
    stack.push(...(children.get(p.pid) ?? []));
  }
  return total;
}

/** CPU seconds and count of the live processes whose command line contains any `needles`. */
export function matchingCpuSeconds(needles: readonly string[]): { seconds: number; count: number } {
  const matching = readProcs().filter((p) => needles.some((n) => p.cmdline.includes(n)));
  return { seconds: matching.reduce((sum, p) => sum + p.cpuSeconds, 0), count: matching.length };
}
