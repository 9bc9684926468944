/**
 * The operator on a real node: kubelet + containerd running the docker-stacks-like notebook
 * image (test/cluster/images/) pulled by its real name from this run's registry, with volumes
 * that behave like users' volumes, Services through kube-proxy and names through cluster DNS.
 * What the node agent cannot show: the pod's real security from inside the container, the
 * home volume writable by uid 1000 only because the kubelet applies fsGroup, a real image pull
 * ("Downloading the environment" on the first start only), a real ErrImagePull, and a real
 * out-of-memory kill.
 */
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { after, before, describe, it } from 'node:test';
import type { TestCluster } from '../../cluster/harness.ts';
import { notebookImage } from '../../cluster/real-node/node-images.ts';
import { executeOverWebSocket } from '../../helpers/jupyter-kernel.ts';
import {
  kubectlOk,
  notebookYaml,
  startOperatorCluster,
  waitForNone,
  waitForNotebook,
  watchFor,
  type NotebookObject,
  type OperatorCluster,
} from '../operator/helpers.ts';

let fixture: OperatorCluster;
let cluster: TestCluster;
let ns: string;

before(async () => {
  fixture = await startOperatorCluster('real', {}, { node: 'kubelet' });
  ({ cluster, namespace: ns } = fixture);
});
after(() => fixture.stop());

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

/** Every Ready reason the notebook's status goes through until `until` holds. */
async function reasonsUntil(
  name: string,
  until: (nb: NotebookObject) => boolean,
  what: string,
  timeoutMs = 180_000,
): Promise<{ reasons: string[]; last: NotebookObject }> {
  const reasons: string[] = [];
  const last = await waitForNotebook(
    cluster,
    ns,
    name,
    (nb) => {
      const reason = nb.status?.conditions?.find((c) => c.type === 'Ready')?.reason;
      if (reason && reasons.at(-1) !== reason) reasons.push(reason);
      return until(nb);
    },
    what,
    timeoutMs,
  );
  return { reasons, last };
}

/** The operator's in-cluster URL, resolved through cluster DNS as a pod would resolve it. */
async function inClusterBase(url: string): Promise<string> {
  const parsed = new URL(url);
  const resolver = new Resolver({ timeout: 2000, tries: 3 });
  resolver.setServers([cluster.realNode?.addresses.dnsServiceAddress ?? '']);
  // Pods find `<svc>.<ns>.svc` through their search list; the host asks for the full name.
  const [address] = await resolver.resolve4(`${parsed.hostname}.cluster.local`);
  assert.ok(address, `cluster DNS has no address for ${parsed.hostname}`);
  assert.ok(
    address.startsWith('10.214.'),
    `the name resolves to the Service's ClusterIP: ${address}`,
  );
  return `http://${address}:${parsed.port}${parsed.pathname}`;
}

/**
 * A Service's address answers once the endpoint controller has listed the new pod and
 * kube-proxy has written its rules: a moment after the pod turns Ready, as for any client in a
 * cluster. Retries connection failures (never HTTP answers) for up to 30 s.
 */
async function fetchService(url: string, init?: RequestInit): Promise<Response> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function setStopped(name: string, stopped: boolean): Promise<void> {
  await kubectlOk(cluster, [
    'patch',
    'jupyternotebook',
    name,
    '-n',
    ns,
    '--type=merge',
    '-p',
    JSON.stringify({ spec: { stopped } }),
  ]);
}

async function execIn(pod: string, script: string): Promise<string> {
  return kubectlOk(cluster, ['exec', '-n', ns, pod, '-c', 'notebook', '--', 'sh', '-c', script]);
}

async function notebookPod(name: string): Promise<string> {
  const out = await kubectlOk(cluster, [
    'get',
    'pods',
    '-n',
    ns,
    '-l',
    `ganymede.dev/notebook=${name}`,
    '-o',
    'jsonpath={.items[0].metadata.name}',
  ]);
  assert.ok(out, `a pod of ${name}`);
  return out;
}

describe('a real node (kubelet + containerd)', { timeout: 900_000 }, () => {
  it('is a kubelet with containerd, Ready, registered under the Node authorizer', async () => {
    const node = JSON.parse(
      await kubectlOk(cluster, ['get', 'node', cluster.realNode?.nodeName ?? '', '-o', 'json']),
    ) as { status: { nodeInfo: { containerRuntimeVersion: string; kubeletVersion: string } } };
    assert.match(node.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\/2\./);
    assert.equal(node.status.nodeInfo.kubeletVersion, 'v1.36.3');
  });

  it('runs a notebook: downloads the image once, keeps files written as uid 1000, runs cells, answers on its in-cluster URL', async (t) => {
    const applied = Date.now();
    await kubectlOk(
      cluster,
      ['apply', '-f', '-'],
      notebookYaml('alice', ns, { image: notebookImage, resources: { memory: '1Gi' } }),
    );
    const first = await reasonsUntil('alice', (nb) => nb.status?.phase === 'Running', 'Running');
    t.diagnostic(`first start (image pulled): Running ${Date.now() - applied} ms after apply`);
    assert.ok(
      first.reasons.includes('DownloadingImage'),
      `the first start says "Downloading the environment": ${first.reasons.join(' → ')}`,
    );
    const url = first.last.status?.url ?? '';
    assert.match(url, new RegExp(`^http://alice\\.${ns}\\.svc:8888/`));
    const token = await tokenOf(first.last.status?.tokenSecretName ?? '');
    const base = await inClusterBase(url);
    const headers = { authorization: `token ${token}` };

    // A file in the home volume: written by the server running as uid 1000 (fsGroup 100).
    const put = await fetchService(`${base}api/contents/hello.txt`, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'file', format: 'text', content: 'kept across restarts' }),
    });
    assert.equal(put.status, 201, await put.text());

    // A cell through the kernel's WebSocket.
    const created = await fetch(`${base}api/kernels`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(created.status, 201, await created.clone().text());
    const kernel = (await created.json()) as { id: string };
    const result = await executeOverWebSocket(
      `${base.replace('http:', 'ws:')}api/kernels/${kernel.id}/channels`,
      'import os; (os.getuid(), os.getgid(), 6 * 7)',
      headers,
      120_000,
    );
    assert.equal(result, '(1000, 100, 42)');

    // The pod's effective security, seen from inside the container.
    const pod = await notebookPod('alice');
    const inside = await execIn(
      pod,
      'id -u; id -g; grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status; ' +
        'ls /var/run/secrets/kubernetes.io/serviceaccount 2>&1 || true; stat -c "%u:%g %a" ~/hello.txt',
    );
    const lines = inside.trim().split('\n');
    assert.equal(lines[0], '1000', inside);
    assert.equal(lines[1], '100', inside);
    assert.match(inside, /CapEff:\s+0000000000000000/);
    assert.match(inside, /CapBnd:\s+0000000000000000/);
    assert.match(inside, /NoNewPrivs:\s+1/);
    assert.match(inside, /Seccomp:\s+2/);
    assert.match(inside, /No such file or directory/, 'no service-account token is mounted');
    assert.match(inside, /^1000:100 /m, 'the file belongs to the user and the fsGroup');

    // Stop and start: the file is still there, and the image is not downloaded again.
    await setStopped('alice', true);
    await waitForNotebook(cluster, ns, 'alice', (nb) => nb.status?.phase === 'Stopped', 'Stopped');
    await waitForNone(cluster, ns, 'pods', 'ganymede.dev/notebook=alice');
    const restarted = Date.now();
    await setStopped('alice', false);
    const second = await reasonsUntil('alice', (nb) => nb.status?.phase === 'Running', 'Running');
    t.diagnostic(`second start (image on the node): Running ${Date.now() - restarted} ms after`);
    assert.ok(
      !second.reasons.includes('DownloadingImage'),
      `a second start does not download: ${second.reasons.join(' → ')}`,
    );
    const again = await inClusterBase(url);
    const read = await fetchService(`${again}api/contents/hello.txt?content=1`, { headers });
    assert.equal(read.status, 200);
    assert.equal(((await read.json()) as { content: string }).content, 'kept across restarts');
  });

  it('an image that does not exist ends in plain words after the real ErrImagePull', async () => {
    const image = 'quay.io/jupyter/no-such-notebook:2020-01-01';
    await kubectlOk(cluster, ['apply', '-f', '-'], notebookYaml('bob', ns, { image }));
    const failed = await waitForNotebook(
      cluster,
      ns,
      'bob',
      (nb) => nb.status?.phase === 'Failed',
      'Failed',
      120_000,
    );
    assert.equal(
      failed.status?.message,
      `The environment image "${image}" could not be downloaded. Check that its name and tag are right; if they are, ask your administrator whether the cluster can reach that registry.`,
    );
    const events = await kubectlOk(cluster, [
      'get',
      'events',
      '-n',
      ns,
      '--field-selector',
      'reason=Failed',
      '-o',
      'jsonpath={.items[*].message}',
    ]);
    assert.match(events, /Failed to pull image "quay\.io\/jupyter\/no-such-notebook/);
  });

  it('a server over its memory limit is OOM-killed, and the status says so with the limit', async () => {
    // Less memory than JupyterLab needs to start: the kernel's OOM killer stops the server.
    await kubectlOk(
      cluster,
      ['apply', '-f', '-'],
      notebookYaml('carol', ns, { image: notebookImage, resources: { memory: '40Mi' } }),
    );
    const oom = await waitForNotebook(
      cluster,
      ns,
      'carol',
      (nb) => nb.status?.conditions?.some((c) => c.reason === 'OutOfMemory') === true,
      'OutOfMemory',
      180_000,
    );
    assert.equal(
      oom.status?.message,
      'The notebook server ran out of memory (its limit is 40 MB) and was stopped. Choose a larger environment, or free memory by loading less data at once. Your files are kept.',
    );
    const pod = await watchFor<{
      status?: { containerStatuses?: { lastState?: { terminated?: { reason?: string } } }[] };
    }>(
      cluster,
      `/api/v1/namespaces/${ns}/pods`,
      (p) => p.status?.containerStatuses?.[0]?.lastState?.terminated?.reason === 'OOMKilled',
      { labelSelector: 'ganymede.dev/notebook=carol', what: 'an OOMKilled container' },
    );
    assert.ok(pod);
  });
});
