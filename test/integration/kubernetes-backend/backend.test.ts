/**
 * The Kubernetes backend against the real control plane, the operator and real Jupyter
 * servers (node agent): each lifecycle rule of src/backends/types.ts, proven on the cluster.
 * Two backend instances on one cluster play two hub replicas.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createKubernetesBackend } from '../../../src/backends/kubernetes/index.ts';
import { isGanymedeError } from '../../../src/errors/ganymede-error.ts';
import { K8S_MESSAGES } from '../../../src/backends/kubernetes/messages.ts';
import type { Backend, ProgressEvent, ServerRef } from '../../../src/backends/types.ts';
import { notebookObjectNames, notebookNameFor } from '../../../src/kubernetes/object-names.ts';
import { startOperator, type RunningOperator } from '../../../src/kubernetes/operator/operator.ts';
import { LOST_MESSAGE } from '../../../src/kubernetes/operator/status.ts';
import { serverBaseUrl } from '../../../src/servers/server-service.ts';
import { executeOverWebSocket } from '../../helpers/jupyter-kernel.ts';
import { startCluster, type TestCluster } from '../../cluster/harness.ts';
import {
  START_TIMEOUT_MS,
  getJson,
  installCrd,
  jupyterProfile,
  kubectlOk,
  listItems,
  missingImageProfile,
  restrictedNamespace,
  watchFor,
  type PodInfo,
} from './setup.ts';

let cluster: TestCluster;
let operator: RunningOperator;
let ns: string;
const backends: Backend[] = [];

async function newBackend(): Promise<Backend> {
  const backend = await createKubernetesBackend({
    kubeConfig: cluster.kubeConfig,
    namespace: ns,
    startTimeoutMs: START_TIMEOUT_MS,
  });
  backends.push(backend);
  return backend;
}

/** What creating a backend said before the CRD was installed. */
let beforeCrd: unknown;

before(async () => {
  cluster = await startCluster();
  beforeCrd = await createKubernetesBackend({
    kubeConfig: cluster.kubeConfig,
    namespace: 'default',
  }).then(
    (b) => b.close().then(() => 'created'),
    (e: unknown) => e,
  );
  await installCrd(cluster);
  ns = await restrictedNamespace(cluster, 'kb');
  operator = startOperator({ kubeConfig: cluster.kubeConfig, namespace: ns });
  await operator.ready;
});
after(async () => {
  for (const b of backends) await b.close();
  await operator.stop();
  await cluster.stop();
});

function startOptions(ref: ServerRef, profile = jupyterProfile) {
  return { profile, baseUrl: serverBaseUrl(ref) };
}

async function collect(events: AsyncIterable<ProgressEvent>): Promise<ProgressEvent[]> {
  const out: ProgressEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

/** `api/status` at the route, with the route's token: what the proxy does. */
async function apiStatus(backend: Backend, ref: ServerRef): Promise<number> {
  const route = backend.route(ref);
  assert.ok(route, 'a route');
  const res = await fetch(`${route.target}${serverBaseUrl(ref)}api/status`, {
    headers: { authorization: `token ${route.token}` },
  });
  await res.body?.cancel();
  return res.status;
}

async function contents(
  backend: Backend,
  ref: ServerRef,
  file: string,
  init: RequestInit = {},
): Promise<Response> {
  const route = backend.route(ref);
  assert.ok(route, 'a route');
  return fetch(`${route.target}${serverBaseUrl(ref)}api/contents/${file}`, {
    ...init,
    headers: { authorization: `token ${route.token}`, 'content-type': 'application/json' },
  });
}

function livePods(name: string): Promise<PodInfo[]> {
  const base = notebookObjectNames(name).base;
  return listItems<PodInfo>(cluster, ns, 'pods', `ganymede.dev/notebook=${base}`).then((pods) =>
    pods.filter((p) => !p.metadata.deletionTimestamp),
  );
}

async function waitForNoPods(name: string): Promise<void> {
  for (let i = 0; i < 600 && (await livePods(name)).length > 0; i++) {
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.deepEqual(await livePods(name), [], 'no pod kept');
}

interface NotebookJson {
  metadata: { name: string; annotations?: Record<string, string>; generation?: number };
  spec: { stopped?: boolean; image?: string; baseUrl?: string };
  status?: { phase?: string };
}

describe('kubernetes backend on a real cluster', () => {
  it('refuses to start without the CRD, and says how to install it', () => {
    assert.ok(isGanymedeError(beforeCrd), String(beforeCrd));
    assert.equal(beforeCrd.userMessage, 'The JupyterNotebook resource type is not installed.');
    assert.match(beforeCrd.detail ?? '', /kubectl apply -f deploy\/crd\/jupyternotebooks/);
  });

  const alice: ServerRef = { user: 'Alice Ünicode', server: '' };
  const aliceName = notebookNameFor(alice.user, alice.server);

  it('start → running; route answers api/status with the token at the pod IP; progress told in plain words', async (t) => {
    const backend = await newBackend();
    const startAt = Date.now();
    assert.equal(backend.route(alice), undefined, 'no route before a start');
    assert.deepEqual(await collect(backend.progress(alice)), [], 'no progress before a start');
    const starting = backend.start(alice, startOptions(alice));
    const events = collect(backend.progress(alice));
    const status = await starting;
    t.diagnostic(`first start (claim, pod, Jupyter) to running: ${Date.now() - startAt} ms`);
    assert.equal(status.phase, 'running', JSON.stringify(status));
    assert.equal(status.profile, 'standard');
    const seen = await events;
    assert.equal(seen[0]?.message, K8S_MESSAGES.requested);
    assert.deepEqual(seen.at(-1), { progress: 100, message: K8S_MESSAGES.ready, ready: true });
    const percents = seen.map((e) => e.progress);
    assert.deepEqual(
      percents,
      [...percents].sort((a, b) => a - b),
      'percentages never go back',
    );
    assert.ok(seen.length >= 3, `several steps: ${JSON.stringify(seen)}`);

    assert.equal(await apiStatus(backend, alice), 200);
    const route = backend.route(alice);
    assert.ok(route);
    const pods = await livePods(aliceName);
    assert.equal(pods.length, 1);
    assert.equal(route.target, `http://${pods[0]?.status?.podIP ?? ''}:8888`);
    const refused = await fetch(`${route.target}${serverBaseUrl(alice)}api/status`);
    assert.equal(refused.status, 403, 'the token is needed');

    const nb = await getJson<NotebookJson>(cluster, ['get', 'jnb', '-n', ns, aliceName]);
    const annotations = nb.metadata.annotations ?? {};
    assert.equal(annotations['ganymede.dev/user'], 'Alice Ünicode');
    assert.equal(annotations['ganymede.dev/server'], '');
    assert.equal(nb.spec.image, jupyterProfile.image);
    assert.equal(nb.spec.baseUrl, serverBaseUrl(alice));

    // Called again on a running server: answers running, applies nothing new.
    const again = await backend.start(alice, startOptions(alice));
    assert.equal(again.phase, 'running');
    const after = await getJson<NotebookJson>(cluster, ['get', 'jnb', '-n', ns, aliceName]);
    assert.equal(after.metadata.generation, nb.metadata.generation);
    assert.deepEqual(await collect(backend.progress(alice)), [
      { progress: 100, message: K8S_MESSAGES.ready, ready: true },
    ]);
  });

  it('files survive stop and start; stop is idempotent and keeps the claim', async (t) => {
    const backend = backends[0];
    assert.ok(backend);
    const put = await contents(backend, alice, 'kept.txt', {
      method: 'PUT',
      body: JSON.stringify({ type: 'file', format: 'text', content: 'still here' }),
    });
    assert.equal(put.status, 201, await put.text());
    const stopAt = Date.now();
    await backend.stop(alice);
    const stopMs = Date.now() - stopAt;
    assert.deepEqual(await backend.status(alice), { phase: 'stopped' });
    assert.equal(backend.route(alice), undefined);
    assert.deepEqual(await livePods(aliceName), []);
    await backend.stop(alice);
    await kubectlOk(cluster, ['get', 'pvc', '-n', ns, notebookObjectNames(aliceName).claim]);
    const nb = await getJson<NotebookJson>(cluster, ['get', 'jnb', '-n', ns, aliceName]);
    assert.equal(nb.spec.stopped, true);

    const startAt = Date.now();
    const status = await backend.start(alice, startOptions(alice));
    assert.equal(status.phase, 'running', JSON.stringify(status));
    t.diagnostic(`stop (pod gone): ${stopMs} ms; start again (ready): ${Date.now() - startAt} ms`);
    const got = await contents(backend, alice, 'kept.txt');
    assert.equal(got.status, 200);
    assert.equal(((await got.json()) as { content: string }).content, 'still here');
  });

  it('two replicas start the same server at once: one resource, one pod, both running', async () => {
    const [a, b] = [backends[0], await newBackend()];
    assert.ok(a);
    const bob: ServerRef = { user: 'bob', server: 'work' };
    const bobName = notebookNameFor(bob.user, bob.server);
    const [sa, sb, sa2] = await Promise.all([
      a.start(bob, startOptions(bob)),
      b.start(bob, startOptions(bob)),
      a.start(bob, startOptions(bob)),
    ]);
    assert.equal(sa.phase, 'running', JSON.stringify(sa));
    assert.equal(sb.phase, 'running', JSON.stringify(sb));
    assert.equal(sa2.phase, 'running');
    const named = (await listItems<NotebookJson>(cluster, ns, 'jnb')).filter(
      (n) => n.metadata.annotations?.['ganymede.dev/user'] === 'bob',
    );
    assert.deepEqual(
      named.map((n) => n.metadata.name),
      [bobName],
    );
    assert.equal((await livePods(bobName)).length, 1);
    assert.deepEqual(a.route(bob), b.route(bob), 'every replica derives the same route');
    assert.equal(await apiStatus(b, bob), 200);
  });

  it('an unknown image fails with a plain message, and a retry runs again', async () => {
    const backend = backends[0];
    assert.ok(backend);
    const carol: ServerRef = { user: 'carol', server: '' };
    const events = (async () => {
      const status = backend.start(carol, startOptions(carol, missingImageProfile));
      return { status: await status, events: await collect(backend.progress(carol)) };
    })();
    const { status, events: seen } = await events;
    assert.equal(status.phase, 'failed');
    assert.equal(
      status.message,
      'The environment image "registry.example.org/nobody/nothing:1" could not be downloaded. Check that its name and tag are right; if they are, ask your administrator whether the cluster can reach that registry.',
    );
    assert.equal(seen.at(-1)?.failed, true);
    assert.equal(seen.at(-1)?.message, status.message);
    // Another replica reads the same failure from the cluster.
    const other = backends[1];
    assert.ok(other);
    const name = notebookNameFor(carol.user, carol.server);
    // The operator owns the outcome: Failed in the status, and no pod kept for a start that
    // cannot succeed; the hub wrote nothing but the start (spec stays running).
    const failedNb = await watchFor<NotebookJson>(
      cluster,
      `/apis/ganymede.dev/v1alpha1/namespaces/${ns}/jupyternotebooks`,
      (n) => n.metadata.name === name && n.status?.phase === 'Failed',
      { what: 'the failed start reported by the operator' },
    );
    assert.equal(failedNb.spec.stopped, false, 'the hub writes intent only');
    assert.deepEqual(
      Object.keys(failedNb.metadata.annotations ?? {})
        .filter((k) => k.startsWith('ganymede.dev/'))
        .sort(),
      [
        'ganymede.dev/profile',
        'ganymede.dev/server',
        'ganymede.dev/started-at',
        'ganymede.dev/user',
      ],
      'no runtime state in annotations',
    );
    await waitForNoPods(name);
    const seenByOther = await other.status(carol);
    assert.equal(seenByOther.phase, 'failed');
    assert.equal(seenByOther.message, status.message);

    const retried = await backend.start(carol, startOptions(carol));
    assert.equal(retried.phase, 'running', JSON.stringify(retried));
    await backend.delete(carol);
  });

  it('a restarted hub adopts running servers through list(); a pod deleted while it was away is stopped', async () => {
    for (const b of backends.splice(0)) await b.close();
    const bob: ServerRef = { user: 'bob', server: 'work' };
    // While no hub runs, bob's pod goes away (a node drain, kubectl delete pod).
    const bobName = notebookNameFor(bob.user, bob.server);
    const [pod] = await livePods(bobName);
    assert.ok(pod);
    await kubectlOk(cluster, ['delete', 'pod', '-n', ns, pod.metadata.name, '--wait=true']);

    const backend = await newBackend();
    const listed = await backend.list();
    const byUser = new Map(listed.map((l) => [l.ref.user, l.status]));
    assert.equal(byUser.get('Alice Ünicode')?.phase, 'running', JSON.stringify(listed));
    assert.equal(await apiStatus(backend, alice), 200, 'adopted: routed without a start');

    // The operator saw the first ready pod go: the server is stopped (its kernels are gone),
    // said so in the status for every replica, and its replacement pod is ended.
    await watchFor<NotebookJson>(
      cluster,
      `/apis/ganymede.dev/v1alpha1/namespaces/${ns}/jupyternotebooks`,
      (n) => n.metadata.name === bobName && n.status?.phase === 'Stopped',
      { what: 'bob reported stopped by the operator' },
    );
    await waitForNoPods(bobName);
    for (const replica of [backend, await newBackend()]) {
      const bobStatus = await replica.status(bob);
      assert.deepEqual(bobStatus, { phase: 'stopped', message: LOST_MESSAGE });
      assert.equal(replica.route(bob), undefined);
    }
    assert.deepEqual((await backend.list()).find((l) => l.ref.user === 'bob')?.status, {
      phase: 'stopped',
      message: LOST_MESSAGE,
    });
  });

  it('a pod deleted while the hub watches: reported stopped, not silently restarted', async () => {
    const backend = backends[0];
    assert.ok(backend);
    const [pod] = await livePods(aliceName);
    assert.ok(pod);
    await kubectlOk(cluster, ['delete', 'pod', '-n', ns, pod.metadata.name, '--wait=false']);
    const lost = await watchFor<NotebookJson>(
      cluster,
      `/apis/ganymede.dev/v1alpha1/namespaces/${ns}/jupyternotebooks`,
      (n) => n.metadata.name === aliceName && n.status?.phase === 'Stopped',
      { what: 'alice reported stopped by the operator after her pod went away' },
    );
    assert.equal(lost.spec.stopped, false, 'the hub wrote nothing: the operator owns the outcome');
    // The backend's own watch hears of it a moment after the test's.
    for (let i = 0; i < 100 && (await backend.status(alice)).phase !== 'stopped'; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(await backend.status(alice), { phase: 'stopped', message: LOST_MESSAGE });
    assert.equal(backend.route(alice), undefined);
    await waitForNoPods(aliceName);
    assert.deepEqual(await backend.status(alice), { phase: 'stopped', message: LOST_MESSAGE });
  });

  it('delete removes the resource and keeps the claim; deleteStorage removes the claim', async () => {
    const backend = backends[0];
    assert.ok(backend);
    await backend.delete(alice);
    assert.deepEqual(await backend.status(alice), { phase: 'stopped' });
    const gone = await cluster.kubectl(['get', 'jnb', '-n', ns, aliceName]);
    assert.notEqual(gone.code, 0, 'resource deleted');
    await kubectlOk(cluster, ['get', 'pvc', '-n', ns, notebookObjectNames(aliceName).claim]);
    assert.ok(!(await backend.list()).some((l) => l.ref.user === alice.user));

    const bob: ServerRef = { user: 'bob', server: 'work' };
    const bobClaim = notebookObjectNames(notebookNameFor(bob.user, bob.server)).claim;
    await backend.delete(bob, { deleteStorage: true });
    const claim = await cluster.kubectl([
      'wait',
      '--for=delete',
      '--timeout=60s',
      '-n',
      ns,
      `pvc/${bobClaim}`,
    ]);
    assert.ok(
      claim.code === 0 || claim.stderr.includes('NotFound'),
      `claim deleted: ${claim.stderr}`,
    );
  });

  it('status of an unknown server is stopped; stop and delete of one resolve', async () => {
    const backend = backends[0];
    assert.ok(backend);
    const nobody: ServerRef = { user: 'nobody', server: 'x' };
    assert.deepEqual(await backend.status(nobody), { phase: 'stopped' });
    await backend.stop(nobody);
    await backend.delete(nobody);
    assert.equal(backend.route(nobody), undefined);
  });

  it("a hub-started pod gets JupyterHub's environment, its API token from the hub's Secret", async () => {
    const backend = await newBackend();
    const carol: ServerRef = { user: 'carol', server: 'gpu' };
    const name = notebookNameFor(carol.user, carol.server);
    const issued: string[] = [];
    const hub = {
      hubBaseUrl: '/',
      // As in ingress routing mode: the pod's own host, the hub's elsewhere.
      hubHost: 'https://hub.example.org',
      apiUrl: 'http://ganymede.hub.svc:8000/hub/api',
      issueApiToken: () => {
        issued.push(`api-token-${String(issued.length + 1)}-${'x'.repeat(32)}`);
        return Promise.resolve(issued.at(-1) ?? '');
      },
    };
    const started = await backend.start(carol, { ...startOptions(carol), hub });
    assert.equal(started.phase, 'running', JSON.stringify(started));
    assert.equal(issued.length, 1, 'one token per launch');

    // Inside the pod: a kernel reads its environment.
    const route = backend.route(carol);
    assert.ok(route);
    const base = `${route.target}${serverBaseUrl(carol)}`;
    // Straight to the pod, as the proxy would: a connection reset right after the server turned
    // ready (seen once on a loaded machine) is retried, as any client retries one.
    const postKernel = async (): Promise<Response> => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await fetch(`${base}api/kernels`, {
            method: 'POST',
            headers: { authorization: `token ${route.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ name: 'python3' }),
          });
        } catch (e) {
          if (attempt >= 10) throw e;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    };
    const kernel = await postKernel();
    assert.equal(kernel.status, 201, await kernel.clone().text());
    const { id } = (await kernel.json()) as { id: string };
    const repr = await executeOverWebSocket(
      `${base.replace('http', 'ws')}api/kernels/${id}/channels`,
      "import json, os\njson.dumps({k: v for k, v in os.environ.items() if k.startswith('JUPYTERHUB_')}, sort_keys=True)",
      { authorization: `token ${route.token}` },
    );
    const env = JSON.parse(repr.slice(1, -1)) as Record<string, string>;
    assert.deepEqual(env, {
      JUPYTERHUB_ACTIVITY_URL: 'http://ganymede.hub.svc:8000/hub/api/users/carol/activity',
      JUPYTERHUB_API_TOKEN: issued[0],
      JUPYTERHUB_API_URL: 'http://ganymede.hub.svc:8000/hub/api',
      JUPYTERHUB_BASE_URL: '/',
      JUPYTERHUB_HOST: 'https://hub.example.org',
      JUPYTERHUB_SERVER_NAME: 'gpu',
      JUPYTERHUB_SERVICE_PREFIX: '/user/carol/gpu/',
      JUPYTERHUB_USER: 'carol',
    });

    // The token is in the Secret, owned by the notebook, and nowhere in the resource.
    const hubSecret = notebookObjectNames(name).hubSecret;
    const nb = await getJson<NotebookJson & { metadata: { uid: string } }>(cluster, [
      'get',
      'jnb',
      '-n',
      ns,
      name,
    ]);
    assert.ok(!JSON.stringify(nb).includes(issued[0] ?? '?'), 'no token in the resource');
    const secret = await getJson<{
      data: Record<string, string>;
      metadata: { ownerReferences?: { uid: string }[] };
    }>(cluster, ['get', 'secret', '-n', ns, hubSecret]);
    assert.equal(Buffer.from(secret.data['token'] ?? '', 'base64').toString(), issued[0]);
    assert.deepEqual(
      secret.metadata.ownerReferences?.map((o) => o.uid),
      [nb.metadata.uid],
    );

    // A new start gets a new token in the same Secret.
    await backend.stop(carol);
    assert.equal((await backend.start(carol, { ...startOptions(carol), hub })).phase, 'running');
    assert.equal(issued.length, 2);
    const again = await getJson<{ data: Record<string, string> }>(cluster, [
      'get',
      'secret',
      '-n',
      ns,
      hubSecret,
    ]);
    assert.equal(Buffer.from(again.data['token'] ?? '', 'base64').toString(), issued[1]);
    await backend.delete(carol);
  });

  it('start after close is refused', async () => {
    const backend = await newBackend();
    await backend.close();
    await assert.rejects(backend.start(alice, startOptions(alice)), /restarting/);
  });
});
