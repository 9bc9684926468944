/**
 * Volumes and users on the test cluster: a PVC bound to a `local` PV from the harness's
 * provisioner carries a file from one pod to the next; Secrets and ConfigMaps appear as files;
 * runAsUser/fsGroup are honoured; a Jupyter image runs the test environment's JupyterLab.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { V1PersistentVolume, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { startCluster, type TestCluster } from '../../cluster/harness.ts';
import { watchUntil } from '../../cluster/watch-until.ts';

let cluster: TestCluster;
const ns = 'store';

before(async () => {
  cluster = await startCluster();
  await kubectl(['create', 'namespace', ns]);
});
after(async () => {
  await cluster.stop();
});

async function kubectl(args: string[], input?: string): Promise<string> {
  const res = await cluster.kubectl(args, input);
  assert.equal(res.code, 0, `kubectl ${args.join(' ')} failed: ${res.stderr}`);
  return res.stdout;
}

function waitForPod(
  name: string,
  predicate: (pod: V1Pod) => boolean,
  timeoutMs = 30_000,
): Promise<V1Pod> {
  return watchUntil<V1Pod>(
    cluster.kubeConfig,
    `/api/v1/namespaces/${ns}/pods`,
    (_t, p) => predicate(p),
    {
      fieldSelector: `metadata.name=${name}`,
      timeoutMs,
    },
  );
}

const isReady = (p: V1Pod): boolean =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

describe('storage', () => {
  it('a PVC is bound, and a file written by one pod is read by the next', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: home, namespace: ${ns}}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: writer, namespace: ${ns}}
spec:
  restartPolicy: Never
  securityContext: {runAsUser: 1000, runAsGroup: 1000, fsGroup: 100}
  volumes: [{name: home, persistentVolumeClaim: {claimName: home}}]
  containers:
  - name: c
    image: ganymede.test/shell:1
    command: [sh, -c, 'echo "hello from $(POD)" > /home/jovyan/note.txt']
    env: [{name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
    volumeMounts: [{name: home, mountPath: /home/jovyan}]
`,
    );
    const claim = await watchUntil<V1PersistentVolumeClaim>(
      cluster.kubeConfig,
      `/api/v1/namespaces/${ns}/persistentvolumeclaims`,
      (_t, c) => c.metadata?.name === 'home' && c.status?.phase === 'Bound',
    );
    const volumeName = claim.spec?.volumeName ?? '';
    assert.equal(claim.spec?.storageClassName, 'standard', 'the default StorageClass was applied');
    const written = await waitForPod(
      'writer',
      (p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed',
    );
    assert.equal(
      written.status?.phase,
      'Succeeded',
      JSON.stringify(written.status?.containerStatuses),
    );

    // On disk: in the PV's folder, owned by the pod's user and its fsGroup.
    const pv = JSON.parse(
      await kubectl(['get', 'pv', volumeName, '-o', 'json']),
    ) as V1PersistentVolume;
    const file = join(pv.spec?.local?.path ?? '', 'note.txt');
    assert.equal(await readFile(file, 'utf8'), 'hello from writer\n');
    const owner = await stat(file);
    assert.deepEqual(
      { uid: owner.uid, dirGid: (await stat(join(file, '..'))).gid },
      { uid: 1000, dirGid: 100 },
    );

    await kubectl(
      ['apply', '-f', '-'],
      `
apiVersion: v1
kind: Pod
metadata: {name: reader, namespace: ${ns}}
spec:
  securityContext: {runAsUser: 1001, fsGroup: 100}
  volumes: [{name: home, persistentVolumeClaim: {claimName: home}}]
  containers:
  - name: c
    image: ganymede.test/http-server:1
    volumeMounts: [{name: home, mountPath: /data}]
    readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}
`,
    );
    const reader = await waitForPod('reader', isReady);
    const res = await fetch(`http://${reader.status?.podIP ?? ''}:8080/files/note.txt`);
    assert.equal(await res.text(), 'hello from writer\n');
  });

  it('a hostPath volume keeps its owner, as on a real node: fsGroup is not applied to it', async () => {
    // The controller manager's hostPath provisioner makes 0750 root:root folders; the kubelet
    // does not apply fsGroup to hostPath volumes, so a uid-1000 pod cannot write there.
    const folder = join(cluster.dir, 'hostpath-home');
    await mkdir(folder, { mode: 0o750 });
    await chmod(folder, 0o750);
    await kubectl(
      ['apply', '-f', '-'],
      `
apiVersion: v1
kind: PersistentVolume
metadata: {name: hostpath-home}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  hostPath: {path: ${folder}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: hostpath-home, namespace: ${ns}}
spec:
  storageClassName: ""
  volumeName: hostpath-home
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: hostpath-writer, namespace: ${ns}}
spec:
  restartPolicy: Never
  securityContext: {runAsUser: 1000, runAsGroup: 1000, fsGroup: 100}
  volumes: [{name: home, persistentVolumeClaim: {claimName: hostpath-home}}]
  containers:
  - name: c
    image: ganymede.test/shell:1
    command: [sh, -c, 'echo x > /home/jovyan/note.txt']
    volumeMounts: [{name: home, mountPath: /home/jovyan}]
`,
    );
    const pod = await waitForPod(
      'hostpath-writer',
      (p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed',
    );
    assert.equal(pod.status?.phase, 'Failed', 'the write must be refused');
    const owner = await stat(folder);
    assert.deepEqual(
      { uid: owner.uid, gid: owner.gid, mode: owner.mode & 0o7777 },
      {
        uid: 0,
        gid: 0,
        mode: 0o750,
      },
    );
  });

  it('Secrets and ConfigMaps become files; a missing Secret is a CreateContainerConfigError', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      `
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, namespace: ${ns}}
data: {greeting: hello, other: ignored}
---
apiVersion: v1
kind: Secret
metadata: {name: app-secret, namespace: ${ns}}
stringData: {token: t0ken}
---
apiVersion: v1
kind: Pod
metadata: {name: files, namespace: ${ns}}
spec:
  volumes:
  - {name: config, configMap: {name: app-config, items: [{key: greeting, path: greeting.txt}]}}
  - {name: secret, secret: {secretName: app-secret}}
  containers:
  - name: c
    image: ganymede.test/http-server:1
    env: [{name: TEST_TOKEN_FILE, value: /etc/secret/token}]
    volumeMounts: [{name: config, mountPath: /etc/config}, {name: secret, mountPath: /etc/secret}]
    readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: unconfigured, namespace: ${ns}}
spec:
  containers:
  - name: c
    image: ganymede.test/http-server:1
    env: [{name: TEST_TOKEN, valueFrom: {secretKeyRef: {name: does-not-exist, key: token}}}]
`,
    );
    const pod = await waitForPod('files', isReady);
    const base = `http://${pod.status?.podIP ?? ''}:8080`;
    // The working dir is the first volume mount (the ConfigMap, with only the listed item).
    assert.equal(await (await fetch(`${base}/files/greeting.txt`)).text(), 'hello');
    assert.equal((await fetch(`${base}/files/other`)).status, 404);
    const info = (await (await fetch(`${base}/`)).json()) as { env: Record<string, string> };
    // Paths under a mount are rewritten to the folder behind it.
    assert.equal(await readFile(info.env['TEST_TOKEN_FILE'] ?? '', 'utf8'), 't0ken');

    const stuck = await waitForPod(
      'unconfigured',
      (p) =>
        p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError',
    );
    const waiting = stuck.status?.containerStatuses?.[0]?.state?.waiting;
    assert.deepEqual(
      { phase: stuck.status?.phase, message: waiting?.message },
      { phase: 'Pending', message: 'secret "does-not-exist" not found' },
    );
  });

  it('a quay.io/jupyter image runs the test environment JupyterLab, reachable at the pod IP', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: jupyter-home, namespace: ${ns}}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: lab, namespace: ${ns}}
spec:
  securityContext: {runAsUser: 1000, runAsGroup: 100, fsGroup: 100, runAsNonRoot: true}
  volumes: [{name: home, persistentVolumeClaim: {claimName: jupyter-home}}]
  containers:
  - name: notebook
    image: quay.io/jupyter/base-notebook:2025-01-01
    args: [start-notebook.py, --IdentityProvider.token=test-token, --ServerApp.base_url=/user/ada/]
    ports: [{containerPort: 8888, name: notebook}]
    volumeMounts: [{name: home, mountPath: /home/jovyan}]
    readinessProbe: {httpGet: {path: /user/ada/api, port: notebook}, periodSeconds: 1, failureThreshold: 60}
`,
    );
    const pod = await waitForPod('lab', isReady, 60_000);
    const res = await fetch(`http://${pod.status?.podIP ?? ''}:8888/user/ada/api/status`, {
      headers: { authorization: 'token test-token' },
    });
    assert.equal(res.status, 200);
    const denied = await fetch(`http://${pod.status?.podIP ?? ''}:8888/user/ada/api/status`);
    assert.equal(denied.status, 403, 'the token from args is enforced');
    // HOME=/home/jovyan (the image's) is the volume: Jupyter's runtime files land in the PV.
    const claim = JSON.parse(
      await kubectl(['get', 'pvc', '-n', ns, 'jupyter-home', '-o', 'json']),
    ) as V1PersistentVolumeClaim;
    const pv = JSON.parse(
      await kubectl(['get', 'pv', claim.spec?.volumeName ?? '', '-o', 'json']),
    ) as V1PersistentVolume;
    const runtime = await stat(
      join(pv.spec?.local?.path ?? '', '.local', 'share', 'jupyter', 'runtime'),
    );
    assert.equal(runtime.uid, 1000);
  });
});
