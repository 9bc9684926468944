/**
 * Scale benchmark (issue 13, point 7): Ganymede against JupyterHub 6.1.1 with 10,000 users
 * (users part), and Ganymede's hub and operator with 1,000 running servers on the test cluster
 * (servers part). See README.md for what runs and the method.
 *
 * Usage: node bench/scale/run.ts [--part users|servers|all] [--users 10000] [--servers 1000]
 *                                [--rounds 100] [--batch 500] [--ready-servers 5]
 *                                [--max-starting 50] [--idle-seconds 60] [--lookup-requests 500]
 *                                [--setup-minutes 20] [--deadline-minutes 90]
 *                                [--out bench/results] [--name scale]
 *
 * Everything it starts (hubs, tiny servers, the test cluster, its temp folder) is stopped and
 * removed at the end, on an error, on Ctrl-C/SIGTERM, and when --deadline-minutes passes.
 * Results are written after every phase, so an interrupted run keeps what it measured.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { trackForCleanup } from '../../test/cluster/cleanup.ts';
import { killProcessesMentioning } from '../../test/cluster/real-node/host-state.ts';
import { renderMarkdown } from './report.ts';
import { runServersPart, type ServersPartResult } from './servers.ts';
import { runUsersPart, type UsersPartResult } from './users.ts';
import { machineInfo } from '../machine.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');
const { values: args } = parseArgs({
  options: {
    part: { type: 'string', default: 'all' },
    users: { type: 'string', default: '10000' },
    servers: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '100' },
    batch: { type: 'string', default: '500' },
    'ready-servers': { type: 'string', default: '5' },
    'max-starting': { type: 'string', default: '50' },
    'idle-seconds': { type: 'string', default: '60' },
    'lookup-requests': { type: 'string', default: '500' },
    restarts: { type: 'string', default: '3' },
    'setup-minutes': { type: 'string', default: '20' },
    'deadline-minutes': { type: 'string', default: '90' },
    out: { type: 'string', default: join(root, 'bench', 'results') },
    name: { type: 'string', default: 'scale' },
    // Node flags for the restarted hubs of the servers part, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p".
    'restart-node-args': { type: 'string', default: '' },
    'keep-hub-log': { type: 'boolean', default: false },
  },
});
const part = args.part;
if (part !== 'users' && part !== 'servers' && part !== 'all') {
  throw new Error(`--part: users, servers or all, not ${part}`);
}
const num = (name: keyof typeof args): number => {
  const v = Number(args[name]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name}: a number, not ${args[name]}`);
  return v;
};
const settings = {
  part,
  users: num('users'),
  servers: num('servers'),
  rounds: num('rounds'),
  batch: num('batch'),
  readyServers: num('ready-servers'),
  maxStarting: args['max-starting'] === 'auto' ? ('auto' as const) : num('max-starting'),
  idleSeconds: num('idle-seconds'),
  lookupRequests: num('lookup-requests'),
  restarts: Math.max(1, Math.round(num('restarts'))),
  setupMinutes: num('setup-minutes'),
  deadlineMinutes: num('deadline-minutes'),
};

function log(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

// Every program this runs comes from the project's scripts: Debian packages (busybox, ip,
// nsenter, setpriv: scripts/system-packages.txt), JupyterHub + its proxy (bench/spawn).
execFileSync('bash', [join(root, 'scripts/ensure-system.sh'), 'test', 'bench'], {
  stdio: 'inherit',
});
const venv = execFileSync('bash', [join(root, 'bench', 'spawn', 'ensure-anchor.sh')], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
}).trim();
// The test cluster's default image rules want a `jupyter`; the anchor venv has one (the
// benchmark's notebooks never run it).
process.env['GANYMEDE_JUPYTER'] ??= join(venv, 'bin', 'jupyter');
const chp = join(root, 'node_modules', '.bin', 'configurable-http-proxy');

// Pods of the servers part run as uid 1000 and read the tiny server from here; its parent
// folders must be traversable (they are in this repository).
const workDir = mkdtempSync(join(os.tmpdir(), 'ganymede-bench-scale-'));
const cleanWorkDir = (): void => {
  // Tiny servers of the users part (Ganymede's local notebooks are detached processes) and
  // anything else that names our folder.
  killProcessesMentioning(workDir);
  rmSync(workDir, { recursive: true, force: true });
};
const untrack = trackForCleanup({
  stop: () => {
    cleanWorkDir();
    return Promise.resolve();
  },
  stopNow: cleanWorkDir,
});
const deadline = setTimeout(() => {
  log(`--deadline-minutes (${String(settings.deadlineMinutes)}) passed: stopping`);
  process.kill(process.pid, 'SIGTERM');
}, settings.deadlineMinutes * 60_000);
deadline.unref();

function versions(): Record<string, string> {
  const git = (a: string[]): string =>
    execFileSync('git', a, { cwd: root, encoding: 'utf8' }).trim();
  const dirty = git(['status', '--porcelain', '--', 'src']) !== '';
  const py = execFileSync(
    join(venv, 'bin', 'python'),
    ['-c', 'import sys, jupyterhub; print(sys.version.split()[0], jupyterhub.__version__)'],
    { encoding: 'utf8' },
  )
    .trim()
    .split(' ');
  const chpVersion = (
    JSON.parse(
      readFileSync(join(root, 'node_modules', 'configurable-http-proxy', 'package.json'), 'utf8'),
    ) as { version: string }
  ).version;
  const busybox = execFileSync('busybox', [], { encoding: 'utf8' }).split('\n')[0] ?? '';
  return {
    ganymede: `${git(['rev-parse', '--short', 'HEAD'])}${dirty ? ' (+ uncommitted changes in src/)' : ''}`,
    node: process.version,
    python: py[0] ?? '',
    jupyterhub: py[1] ?? '',
    'configurable-http-proxy': chpVersion,
    busybox: busybox.replace(/ multi-call binary\.?$/, ''),
  };
}

const started = new Date();
const loadAtStart = os.loadavg();
let users: Partial<UsersPartResult> | undefined;
let servers: Partial<ServersPartResult> | undefined;
const errors: string[] = [];
const versionInfo = versions();

function write(final: boolean): void {
  const result = {
    benchmark: 'scale: 10,000 users and 1,000 running servers',
    date: started.toISOString(),
    finished: final ? new Date().toISOString() : null,
    machine: machineInfo(loadAtStart),
    versions: versionInfo,
    settings,
    users: users ?? null,
    servers: servers ?? null,
    errors,
  };
  mkdirSync(args.out, { recursive: true });
  writeFileSync(join(args.out, `${args.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(args.out, `${args.name}.md`), renderMarkdown(result));
}

log(`work folder ${workDir} (load ${loadAtStart.map((l) => l.toFixed(1)).join(' ')})`);
try {
  if (part === 'users' || part === 'all') {
    try {
      users = await runUsersPart({
        users: settings.users,
        batch: settings.batch,
        rounds: settings.rounds,
        readyServers: settings.readyServers,
        dir: join(workDir, 'users'),
        venv,
        chp,
        nodeBinDir: dirname(process.execPath),
        log,
        onProgress: (p) => {
          users = p;
          write(false);
        },
      });
    } catch (e) {
      errors.push(`users part: ${(e as Error).stack ?? String(e)}`);
      log(`ERROR users part: ${(e as Error).message}`);
    }
    write(false);
  }
  if (part === 'servers' || part === 'all') {
    try {
      servers = await runServersPart({
        servers: settings.servers,
        maxStarting: settings.maxStarting,
        setupTimeoutMs: settings.setupMinutes * 60_000,
        idleSeconds: settings.idleSeconds,
        lookupRequests: settings.lookupRequests,
        restarts: settings.restarts,
        dir: join(workDir, 'servers'),
        restartNodeArgs: args['restart-node-args'].split(' ').filter((a) => a !== ''),
        ...(args['keep-hub-log'] ? { keepLogAs: join(args.out, `${args.name}-hub.log`) } : {}),
        log,
        onProgress: (p) => {
          servers = p;
          write(false);
        },
      });
    } catch (e) {
      errors.push(`servers part: ${(e as Error).stack ?? String(e)}`);
      log(`ERROR servers part: ${(e as Error).message}`);
    }
  }
} finally {
  write(true);
  log(`results in ${join(args.out, `${args.name}.md`)} and .json`);
  cleanWorkDir();
  untrack();
  clearTimeout(deadline);
}
process.exitCode = errors.length > 0 ? 1 : 0;
