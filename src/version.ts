/** Ganymede's version: package.json's, the one place it is written (the chart's appVersion
 * is checked equal to it by a test). */
import { readFileSync } from 'node:fs';

const packageJson = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };

export const GANYMEDE_VERSION = packageJson.version;
