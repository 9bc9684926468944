/**
 * How the hub turns one of its profiles (src/config/schema.ts) into a notebook spec: the
 * field names are the same, so this is a re-arrangement, not a translation.
 */
import type { Profile } from '../config/schema.ts';
import { podOptionKeys, type PodOptionsInput } from './pod-options.ts';
import type { NotebookSpecInput } from './schema.ts';

export function specFromProfile(
  profile: Profile,
  options: { readonly baseUrl: string; readonly stopped?: boolean },
): NotebookSpecInput {
  const podOptions = Object.fromEntries(
    podOptionKeys.filter((k) => profile[k] !== undefined).map((k) => [k, profile[k]]),
  ) as PodOptionsInput;
  return {
    image: profile.image,
    resources: {
      ...(profile.cpu === undefined ? {} : { cpu: profile.cpu }),
      ...(profile.cpuLimit === undefined ? {} : { cpuLimit: profile.cpuLimit }),
      ...(profile.memory === undefined ? {} : { memory: profile.memory }),
      ...(profile.memoryLimit === undefined ? {} : { memoryLimit: profile.memoryLimit }),
      gpu: profile.gpu,
      ...(profile.gpuResource === undefined ? {} : { gpuResource: profile.gpuResource }),
    },
    ...podOptions,
    idleTimeoutMinutes: profile.idleTimeoutMinutes,
    baseUrl: options.baseUrl,
    stopped: options.stopped ?? false,
  };
}
