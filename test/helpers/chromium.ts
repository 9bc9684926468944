/**
 * Launches Debian's Chromium through playwright-core (never a downloaded browser). The flags
 * keep it from calling home on this machine's closed network.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

export function chromiumPath(): string {
  const fromEnv = process.env['GANYMEDE_CHROMIUM'];
  if (fromEnv) return fromEnv;
  const script = fileURLToPath(new URL('../../scripts/ensure-browser.sh', import.meta.url));
  return execFileSync('bash', [script], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export const artifactsDir = fileURLToPath(new URL('../../artifacts/', import.meta.url));
