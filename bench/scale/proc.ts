/**
 * What a process costs, from /proc (proc(5)): resident memory (`VmRSS` in /proc/<pid>/status)
 * and CPU time (utime + stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks of
 * 1/100 s on Linux). Also: a process's children by command line (JupyterHub's proxy).
 */
import { readdirSync, readFileSync } from 'node:fs';

const ticksPerSecond = 100;

/** VmRSS in MiB, or NaN when the process is gone. */
export function rssMiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'));
    return m?.[1] === undefined ? Number.NaN : Number(m[1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** utime + stime of one process (not its children), in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  // comm (field 2) may hold spaces and parentheses: split after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

export interface ProcEntry {
  readonly pid: number;
  readonly ppid: number;
  readonly cmdline: string;
}

export function listProcesses(): ProcEntry[] {
  const out: ProcEntry[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      out.push({ pid: Number(entry), ppid, cmdline });
    } catch {
      // Exited while we read.
    }
  }
  return out;
}

/** The first child of `pid` whose command line contains `needle`. */
export function findChild(pid: number, needle: string): ProcEntry | undefined {
  return listProcesses().find((p) => p.ppid === pid && p.cmdline.includes(needle));
}
