/**
 * Start admission on the real control plane with real Jupyter servers: with one turn
 * (`maxStarting: 1`), three notebooks applied at once start one after another, never two pods
 * starting together; the ones waiting say so (phase Pending, Admitted=False/Queued, storage
 * already prepared, no pod) and all three end Running.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Watch } from '@kubernetes/client-node';
import { startCluster, type TestCluster } from '../../cluster/harness.ts';
import { startOperator, type RunningOperator } from '../../../src/kubernetes/operator/operator.ts';
import {
  installCrd,
  kubectlOk,
  notebookYaml,
  restrictedNamespace,
  waitForNotebook,
} from './helpers.ts';

let cluster: TestCluster;
let operator: RunningOperator;
let ns: string;

before(async () => {
  cluster = await startCluster();
  await installCrd(cluster);
  ns = await restrictedNamespace(cluster, 'admit');
  operator = startOperator({ kubeConfig: cluster.kubeConfig, namespace: ns, maxStarting: 1 });
  await operator.ready;
});
after(async () => {
  await operator.stop();
  await cluster.stop();
});

interface PodEvent {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  status?: { conditions?: { type: string; status: string }[] };
}

interface QueuedNotebook {
  metadata: { name: string };
  status?: {
    phase?: string;
    message?: string;
    conditions?: { type: string; status: string; reason: string }[];
  };
}

describe('start admission (maxStarting 1)', () => {
  it('three at once: one pod starting at a time, the others queued and told so, all Running', async () => {
    // Every pod the namespace has, and the most that were ever starting (not ready) together.
    const pods = new Map<string, boolean>();
    let mostStarting = 0;
    const podWatch = await new Watch(cluster.kubeConfig).watch(
      `/api/v1/namespaces/${ns}/pods`,
      {},
      (type, pod: PodEvent) => {
        if (type === 'DELETED' || pod.metadata.deletionTimestamp) pods.delete(pod.metadata.name);
        else {
          const ready =
            pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
          pods.set(pod.metadata.name, ready);
        }
        mostStarting = Math.max(mostStarting, [...pods.values()].filter((r) => !r).length);
      },
      () => undefined,
    );
    const queued = new Map<string, QueuedNotebook>();
    const nbWatch = await new Watch(cluster.kubeConfig).watch(
      `/apis/ganymede.dev/v1alpha1/namespaces/${ns}/jupyternotebooks`,
      {},
      (_type, nb: QueuedNotebook) => {
        const admitted = nb.status?.conditions?.find((c) => c.type === 'Admitted');
        if (admitted?.status === 'False' && admitted.reason === 'Queued') {
          queued.set(nb.metadata.name, nb);
        }
      },
      () => undefined,
    );
    try {
      const names = ['ann', 'bob', 'cat'];
      await kubectlOk(
        cluster,
        ['apply', '-f', '-'],
        names
          .map((name) =>
            notebookYaml(name, ns, {
              image: 'quay.io/jupyter/minimal-notebook:latest',
              baseUrl: `/user/${name}/`,
            }),
          )
          .join('\n---\n'),
      );
      const running = await Promise.all(
        names.map(async (name) => {
          await waitForNotebook(
            cluster,
            ns,
            name,
            (n) => n.status?.phase === 'Running',
            'Running',
            240_000,
          );
          return name;
        }),
      );
      assert.deepEqual(running, names);
      assert.equal(mostStarting, 1, 'never more than one pod starting at a time');
      assert.equal(
        queued.size,
        2,
        `two waited their turn; queued: ${[...queued.keys()].join(', ')}`,
      );
      for (const nb of queued.values()) {
        assert.equal(nb.status?.phase, 'Pending');
        assert.match(
          nb.status.message ?? '',
          /starting at once; this one starts when its turn comes/,
        );
      }
      // Waiting meant no pod, but storage was prepared meanwhile.
      const claims = JSON.parse(
        await kubectlOk(cluster, ['get', 'pvc', '-n', ns, '-o', 'json']),
      ) as {
        items: unknown[];
      };
      assert.equal(claims.items.length, 3);
      const admitted = JSON.parse(
        await kubectlOk(cluster, ['get', 'jnb', '-n', ns, '-o', 'json']),
      ) as { items: QueuedNotebook[] };
      for (const nb of admitted.items) {
        assert.equal(nb.status?.conditions?.find((c) => c.type === 'Admitted')?.status, 'True');
      }
    } finally {
      podWatch.abort();
      nbWatch.abort();
    }
  });
});
