/**
 * The operator on the real control plane with real Jupyter servers run by the node agent,
 * in a namespace that enforces the `restricted` Pod Security Standard: start, token, files,
 * stop, start again, delete; and the failure paths a user meets (unknown image, too much
 * memory) with their plain-language messages.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestCluster } from '../../cluster/harness.ts';
import {
  kubectlOk,
  notebookYaml,
  waitForNone,
  waitForNotebook,
  watchFor,
  startOperatorCluster,
  type OperatorCluster,
} from './helpers.ts';

let fixture: OperatorCluster;
let cluster: TestCluster;
let ns: string;

before(async () => {
  fixture = await startOperatorCluster('life');
  ({ cluster, namespace: ns } = fixture);
});
after(() => fixture.stop());

interface PodList {
  items: { metadata: { name: string; deletionTimestamp?: string }; status?: { podIP?: string } }[];
}

async function podsOf(name: string): Promise<PodList['items']> {
  const out = await kubectlOk(cluster, [
    'get',
    'pods',
    '-n',
    ns,
    '-l',
    `ganymede.dev/notebook=${name}`,
    '-o',
    'json',
  ]);
  return (JSON.parse(out) as PodList).items;
}

async function tokenOf(secretName: string): Promise<string> {
  const out = await kubectlOk(cluster, [
    'get',
    'secret',
    '-n',
    ns,
    secretName,
    '-o',
    'jsonpath={.data.token}',
  ]);
  return Buffer.from(out, 'base64').toString('utf8');
}

async function serverBase(name: string): Promise<string> {
  const live = (await podsOf(name)).filter((p) => !p.metadata.deletionTimestamp);
  assert.equal(live.length, 1, 'one pod');
  const ip = live[0]?.status?.podIP;
  assert.ok(ip, 'the pod has an IP');
  return `http://${ip}:8888/user/alice/`;
}

describe('a notebook from apply to delete', () => {
  const name = 'alice';
  let token = '';

  it('apply → Running; the server answers with its token at the pod IP', async () => {
    await kubectlOk(
      cluster,
      ['apply', '-f', '-'],
      notebookYaml(name, ns, {
        image: 'quay.io/jupyter/minimal-notebook:latest',
        baseUrl: '/user/alice/',
        resources: { cpu: '100m', memory: '1Gi' },
      }),
    );
    const nb = await waitForNotebook(
      cluster,
      ns,
      name,
      (n) => n.status?.phase === 'Running',
      'Running',
    );
    assert.equal(nb.status?.message, 'The notebook server is running.');
    assert.equal(nb.status.url, `http://alice.${ns}.svc:8888/user/alice/`);
    assert.ok(nb.status.readyAt && !Number.isNaN(Date.parse(nb.status.readyAt)));
    token = await tokenOf(nb.status.tokenSecretName ?? '');
    assert.match(token, /^[0-9a-f]{64}$/);
    const base = await serverBase(name);
    const ok = await fetch(`${base}api/status`, { headers: { authorization: `token ${token}` } });
    assert.equal(ok.status, 200);
    const refused = await fetch(`${base}api/status`);
    assert.equal(refused.status, 403, 'no token, no access');
  });

  it('writes a file into the home volume', async () => {
    const base = await serverBase(name);
    const put = await fetch(`${base}api/contents/kept.txt`, {
      method: 'PUT',
      headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'file', format: 'text', content: 'still here' }),
    });
    assert.equal(put.status, 201, await put.text());
  });

  it('kubectl get jnb shows the printer columns', async () => {
    const out = await kubectlOk(cluster, ['get', 'jnb', '-n', ns, name]);
    const [header, row] = out.trim().split('\n');
    assert.match(header ?? '', /^NAME\s+PHASE\s+URL\s+AGE$/);
    assert.match(
      row ?? '',
      new RegExp(`^alice\\s+Running\\s+http://alice\\.${ns}\\.svc:8888/user/alice/\\s+\\d+s$`),
    );
    const wide = await kubectlOk(cluster, [
      'get',
      'jupyternotebooks.ganymede.dev',
      '-n',
      ns,
      name,
      '-o',
      'wide',
    ]);
    assert.match(wide, /MESSAGE/);
    assert.match(wide, /The notebook server is running\./);
  });

  it('puts back an owned object someone deleted', async () => {
    const before = await kubectlOk(cluster, [
      'get',
      'service',
      '-n',
      ns,
      name,
      '-o',
      'jsonpath={.metadata.uid}',
    ]);
    await kubectlOk(cluster, ['delete', 'service', '-n', ns, name]);
    const back = await watchFor<{ metadata: { name: string; uid: string } }>(
      cluster,
      `/api/v1/namespaces/${ns}/services`,
      (svc, type) =>
        type !== 'DELETED' && svc.metadata.name === name && svc.metadata.uid !== before,
      { what: 'the Service to be re-created' },
    );
    assert.notEqual(back.metadata.uid, before);
  });

  it('stopped: true → Stopped, pods gone, claim kept', async () => {
    await kubectlOk(cluster, [
      'patch',
      'jnb',
      '-n',
      ns,
      name,
      '--type=merge',
      '-p',
      '{"spec":{"stopped":true}}',
    ]);
    const nb = await waitForNotebook(
      cluster,
      ns,
      name,
      (n) => n.status?.phase === 'Stopped',
      'Stopped',
    );
    assert.equal(nb.status?.message, 'The notebook server is stopped. Your files are kept.');
    assert.equal(nb.status.readyAt, undefined);
    assert.deepEqual(await podsOf(name), []);
    await kubectlOk(cluster, ['get', 'pvc', '-n', ns, 'alice-home']);
  });

  it('stopped: false → Running again, the file is still there, same token', async () => {
    await kubectlOk(cluster, [
      'patch',
      'jnb',
      '-n',
      ns,
      name,
      '--type=merge',
      '-p',
      '{"spec":{"stopped":false}}',
    ]);
    await waitForNotebook(cluster, ns, name, (n) => n.status?.phase === 'Running', 'Running again');
    const base = await serverBase(name);
    const get = await fetch(`${base}api/contents/kept.txt`, {
      headers: { authorization: `token ${token}` },
    });
    assert.equal(get.status, 200);
    assert.equal(((await get.json()) as { content: string }).content, 'still here');
  });

  it('delete → owned objects gone, claim kept', async () => {
    await kubectlOk(cluster, ['delete', 'jnb', '-n', ns, name, '--wait=true']);
    const selector = `ganymede.dev/notebook=${name}`;
    for (const kind of ['deployments', 'services', 'secrets', 'networkpolicies', 'pods']) {
      await waitForNone(cluster, ns, kind, selector);
    }
    const left = await kubectlOk(cluster, [
      'get',
      'all,secrets,networkpolicies,pvc',
      '-n',
      ns,
      '-l',
      selector,
      '-o',
      'name',
    ]);
    assert.deepEqual(left.trim().split('\n'), ['persistentvolumeclaim/alice-home']);
  });
});

describe('storage.retain: false', () => {
  it('deletes the claim with the notebook', async () => {
    await kubectlOk(
      cluster,
      ['apply', '-f', '-'],
      notebookYaml('scratch', ns, {
        image: 'quay.io/jupyter/minimal-notebook:latest',
        stopped: true,
        storage: { retain: false },
      }),
    );
    await waitForNotebook(cluster, ns, 'scratch', (n) => n.status?.phase === 'Stopped', 'Stopped');
    await kubectlOk(cluster, ['get', 'pvc', '-n', ns, 'scratch-home']);
    await kubectlOk(cluster, ['delete', 'jnb', '-n', ns, 'scratch']);
    await waitForNone(cluster, ns, 'pvc', 'ganymede.dev/notebook=scratch');
    const left = await kubectlOk(cluster, [
      'get',
      'pvc,deployments,secrets',
      '-n',
      ns,
      '-l',
      'ganymede.dev/notebook=scratch',
      '-o',
      'name',
    ]);
    assert.equal(left.trim(), '');
  });
});

describe('what a user is told when a notebook cannot start', () => {
  it('an unknown image: Failed, "could not be downloaded"', async () => {
    await kubectlOk(
      cluster,
      ['apply', '-f', '-'],
      notebookYaml('ghost', ns, { image: 'registry.example.org/nobody/nothing:1' }),
    );
    const nb = await waitForNotebook(
      cluster,
      ns,
      'ghost',
      (n) => (n.status?.message ?? '').includes('could not be downloaded'),
      'image message',
    );
    assert.equal(nb.status?.phase, 'Failed');
    assert.equal(
      nb.status.message,
      'The environment image "registry.example.org/nobody/nothing:1" could not be downloaded. Check that its name and tag are right; if they are, ask your administrator whether the cluster can reach that registry.',
    );
  });

  it('a server that crashes: Failed, "stopped unexpectedly" with its last log lines', async (t) => {
    // The test image has JupyterLab but not the classic Notebook, so `jupyter notebook` exits
    // at once, as it would in a real image without that interface.
    await kubectlOk(
      cluster,
      ['apply', '-f', '-'],
      notebookYaml('crashy', ns, {
        image: 'quay.io/jupyter/minimal-notebook:latest',
        interface: 'notebook',
      }),
    );
    const nb = await waitForNotebook(
      cluster,
      ns,
      'crashy',
      (n) => n.status?.phase === 'Failed',
      'Failed',
    );
    assert.match(
      nb.status?.message ?? '',
      /^The notebook server stopped unexpectedly \(exit code [1-9]\d*\)\. Its last log lines:\n/,
    );
    assert.match(nb.status?.message ?? '', /Jupyter command `jupyter-notebook` not found\.$/);
    t.diagnostic(nb.status?.message ?? '');
  });

  it('storage that cannot be made: Pending, with a storage message', async () => {
    const storageProblem =
      /^(Storage for this notebook could not be created|The notebook's storage)/;
    await kubectlOk(
      cluster,
      ['apply', '-f', '-'],
      notebookYaml('nostore', ns, {
        image: 'quay.io/jupyter/minimal-notebook:latest',
        storage: { className: 'no-such-class' },
      }),
    );
    const nb = await waitForNotebook(
      cluster,
      ns,
      'nostore',
      // Wait for the failure itself: "Preparing storage for your files." comes first.
      (n) => storageProblem.test(n.status?.message ?? ''),
      'storage message',
    );
    assert.equal(nb.status?.phase, 'Pending');
    assert.match(nb.status.message ?? '', storageProblem);
  });

  it('an impossible memory request: Pending, "No machine … has 100Ti memory free"', async () => {
    await kubectlOk(
      cluster,
      ['apply', '-f', '-'],
      notebookYaml('huge', ns, {
        image: 'quay.io/jupyter/minimal-notebook:latest',
        resources: { memory: '100Ti' },
      }),
    );
    const nb = await waitForNotebook(
      cluster,
      ns,
      'huge',
      (n) => (n.status?.message ?? '').includes('No machine'),
      'unschedulable message',
    );
    assert.equal(nb.status?.phase, 'Pending');
    assert.match(
      nb.status.message ?? '',
      /^No machine in the cluster has 100Ti memory free that this notebook asks for\./,
    );
  });

  it("a profile's node pool the cluster lacks: Pending, in plain words, and the pod stays put", async () => {
    await kubectlOk(
      cluster,
      ['apply', '-f', '-'],
      notebookYaml('gpu-pool', ns, {
        image: 'quay.io/jupyter/minimal-notebook:latest',
        nodeSelector: { 'example.org/pool': 'gpu' },
        tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      }),
    );
    const nb = await waitForNotebook(
      cluster,
      ns,
      'gpu-pool',
      (n) => (n.status?.message ?? '').includes('particular machines'),
      'no matching machine',
    );
    assert.equal(nb.status?.phase, 'Pending');
    assert.match(nb.status.message ?? '', /^This environment runs only on particular machines/);
    const pods = JSON.parse(
      await kubectlOk(cluster, [
        'get',
        'pods',
        '-n',
        ns,
        '-l',
        'ganymede.dev/notebook=gpu-pool',
        '-o',
        'json',
      ]),
    ) as { items: { spec: { nodeName?: string; nodeSelector?: Record<string, string> } }[] };
    assert.equal(pods.items.length, 1);
    assert.equal(pods.items[0]?.spec.nodeName, undefined, 'never placed on the wrong node');
    assert.deepEqual(pods.items[0]?.spec.nodeSelector, { 'example.org/pool': 'gpu' });
  });
});
