import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The real `jupyter` for integration tests: $GANYMEDE_JUPYTER, else scripts/ensure-jupyter.sh. */
export function jupyterCommand(): string {
  const fromEnv = process.env['GANYMEDE_JUPYTER'];
  if (fromEnv) return fromEnv;
  const script = fileURLToPath(new URL('../../scripts/ensure-jupyter.sh', import.meta.url));
  return execFileSync('bash', [script], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}
