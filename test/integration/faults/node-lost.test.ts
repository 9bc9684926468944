/**
 * A node lost (issue 16, point 4), on the real control plane (node agent, real Jupyter
 * servers) with real PostgreSQL and the hub with its operator inside.
 *
 * killNode SIGKILLs the node agent and every pod process, writing nothing (a machine losing
 * power). The controller manager's node lifecycle controller marks the Node Unknown and its
 * pods not Ready; with one node it is in full-disruption mode and evicts nothing, so the pod
 * stays bound and would look Running forever. The operator judges the node itself
 * (src/kubernetes/operator/node-health.ts, `nodeLostSeconds`):
 *
 * - the server is reported stopped, to the operator's status, the REST API and the portal, with
 *   "the machine running your notebook went away; your files are kept";
 * - no pod is placed again behind the person's back, even once the node is back;
 * - Start places it again, and the file written before the loss is there;
 * - at the end: one pod, one of each object, nothing orphaned, no pod stuck terminating;
 * - a server still starting when its node is lost ends then, in plain words, not at the start
 *   time-out; its next Start runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { managedSelector } from '../../../src/kubernetes/labels.ts';
import { notebookObjectNames } from '../../../src/kubernetes/object-names.ts';
import {
  NODE_LOST_MESSAGE,
  NODE_LOST_REASON,
  NODE_LOST_STARTING_MESSAGE,
} from '../../../src/kubernetes/operator/status.ts';
import { resourceNameOf } from '../../../src/backends/kubernetes/notebook-request.ts';
import type { Browser } from '../../helpers/test-hub.ts';
import { watchUntil } from '../../cluster/watch-until.ts';
import { getJson } from '../kubernetes-backend/setup.ts';
import {
  apiServer,
  pressStart,
  signInPeople,
  startFaultCluster,
  startFaultHub,
  stopAll,
  type FaultHub,
  type FaultSetup,
} from './setup.ts';

/** Short, so the test runs in bounded time; the default is 60 s (docs/configuration.md). */
const NODE_LOST_SECONDS = 10;

interface NotebookView {
  spec: { stopped?: boolean };
  status?: { phase?: string; message?: string; conditions?: { type: string; reason: string }[] };
}

const nodeReady = (node: V1Node): string | undefined =>
  node.status?.conditions?.find((c) => c.type === 'Ready')?.status;

/** Waits until the one Node's Ready condition has this status. */
async function nodeTurns(
  cluster: FaultSetup['cluster'],
  status: 'True' | 'Unknown',
  timeoutMs: number,
): Promise<void> {
  await watchUntil<V1Node>(
    cluster.kubeConfig,
    '/api/v1/nodes',
    (_t, n) => nodeReady(n) === status,
    {
      timeoutMs,
    },
  );
}

async function replicasOf(
  cluster: FaultSetup['cluster'],
  namespace: string,
  name: string,
): Promise<number | undefined> {
  const deployment = await getJson<{ spec: { replicas?: number } }>(cluster, [
    'get',
    'deployment',
    '-n',
    namespace,
    name,
  ]);
  return deployment.spec.replicas;
}

describe('a node lost with a running notebook on it', { timeout: 600_000 }, () => {
  let setup: FaultSetup | undefined;
  let hub: FaultHub | undefined;
  let ada: Browser;
  let bo: Browser;

  before(async () => {
    setup = await startFaultCluster('faults-node');
    hub = await startFaultHub(setup, { kubernetes: { nodeLostSeconds: NODE_LOST_SECONDS } });
    [ada, bo] = (await signInPeople(hub.hub.url, ['ada', 'bo'])) as [Browser, Browser];
  });

  after(async () => {
    await stopAll({ hub, setup });
  });

  const contents = (path: string) =>
    `/user/${encodeURIComponent(ada.user)}/api/contents/${encodeURIComponent(path)}`;

  async function startAndWait(): Promise<void> {
    const start = await pressStart(ada);
    const events = await start.done;
    assert.ok(
      events.some((e) => e.ready === true),
      JSON.stringify(events),
    );
  }

  it('is reported stopped in plain words, places nothing by itself, and starts again with the files', async () => {
    assert.ok(setup && hub);
    const { cluster, namespace } = setup;
    const faults = cluster.nodeFaults;
    assert.ok(faults, 'the node-agent cluster exposes nodeFaults');
    const name = resourceNameOf({ user: 'ada', server: '' });
    const names = notebookObjectNames(name);
    const podsPath = `/api/v1/namespaces/${namespace}/pods`;
    const labelSelector = `ganymede.dev/notebook=${names.base}`;
    const notebook = () =>
      getJson<NotebookView>(cluster, ['get', 'jupyternotebook', '-n', namespace, name]);

    await startAndWait();
    const put = await ada.fetch(contents('kept.txt'), {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'file', format: 'text', content: 'written before the loss' }),
    });
    assert.ok([200, 201].includes(put.status), await put.text());
    const firstPods = await cluster.kubectl([
      'get',
      'pods',
      '-n',
      namespace,
      '-l',
      labelSelector,
      '-o',
      'json',
    ]);
    const firstPod = (JSON.parse(firstPods.stdout) as { items: V1Pod[] }).items[0];
    assert.ok(firstPod?.metadata?.uid);

    const killedAt = Date.now();
    await faults.killNode();
    await nodeTurns(cluster, 'Unknown', 90_000);
    const unknownMs = Date.now() - killedAt;
    // The operator's verdict, then the hub's (it reads the same status).
    for (let i = 0; (await apiServer(ada)) !== undefined; i++) {
      assert.ok(
        i < 120,
        'the hub reports the server stopped within 2 minutes of the Node turning Unknown',
      );
      await new Promise((r) => setTimeout(r, 500));
    }
    const stoppedMs = Date.now() - killedAt;
    process.stderr.write(
      `node lost: Node Unknown after ${String(unknownMs)} ms, server reported stopped after ${String(stoppedMs)} ms (nodeLostSeconds ${String(NODE_LOST_SECONDS)})\n`,
    );
    const lost = await notebook();
    assert.equal(lost.status?.phase, 'Stopped');
    assert.equal(lost.status.conditions?.find((c) => c.type === 'Ready')?.reason, NODE_LOST_REASON);
    assert.equal(lost.status.message, NODE_LOST_MESSAGE);
    assert.equal(lost.spec.stopped, false, 'the hub wrote nothing: the operator owns the outcome');
    const home = await ada.fetch('/hub/home');
    const page = await home.text();
    assert.ok(
      page.includes('the machine running your notebook went away; your files are kept'),
      'the portal tells the person',
    );
    const proxied = await ada.fetch(`/user/${encodeURIComponent(ada.user)}/api/status`, {
      redirect: 'manual',
    });
    assert.notEqual(proxied.status, 200, 'no route to a server on a lost node');
    await proxied.body?.cancel();
    assert.equal(
      await replicasOf(cluster, namespace, names.base),
      0,
      "no pod placed behind the person's back",
    );

    await faults.startNode();
    await nodeTurns(cluster, 'True', 60_000);
    // The returning node finishes off the pod of the lost start; none is started in its place.
    await watchUntil<V1Pod>(
      cluster.kubeConfig,
      podsPath,
      (type, p) => type === 'DELETED' && p.metadata?.uid === firstPod.metadata?.uid,
      { labelSelector, timeoutMs: 90_000 },
    ).catch(async (e: unknown) => {
      // Already gone before the watch began.
      const left = await cluster.kubectl([
        'get',
        'pods',
        '-n',
        namespace,
        '-l',
        labelSelector,
        '-o',
        'name',
      ]);
      if (left.stdout.trim() !== '') throw e;
    });
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(await apiServer(ada), undefined, 'still stopped once the node is back');
    assert.equal((await notebook()).status?.phase, 'Stopped');

    await startAndWait();
    const read = await ada.fetch(contents('kept.txt'));
    assert.equal(read.status, 200);
    assert.equal(((await read.json()) as { content: string }).content, 'written before the loss');

    const pods = JSON.parse(
      (await cluster.kubectl(['get', 'pods', '-n', namespace, '-o', 'json'])).stdout,
    ) as { items: V1Pod[] };
    assert.equal(pods.items.length, 1, pods.items.map((p) => p.metadata?.name).join(', '));
    assert.equal(pods.items[0]?.metadata?.deletionTimestamp, undefined);
    for (const kind of ['deployments', 'services', 'secrets', 'persistentvolumeclaims']) {
      const list = JSON.parse(
        (await cluster.kubectl(['get', kind, '-n', namespace, '-l', managedSelector, '-o', 'json']))
          .stdout,
      ) as { items: unknown[] };
      assert.equal(list.items.length, 1, `one ${kind} for the one notebook`);
    }
  });
  it('ends a start on a node that is lost when the node counts as lost, in plain words; the next Start runs', async () => {
    assert.ok(setup && hub);
    const { cluster, namespace } = setup;
    const faults = cluster.nodeFaults;
    assert.ok(faults);
    const name = resourceNameOf({ user: 'bo', server: '' });
    const names = notebookObjectNames(name);
    const labelSelector = `ganymede.dev/notebook=${names.base}`;
    const start = await pressStart(bo);
    // The node dies as soon as bo's pod is bound to it: Jupyter has not answered yet.
    await watchUntil<V1Pod>(
      cluster.kubeConfig,
      `/api/v1/namespaces/${namespace}/pods`,
      (_t, p) => p.spec?.nodeName !== undefined,
      { labelSelector, timeoutMs: 120_000 },
    );
    const killedAt = Date.now();
    await faults.killNode();
    const events = await start.done;
    const endedMs = Date.now() - killedAt;
    process.stderr.write(
      `node lost while starting: the start ended after ${String(endedMs)} ms (nodeLostSeconds ${String(NODE_LOST_SECONDS)})\n`,
    );
    assert.equal(
      events.some((e) => e.ready === true),
      false,
      'bo was still starting when the node went',
    );
    const last = events.at(-1);
    assert.equal(last?.failed, true, JSON.stringify(events));
    assert.equal(last.message, NODE_LOST_STARTING_MESSAGE);
    // Well before the start time-out (the fault hub's default, minutes): the node's verdict.
    assert.ok(endedMs < 90_000, `ended after ${String(endedMs)} ms`);
    const nb = await getJson<NotebookView>(cluster, [
      'get',
      'jupyternotebook',
      '-n',
      namespace,
      name,
    ]);
    assert.equal(nb.status?.phase, 'Stopped');
    assert.equal(nb.status.conditions?.find((c) => c.type === 'Ready')?.reason, NODE_LOST_REASON);
    assert.equal(nb.spec.stopped, false, 'the hub wrote nothing: the operator owns the outcome');
    assert.equal(await apiServer(bo), undefined, 'the API says stopped');
    // The status is written first, the Deployment scaled to no pod by the reconcile after it.
    for (let i = 0; (await replicasOf(cluster, namespace, names.base)) !== 0; i++) {
      assert.ok(i < 60, "no pod placed behind the person's back (replicas 0 within 30 s)");
      await new Promise((r) => setTimeout(r, 500));
    }

    await faults.startNode();
    await nodeTurns(cluster, 'True', 60_000);
    const again = await pressStart(bo);
    const ready = await again.done;
    assert.ok(
      ready.some((e) => e.ready === true),
      JSON.stringify(ready),
    );
  });
});
