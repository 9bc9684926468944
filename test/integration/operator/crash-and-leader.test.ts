/**
 * The operator killed with SIGKILL in the middle of reconciling 20 notebooks, then
 * restarted, converges with no duplicate and no orphaned object; and two replicas with
 * leader election never both reconcile, and hand over when the leader stops.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startCluster, type TestCluster } from '../../cluster/harness.ts';
import { startOperator } from '../../../src/kubernetes/operator/operator.ts';
import {
  installCrd,
  kubectlOk,
  notebookYaml,
  restrictedNamespace,
  waitForNone,
  waitForNotebook,
  watchFor,
  type NotebookObject,
} from './helpers.ts';

const runner = fileURLToPath(new URL('./run-operator.ts', import.meta.url));
const cli = fileURLToPath(new URL('../../../bin/ganymede', import.meta.url));

let cluster: TestCluster;
const children: ChildProcess[] = [];

before(async () => {
  cluster = await startCluster({ nodeAgent: false });
  await installCrd(cluster);
});
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await cluster.stop();
});

async function startChild(ns: string, workers: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [runner, cluster.kubeconfigPath, ns, String(workers)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  child.stdout.setEncoding('utf8');
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: string) => {
      out += c;
      if (out.includes('ready\n')) resolve();
    });
    child.once('exit', (code) => {
      reject(new Error(`operator exited early (${code})`));
    });
  });
  return child;
}

interface Listed {
  items: {
    kind?: string;
    metadata: {
      name: string;
      uid: string;
      annotations?: Record<string, string>;
      ownerReferences?: { uid: string; kind: string }[];
    };
  }[];
}

describe('SIGKILL in the middle of reconciling 20 notebooks', () => {
  it('converges after a restart with no duplicates and no orphans', async (t) => {
    const ns = await restrictedNamespace(cluster, 'kill');
    const names = Array.from({ length: 20 }, (_, i) => `nb-${i}`);
    // Stopped notebooks: every object is created, no Jupyter process is needed.
    await kubectlOk(
      cluster,
      ['apply', '-f', '-'],
      names
        .map((n) =>
          notebookYaml(n, ns, { image: 'quay.io/jupyter/minimal-notebook:latest', stopped: true }),
        )
        .join('\n'),
    );

    const first = await startChild(ns, 1);
    // Kill it as soon as the third Deployment appears: mid-way through the 20.
    const seen = new Set<string>();
    await watchFor<{ metadata: { name: string } }>(
      cluster,
      `/apis/apps/v1/namespaces/${ns}/deployments`,
      (d) => {
        seen.add(d.metadata.name);
        if (seen.size >= 3) first.kill('SIGKILL');
        return seen.size >= 3;
      },
      { what: 'the first Deployments' },
    );
    await once(first, 'exit');
    assert.equal(first.signalCode, 'SIGKILL');
    const deploymentsAtKill = (
      await kubectlOk(cluster, ['get', 'deployments', '-n', ns, '-o', 'name'])
    )
      .trim()
      .split('\n')
      .filter(Boolean).length;
    t.diagnostic(`SIGKILL with ${deploymentsAtKill} of 20 Deployments created`);
    assert.ok(
      deploymentsAtKill < 20,
      `killed mid-way (${deploymentsAtKill} of 20 Deployments existed)`,
    );

    const second = await startChild(ns, 4);
    const notebooks = new Map<string, NotebookObject>();
    for (const n of names) {
      notebooks.set(
        n,
        await waitForNotebook(cluster, ns, n, (nb) => nb.status?.phase === 'Stopped', 'Stopped'),
      );
    }

    const list = async (kinds: string): Promise<Listed['items']> =>
      (
        JSON.parse(
          await kubectlOk(cluster, [
            'get',
            kinds,
            '-n',
            ns,
            '-l',
            'app.kubernetes.io/managed-by=ganymede-operator',
            '-o',
            'json',
          ]),
        ) as Listed
      ).items;
    for (const kind of [
      'secrets',
      'persistentvolumeclaims',
      'services',
      'networkpolicies',
      'deployments',
    ]) {
      const items = await list(kind);
      const owners = items.map((i) => i.metadata.annotations?.['ganymede.dev/notebook-name']);
      assert.deepEqual([...owners].sort(), [...names].sort(), `${kind}: exactly one per notebook`);
      for (const item of items) {
        const nb = notebooks.get(item.metadata.annotations?.['ganymede.dev/notebook-name'] ?? '');
        assert.ok(nb, `${kind}/${item.metadata.name} belongs to an existing notebook`);
        if (kind !== 'persistentvolumeclaims') {
          assert.deepEqual(
            item.metadata.ownerReferences?.map((r) => r.uid),
            [nb.metadata.uid],
            `${kind}/${item.metadata.name} is owned by it`,
          );
        }
      }
    }
    // Generation 1 everywhere: no Deployment's template was changed after it was created, so
    // the deployment controller (asynchronous, hence the wait) makes exactly one ReplicaSet each.
    await kubectlOk(cluster, [
      'wait',
      '-n',
      ns,
      'deployments',
      '--all',
      '--for=jsonpath={.status.observedGeneration}=1',
      '--timeout=60s',
    ]);
    const replicaSets = JSON.parse(
      await kubectlOk(cluster, ['get', 'replicasets', '-n', ns, '-o', 'json']),
    ) as Listed;
    assert.equal(replicaSets.items.length, 20, 'one ReplicaSet per Deployment');

    second.kill('SIGTERM');
    await once(second, 'exit');
    assert.equal(second.exitCode, 0, 'a graceful stop exits 0');
  });
});

describe('leader election', () => {
  it('lets one replica reconcile and hands over when it stops', async () => {
    const ns = await restrictedNamespace(cluster, 'lease');
    const timing = { leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 300 };
    const a = startOperator({
      kubeConfig: cluster.kubeConfig,
      namespace: ns,
      leaderElection: { namespace: ns, identity: 'replica-a', timing },
    });
    await a.ready;
    const b = startOperator({
      kubeConfig: cluster.kubeConfig,
      namespace: ns,
      leaderElection: { namespace: ns, identity: 'replica-b', timing },
    });
    try {
      const lease = JSON.parse(
        await kubectlOk(cluster, ['get', 'lease', '-n', ns, 'ganymede-operator', '-o', 'json']),
      ) as {
        spec: { holderIdentity: string };
      };
      assert.equal(lease.spec.holderIdentity, 'replica-a');
      assert.equal(a.isLeader(), true);
      assert.equal(b.isLeader(), false);

      await kubectlOk(
        cluster,
        ['apply', '-f', '-'],
        notebookYaml('first', ns, { image: 'i', stopped: true }),
      );
      await waitForNotebook(
        cluster,
        ns,
        'first',
        (n) => n.status?.phase === 'Stopped',
        'reconciled by a',
      );
      assert.equal(b.isLeader(), false, 'b stays a follower while a renews');

      await a.stop();
      await b.ready;
      assert.equal(b.isLeader(), true);
      const handed = JSON.parse(
        await kubectlOk(cluster, ['get', 'lease', '-n', ns, 'ganymede-operator', '-o', 'json']),
      ) as {
        spec: { holderIdentity: string; leaseTransitions: number };
      };
      assert.equal(handed.spec.holderIdentity, 'replica-b');
      assert.equal(handed.spec.leaseTransitions, 1);
      await kubectlOk(
        cluster,
        ['apply', '-f', '-'],
        notebookYaml('second', ns, { image: 'i', stopped: true }),
      );
      await waitForNotebook(
        cluster,
        ns,
        'second',
        (n) => n.status?.phase === 'Stopped',
        'reconciled by b',
      );
      await kubectlOk(cluster, ['delete', 'jnb', '-n', ns, '--all']);
      await waitForNone(
        cluster,
        ns,
        'deployments',
        'app.kubernetes.io/managed-by=ganymede-operator',
      );
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});

describe('ganymede operator (the command)', () => {
  it('reconciles with leader election and stops cleanly on SIGTERM', async () => {
    const ns = await restrictedNamespace(cluster, 'cli');
    const child = spawn(
      cli,
      [
        'operator',
        '--kubeconfig',
        cluster.kubeconfigPath,
        '-n',
        ns,
        '--leader-elect',
        '--lease-namespace',
        ns,
        '--identity',
        'cli-test',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let logs = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (logs += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (logs += c));
    await kubectlOk(
      cluster,
      ['apply', '-f', '-'],
      notebookYaml('by-cli', ns, { image: 'i', stopped: true }),
    );
    await waitForNotebook(
      cluster,
      ns,
      'by-cli',
      (n) => n.status?.phase === 'Stopped',
      'reconciled by the CLI',
    );
    const lease = await kubectlOk(cluster, [
      'get',
      'lease',
      '-n',
      ns,
      'ganymede-operator',
      '-o',
      'jsonpath={.spec.holderIdentity}',
    ]);
    assert.equal(lease, 'cli-test');
    child.kill('SIGTERM');
    await once(child, 'exit');
    assert.equal(child.exitCode, 0, logs);
    assert.match(logs, /"msg":"operator reconciling"/);
    const released = await kubectlOk(cluster, [
      'get',
      'lease',
      '-n',
      ns,
      'ganymede-operator',
      '-o',
      'jsonpath={.spec.holderIdentity}',
    ]);
    assert.equal(released, '', 'the Lease is handed back on a clean stop');
  });
});
