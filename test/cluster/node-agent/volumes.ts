/**
 * A pod's volumes as host folders: emptyDir under the pod's folder, a PVC as its PV's host
 * path, Secret / ConfigMap / downward API / projected (service-account token) as files, and
 * hostPath as itself. fsGroup is applied the way the kubelet applies it to volumes that
 * support ownership management: group-owned, group-writable, setgid directories.
 * https://kubernetes.io/docs/concepts/storage/volumes/
 * https://kubernetes.io/docs/tasks/configure-pod-container/security-context/#configure-volume-permission-and-ownership-change-policy-for-pods
 * As the kubelet does, fsGroup is applied to `local` PVs (what the harness's provisioner,
 * storage/local-provisioner.ts, makes: they stand in for cloud block volumes) and not to
 * hostPath PVs, which keep their owner and mode: a non-root pod cannot write to a 0750
 * root-owned hostPath folder here either. Difference from a kubelet: readOnly is not enforced
 * (no mount namespace).
 */
import { chmod, chown, lstat, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type {
  V1DownwardAPIVolumeFile,
  V1KeyToPath,
  V1Pod,
  V1Volume,
} from '@kubernetes/client-node';
import { fieldRefValue, resourceFieldValue, type EnvSources, type PodRuntimeFacts } from './env.ts';

export class VolumeError extends Error {
  override readonly name = 'VolumeError';
}

export interface VolumeSources extends EnvSources {
  persistentVolumeClaim(name: string): Promise<{ phase?: string; volumeName?: string } | undefined>;
  /** The folder of a `local` or `hostPath` PV (the kinds this node can use). */
  persistentVolumePath(
    name: string,
  ): Promise<{ path: string; kind: 'local' | 'hostPath' } | undefined>;
  serviceAccountToken(
    serviceAccount: string,
    audience: string | undefined,
    expirationSeconds: number,
  ): Promise<string>;
}

/** The hostpath provisioner's parent folder (kube-controller-manager, host_path plugin). */
const hostPathProvisionerRoot = '/tmp/hostpath_pv';

export async function prepareVolumes(
  pod: V1Pod,
  podDir: string,
  sources: VolumeSources,
  facts: PodRuntimeFacts,
): Promise<Map<string, string>> {
  const folders = new Map<string, string>();
  const fsGroup = pod.spec?.securityContext?.fsGroup;
  for (const volume of pod.spec?.volumes ?? []) {
    folders.set(volume.name, await prepareVolume(pod, volume, podDir, sources, facts, fsGroup));
  }
  return folders;
}

async function prepareVolume(
  pod: V1Pod,
  volume: V1Volume,
  podDir: string,
  sources: VolumeSources,
  facts: PodRuntimeFacts,
  fsGroup: number | undefined,
): Promise<string> {
  const own = join(podDir, 'volumes', volume.name);
  if (volume.emptyDir) {
    await mkdir(own, { recursive: true });
    await chmod(own, 0o777);
    if (fsGroup !== undefined) await applyFsGroup(own, fsGroup);
    return own;
  }
  if (volume.hostPath) {
    const type = volume.hostPath.type ?? '';
    if (type === 'DirectoryOrCreate') await mkdir(volume.hostPath.path, { recursive: true });
    return volume.hostPath.path;
  }
  if (volume.persistentVolumeClaim) {
    const claimName = volume.persistentVolumeClaim.claimName;
    const claim = await sources.persistentVolumeClaim(claimName);
    if (!claim) throw new VolumeError(`persistentvolumeclaim "${claimName}" not found`);
    if (claim.phase !== 'Bound' || !claim.volumeName) {
      throw new VolumeError(`persistentvolumeclaim "${claimName}" is not bound`);
    }
    const pv = await sources.persistentVolumePath(claim.volumeName);
    if (!pv) {
      throw new VolumeError(
        `persistentvolume "${claim.volumeName}" has no hostPath or local path this node can use`,
      );
    }
    const { path } = pv;
    if (pv.kind === 'local') {
      // A kubelet refuses a local PV whose path does not exist; ours are made by the provisioner.
      await stat(path).catch(() => {
        throw new VolumeError(`local persistentvolume path ${path} does not exist`);
      });
    } else {
      await mkdir(path, { recursive: true });
    }
    if (resolve(dirname(path)) === hostPathProvisionerRoot) {
      // A kubelet would bind-mount the folder; a process has to traverse its parent instead.
      await chmod(hostPathProvisionerRoot, 0o711);
    }
    // The kubelet manages ownership of local volumes, not of hostPath ones.
    if (fsGroup !== undefined && pv.kind === 'local') await applyFsGroup(path, fsGroup);
    return path;
  }
  const files: { path: string; content: string | Buffer; mode?: number | undefined }[] = [];
  const defaultMode = 0o644;
  if (volume.secret) {
    const data = await sources.secret(volume.secret.secretName ?? '');
    if (!data && !volume.secret.optional) {
      throw new VolumeError(`secret "${volume.secret.secretName ?? ''}" not found`);
    }
    files.push(
      ...keyFiles(data ?? {}, volume.secret.items, volume.secret.defaultMode ?? defaultMode),
    );
  } else if (volume.configMap) {
    const data = await sources.configMap(volume.configMap.name ?? '');
    if (!data && !volume.configMap.optional) {
      throw new VolumeError(`configmap "${volume.configMap.name ?? ''}" not found`);
    }
    files.push(
      ...keyFiles(data ?? {}, volume.configMap.items, volume.configMap.defaultMode ?? defaultMode),
    );
  } else if (volume.downwardAPI) {
    files.push(
      ...downwardFiles(
        pod,
        volume.downwardAPI.items,
        facts,
        volume.downwardAPI.defaultMode ?? defaultMode,
      ),
    );
  } else if (volume.projected) {
    const mode = volume.projected.defaultMode ?? defaultMode;
    for (const source of volume.projected.sources ?? []) {
      if (source.serviceAccountToken) {
        const token = await sources.serviceAccountToken(
          pod.spec?.serviceAccountName ?? 'default',
          source.serviceAccountToken.audience,
          source.serviceAccountToken.expirationSeconds ?? 3607,
        );
        files.push({ path: source.serviceAccountToken.path, content: token, mode });
      } else if (source.configMap) {
        const data = await sources.configMap(source.configMap.name ?? '');
        if (!data && !source.configMap.optional) {
          throw new VolumeError(`configmap "${source.configMap.name ?? ''}" not found`);
        }
        files.push(...keyFiles(data ?? {}, source.configMap.items, mode));
      } else if (source.secret) {
        const data = await sources.secret(source.secret.name ?? '');
        if (!data && !source.secret.optional) {
          throw new VolumeError(`secret "${source.secret.name ?? ''}" not found`);
        }
        files.push(...keyFiles(data ?? {}, source.secret.items, mode));
      } else if (source.downwardAPI) {
        files.push(...downwardFiles(pod, source.downwardAPI.items, facts, mode));
      }
    }
  } else {
    throw new VolumeError(
      `volume "${volume.name}": this type is not supported by the test node agent`,
    );
  }
  await mkdir(own, { recursive: true, mode: 0o755 });
  for (const file of files) {
    const target = join(own, file.path);
    if (!target.startsWith(own + '/')) throw new VolumeError(`invalid item path "${file.path}"`);
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    await writeFile(target, file.content);
    await chmod(target, file.mode ?? defaultMode);
    if (fsGroup !== undefined) await chown(target, 0, fsGroup);
  }
  if (fsGroup !== undefined) await chown(own, 0, fsGroup);
  return own;
}

function keyFiles(
  data: Readonly<Record<string, string>>,
  items: readonly V1KeyToPath[] | undefined,
  mode: number,
): { path: string; content: string; mode?: number | undefined }[] {
  if (!items) return Object.entries(data).map(([k, v]) => ({ path: k, content: v, mode }));
  return items.map((item) => {
    const content = data[item.key];
    if (content === undefined) throw new VolumeError(`configuration key "${item.key}" not found`);
    return { path: item.path, content, mode: item.mode ?? mode };
  });
}

function downwardFiles(
  pod: V1Pod,
  items: readonly V1DownwardAPIVolumeFile[] | undefined,
  facts: PodRuntimeFacts,
  mode: number,
): { path: string; content: string; mode?: number | undefined }[] {
  return (items ?? []).map((item) => {
    let content = '';
    if (item.fieldRef) {
      const path = item.fieldRef.fieldPath;
      // The volume form of labels/annotations is every entry as key="value" lines.
      if (path === 'metadata.labels' || path === 'metadata.annotations') {
        const map =
          (path === 'metadata.labels' ? pod.metadata?.labels : pod.metadata?.annotations) ?? {};
        content = Object.entries(map)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join('\n');
      } else content = fieldRefValue(pod, path, facts);
    } else if (item.resourceFieldRef) {
      const container = pod.spec?.containers.find(
        (c) => c.name === item.resourceFieldRef?.containerName,
      );
      if (container) {
        content = resourceFieldValue(
          container,
          item.resourceFieldRef.resource,
          item.resourceFieldRef.divisor,
          facts,
        );
      }
    }
    return { path: item.path, content, mode: item.mode ?? mode };
  });
}

/** fsGroupChangePolicy OnRootMismatch semantics: only walk the tree when the root differs. */
async function applyFsGroup(root: string, gid: number): Promise<void> {
  const rootStat = await stat(root);
  if (rootStat.gid === gid && (rootStat.mode & 0o2070) === 0o2070) return;
  const walk = async (path: string): Promise<void> => {
    const s = await lstat(path);
    if (s.isSymbolicLink()) return;
    await chown(path, s.uid, gid);
    if (s.isDirectory()) {
      await chmod(path, (s.mode & 0o7777) | 0o2070);
      for (const entry of await readdir(path)) await walk(join(path, entry));
    } else {
      await chmod(path, (s.mode & 0o7777) | 0o060);
    }
  };
  await walk(root);
}
