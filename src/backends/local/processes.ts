/**
 * Checking and stopping a notebook server's processes, safely across pid reuse.
 *
 * A server runs as the leader of its own process group (spawned with `detached: true`, i.e.
 * setsid(2)), so one signal to `-pid` reaches Jupyter and whatever it runs in the group.
 * Jupyter starts kernels in sessions of their own (jupyter_client's launcher uses
 * `start_new_session`), so they are not in the group: we note the whole process tree before
 * signalling and kill what is left of it after the grace period.
 *
 * Pids are reused, and a state file can outlive a reboot, so a bare pid is never trusted: we
 * compare the boot id and kernel start time (Linux /proc, proc(5)) recorded at spawn time.
 * Signalling `-pid` is safe once the leader is known to be ours or gone: Linux keeps a pid
 * number allocated while any process still uses it as a process-group id (kernel/pid.c,
 * `__change_pid` frees it only when no task refers to it), so the group cannot be a stranger's.
 * Without /proc (macOS) we fall back to `kill(pid, 0)` and trust the pid.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { descendantsOf, identityOf, isGone, parseProcStat, type ProcStat } from './proc-stat.ts';

export interface ServerProcess {
  readonly pid: number;
  /** From `processIdentity` at spawn time; undefined where /proc is missing. */
  readonly identity?: string | undefined;
}

export interface TerminateOptions {
  readonly graceMs: number;
  readonly pollMs?: number;
  /** Upper bound for the wait after SIGKILL (the kernel still has to tear processes down). */
  readonly killWaitMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export type TerminateResult = 'already-gone' | 'terminated' | 'killed' | 'not-ours';

const hasProc = existsSync('/proc/self/stat');
let cachedBootId: string | undefined;

async function bootId(): Promise<string> {
  cachedBootId ??= (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
  return cachedBootId;
}

async function readStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

async function readAllStats(): Promise<ProcStat[]> {
  const entries = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const stats = await Promise.all(entries.map((name) => readStat(Number(name))));
  return stats.filter((s): s is ProcStat => s !== undefined);
}

/** The identity to record for a process we just started (undefined without /proc). */
export async function processIdentity(pid: number): Promise<string | undefined> {
  if (!hasProc) return undefined;
  const stat = await readStat(pid);
  return stat === undefined ? undefined : identityOf(await bootId(), stat);
}

function signalExists(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function matches(target: ServerProcess, stat: ProcStat): Promise<boolean> {
  return target.identity === undefined || target.identity === identityOf(await bootId(), stat);
}

/** True while the process runs and is the one we started (not a zombie, not a reused pid). */
export async function isProcessAlive(target: ServerProcess): Promise<boolean> {
  if (!hasProc) return signalExists(target.pid);
  const stat = await readStat(target.pid);
  return !isGone(stat) && stat !== undefined && (await matches(target, stat));
}

function sendSignal(target: number, signal: NodeJS.Signals): void {
  try {
    process.kill(target, signal);
  } catch (e) {
    // ESRCH: already gone, which is what we want.
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

interface Snapshot {
  leaderOurs: boolean;
  /** Processes of the tree outside the group (kernels), with their identities. */
  outside: { pid: number; identity: string }[];
}

async function snapshot(leader: ServerProcess): Promise<Snapshot> {
  if (!hasProc) return { leaderOurs: true, outside: [] };
  const stats = await readAllStats();
  const boot = await bootId();
  const leaderStat = stats.find((s) => s.pid === leader.pid);
  // A leader that is gone leaves a group number nobody else can hold (see the header).
  const leaderOurs = leaderStat === undefined || (await matches(leader, leaderStat));
  const outside = leaderOurs
    ? descendantsOf(leader.pid, stats)
        .filter((s) => s.pgrp !== leader.pid && !isGone(s))
        .map((s) => ({ pid: s.pid, identity: identityOf(boot, s) }))
    : [];
  return { leaderOurs, outside };
}

async function allGone(leader: ServerProcess, outside: Snapshot['outside']): Promise<boolean> {
  if (!hasProc) return !signalExists(-leader.pid);
  const stats = await readAllStats();
  const boot = await bootId();
  return !stats.some(
    (s) =>
      !isGone(s) &&
      (s.pid === leader.pid ||
        s.pgrp === leader.pid ||
        outside.some((o) => o.pid === s.pid && o.identity === identityOf(boot, s))),
  );
}

/**
 * SIGTERM to the group, up to `graceMs` for it (and the kernels) to exit, then SIGKILL to
 * whatever is left. Resolves once everything is gone (or `killWaitMs` after SIGKILL).
 */
export async function terminateServerProcess(
  leader: ServerProcess,
  options: TerminateOptions,
): Promise<TerminateResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const pollMs = options.pollMs ?? 50;
  const { leaderOurs, outside } = await snapshot(leader);
  if (!leaderOurs) return 'not-ours';
  if (await allGone(leader, outside)) return 'already-gone';

  sendSignal(-leader.pid, 'SIGTERM');
  const graceEnd = now() + options.graceMs;
  while (now() < graceEnd) {
    if (await allGone(leader, outside)) return 'terminated';
    await sleep(Math.min(pollMs, Math.max(0, graceEnd - now())));
  }
  if (await allGone(leader, outside)) return 'terminated';

  sendSignal(-leader.pid, 'SIGKILL');
  if (hasProc) {
    const boot = await bootId();
    for (const o of outside) {
      const stat = await readStat(o.pid);
      if (stat !== undefined && !isGone(stat) && identityOf(boot, stat) === o.identity) {
        sendSignal(o.pid, 'SIGKILL');
      }
    }
  }
  const killEnd = now() + (options.killWaitMs ?? 5000);
  while (now() < killEnd && !(await allGone(leader, outside))) await sleep(pollMs);
  return 'killed';
}
