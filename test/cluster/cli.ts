/**
 * `npm run cluster -- up|down|status` — a real control plane (and node agent) for trying things
 * by hand, e.g. `kubectl apply` of a JupyterNotebook.
 *
 *   up [--detach] [--node agent|kubelet|none]
 *                                    start; prints the kubeconfig path. In the foreground it
 *                                    runs until Ctrl-C; with --detach it returns once the
 *                                    cluster is ready and keeps running in the background.
 *                                    --node kubelet: a real node (kubelet, containerd, DNS);
 *                                    --no-node-agent is the old spelling of --node none.
 *   down                             stop the cluster started by `up` (from any terminal).
 *   status                           is it running, where is its kubeconfig, are its nodes Ready.
 *
 * One CLI cluster at a time; its state file is <tmp>/ganymede-cluster-cli/state.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { startCluster } from './harness.ts';

const stateDir = join(tmpdir(), 'ganymede-cluster-cli');
const stateFile = join(stateDir, 'state.json');
const logFile = join(stateDir, 'up.log');

const State = z.object({
  pid: z.number().int().positive(),
  server: z.string(),
  kubeconfigPath: z.string(),
  dir: z.string(),
  kubectl: z.string(),
});
type State = z.infer<typeof State>;

const usage = 'usage: npm run cluster -- up [--detach] [--node agent|kubelet|none] | down | status';
const Command = z.enum(['up', 'down', 'status'], { error: () => usage });
const Node = z.enum(['agent', 'kubelet', 'none'], {
  error: () => `--node must be agent, kubelet or none; ${usage}`,
});
type Node = z.infer<typeof Node>;

function readState(): State | undefined {
  let raw: string;
  try {
    raw = readFileSync(stateFile, 'utf8');
  } catch {
    return undefined;
  }
  const parsed = State.safeParse(JSON.parse(raw));
  return parsed.success ? parsed.data : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function printHowToUse(state: State): void {
  console.log(state.kubeconfigPath);
  process.stderr.write(
    `\ncluster ready: ${state.server}\n  export KUBECONFIG=${state.kubeconfigPath}\n  ${state.kubectl} get nodes\n`,
  );
}

async function up(detach: boolean, node: Node): Promise<void> {
  const existing = readState();
  if (existing && alive(existing.pid)) {
    process.stderr.write(
      `a cluster is already running (pid ${existing.pid}); use \`npm run cluster -- down\` first\n`,
    );
    printHowToUse(existing);
    return;
  }
  mkdirSync(stateDir, { recursive: true });
  if (detach) {
    rmSync(stateFile, { force: true });
    const out = openSync(logFile, 'w');
    const args = [...process.execArgv, process.argv[1] ?? '', 'up', `--node=${node}`];
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', out, out] });
    child.unref();
    process.stderr.write(`starting in the background (log: ${logFile})…\n`);
    // The child writes the state file once the cluster is ready; there is no event to await
    // across processes, so check for it (or for the child's death) a few times a second.
    for (;;) {
      const state = readState();
      if (state) {
        printHowToUse(state);
        return;
      }
      if (child.pid === undefined || !alive(child.pid)) {
        throw new Error(`the background cluster failed to start; see ${logFile}`);
      }
      await delay(250);
    }
  }
  const cluster = await startCluster({ node });
  const state: State = {
    pid: process.pid,
    server: cluster.server,
    kubeconfigPath: cluster.kubeconfigPath,
    dir: cluster.dir,
    kubectl: join(cluster.binDir, 'kubectl'),
  };
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
  printHowToUse(state);
  process.stderr.write('running; Ctrl-C or `npm run cluster -- down` stops it\n');
  // Keep the process alive until a signal: the harness's own handlers stop the cluster,
  // then exit; the state file goes with it.
  process.on('exit', () => {
    if (readState()?.pid === process.pid) rmSync(stateFile, { force: true });
  });
  setInterval(() => undefined, 1 << 30);
}

async function down(): Promise<void> {
  const state = readState();
  if (!state || !alive(state.pid)) {
    rmSync(stateFile, { force: true });
    process.stderr.write('no cluster is running\n');
    return;
  }
  process.kill(state.pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (alive(state.pid)) {
    if (Date.now() > deadline) {
      throw new Error(`cluster process ${state.pid} did not stop within 30 s`);
    }
    await delay(100);
  }
  process.stderr.write('cluster stopped\n');
}

async function status(): Promise<void> {
  const state = readState();
  if (!state || !alive(state.pid)) {
    console.log('stopped');
    process.exitCode = 1;
    return;
  }
  console.log(
    `running (pid ${state.pid})\nserver:     ${state.server}\nkubeconfig: ${state.kubeconfigPath}`,
  );
  const nodes = spawn(state.kubectl, [`--kubeconfig=${state.kubeconfigPath}`, 'get', 'nodes'], {
    stdio: 'inherit',
  });
  await new Promise((resolve) => nodes.on('close', resolve));
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      detach: { type: 'boolean', default: false },
      'no-node-agent': { type: 'boolean', default: false },
      node: { type: 'string' },
    },
  });
  const node = Node.safeParse(values.node ?? (values['no-node-agent'] ? 'none' : 'agent'));
  if (!node.success) {
    process.stderr.write(`${node.error.issues[0]?.message ?? usage}\n`);
    process.exitCode = 2;
    return;
  }
  const command = Command.safeParse(positionals[0]);
  if (!command.success) {
    process.stderr.write(`${command.error.issues[0]?.message ?? 'bad command'}\n`);
    process.exitCode = 2;
    return;
  }
  if (command.data === 'up') await up(values.detach, node.data);
  else if (command.data === 'down') await down();
  else await status();
}

await main();
