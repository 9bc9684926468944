/** Shared set-up for the local backend's integration tests. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Profile } from '../../../src/config/schema.ts';

const root = join(import.meta.dirname, '..', '..', '..');
export const fakeJupyter = join(import.meta.dirname, 'fixtures', 'fake-jupyter.ts');

/** The real `jupyter` command: $GANYMEDE_JUPYTER, else scripts/ensure-jupyter.sh (fails loudly). */
export function jupyterCommand(): string {
  const fromEnv = process.env['GANYMEDE_JUPYTER'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return execFileSync(join(root, 'scripts', 'ensure-jupyter.sh'), { encoding: 'utf8' }).trim();
}

export function profile(command?: string[]): Profile {
  return {
    name: 'test',
    displayName: 'Test',
    description: '',
    image: 'unused',
    gpu: 0,
    idleTimeoutMinutes: 60,
    default: true,
    ...(command === undefined ? {} : { command }),
  };
}

/** A profile whose command is the fake Jupyter with the given flags. */
export function fakeProfile(...flags: string[]): Profile {
  return profile([process.execPath, fakeJupyter, ...flags]);
}

export function tempDataDir(): { dir: string; remove: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'ganymede-local-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Alive and not a zombie (/proc, proc(5)). */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Pids whose command line mentions `needle` (to count a data directory's servers). */
export function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const name of execFileSync('ls', ['/proc'], { encoding: 'utf8' }).split('\n')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmdline.includes(needle) && pidAlive(Number(name))) pids.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Child pids of `pid` (kernels of a Jupyter server). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of execFileSync('ls', ['/proc'], { encoding: 'utf8' }).split('\n')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/**
 * Waits for a condition that an external process brings about (a process dying after
 * SIGKILL, a file appearing), with a hard limit so a broken build fails instead of hanging.
 */
export async function eventually(
  what: string,
  condition: () => boolean | Promise<boolean>,
  limitMs = 15_000,
): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await delay(20);
  }
}

/** Kills every process left under `dataDir` (their command lines mention it). */
export function killEverythingUnder(dataDir: string, extraPids: readonly number[] = []): void {
  for (const pid of [...pidsMentioning(dataDir), ...extraPids]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export function readRecord(file: string): { pid: number; grandchild: number | undefined }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const [pid, grandchild] = line.split(' ');
      return { pid: Number(pid), grandchild: grandchild === '-' ? undefined : Number(grandchild) };
    });
}
