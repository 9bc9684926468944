/**
 * The whole product on a real node: the Helm chart (rendered by helm, applied with
 * server-side apply into a `restricted` namespace) runs two replicas of the hub image built
 * from deploy/docker/Dockerfile, pulled as ghcr.io/ganymede/hub from this run's registry, on
 * PostgreSQL; the hubs reach the API server through the `kubernetes` Service (kube-proxy) and
 * notebooks through their in-cluster names (cluster DNS). A person signs in through the hub's
 * Service name, starts a notebook from the docker-stacks-like image (the portal says it is
 * downloading the environment), writes a file and runs a cell through the proxy, stops,
 * starts again and reads the file back.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startCluster, type TestCluster } from '../../cluster/harness.ts';
import { notebookImage } from '../../cluster/real-node/node-images.ts';
import { executeOverWebSocket } from '../../helpers/jupyter-kernel.ts';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.ts';
import { Browser } from '../../helpers/test-hub.ts';
import { adminPassword, installChart } from '../helm/install.ts';
import {
  kubectlOk,
  restrictedNamespace,
  waitForNotebook,
  type NotebookObject,
} from '../operator/helpers.ts';

const execFileAsync = promisify(execFile);
const RELEASE = 'gm';
const HUB_IMAGE = 'ghcr.io/ganymede/hub:test';
const root = join(import.meta.dirname, '../../..');

describe('the Helm chart on a real node', { timeout: 1_200_000 }, () => {
  let cluster: TestCluster | undefined;
  let postgres: TestPostgres | undefined;
  let ns = '';
  let hubBase = '';
  let password = '';

  const need = (): TestCluster => {
    assert.ok(cluster, 'started in before()');
    return cluster;
  };

  before(async () => {
    // The hub image, built here from deploy/docker/Dockerfile (cached after the first build).
    const built = await execFileAsync('bash', [join(root, 'scripts/build-image.sh')], {
      maxBuffer: 1 << 20,
    });
    const field = (name: string): string =>
      new RegExp(`^${name}: (.+)$`, 'm').exec(built.stdout)?.[1] ?? '';
    cluster = await startCluster({ node: 'kubelet' });
    const node = cluster.realNode;
    assert.ok(node);
    await node.images.pushFromPodman(field('image'), HUB_IMAGE, field('containers-conf'));
    postgres = await startPostgres({
      listenAddress: node.addresses.hostAddress,
      clientCidr: node.addresses.podCidr,
    });
    ns = await restrictedNamespace(cluster, 'ganymede');
  });

  after(async () => {
    await cluster?.stop();
    await postgres?.stop();
  });

  it('installs two hub replicas from the real image, on PostgreSQL, in a restricted namespace', async () => {
    const c = need();
    assert.ok(postgres);
    await installChart(c, {
      namespace: ns,
      release: RELEASE,
      values: {
        'image.repository': 'ghcr.io/ganymede/hub',
        'image.tag': 'test',
        'image.pullPolicy': 'IfNotPresent',
        replicas: 2,
        'database.url': await postgres.createDatabase(),
        config: {
          profiles: [
            {
              name: 'standard',
              displayName: 'Standard',
              image: notebookImage,
              cpu: '100m',
              memory: '1Gi',
              default: true,
            },
          ],
        },
        startTimeoutSeconds: 300,
      },
      timeoutSeconds: 300,
    });
    password = await adminPassword(c, ns, RELEASE);
    const pods = JSON.parse(
      await kubectlOk(c, [
        'get',
        'pods',
        '-n',
        ns,
        '-l',
        'app.kubernetes.io/component=hub',
        '-o',
        'json',
      ]),
    ) as { items: { spec: { containers: { image: string }[] }; status: { phase: string } }[] };
    assert.deepEqual(
      pods.items.map((p) => [p.spec.containers[0]?.image, p.status.phase]),
      [
        [HUB_IMAGE, 'Running'],
        [HUB_IMAGE, 'Running'],
      ],
    );
  });

  it("answers on its Service's name, resolved by cluster DNS and routed by kube-proxy", async () => {
    const node = need().realNode;
    assert.ok(node);
    const resolver = new Resolver({ timeout: 2000, tries: 3 });
    resolver.setServers([node.addresses.dnsServiceAddress]);
    const [address] = await resolver.resolve4(`${RELEASE}-ganymede.${ns}.svc.cluster.local`);
    assert.ok(address?.startsWith('10.214.'), `a ClusterIP: ${String(address)}`);
    const port = await kubectlOk(need(), [
      'get',
      'service',
      '-n',
      ns,
      `${RELEASE}-ganymede`,
      '-o',
      'jsonpath={.spec.ports[0].port}',
    ]);
    // As a browser writes it: no `:80` (the hub compares Origin with the Host it was sent).
    hubBase = new URL(`http://${address}:${port}`).origin;
    const login = await fetch(`${hubBase}/hub/login`);
    assert.equal(login.status, 200);
  });

  it('a person signs in, starts a notebook, keeps a file and runs cells across a stop and a start', async () => {
    const c = need();
    assert.ok(hubBase, 'the previous test found the hub');
    const person = new Browser(hubBase);
    await person.signIn('admin', password);
    const events = await person.startServer();
    assert.match(events, /Downloading the environment \(first time only\)/);

    const put = await person.fetch('/user/admin/api/contents/kept.txt', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'file', format: 'text', content: 'written as jovyan' }),
    });
    assert.equal(put.status, 201, await put.text());
    assert.equal(await runCell(person, 'import os; os.getuid()'), '1000');

    const stopped = await person.form('/hub/stop', { _xsrf: await person.xsrf() });
    assert.equal(stopped.status, 302);
    await waitForNotebook(
      c,
      ns,
      await onlyNotebook(c),
      (nb) => nb.status?.phase === 'Stopped',
      'Stopped',
    );

    const again = await person.startServer();
    assert.doesNotMatch(again, /Downloading the environment/, 'the image is on the machine now');
    const read = await person.fetch('/user/admin/api/contents/kept.txt?content=1');
    assert.equal(read.status, 200);
    assert.equal(((await read.json()) as { content: string }).content, 'written as jovyan');
    assert.equal(await runCell(person, '6 * 7'), '42');
  });

  async function runCell(person: Browser, code: string): Promise<string> {
    const created = await person.fetch('/user/admin/api/kernels', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(created.status, 201, await created.clone().text());
    const kernel = (await created.json()) as { id: string };
    return executeOverWebSocket(
      `${hubBase.replace('http:', 'ws:')}/user/admin/api/kernels/${kernel.id}/channels`,
      code,
      { cookie: person.cookieHeader, origin: hubBase },
      120_000,
    );
  }

  /** The one notebook the hub made in the namespace. */
  async function onlyNotebook(c: TestCluster): Promise<string> {
    const list = JSON.parse(
      await kubectlOk(c, ['get', 'jupyternotebooks', '-n', ns, '-o', 'json']),
    ) as { items: NotebookObject[] };
    assert.equal(list.items.length, 1);
    return list.items[0]?.metadata.name ?? '';
  }
});
