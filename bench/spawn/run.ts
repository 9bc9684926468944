/**
 * Time to a working notebook, Ganymede (Kubernetes backend) versus JupyterHub + KubeSpawner,
 * on ONE test control plane and node agent, in one run, alternating the systems. See
 * README.md for the method.
 *
 * Usage: node bench/spawn/run.ts [--users 1,50] [--rounds 2] [--systems ganymede,jupyterhub]
 *                                [--timeout 600] [--out bench/results] [--name spawn]
 *                                [--max-starting auto]   (Ganymede's start admission limit)
 *                                [--node agent|kubelet]  (our node agent, or a real node with
 *                                                         real containers)
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { maxStartingSchema } from '../../src/config/schema.ts';
import { cgroupCpuSeconds, matchingCpuSeconds, treeCpuSeconds } from './cpu.ts';
import { realNodeImages, startBenchCluster, type BenchCluster } from './cluster.ts';
import { startGanymedeHub } from './ganymede.ts';
import { singleuserImage, startAnchorHub } from './jupyterhub.ts';
import { measureUserSpawn, type SpawnTarget } from './measure.ts';
import { waitForQuiet } from './quiet.ts';
import { renderMarkdown } from './report.ts';
import { speedups, summarize, type Measurement, type SystemName } from './summary.ts';
import { createUsersWithTokens, userNames } from './users.ts';
import { machineInfo } from '../machine.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');
const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '1,50' },
    rounds: { type: 'string', default: '2' },
    systems: { type: 'string', default: 'ganymede,jupyterhub' },
    timeout: { type: 'string', default: '600' },
    out: { type: 'string', default: join(root, 'bench', 'results') },
    name: { type: 'string', default: 'spawn' },
    'max-starting': { type: 'string', default: 'auto' },
    node: { type: 'string', default: 'agent' },
  },
});
if (args.node !== 'agent' && args.node !== 'kubelet') {
  throw new Error(`--node: agent or kubelet, not ${args.node}`);
}
const nodeKind: 'agent' | 'kubelet' = args.node === 'kubelet' ? 'kubelet' : 'agent';
const userCounts = args.users.split(',').map(Number);
const rounds = Number(args.rounds);
const systems = args.systems.split(',').map((s): SystemName => {
  if (s !== 'ganymede' && s !== 'jupyterhub') throw new Error(`unknown system ${s}`);
  return s;
});
const timeoutSeconds = Number(args.timeout);
const maxStartingParsed = maxStartingSchema.safeParse(
  args['max-starting'] === 'auto' ? 'auto' : Number(args['max-starting']),
);
if (!maxStartingParsed.success) {
  throw new Error(`--max-starting: 'auto' or a whole number, not ${args['max-starting']}`);
}
const maxStarting = maxStartingParsed.data;

function log(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

// The cluster's system packages (ip, nsenter, setpriv, python3-venv: scripts/system-packages.txt).
execFileSync('bash', [join(root, 'scripts/ensure-system.sh'), 'test', 'bench'], {
  stdio: 'inherit',
});
const venv = execFileSync('bash', [join(here, 'ensure-anchor.sh')], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
}).trim();
const chp = join(root, 'node_modules', '.bin', 'configurable-http-proxy');
// What a notebook server's process is called once its launcher has exec'd (jupyter-core runs
// `jupyter lab` as `jupyter-lab`).
const notebookNeedles = ['bin/jupyter-lab', 'bin/jupyterhub-singleuser'];
const workDir = mkdtempSync(join(os.tmpdir(), 'ganymede-bench-spawn-run-'));

function versions(binDir: string): Record<string, string> {
  const py = execFileSync(
    join(venv, 'bin', 'python'),
    [
      '-c',
      'import sys, jupyterhub, kubespawner, jupyter_server, jupyterlab; print(sys.version.split()[0], jupyterhub.__version__, kubespawner.__version__, jupyter_server.__version__, jupyterlab.__version__)',
    ],
    { encoding: 'utf8' },
  )
    .trim()
    .split(' ');
  const chpVersion = (
    JSON.parse(
      readFileSync(join(root, 'node_modules', 'configurable-http-proxy', 'package.json'), 'utf8'),
    ) as { version: string }
  ).version;
  const git = (a: string[]): string =>
    execFileSync('git', a, { cwd: root, encoding: 'utf8' }).trim();
  const dirty = git(['status', '--porcelain', '--', 'src']) !== '';
  return {
    ganymede: `${git(['rev-parse', '--short', 'HEAD'])}${dirty ? ' (+ uncommitted changes in src/)' : ''}`,
    node: process.version,
    python: py[0] ?? '',
    jupyterhub: py[1] ?? '',
    kubespawner: py[2] ?? '',
    jupyter_server: py[3] ?? '',
    jupyterlab: py[4] ?? '',
    'configurable-http-proxy': chpVersion,
    'control plane': binDir.split('/').at(-1) ?? binDir,
  };
}

async function startSystem(
  system: SystemName,
  bench: BenchCluster,
  namespace: string,
  dir: string,
): Promise<{ target: SpawnTarget; pid: number; stop: () => Promise<void> }> {
  if (system === 'jupyterhub') {
    await bench.createNamespace(namespace);
    const hub = await startAnchorHub({
      dir,
      venv,
      chp,
      nodeBinDir: dirname(process.execPath),
      kubeconfigPath: bench.cluster.kubeconfigPath,
      hubIp: bench.hostIp,
      namespace,
      timeoutSeconds,
    });
    return { target: hub, pid: hub.process.child.pid ?? 0, stop: () => hub.stop() };
  }
  // Ganymede's notebooks pass the `restricted` Pod Security Standard; enforce it, as an
  // installation would.
  await bench.createNamespace(namespace, {
    'pod-security.kubernetes.io/enforce': 'restricted',
  });
  const hub = await startGanymedeHub({
    dir,
    kubeconfigPath: bench.cluster.kubeconfigPath,
    namespace,
    timeoutSeconds,
    maxStarting,
    ...(nodeKind === 'kubelet' ? { image: realNodeImages.ganymede } : {}),
  });
  return { target: hub, pid: hub.process.child.pid ?? 0, stop: () => hub.stop() };
}

async function measureOnce(
  bench: BenchCluster,
  system: SystemName,
  users: number,
  round: number,
): Promise<Measurement> {
  const namespace = `bench-${system === 'ganymede' ? 'gm' : 'jh'}-${String(users)}-${String(round)}-${randomBytes(2).toString('hex')}`;
  const dir = join(workDir, namespace);
  log(
    `${system}, ${String(users)} user(s), round ${String(round)}: starting the hub in ${namespace}`,
  );
  const { target, pid, stop } = await startSystem(system, bench, namespace, dir);
  try {
    const names = userNames(users, 'user');
    const tokens = await createUsersWithTokens(target, names);
    const quiet = await waitForQuiet();
    log(
      `  waited ${(quiet.waitedMs / 1000).toFixed(0)} s for a quiet machine (${(quiet.idle * 100).toFixed(0)}% idle)`,
    );
    const loadBefore = os.loadavg();
    const startedAt = new Date().toISOString();
    log(
      `  ${String(users)} start request(s) at once (load ${loadBefore.map((l) => l.toFixed(1)).join(' ')})`,
    );
    const controlPlane = [bench.cluster.binDir];
    const hubCpu0 = treeCpuSeconds(pid);
    const controlPlaneCpu0 = matchingCpuSeconds(process.pid, controlPlane).seconds;
    // A real node's containers are not our descendants: count their cgroup's CPU instead.
    const podCgroup = bench.cluster.realNode?.addresses.cgroupRoot;
    const notebookCpu = (): { seconds: number; count: number } =>
      podCgroup === undefined
        ? matchingCpuSeconds(process.pid, notebookNeedles)
        : cgroupCpuSeconds(podCgroup, notebookNeedles);
    const notebookCpu0 = podCgroup === undefined ? 0 : notebookCpu().seconds;
    const t0 = performance.now();
    const results = await Promise.all(
      names.map((name) =>
        measureUserSpawn(target, name, tokens.get(name) ?? '', {
          timeoutMs: timeoutSeconds * 1000,
        }),
      ),
    );
    const wallMs = performance.now() - t0;
    const notebooks = notebookCpu();
    const cpuSeconds = {
      hub: treeCpuSeconds(pid) - hubCpu0,
      controlPlane: matchingCpuSeconds(process.pid, controlPlane).seconds - controlPlaneCpu0,
      notebooks: notebooks.seconds - notebookCpu0,
      notebookProcesses: notebooks.count,
    };
    const ok = results.filter((r) => r.ok).length;
    const times = results.flatMap((r) => (r.ms === undefined ? [] : [r.ms])).sort((a, b) => a - b);
    log(
      `  CPU s: hub ${cpuSeconds.hub.toFixed(1)}, control plane ${cpuSeconds.controlPlane.toFixed(1)}, ${String(notebooks.count)} notebook servers ${cpuSeconds.notebooks.toFixed(1)}`,
    );
    log(
      `  done in ${(wallMs / 1000).toFixed(1)} s: ${String(ok)}/${String(users)} ok, median ${((times[Math.floor((times.length - 1) / 2)] ?? NaN) / 1000).toFixed(1)} s, 429s ${String(results.reduce((s, r) => s + r.tooManyRequests, 0))}`,
    );
    for (const r of results.filter((x) => !x.ok)) log(`  FAILED ${r.user}: ${r.error ?? ''}`);
    return {
      system,
      users,
      round,
      namespace,
      startedAt,
      loadBefore,
      loadAfter: os.loadavg(),
      idleBefore: quiet.idle,
      wallMs,
      results,
      cpuSeconds,
    };
  } finally {
    await stop();
    log(`  deleting ${namespace}`);
    await bench.deleteNamespace(namespace);
  }
}

const runStarted = new Date();
const loadAtStart = os.loadavg();
log(`hub logs and configs under ${workDir}`);
log(`starting the test control plane (load ${loadAtStart.map((l) => l.toFixed(1)).join(' ')})`);
const bench = await startBenchCluster(
  venv,
  join(root, 'deploy', 'crd', 'jupyternotebooks.ganymede.dev.yaml'),
  nodeKind,
);
const versionInfo = versions(bench.cluster.binDir);
const measurements: Measurement[] = [];
const errors: string[] = [];
try {
  for (let round = 1; round <= rounds; round++) {
    for (const users of userCounts) {
      // Alternate which system goes first, so drift in the machine's load spreads evenly.
      const order = round % 2 === 1 ? systems : [...systems].reverse();
      for (const system of order) {
        try {
          measurements.push(await measureOnce(bench, system, users, round));
        } catch (e) {
          const message = `${system}, ${String(users)} users, round ${String(round)}: ${(e as Error).message}`;
          log(`ERROR ${message}`);
          errors.push(message);
        }
        writeResults(false);
      }
    }
  }
} finally {
  writeResults(true);
  await bench.cluster.stop();
}

function writeResults(final: boolean): void {
  const summaries = summarize(measurements);
  const result = {
    benchmark: 'time to a working notebook',
    date: runStarted.toISOString(),
    finished: final ? new Date().toISOString() : null,
    machine: machineInfo(loadAtStart),
    versions: versionInfo,
    settings: {
      userCounts,
      rounds,
      systems,
      timeoutSeconds,
      ganymedeMaxStarting: maxStarting,
      node: nodeKind,
      images:
        nodeKind === 'kubelet'
          ? realNodeImages
          : { ganymede: 'quay.io/jupyter/minimal-notebook:latest', jupyterhub: singleuserImage },
    },
    summaries,
    speedups: speedups(summaries),
    errors,
    measurements,
  };
  mkdirSync(args.out, { recursive: true });
  writeFileSync(join(args.out, `${args.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(args.out, `${args.name}.md`), renderMarkdown(result));
  if (final) log(`results in ${join(args.out, `${args.name}.md`)} and .json`);
}
