/**
 * Issue 16 point 4, the cluster half: the node lost. killNode SIGKILLs the node agent and its
 * pods with nothing written; the real controller manager (node lifecycle controller, flags in
 * component-args.ts) marks the Node's Ready condition Unknown and evicts its pods; startNode
 * brings the node back and a Deployment's pod is placed and runs again.
 * (The operator/hub half — a notebook reported stopped with "the machine running your
 * notebook went away; your files are kept" — is not built yet.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { startCluster, type TestCluster } from '../../cluster/harness.ts';
import { watchUntil } from '../../cluster/watch-until.ts';

let cluster: TestCluster;
before(async () => {
  cluster = await startCluster();
});
after(() => cluster.stop());

const ns = 'default';
const podsPath = `/api/v1/namespaces/${ns}/pods`;
const labelSelector = 'app=sleeper';

const isReady = (node: V1Node): string | undefined =>
  node.status?.conditions?.find((c) => c.type === 'Ready')?.status;

test('a lost node: Node turns Unknown, its pod is evicted; back, the pod runs again', async () => {
  const faults = cluster.nodeFaults;
  assert.ok(faults, 'the node-agent cluster exposes nodeFaults');
  const created = await cluster.kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'sleeper', namespace: ns },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'sleeper' } },
        template: {
          metadata: { labels: { app: 'sleeper' } },
          spec: {
            containers: [
              { name: 'main', image: 'ganymede.test/shell', command: ['sleep', '3600'] },
            ],
          },
        },
      },
    }),
  );
  assert.equal(created.code, 0, created.stderr);
  const first = await watchUntil<V1Pod>(
    cluster.kubeConfig,
    podsPath,
    (_t, p) => p.status?.phase === 'Running',
    { labelSelector },
  );
  const firstUid = first.metadata?.uid;
  process.stderr.write(`node lost: first pod running\n`);

  const killedAt = Date.now();
  await faults.killNode();
  await watchUntil<V1Node>(
    cluster.kubeConfig,
    '/api/v1/nodes',
    (_t, n) => isReady(n) === 'Unknown',
    { timeoutMs: 90_000 },
  );
  const unknownAfterMs = Date.now() - killedAt;
  process.stderr.write(`node lost: Ready=Unknown after ${unknownAfterMs} ms\n`);
  // Evicted: the lost pod marked for deletion (the node lifecycle controller's taint manager).
  await watchUntil<V1Pod>(
    cluster.kubeConfig,
    podsPath,
    (t, p) =>
      p.metadata?.uid === firstUid && (t === 'DELETED' || Boolean(p.metadata?.deletionTimestamp)),
    { labelSelector, timeoutMs: 90_000 },
  );
  const evictedAfterMs = Date.now() - killedAt;
  process.stderr.write(
    `node lost: Ready=Unknown after ${unknownAfterMs} ms, pod evicted after ${evictedAfterMs} ms\n`,
  );

  await faults.startNode();
  await watchUntil<V1Node>(cluster.kubeConfig, '/api/v1/nodes', (_t, n) => isReady(n) === 'True', {
    timeoutMs: 60_000,
  });
  const again = await watchUntil<V1Pod>(
    cluster.kubeConfig,
    podsPath,
    (_t, p) => p.metadata?.uid !== firstUid && p.status?.phase === 'Running',
    { labelSelector, timeoutMs: 90_000 },
  );
  assert.notEqual(again.metadata?.uid, firstUid);
  // The lost pod is finished off by the returning node: no orphan left bound to it.
  await watchUntil<V1Pod>(
    cluster.kubeConfig,
    podsPath,
    (t, p) => p.metadata?.uid === firstUid && t === 'DELETED',
    { labelSelector, timeoutMs: 60_000 },
  ).catch(async () => {
    const pods = await cluster.kubectl(['get', 'pods', '-n', ns, '-o', 'wide']);
    assert.fail(`the lost pod was never removed:\n${pods.stdout}`);
  });
});
