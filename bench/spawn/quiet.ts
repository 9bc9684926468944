/**
 * Waits for the machine to go quiet before a measurement. The previous measurement's
 * teardown (fifty processes killed, network namespaces and volumes removed: the kernel
 * frees a network namespace in the background, after its processes are gone) keeps the CPUs
 * busy for a while after the namespace is deleted, and whichever system is measured next
 * would pay for it. The 1-minute load average lags too much to tell; /proc/stat does not.
 */
import { readFileSync } from 'node:fs';

export interface CpuTimes {
  readonly idle: number;
  readonly total: number;
}

/** The aggregate `cpu` line of /proc/stat (proc(5)): idle = idle + iowait. */
export function parseProcStat(text: string): CpuTimes {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) throw new Error('/proc/stat has no cpu line');
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
    fields;
  return {
    idle: idle + iowait,
    total: user + nice + system + idle + iowait + irq + softirq + steal,
  };
}

export function idleFraction(before: CpuTimes, after: CpuTimes): number {
  const total = after.total - before.total;
  return total <= 0 ? 1 : (after.idle - before.idle) / total;
}

/**
 * Resolves when the CPUs were at least `idle` (fraction) idle over `windowMs`, or after
 * `maxMs`; says how long it waited and how idle the last window was.
 */
export async function waitForQuiet(
  options: { idle?: number; windowMs?: number; maxMs?: number } = {},
): Promise<{ waitedMs: number; idle: number }> {
  const want = options.idle ?? 0.85;
  const windowMs = options.windowMs ?? 3000;
  const maxMs = options.maxMs ?? 180_000;
  const t0 = performance.now();
  for (;;) {
    const before = parseProcStat(readFileSync('/proc/stat', 'utf8'));
    await new Promise((r) => setTimeout(r, windowMs));
    const idle = idleFraction(before, parseProcStat(readFileSync('/proc/stat', 'utf8')));
    const waitedMs = performance.now() - t0;
    if (idle >= want || waitedMs >= maxMs) return { waitedMs, idle };
  }
}
