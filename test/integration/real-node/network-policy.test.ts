/**
 * The operator's NetworkPolicy, enforced on a real node (kube-router's policy controller,
 * test/cluster/real-node/network-policy.ts): the hub reaches a notebook, another pod of the
 * same namespace does not, and the notebook cannot reach the cloud metadata address while a
 * pod without a policy can (a listener on 169.254.169.254 in the node's namespace stands in
 * for the cloud's).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestCluster } from '../../cluster/harness.ts';
import { ip } from '../../cluster/network/ip-command.ts';
import { notebookImage } from '../../cluster/real-node/node-images.ts';
import {
  kubectlOk,
  notebookYaml,
  startOperatorCluster,
  waitForNotebook,
  type OperatorCluster,
} from '../operator/helpers.ts';

let fixture: OperatorCluster;
let cluster: TestCluster;
let ns: string;
let metadata: ChildProcess | undefined;
const METADATA = '169.254.169.254';

before(async () => {
  fixture = await startOperatorCluster('netpol', {}, { node: 'kubelet', networkPolicy: true });
  ({ cluster, namespace: ns } = fixture);
  const netns = cluster.realNode?.addresses.netns ?? '';
  // The cloud's metadata service, played by busybox httpd on the node.
  const www = mkdtempSync(join(tmpdir(), 'ganymede-metadata-'));
  writeFileSync(join(www, 'index.html'), 'credentials\n');
  await ip('-n', netns, 'addr', 'add', `${METADATA}/32`, 'dev', 'lo');
  metadata = spawn(
    'nsenter',
    [
      `--net=/run/netns/${netns}`,
      '--',
      'busybox',
      'httpd',
      '-f',
      '-p',
      `${METADATA}:80`,
      '-h',
      www,
    ],
    { stdio: 'ignore' },
  );
});
after(async () => {
  metadata?.kill('SIGKILL');
  await fixture.stop();
});

/** A restricted-compliant pod of the notebook image (it has Python) with these labels, Ready. */
async function clientPod(name: string, labels: Record<string, string>): Promise<void> {
  await kubectlOk(
    cluster,
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels },
      spec: {
        terminationGracePeriodSeconds: 0,
        securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          {
            name: 'c',
            image: notebookImage,
            command: ['sleep', '3600'],
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          },
        ],
      },
    }),
  );
  await kubectlOk(cluster, [
    'wait',
    '-n',
    ns,
    '--for=condition=Ready',
    '--timeout=120s',
    `pod/${name}`,
  ]);
}

/** Whether an HTTP answer came back to a request from inside the pod's container. */
async function reaches(pod: string, container: string, url: string): Promise<boolean> {
  const r = await cluster.kubectl([
    'exec',
    '-n',
    ns,
    pod,
    '-c',
    container,
    '--',
    'python3',
    '-c',
    `import urllib.request\ntry:\n  urllib.request.urlopen(${JSON.stringify(url)}, timeout=5)\n  print("REACHED")\nexcept Exception as e:\n  print("REFUSED", e)`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.startsWith('REACHED');
}

describe('NetworkPolicy on a real node', { timeout: 600_000 }, () => {
  it('admits the hub to a notebook, refuses other pods, and keeps the notebook from the metadata address', async () => {
    await kubectlOk(
      cluster,
      ['apply', '-f', '-'],
      notebookYaml('alice', ns, { image: notebookImage }),
    );
    const nb = await waitForNotebook(
      cluster,
      ns,
      'alice',
      (n) => n.status?.phase === 'Running',
      'Running',
    );
    const notebookPod = await kubectlOk(cluster, [
      'get',
      'pods',
      '-n',
      ns,
      '-l',
      'ganymede.dev/notebook=alice',
      '-o',
      'jsonpath={.items[0].metadata.name} {.items[0].status.podIP}',
    ]);
    const [podName = '', podIp = ''] = notebookPod.split(' ');
    const api = `http://${podIp}:8888${new URL(nb.status?.url ?? 'http://x/').pathname}api`;
    await clientPod('hub', {
      'app.kubernetes.io/part-of': 'ganymede',
      'app.kubernetes.io/component': 'hub',
    });
    await clientPod('someone-else', { app: 'someone-else' });

    assert.ok(await reaches('hub', 'c', api), 'the hub reaches the notebook');
    assert.ok(!(await reaches('someone-else', 'c', api)), 'another pod is refused');
    assert.ok(
      await reaches('someone-else', 'c', `http://${METADATA}/`),
      'without a policy the metadata address answers (so the check below can fail)',
    );
    assert.ok(
      !(await reaches(podName, 'notebook', `http://${METADATA}/`)),
      'the notebook cannot reach the metadata address',
    );
  });
});
