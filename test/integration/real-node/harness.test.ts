/**
 * The real-node harness itself: two clusters side by side, and nothing left on the host after
 * a stop or after the test process is SIGKILLed mid-run (the next harness sweeps it): no
 * containerd, kubelet, shim or container process, no cgroup, network namespace, mount or
 * shim socket.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startCluster, type TestCluster } from '../../cluster/harness.ts';
import { isProcessAlive } from '../../cluster/network/ip-command.ts';
import { remainingCgroups } from '../../cluster/real-node/cgroups.ts';
import { processesMentioning } from '../../cluster/real-node/host-state.ts';
import { busyboxImage } from '../../cluster/real-node/node-images.ts';
import { kubectlOk } from '../operator/helpers.ts';

const here = import.meta.dirname;

function sleeperPod(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'c', image: busyboxImage, command: ['sleep', '3600'] }],
    },
  });
}

async function runSleeper(c: TestCluster, name: string): Promise<string> {
  await kubectlOk(c, ['apply', '-f', '-'], sleeperPod(name));
  await kubectlOk(c, ['wait', '--for=condition=Ready', '--timeout=120s', `pod/${name}`]);
  return kubectlOk(c, ['get', 'pod', name, '-o', 'jsonpath={.status.podIP}']);
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(dir));
}

/** The pids of every process in a cgroup tree of the pids hierarchy. */
function pidsUnder(cgroupRoot: string): number[] {
  const root = join('/sys/fs/cgroup/pids', cgroupRoot);
  const walk = (dir: string): number[] => [
    ...readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number),
    ...readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .flatMap((e) => walk(join(dir, e.name))),
  ];
  return existsSync(root) ? walk(root) : [];
}

function leftovers(dir: string, cgroupRoot: string): string[] {
  return [
    ...processesMentioning(dir).map((p) => `process ${String(p.pid)}: ${p.cmdline}`),
    ...remainingCgroups(cgroupRoot).map((c) => `cgroup ${c}`),
    ...mountsUnder(dir).map((m) => `mount ${m}`),
    ...(existsSync(dir) ? [`folder ${dir}`] : []),
  ];
}

describe('the real-node harness', { timeout: 600_000 }, () => {
  it('runs two clusters side by side, each with its own node, pods and addresses, and leaves nothing behind', async () => {
    const started = await Promise.allSettled([
      startCluster({ node: 'kubelet' }),
      startCluster({ node: 'kubelet' }),
    ]);
    const up = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) {
      // Whichever did start must not outlive the test (it would keep the file from ending).
      await Promise.all(up.map((c) => c.stop()));
      throw failed.reason;
    }
    const [a, b] = up as [TestCluster, TestCluster];
    try {
      assert.notEqual(a.realNode?.nodeName, b.realNode?.nodeName);
      const [ipA, ipB] = await Promise.all([runSleeper(a, 'one'), runSleeper(b, 'one')]);
      assert.ok(ipA.startsWith(a.realNode?.addresses.podCidr.replace(/0\/24$/, '') ?? '?'), ipA);
      assert.ok(ipB.startsWith(b.realNode?.addresses.podCidr.replace(/0\/24$/, '') ?? '?'), ipB);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    for (const c of [a, b]) {
      assert.deepEqual(leftovers(c.dir, c.realNode?.addresses.cgroupRoot ?? ''), []);
    }
    assert.ok(!existsSync('/run/containerd/s') || readdirSync('/run/containerd/s').length === 0);
  });

  it('a test process SIGKILLed with a pod running: the next harness removes all it left', async () => {
    const child = spawn(process.execPath, [join(here, 'fixtures', 'abandon-cluster.ts')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    const ready = await new Promise<{ dir: string; cgroupRoot: string }>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        const m = /^READY (\S+) (\S+)$/m.exec(out);
        if (m?.[1] && m[2]) resolve({ dir: m[1], cgroupRoot: m[2] });
      });
      child.on('exit', (code) => {
        reject(new Error(`the fixture exited early (${String(code)}): ${out}`));
      });
    });
    const containers = pidsUnder(ready.cgroupRoot);
    assert.ok(containers.length > 0, 'the pod runs in the node cgroup');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // The container outlives its harness (shims start their own session)…
    assert.ok(containers.some(isProcessAlive), 'the container outlived the SIGKILL');

    // …until the next harness starts: it sweeps the stale network claim and folder.
    const next = await startCluster();
    await next.stop();
    assert.deepEqual(
      containers.filter(isProcessAlive),
      [],
      'every container process of the abandoned cluster is gone',
    );
    assert.deepEqual(leftovers(ready.dir, ready.cgroupRoot), []);
  });
});
