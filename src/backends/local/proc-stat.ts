/**
 * Parses Linux `/proc/<pid>/stat` (proc(5)). Pure. The command name (field 2) is wrapped in
 * parentheses and may itself contain spaces and `)`, so fields are counted from the last `)`.
 */
export interface ProcStat {
  readonly pid: number;
  /** R, S, D, Z (zombie), X (dead), T, … */
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  readonly session: number;
  /** Clock ticks after boot at which the process started (field 22). */
  readonly startTime: string;
}

export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // Fields 3.. follow ") ": state is field 3, so field n sits at index n - 3.
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const [state, ppid, pgrp, session] = fields;
  const startTime = fields[22 - 3];
  if (state === undefined || startTime === undefined || !Number.isInteger(pid)) return undefined;
  const numbers = [Number(ppid), Number(pgrp), Number(session)];
  if (!numbers.every(Number.isInteger) || !/^\d+$/.test(startTime)) return undefined;
  const [p, g, s] = numbers as [number, number, number];
  return { pid, state, ppid: p, pgrp: g, session: s, startTime };
}

/** A zombie has exited and only waits for its parent to collect it: it is gone for us. */
export function isGone(stat: ProcStat | undefined): boolean {
  return stat === undefined || stat.state === 'Z' || stat.state === 'X';
}

/** Identity of a process across pid reuse: the same pid never starts twice in one boot. */
export function identityOf(bootId: string, stat: ProcStat): string {
  return `${bootId}:${stat.startTime}`;
}

/** Every pid below `root` in the parent tree described by `stats` (not `root` itself). */
export function descendantsOf(root: number, stats: readonly ProcStat[]): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) {
    const list = children.get(stat.ppid) ?? [];
    list.push(stat);
    children.set(stat.ppid, list);
  }
  const found: ProcStat[] = [];
  const queue = [root];
  const seen = new Set<number>([root]);
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const child of children.get(next) ?? []) {
      if (seen.has(child.pid)) continue;
      seen.add(child.pid);
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}
