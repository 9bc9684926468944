/**
 * The notebook spec's pod options (src/notebook-spec/pod-options.ts) as PodSpec fields. The
 * spec uses the PodSpec's own names and shapes for placement, so most of this is copying;
 * the volumes are where Ganymede adds something: each extra volume is one volume plus its
 * mount, and `shmSize` is a memory-backed emptyDir on /dev/shm.
 */
import type * as k8s from '@kubernetes/client-node';
import type { NotebookSpec } from '../../notebook-spec/schema.ts';
import type { Plain } from '../plain.ts';

type PodSpec = Plain<k8s.V1PodSpec>;
type Volume = Plain<k8s.V1Volume>;
type VolumeMount = Plain<k8s.V1VolumeMount>;

/**
 * A copy of a parsed spec field typed as its PodSpec field. zod's output types say
 * `key?: T | undefined`, but parsed data never holds an explicit undefined (absent keys stay
 * absent), which is all the PodSpec types (under exactOptionalPropertyTypes) ask; the shapes
 * are otherwise the PodSpec's own (src/notebook-spec/pod-options.ts).
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the point is the cast
function copyAs<T>(value: unknown): T {
  return structuredClone(value) as T;
}

/** Where the pod may run and how its image is pulled; only the fields the spec sets. */
export function podPlacement(
  spec: NotebookSpec,
): Pick<
  PodSpec,
  'nodeSelector' | 'tolerations' | 'affinity' | 'priorityClassName' | 'imagePullSecrets'
> {
  return {
    ...(spec.nodeSelector === undefined ? {} : { nodeSelector: { ...spec.nodeSelector } }),
    ...(spec.tolerations === undefined
      ? {}
      : { tolerations: copyAs<NonNullable<PodSpec['tolerations']>>(spec.tolerations) }),
    ...(spec.affinity === undefined
      ? {}
      : { affinity: copyAs<NonNullable<PodSpec['affinity']>>(spec.affinity) }),
    ...(spec.priorityClassName === undefined ? {} : { priorityClassName: spec.priorityClassName }),
    ...(spec.imagePullSecrets === undefined
      ? {}
      : { imagePullSecrets: spec.imagePullSecrets.map((name) => ({ name })) }),
  };
}

export const SHM_VOLUME = 'dshm';
export const SHM_PATH = '/dev/shm';

/** Volumes and mounts besides the home volume, in the spec's order. */
export function extraVolumes(spec: NotebookSpec): { volumes: Volume[]; mounts: VolumeMount[] } {
  const volumes: Volume[] = [];
  const mounts: VolumeMount[] = [];
  if (spec.shmSize !== undefined) {
    // A memory-backed emptyDir: what `docker run --shm-size` gives, and counted against the
    // pod's memory limit by the kubelet, so it cannot take more than the notebook may use.
    volumes.push({ name: SHM_VOLUME, emptyDir: { medium: 'Memory', sizeLimit: spec.shmSize } });
    mounts.push({ name: SHM_VOLUME, mountPath: SHM_PATH });
  }
  for (const v of spec.extraVolumes ?? []) {
    const source: Omit<Volume, 'name'> =
      v.persistentVolumeClaim !== undefined
        ? {
            persistentVolumeClaim: {
              claimName: v.persistentVolumeClaim.claimName,
              ...(v.readOnly ? { readOnly: true } : {}),
            },
          }
        : v.configMap !== undefined
          ? { configMap: { name: v.configMap.name } }
          : { secret: { secretName: v.secret?.secretName ?? '' } };
    volumes.push({ name: v.name, ...source });
    mounts.push({
      name: v.name,
      mountPath: v.mountPath,
      ...(v.readOnly ? { readOnly: true } : {}),
      ...(v.subPath === undefined ? {} : { subPath: v.subPath }),
    });
  }
  return { volumes, mounts };
}
