/**
 * The harness itself: clusters side by side (own ports, folders, bridges, pod CIDRs), and
 * nothing left behind after stop() or after SIGTERM of the process that owns a cluster.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig, KubernetesObjectApi, type V1Pod } from '@kubernetes/client-node';
import { startCluster, type TestCluster } from '../../cluster/harness.ts';
import { watchUntil } from '../../cluster/watch-until.ts';

const fixture = fileURLToPath(new URL('./fixtures/cluster-process.ts', import.meta.url));

interface Footprint {
  dir: string;
  bridge: string;
  netnsPrefix: string;
  podPid: number;
}

function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return pids;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs one HTTP server pod and returns what the cluster has put on this machine. */
async function footprintOf(kc: KubeConfig, dir: string): Promise<Footprint> {
  const core = kc.makeApiClient(CoreV1Api);
  const node = (await core.listNode()).items[0];
  const index = /^10\.213\.(\d+)\.0\/24$/.exec(node?.spec?.podCIDR ?? '')?.[1];
  assert.ok(index !== undefined, `pod CIDR ${node?.spec?.podCIDR ?? '(none)'}`);
  await KubernetesObjectApi.makeApiClient(kc).create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'probe', namespace: 'default' },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'ganymede.test/http-server:1',
          readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
        },
      ],
    },
  });
  const pod = await watchUntil<V1Pod>(
    kc,
    '/api/v1/namespaces/default/pods',
    (_t, p) => p.status?.containerStatuses?.[0]?.ready === true,
    { fieldSelector: 'metadata.name=probe' },
  );
  const res = await fetch(`http://${pod.status?.podIP ?? ''}:8080/`);
  const info = (await res.json()) as { pid: number };
  return { dir, bridge: `gnmbr${index}`, netnsPrefix: `gnm${index}-`, podPid: info.pid };
}

function assertGone(f: Footprint): void {
  assert.deepEqual(processesMentioning(f.dir), [], `no process runs from ${f.dir}`);
  assert.equal(isAlive(f.podPid), false, 'the pod process is gone');
  assert.equal(existsSync(f.dir), false, 'the temp folder is removed');
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  assert.doesNotMatch(links, new RegExp(`: ${f.bridge}[:@]`), `bridge ${f.bridge} is deleted`);
  const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  assert.ok(
    !namespaces.split('\n').some((l) => l.startsWith(f.netnsPrefix)),
    `no network namespace ${f.netnsPrefix}* is left:\n${namespaces}`,
  );
}

describe('the cluster harness', () => {
  let inProcess: TestCluster | undefined;
  after(async () => {
    await inProcess?.stop();
  });

  it('runs two clusters side by side and leaves nothing behind after stop() or SIGTERM', async () => {
    const child = spawn(process.execPath, [fixture], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => {
        resolve(code);
      }),
    );
    const childReady = new Promise<{ dir: string; server: string; kubeconfigPath: string }>(
      (resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', (line) => {
          resolve(JSON.parse(line) as { dir: string; server: string; kubeconfigPath: string });
        });
        void exited.then((code) => {
          reject(new Error(`cluster process exited early (${code})`));
        });
      },
    );
    const [other, mine] = await Promise.all([childReady, startCluster()]);
    inProcess = mine;
    assert.notEqual(other.server, mine.server);
    assert.notEqual(other.dir, mine.dir);

    const otherKc = new KubeConfig();
    otherKc.loadFromFile(other.kubeconfigPath);
    const [otherFootprint, myFootprint] = await Promise.all([
      footprintOf(otherKc, other.dir),
      footprintOf(mine.kubeConfig, mine.dir),
    ]);
    assert.notEqual(
      otherFootprint.bridge,
      myFootprint.bridge,
      'each cluster has its own bridge and pod CIDR',
    );

    child.kill('SIGTERM');
    assert.equal(await exited, 143, 'the owner exits with 128 + SIGTERM after cleaning up');
    assertGone(otherFootprint);
    assert.ok(isAlive(myFootprint.podPid), 'the other cluster is untouched');

    await mine.stop();
    await mine.stop(); // Idempotent.
    assertGone(myFootprint);
  });
});
