/**
 * How the hub turns one of its profiles (src/config/schema.ts) into a notebook spec: the
 * field names are the same, so this is a re-arrangement, not a translation.
 */
import type { Profile } from '../config/schema.ts';
import type { NotebookSpecInput } from './schema.ts';

export function specFromProfile(
  profile: Profile,
  options: { readonly baseUrl: string; readonly stopped?: boolean },
): NotebookSpecInput {
  return {
    image: profile.image,
    resources: {
      ...(profile.cpu === undefined ? {} : { cpu: profile.cpu }),
      ...(profile.memory === undefined ? {} : { memory: profile.memory }),
      gpu: profile.gpu,
    },
    idleTimeoutMinutes: profile.idleTimeoutMinutes,
    baseUrl: options.baseUrl,
    stopped: options.stopped ?? false,
  };
}
