import { it } from 'node:test';
import { createKubernetesBackend } from '../../../src/backends/kubernetes/index.ts';
import { startOperator } from '../../../src/kubernetes/operator/operator.ts';
import { notebookNameFor } from '../../../src/kubernetes/object-names.ts';
import { serverBaseUrl } from '../../../src/servers/server-service.ts';
import { startCluster } from '../../cluster/harness.ts';
import { getJson, installCrd, jupyterProfile, restrictedNamespace } from '../kubernetes-backend/setup.ts';

it('debug stop', async () => {
  const cluster = await startCluster();
  try {
    await installCrd(cluster);
    const ns = await restrictedNamespace(cluster, 'dbg');
    const operator = startOperator({ kubeConfig: cluster.kubeConfig, namespace: ns });
    await operator.ready;
    const backend = await createKubernetesBackend({ kubeConfig: cluster.kubeConfig, namespace: ns, stopWaitMs: 15_000 });
    const ref = { user: 'alice', server: '' };
    console.log('start', await backend.start(ref, { profile: jupyterProfile, baseUrl: serverBaseUrl(ref) }));
    const name = notebookNameFor('alice', '');
    console.log(JSON.stringify((await getJson<{status: unknown; metadata: unknown}>(cluster, ['get', 'jnb', '-n', ns, name])), null, 1));
    await backend.stop(ref);
    console.log('after stop', await backend.status(ref));
    for (let i = 0; i < 20; i++) {
      const pods = await cluster.kubectl(['get', 'pods', '-n', ns, '-o', 'wide']);
      const nb = await getJson<{ status: { phase: string } }>(cluster, ['get', 'jnb', '-n', ns, name]);
      console.log(i, nb.status.phase, pods.stdout.replaceAll('\n', ' | '));
      await new Promise((r) => setTimeout(r, 1000));
    }
    console.log(JSON.stringify((await getJson<{status: unknown; metadata: unknown}>(cluster, ['get', 'jnb', '-n', ns, name])), null, 1));
    await backend.close();
    await operator.stop();
  } finally {
    await cluster.stop();
  }
});
