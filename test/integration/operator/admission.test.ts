/**
 * Start admission on the real control plane with real Jupyter servers: with one turn
 * (`maxStarting: 1`), four notebooks applied at once start one after another, never two pods
 * starting together; the ones waiting say so (phase Pending, Admitted=False/Queued, no pod);
 * those within two turns of starting have their storage prepared meanwhile, the one further
 * back gets its claim only once the first server is ready; all four end Running.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Watch } from '@kubernetes/client-node';
import type { TestCluster } from '../../cluster/harness.ts';
import {
  kubectlOk,
  notebookYaml,
  waitForNotebook,
  startOperatorCluster,
  type OperatorCluster,
} from './helpers.ts';

let fixture: OperatorCluster;
let cluster: TestCluster;
let ns: string;

before(async () => {
  fixture = await startOperatorCluster('admit', { maxStarting: 1 });
  ({ cluster, namespace: ns } = fixture);
});
after(() => fixture.stop());

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
  it('four at once: one pod starting at a time, the others queued and told so, all Running', async () => {
    // Every pod the namespace has, and the most that were ever starting (not ready) together.
    const pods = new Map<string, boolean>();
    let mostStarting = 0;
    let firstReadyAt: number | undefined;
    // Read through a function: the watch callback sets it, which the type checker cannot see.
    const readyAt = (): number | undefined => firstReadyAt;
    const podWatch = await new Watch(cluster.kubeConfig).watch(
      `/api/v1/namespaces/${ns}/pods`,
      {},
      (type, pod: PodEvent) => {
        if (type === 'DELETED' || pod.metadata.deletionTimestamp) pods.delete(pod.metadata.name);
        else {
          const ready =
            pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
          pods.set(pod.metadata.name, ready);
          if (ready) firstReadyAt ??= performance.now();
        }
        mostStarting = Math.max(mostStarting, [...pods.values()].filter((r) => !r).length);
      },
      () => undefined,
    );
    // When each claim appeared, in this process's clock (creation times have whole seconds).
    const claimSeen = new Map<string, number>();
    const claimWatch = await new Watch(cluster.kubeConfig).watch(
      `/api/v1/namespaces/${ns}/persistentvolumeclaims`,
      {},
      (type, claim: { metadata: { name: string } }) => {
        if (type === 'ADDED' && !claimSeen.has(claim.metadata.name)) {
          claimSeen.set(claim.metadata.name, performance.now());
        }
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
      // One after another, each waiting until the operator has placed it, so the queue's
      // order is the order of arrival (queue times have whole seconds; ties go by name).
      const names = ['ann', 'bob', 'cat', 'dan'];
      for (const [i, name] of names.entries()) {
        await kubectlOk(
          cluster,
          ['apply', '-f', '-'],
          notebookYaml(name, ns, {
            image: 'quay.io/jupyter/minimal-notebook:latest',
            baseUrl: `/user/${name}/`,
          }),
        );
        await waitForNotebook(
          cluster,
          ns,
          name,
          (n) =>
            n.status?.conditions?.some(
              (c) => c.type === 'Admitted' && c.status === (i === 0 ? 'True' : 'False'),
            ) === true,
          i === 0 ? 'admitted' : 'queued',
        );
      }
      // dan is the third waiting for the one turn: two sets of turns away, not prepared.
      const danQueuedAt = performance.now();
      assert.ok(
        readyAt() === undefined,
        'precondition: ann was still starting when dan joined the queue (else nothing to check)',
      );
      assert.deepEqual(
        [...claimSeen.keys()].sort(),
        ['ann-home', 'bob-home', 'cat-home'],
        'the starting one and the next two have claims, dan not yet',
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
        3,
        `three waited their turn; queued: ${[...queued.keys()].join(', ')}`,
      );
      for (const nb of queued.values()) {
        assert.equal(nb.status?.phase, 'Pending');
        assert.match(
          nb.status.message ?? '',
          /starting at once; this one starts when its turn comes/,
        );
      }
      // Waiting meant no pod; every claim exists in the end.
      const claims = JSON.parse(
        await kubectlOk(cluster, ['get', 'pvc', '-n', ns, '-o', 'json']),
      ) as {
        items: unknown[];
      };
      assert.equal(claims.items.length, 4);
      const annReadyAt = readyAt();
      assert.ok(annReadyAt !== undefined && annReadyAt > danQueuedAt);
      assert.ok(
        (claimSeen.get('dan-home') ?? -Infinity) > annReadyAt,
        "dan's claim only once ann was ready (a turn came free)",
      );
      const admitted = JSON.parse(
        await kubectlOk(cluster, ['get', 'jnb', '-n', ns, '-o', 'json']),
      ) as { items: QueuedNotebook[] };
      for (const nb of admitted.items) {
        assert.equal(nb.status?.conditions?.find((c) => c.type === 'Admitted')?.status, 'True');
      }
    } finally {
      podWatch.abort();
      nbWatch.abort();
      claimWatch.abort();
    }
  });
});
