/** Runs iproute2's `ip` (Debian package iproute2), which the pod network is built with. */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export async function ip(...args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('ip', args, { encoding: 'utf8' });
    return stdout;
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr ?? '';
    throw new Error(`ip ${args.join(' ')} failed: ${stderr.trim() || String(e)}`, { cause: e });
  }
}

/** For exit hooks, which cannot await. Errors are ignored: cleanup is best effort there. */
export function ipNow(...args: string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
