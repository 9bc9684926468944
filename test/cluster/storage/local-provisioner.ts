/**
 * Dynamic volumes that behave like users' volumes: a small external provisioner, run by the
 * harness, that answers each claim of the `standard` StorageClass with a `local`
 * PersistentVolume (a folder of the cluster, pinned to the node). The kubelet applies
 * `fsGroup` to local volumes, as to cloud block volumes, so a uid-1000 notebook can write to
 * its home; it does not do so for hostPath volumes, which is why the controller manager's
 * hostPath provisioner (0750 root:root folders) is not used for a real node.
 *
 * The protocol is the external-provisioner one: the controller manager marks a claim of an
 * unknown provisioner with `volume.kubernetes.io/storage-provisioner`; we create a PV
 * pre-bound to it (claimRef) and the PV controller binds the pair. A Released PV we made is
 * deleted with its folder (reclaimPolicy Delete).
 */
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
 * client-node's generated models are classes with only static metadata members; plain object
 * literals serialise exactly as instances would. */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CoreV1Api,
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesObject,
  type ObjectCache,
  type V1PersistentVolume,
  type V1PersistentVolumeClaim,
} from '@kubernetes/client-node';
import { ApiException, KubernetesObjectApi } from '@kubernetes/client-node';

export const localProvisionerName = 'ganymede.test/local-folder';
const provisionedBy = 'pv.kubernetes.io/provisioned-by';

export interface LocalProvisioner {
  stop(): Promise<void>;
}

export async function startLocalProvisioner(options: {
  kubeConfig: KubeConfig;
  nodeName: string;
  /** Parent of the volumes' folders. */
  dir: string;
  /** Mode of a new volume folder; the kubelet then applies fsGroup (group-writable, setgid). */
  folderMode?: number;
}): Promise<LocalProvisioner> {
  const { kubeConfig, nodeName, dir } = options;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  let stopped = false;
  const busy = new Set<string>();

  const provision = async (pvc: V1PersistentVolumeClaim): Promise<void> => {
    const annotations = pvc.metadata?.annotations ?? {};
    const uid = pvc.metadata?.uid;
    if (
      stopped ||
      !uid ||
      pvc.spec?.volumeName ||
      pvc.metadata?.deletionTimestamp ||
      annotations['volume.kubernetes.io/storage-provisioner'] !== localProvisionerName ||
      busy.has(uid)
    ) {
      return;
    }
    busy.add(uid);
    const name = `pvc-${uid}`;
    const path = join(dir, name);
    try {
      await mkdir(path, { recursive: true, mode: options.folderMode ?? 0o755 });
      const pv: V1PersistentVolume & KubernetesObject = {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name, annotations: { [provisionedBy]: localProvisionerName } },
        spec: {
          capacity: { storage: pvc.spec?.resources?.requests?.['storage'] ?? '1Gi' },
          accessModes: pvc.spec?.accessModes ?? ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Delete',
          storageClassName: pvc.spec?.storageClassName ?? 'standard',
          volumeMode: 'Filesystem',
          local: { path },
          claimRef: {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            namespace: pvc.metadata?.namespace ?? 'default',
            name: pvc.metadata?.name ?? '',
            uid,
          },
          nodeAffinity: {
            required: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [
                    { key: 'kubernetes.io/hostname', operator: 'In', values: [nodeName] },
                  ],
                },
              ],
            },
          },
        },
      };
      await objects.create(pv);
    } catch (e) {
      if (!(e instanceof ApiException && e.code === 409)) {
        process.stderr.write(`[local-provisioner] ${name}: ${String(e)}\n`);
      }
    } finally {
      busy.delete(uid);
    }
  };

  const reclaim = async (pv: V1PersistentVolume): Promise<void> => {
    const name = pv.metadata?.name;
    const path = pv.spec?.local?.path;
    if (
      stopped ||
      !name ||
      !path ||
      pv.metadata?.annotations?.[provisionedBy] !== localProvisionerName ||
      pv.status?.phase !== 'Released' ||
      pv.spec?.persistentVolumeReclaimPolicy !== 'Delete'
    ) {
      return;
    }
    await rm(path, { recursive: true, force: true });
    await core.deletePersistentVolume({ name }).catch(() => undefined);
  };

  const claims = watch<V1PersistentVolumeClaim>(kubeConfig, '/api/v1/persistentvolumeclaims', () =>
    core.listPersistentVolumeClaimForAllNamespaces(),
  );
  const volumes = watch<V1PersistentVolume>(kubeConfig, '/api/v1/persistentvolumes', () =>
    core.listPersistentVolume(),
  );
  const onClaim = (pvc: V1PersistentVolumeClaim): void => void provision(pvc);
  const onVolume = (pv: V1PersistentVolume): void => void reclaim(pv);
  claims.on('add', onClaim);
  claims.on('update', onClaim);
  volumes.on('add', onVolume);
  volumes.on('update', onVolume);
  const restart = (informer: Informer<KubernetesObject>) => (): void => {
    // client-node stops an informer on error; its documented remedy is to start it again.
    setTimeout(() => {
      if (!stopped) void informer.start().catch(() => undefined);
    }, 500);
  };
  claims.on('error', restart(claims));
  volumes.on('error', restart(volumes));
  await claims.start();
  await volumes.start();
  return {
    stop: async () => {
      stopped = true;
      await claims.stop();
      await volumes.stop();
    },
  };
}

function watch<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>,
): Informer<T> & ObjectCache<T> {
  return makeInformer<T>(kc, path, list);
}
