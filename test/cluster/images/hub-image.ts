/**
 * The image rule for the hub image (`ghcr.io/ganymede/hub:*`, deploy/docker/Dockerfile):
 * `node hub-entry.ts` plays its entrypoint with the container's args, as user 10001 (the
 * image's USER). Pass it to startCluster next to defaultImageRules().
 */
import { fileURLToPath } from 'node:url';
import type { ImageRule } from '../node-agent/images.ts';

export const hubEntryScript = fileURLToPath(new URL('./hub-entry.ts', import.meta.url));
export const HUB_IMAGE_UID = 10001;

export function hubImageRule(input: {
  /** A file holding `https://<address>:<port>` of the API server as pods reach it. */
  readonly apiServerFile: string;
}): ImageRule {
  const entry = [process.execPath, hubEntryScript];
  return {
    pattern: 'ghcr.io/ganymede/hub*',
    commands: { node: process.execPath, ganymede: entry },
    defaultCommand: entry,
    env: {
      NODE_ENV: 'production',
      GANYMEDE_TEST_SA_DIR: '/var/run/secrets/kubernetes.io/serviceaccount',
      GANYMEDE_TEST_APISERVER_FILE: input.apiServerFile,
      HOME: '/home/ganymede',
    },
    user: { uid: HUB_IMAGE_UID, gid: HUB_IMAGE_UID },
  };
}
