/**
 * The Python that runs client code written for JupyterHub (its HubAuth, jupyterhub-idle-culler,
 * `requests` and `websocket-client` scripts) against our hub: a venv made on first use from
 * requirements-hub-client.txt, so the clients are the real PyPI releases.
 */
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export function hubClientPython(): string {
  return execFileSync('bash', [fileURLToPath(new URL('ensure-hub-client.sh', import.meta.url))], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

const execFileAsync = promisify(execFile);

/** Runs `python <args>` and returns its output; a non-zero exit rejects with both streams. */
export async function runPython(
  python: string,
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(python, [...args], {
      env: { ...process.env, PYTHONUNBUFFERED: '1', ...env },
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${e.message}\n--- stdout\n${e.stdout ?? ''}\n--- stderr\n${e.stderr ?? ''}`, {
      cause: error,
    });
  }
}
