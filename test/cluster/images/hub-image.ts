/**
 * The image rule for the hub image (`ghcr.io/ganymede/hub:*`, deploy/docker/Dockerfile):
 * `node hub-entry.ts` plays its entrypoint with the container's args, as user 10001 (the
 * image's USER). Pass `rule` to startCluster next to defaultImageRules(), then, once the
 * cluster runs, `setApiServer` with the address pods reach the API server at; containers
 * started from then on get it (the agent reads the rule's env at each container start).
 */
import { fileURLToPath } from 'node:url';
import type { ImageRule } from '../node-agent/images.ts';

export const hubEntryScript = fileURLToPath(new URL('./hub-entry.ts', import.meta.url));
export const HUB_IMAGE_UID = 10001;

export interface HubImage {
  readonly rule: ImageRule;
  setApiServer(url: string): void;
}

export function hubImage(): HubImage {
  const entry = [process.execPath, hubEntryScript];
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    GANYMEDE_TEST_SA_DIR: '/var/run/secrets/kubernetes.io/serviceaccount',
    HOME: '/home/ganymede',
  };
  return {
    rule: {
      pattern: 'ghcr.io/ganymede/hub*',
      commands: { node: process.execPath, ganymede: entry },
      defaultCommand: entry,
      env,
      user: { uid: HUB_IMAGE_UID, gid: HUB_IMAGE_UID },
    },
    setApiServer(url) {
      // A URL, not a path: the agent rewrites absolute paths under mounts (/tmp is one).
      env['GANYMEDE_TEST_APISERVER'] = url;
    },
  };
}
