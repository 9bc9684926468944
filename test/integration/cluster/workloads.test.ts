/**
 * The test cluster against itself: real Deployment → ReplicaSet → Pod controllers, real
 * EndpointSlices, real garbage collection and Pod Security admission, with pods run by our
 * node agent. One cluster for the whole file.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { V1Deployment, V1EndpointSlice, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { startCluster, type TestCluster } from '../../cluster/harness.ts';
import { waitForDeletion, watchUntil } from '../../cluster/watch-until.ts';

let cluster: TestCluster;

before(async () => {
  cluster = await startCluster();
});
after(async () => {
  await cluster.stop();
});

async function kubectl(args: string[], input?: string): Promise<string> {
  const res = await cluster.kubectl(args, input);
  assert.equal(res.code, 0, `kubectl ${args.join(' ')} failed: ${res.stderr}`);
  return res.stdout;
}

async function getJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const podsPath = (ns: string): string => `/api/v1/namespaces/${ns}/pods`;

function waitForPod(
  ns: string,
  name: string,
  predicate: (pod: V1Pod) => boolean,
  timeoutMs = 30_000,
): Promise<V1Pod> {
  return watchUntil<V1Pod>(cluster.kubeConfig, podsPath(ns), (_t, p) => predicate(p), {
    fieldSelector: `metadata.name=${name}`,
    timeoutMs,
  });
}

const webManifest = (replicas: number): string => `
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: web}
stringData: {password: s3cret}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: web}
data: {greeting: hello}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: web}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: web
        image: ganymede.test/http-server:1
        env:
        - {name: PORT, value: "8080"}
        - {name: TEST_SECRET, valueFrom: {secretKeyRef: {name: creds, key: password}}}
        - {name: TEST_GREETING, valueFrom: {configMapKeyRef: {name: settings, key: greeting}}}
        - {name: TEST_NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
        - {name: TEST_POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
        - {name: TEST_EXPANDED, value: "$(TEST_GREETING)-$(TEST_NAMESPACE)"}
        ports: [{containerPort: 8080, name: http}]
        readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: web}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}
`;

interface ServerInfo {
  hostname: string;
  pid: number;
  uid: number;
  gid: number;
  cwd: string;
  env: Record<string, string>;
}

async function waitAvailable(ns: string, name: string): Promise<void> {
  await watchUntil<V1Deployment>(
    cluster.kubeConfig,
    `/apis/apps/v1/namespaces/${ns}/deployments`,
    (_t, d) =>
      d.metadata?.name === name &&
      d.status?.observedGeneration === d.metadata.generation &&
      d.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') === true &&
      d.status.availableReplicas === d.spec?.replicas,
  );
}

async function onlyPod(ns: string, selector: string): Promise<V1Pod> {
  const list = await getJson<{ items: V1Pod[] }>(['get', 'pods', '-n', ns, '-l', selector]);
  assert.equal(list.items.length, 1, `expected one pod for ${selector}`);
  return list.items[0]!;
}

describe('a Deployment on the test cluster', () => {
  let firstPid = 0;

  it('becomes Available; its EndpointSlice lists the pod IP and the host reaches the pod over HTTP', async () => {
    await kubectl(['create', 'namespace', 'web']);
    await kubectl(['apply', '-f', '-'], webManifest(1));
    await waitAvailable('web', 'web');
    const pod = await onlyPod('web', 'app=web');
    const podIP = pod.status?.podIP ?? '';
    assert.match(podIP, /^10\.213\.\d+\.\d+$/);
    const slice = await watchUntil<V1EndpointSlice>(
      cluster.kubeConfig,
      '/apis/discovery.k8s.io/v1/namespaces/web/endpointslices',
      (_t, s) =>
        (s.endpoints ?? []).some(
          (e) => e.addresses.includes(podIP) && e.conditions?.ready === true,
        ),
      { labelSelector: 'kubernetes.io/service-name=web' },
    );
    assert.equal(slice.ports?.[0]?.port, 8080);

    const res = await fetch(`http://${podIP}:8080/`);
    assert.equal(res.status, 200);
    const info = (await res.json()) as ServerInfo;
    firstPid = info.pid;
    assert.equal(info.hostname, pod.metadata?.name);
    assert.deepEqual(info.env, {
      HOME: info.env['HOME'],
      HOSTNAME: pod.metadata?.name,
      TEST_SECRET: 's3cret',
      TEST_GREETING: 'hello',
      TEST_NAMESPACE: 'web',
      TEST_POD_IP: podIP,
      TEST_EXPANDED: 'hello-web',
    });

    // Status as a kubelet writes it.
    const node = await getJson<{ status: { addresses: { type: string; address: string }[] } }>([
      'get',
      'node',
      pod.spec?.nodeName ?? '',
    ]);
    const status = pod.status!;
    assert.equal(status.phase, 'Running');
    assert.equal(
      status.hostIP,
      node.status.addresses.find((a) => a.type === 'InternalIP')?.address,
    );
    assert.deepEqual(status.podIPs, [{ ip: podIP }]);
    for (const type of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready']) {
      assert.equal(status.conditions?.find((c) => c.type === type)?.status, 'True', type);
    }
    const container = status.containerStatuses?.[0];
    assert.ok(container);
    assert.equal(container.ready, true);
    assert.equal(container.started, true);
    assert.equal(container.restartCount, 0);
    assert.ok(container.state?.running?.startedAt);
  });

  it('scaling to 0 stops the process', async () => {
    assert.ok(isAlive(firstPid), 'the server process runs before scaling down');
    const pod = await onlyPod('web', 'app=web');
    await kubectl(['scale', '-n', 'web', 'deployment/web', '--replicas=0']);
    await waitForDeletion(cluster.kubeConfig, podsPath('web'), pod.metadata?.name ?? '');
    assert.equal(isAlive(firstPid), false, 'the process is gone once the pod is deleted');
    await assert.rejects(
      fetch(`http://${pod.status?.podIP ?? ''}:8080/`, { signal: AbortSignal.timeout(2000) }),
    );
  });

  it('deleting the Deployment removes its ReplicaSet and Pods through the garbage collector', async () => {
    await kubectl(['scale', '-n', 'web', 'deployment/web', '--replicas=1']);
    await waitAvailable('web', 'web');
    const pod = await onlyPod('web', 'app=web');
    const rs = await getJson<{ items: V1ReplicaSet[] }>([
      'get',
      'replicasets',
      '-n',
      'web',
      '-l',
      'app=web',
    ]);
    assert.equal(rs.items.length, 1);
    const rsName = rs.items[0]!.metadata?.name ?? '';
    const podName = pod.metadata?.name ?? '';
    assert.equal(pod.metadata?.ownerReferences?.[0]?.name, rsName);
    assert.equal(rs.items[0]!.metadata?.ownerReferences?.[0]?.name, 'web');
    // Plain DELETE of the Deployment only: the ReplicaSet and the Pod go through the GC.
    await kubectl([
      'delete',
      '-n',
      'web',
      'deployment/web',
      '--cascade=background',
      '--wait=false',
    ]);
    await waitForDeletion(cluster.kubeConfig, '/apis/apps/v1/namespaces/web/replicasets', rsName);
    await waitForDeletion(cluster.kubeConfig, podsPath('web'), podName);
  });
});

describe('Pod Security admission', () => {
  it('a restricted namespace rejects a privileged pod with the API server message and admits a compliant one', async () => {
    await kubectl(['create', 'namespace', 'locked']);
    await kubectl([
      'label',
      'namespace',
      'locked',
      'pod-security.kubernetes.io/enforce=restricted',
    ]);
    const privileged = `
apiVersion: v1
kind: Pod
metadata: {name: priv, namespace: locked}
spec:
  containers:
  - {name: c, image: ganymede.test/http-server:1, securityContext: {privileged: true}}
`;
    const rejected = await cluster.kubectl(['apply', '-f', '-'], privileged);
    assert.notEqual(rejected.code, 0);
    assert.match(
      rejected.stderr,
      /pods "priv" is forbidden: violates PodSecurity "restricted:latest"/,
    );
    assert.match(
      rejected.stderr,
      /privileged \(container "c" must not set securityContext\.privileged=true\)/,
    );

    const compliant = `
apiVersion: v1
kind: Pod
metadata: {name: ok, namespace: locked}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: c
    image: ganymede.test/http-server:1
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
    readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
`;
    await kubectl(['apply', '-f', '-'], compliant);
    const pod = await waitForPod(
      'locked',
      'ok',
      (p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
    );
    const info = (await (
      await fetch(`http://${pod.status?.podIP ?? ''}:8080/`)
    ).json()) as ServerInfo;
    assert.equal(info.uid, 1000);
    assert.equal(info.gid, 1000);

    // Namespace deletion completes only if the agent finishes deleting the pods in it.
    await kubectl(['delete', 'namespace', 'locked', '--wait=false']);
    await waitForDeletion(cluster.kubeConfig, '/api/v1/namespaces', 'locked', 60_000);
  });
});

describe('pod lifecycle on the node agent', () => {
  before(async () => {
    await kubectl(['create', 'namespace', 'life']);
  });

  const pod = (name: string, spec: string): string => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: life}
spec:
${spec}`;

  it('an unknown image yields ErrImagePull, then ImagePullBackOff', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      pod('nope', '  containers: [{name: c, image: registry.invalid/nope:1}]'),
    );
    const failing = await waitForPod(
      'life',
      'nope',
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull',
    );
    const waitingMessage = failing.status?.containerStatuses?.[0]?.state?.waiting?.message ?? '';
    const ready = failing.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(failing.status?.phase, 'Pending');
    assert.match(waitingMessage, /registry\.invalid\/nope:1/);
    assert.ok(ready);
    assert.equal(ready.status, 'False');
    assert.equal(ready.reason, 'ContainersNotReady');
    const backoff = await waitForPod(
      'life',
      'nope',
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff',
    );
    assert.equal(
      backoff.status?.containerStatuses?.[0]?.state?.waiting?.message,
      'Back-off pulling image "registry.invalid/nope:1"',
    );
  });

  it('restartPolicy: OnFailure restarts a failing container with back-off; Never leaves the pod Failed', async () => {
    const failing =
      "  containers: [{name: c, image: ganymede.test/shell:1, command: [sh, -c, 'exit 3']}]";
    await kubectl(['apply', '-f', '-'], pod('crash', `  restartPolicy: OnFailure\n${failing}`));
    await kubectl(['apply', '-f', '-'], pod('once', `  restartPolicy: Never\n${failing}`));
    const crashing = await waitForPod(
      'life',
      'crash',
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff',
    );
    const cs = crashing.status?.containerStatuses?.[0];
    const phase = crashing.status?.phase;
    assert.ok(cs);
    assert.ok(cs.restartCount >= 1);
    assert.deepEqual(
      { exitCode: cs.lastState?.terminated?.exitCode, reason: cs.lastState?.terminated?.reason },
      { exitCode: 3, reason: 'Error' },
    );
    assert.equal(phase, 'Running');
    const failed = await waitForPod('life', 'once', (p) => p.status?.phase === 'Failed');
    const failedStatus = failed.status?.containerStatuses?.[0];
    assert.deepEqual(
      { exitCode: failedStatus?.state?.terminated?.exitCode, restarts: failedStatus?.restartCount },
      { exitCode: 3, restarts: 0 },
    );
  });

  it('a failing liveness probe restarts the container; kubectl logs --previous shows the last run', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      pod(
        'sick',
        `  volumes: [{name: scratch, emptyDir: {}}]
  containers:
  - name: c
    image: ganymede.test/http-server:1
    volumeMounts: [{name: scratch, mountPath: /scratch}]
    # The startup probe holds the liveness probe back until the server listens.
    startupProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1, failureThreshold: 30}
    livenessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1, failureThreshold: 1}
    readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}`,
      ),
    );
    const ready = await waitForPod(
      'life',
      'sick',
      (p) => p.status?.containerStatuses?.[0]?.ready === true,
    );
    // The server reports unhealthy once this file exists in its working dir (the emptyDir).
    const put = await fetch(`http://${ready.status?.podIP ?? ''}:8080/files/unhealthy`, {
      method: 'PUT',
      body: 'x',
    });
    assert.equal(put.status, 204);
    const restarted = await waitForPod(
      'life',
      'sick',
      (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
    );
    const last = restarted.status?.containerStatuses?.[0]?.lastState?.terminated;
    // Killed with SIGTERM; the server exits 0 on it, as a well-behaved container does.
    assert.equal(last?.exitCode, 0);
    // Logs go through the API server's proxy to the agent, one file per run (`--previous`).
    const logs = await kubectl(['logs', '-n', 'life', 'sick', '--previous']);
    assert.match(logs, /http-server listening on 0\.0\.0\.0:8080/);
  });

  it('a pod reaches its own network only: not the host loopback, not the outside world', async () => {
    // Each probe exits 0 only if the connection fails the expected way.
    const probe = (host: string, port: number, code: string): string =>
      `require('net').connect(${port}, '${host}').on('connect', () => process.exit(1)).on('error', (e) => process.exit(e.code === '${code}' ? 0 : 2))`;
    const apiPort = new URL(cluster.server).port;
    await kubectl(
      ['apply', '-f', '-'],
      pod(
        'isolated',
        `  restartPolicy: Never
  initContainers:
  - {name: outside, image: ganymede.test/http-server:1, command: [node, -e, "${probe('192.0.2.1', 80, 'ENETUNREACH')}"]}
  containers:
  - {name: loopback, image: ganymede.test/http-server:1, command: [node, -e, "${probe('127.0.0.1', Number(apiPort), 'ECONNREFUSED')}"]}`,
      ),
    );
    const done = await waitForPod(
      'life',
      'isolated',
      (p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed',
    );
    assert.equal(
      done.status?.phase,
      'Succeeded',
      JSON.stringify(done.status?.initContainerStatuses),
    );
  });

  it('deletion sends SIGTERM, waits the grace period, then SIGKILLs and removes the pod', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      pod(
        'stubborn',
        `  terminationGracePeriodSeconds: 2
  containers: [{name: c, image: ganymede.test/shell:1, command: [sh, -c, 'trap "" TERM; echo started; while true; do sleep 1; done']}]`,
      ),
    );
    await kubectl(
      ['apply', '-f', '-'],
      pod('polite', '  containers: [{name: c, image: ganymede.test/http-server:1}]'),
    );
    await waitForPod('life', 'stubborn', (p) => p.status?.phase === 'Running');
    await waitForPod('life', 'polite', (p) => p.status?.phase === 'Running');
    const t0 = performance.now();
    await kubectl(['delete', 'pod', '-n', 'life', 'stubborn', 'polite', '--wait=false']);
    await waitForDeletion(cluster.kubeConfig, podsPath('life'), 'polite');
    const politeMs = performance.now() - t0;
    await waitForDeletion(cluster.kubeConfig, podsPath('life'), 'stubborn');
    const stubbornMs = performance.now() - t0;
    assert.ok(politeMs < 2000, `a process that exits on SIGTERM is gone at once (${politeMs} ms)`);
    assert.ok(
      stubbornMs >= 2000,
      `a process ignoring SIGTERM gets its grace period (${stubbornMs} ms)`,
    );
    assert.ok(stubbornMs < 10_000, `…and is then killed (${stubbornMs} ms)`);
  });
});
