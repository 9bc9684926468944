/**
 * Proxy benchmark: small GETs and WebSocket round trips, in ONE run against the SAME upstream,
 * directly, through configurable-http-proxy (JupyterHub's default proxy) and through our
 * proxy with authentication on. See README.md for the method.
 *
 * Usage: node bench/proxy/run.ts [--rounds 5] [--seconds 10] [--connections 50] [--out bench/results]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { median, parseWrk, type WrkResult } from './stats.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    out: { type: 'string', default: join(root, 'bench', 'results') },
  },
});
const rounds = Number(args.rounds);
const seconds = Number(args.seconds);
const connections = Number(args.connections);

type TargetName = 'direct' | 'chp' | 'ganymede';
interface Target {
  readonly name: TargetName;
  readonly label: string;
  readonly httpUrl: string;
  readonly wsUrl: string;
  readonly headers: Record<string, string>;
}

const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function wrkVersion(): string {
  // wrk is Debian's package, named in scripts/system-packages.txt (group bench).
  execFileSync('bash', [join(root, 'scripts/ensure-system.sh'), 'bench'], { stdio: 'inherit' });
  try {
    // `wrk -v` prints its version and exits 1.
    execFileSync('wrk', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const out = (error as { stdout?: string; code?: string }).stdout ?? '';
    if ((error as { code?: string }).code === 'ENOENT') {
      throw new Error('wrk is not installed: run `scripts/ensure-system.sh bench` as root first.', {
        cause: error,
      });
    }
    return out.split('\n')[0]?.trim() ?? 'wrk';
  }
  return 'wrk';
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Starts a Node child and returns the JSON it prints on its first stdout line. */
async function startNode<T>(script: string, argv: string[] = []): Promise<T> {
  const child = spawn(process.execPath, [join(here, script), ...argv], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) return JSON.parse(line) as T;
  throw new Error(`${script} exited before it was ready`);
}

async function startChp(upstreamPort: number): Promise<number> {
  const [port, apiPort] = [await freePort(), await freePort()];
  const token = 'bench-chp-token';
  const bin = join(
    root,
    'node_modules',
    'configurable-http-proxy',
    'bin',
    'configurable-http-proxy',
  );
  const child = spawn(
    process.execPath,
    [
      bin,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--api-ip',
      '127.0.0.1',
      '--api-port',
      String(apiPort),
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, CONFIGPROXY_AUTH_TOKEN: token },
    },
  );
  children.push(child);
  // Wait for its REST API, then add the route the way JupyterHub does.
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(`http://127.0.0.1:${apiPort}/api/routes/user/alice`, {
        method: 'POST',
        headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ target: `http://127.0.0.1:${upstreamPort}` }),
      });
      if (res.status !== 201) throw new Error(`CHP refused the route: ${res.status}`);
      return port;
    } catch (error) {
      if (attempt > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function runWrk(target: Target, durationSeconds: number): WrkResult {
  const headerArgs = Object.entries(target.headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  const output = execFileSync(
    'wrk',
    [
      '-t2',
      `-c${connections}`,
      `-d${durationSeconds}s`,
      '--latency',
      ...headerArgs,
      target.httpUrl,
    ],
    { encoding: 'utf8' },
  );
  const result = parseWrk(output);
  if (result.errors > 0)
    throw new Error(`${target.name}: ${result.errors} failed requests\n${output}`);
  return result;
}

interface WsResult {
  readonly roundTrips: number;
  readonly perSecond: number;
  readonly medianMs: number;
  readonly p99Ms: number;
  readonly errors: number;
}

async function runWs(target: Target, durationSeconds: number): Promise<WsResult> {
  const result = await startNode<WsResult>('ws-client.ts', [
    target.wsUrl,
    String(connections),
    String(durationSeconds * 1000),
    JSON.stringify(target.headers),
  ]);
  if (result.errors > 0) throw new Error(`${target.name}: ${result.errors} WebSocket errors`);
  return result;
}

function goBuildRunning(): boolean {
  try {
    return execFileSync('pgrep', ['-f', 'go build'], { encoding: 'utf8' }).trim() !== '';
  } catch {
    return false;
  }
}

const tool = wrkVersion();
const busyBefore = goBuildRunning();
const loadBefore = os.loadavg();
const upstream = await startNode<{ port: number }>('upstream.ts');
const chpPort = await startChp(upstream.port);
const ours = await startNode<{ port: number; cookie: string }>('ganymede-proxy.ts', [
  String(upstream.port),
]);
const path = '/user/alice/api/status';
// Every target gets the same headers, so request sizes match; only ours checks them.
const headers = { cookie: ours.cookie, origin: `http://127.0.0.1:${ours.port}` };
const targets: Target[] = [
  { name: 'direct', label: 'direct (no proxy)', port: upstream.port },
  { name: 'chp', label: 'configurable-http-proxy', port: chpPort },
  { name: 'ganymede', label: 'ganymede proxy (auth on)', port: ours.port },
].map(({ name, label, port }) => ({
  name: name as TargetName,
  label,
  httpUrl: `http://127.0.0.1:${port}${path}`,
  wsUrl: `ws://127.0.0.1:${port}/user/alice/api/kernels/k/channels`,
  headers: name === 'ganymede' ? headers : { ...headers, origin: `http://127.0.0.1:${port}` },
}));

// Sanity: each target answers, and ours refuses without the cookie.
for (const t of targets) {
  const res = await fetch(t.httpUrl, { headers: t.headers });
  if (res.status !== 200) throw new Error(`${t.name} answered ${res.status}`);
}
if ((await fetch(targets[2]?.httpUrl ?? '')).status !== 401) throw new Error('auth is not on');

process.stderr.write(`warm-up (${tool})\n`);
for (const t of targets) {
  runWrk(t, 3);
  await runWs(t, 2);
}

const http: Record<TargetName, WrkResult[]> = { direct: [], chp: [], ganymede: [] };
const ws: Record<TargetName, WsResult[]> = { direct: [], chp: [], ganymede: [] };
for (let round = 0; round < rounds; round++) {
  // Rotate the order each round so drift (thermal, other load) spreads over all targets.
  const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
  for (const t of order) {
    const h = runWrk(t, seconds);
    http[t.name].push(h);
    const w = await runWs(t, seconds);
    ws[t.name].push(w);
    process.stderr.write(
      `round ${round + 1}/${rounds} ${t.name}: ${h.requestsPerSecond.toFixed(0)} req/s ` +
        `(p50 ${h.medianMs} ms, p99 ${h.p99Ms} ms), ${w.perSecond.toFixed(0)} ws rt/s\n`,
    );
  }
}
const busyAfter = goBuildRunning();

const summary = Object.fromEntries(
  targets.map((t) => [
    t.name,
    {
      label: t.label,
      http: {
        requestsPerSecond: median(http[t.name].map((r) => r.requestsPerSecond)),
        medianMs: median(http[t.name].map((r) => r.medianMs)),
        p99Ms: median(http[t.name].map((r) => r.p99Ms)),
        rounds: http[t.name].map((r) => r.requestsPerSecond),
      },
      ws: {
        roundTripsPerSecond: median(ws[t.name].map((r) => r.perSecond)),
        medianMs: median(ws[t.name].map((r) => r.medianMs)),
        p99Ms: median(ws[t.name].map((r) => r.p99Ms)),
        rounds: ws[t.name].map((r) => r.perSecond),
      },
    },
  ]),
) as Record<
  TargetName,
  {
    label: string;
    http: { requestsPerSecond: number; medianMs: number; p99Ms: number; rounds: number[] };
    ws: { roundTripsPerSecond: number; medianMs: number; p99Ms: number; rounds: number[] };
  }
>;

const ratios = {
  httpOursOverChp: summary.ganymede.http.requestsPerSecond / summary.chp.http.requestsPerSecond,
  httpOursOverDirect:
    summary.ganymede.http.requestsPerSecond / summary.direct.http.requestsPerSecond,
  wsOursOverChp: summary.ganymede.ws.roundTripsPerSecond / summary.chp.ws.roundTripsPerSecond,
  wsOursOverDirect: summary.ganymede.ws.roundTripsPerSecond / summary.direct.ws.roundTripsPerSecond,
};
const cpus = os.cpus();
const machine = {
  cpu: cpus[0]?.model ?? 'unknown',
  cores: cpus.length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  os: `${os.type()} ${os.release()}`,
  node: process.version,
  loadAverageAtStart: loadBefore.map((l) => Number(l.toFixed(2))),
  goBuildRunning: busyBefore || busyAfter,
  /** Scheduling priority (nice) the benchmark processes ran at. */
  nice: os.getPriority(),
};
const method = {
  loadGenerator: tool,
  httpCommand: `wrk -t2 -c${connections} -d${seconds}s --latency GET ${path}`,
  ws: `${connections} WebSocket connections (ws package, one process), each sending 32 bytes and awaiting the echo, ${seconds} s`,
  rounds,
  statistic: 'median over rounds (latency: median of per-round p50/p99)',
  upstream: 'node:http server, 88-byte JSON answer, ws echo; separate process',
  chp: 'configurable-http-proxy CLI (npm), default options, route /user/alice added over its REST API',
  ganymede:
    'createProxy in a node:http server; authentication by the hub auth service (session cookie, SHA-256, 2 s cache, SQLite store)',
};
const result = { date: new Date().toISOString(), machine, method, summary, ratios };
mkdirSync(args.out, { recursive: true });
writeFileSync(join(args.out, 'proxy.json'), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(args.out, 'proxy.md'), renderMarkdown(result));
process.stderr.write(renderMarkdown(result));
process.exit(0);

function renderMarkdown(r: typeof result): string {
  const f = (n: number, digits = 0) => n.toFixed(digits);
  const rows = (['direct', 'chp', 'ganymede'] as const).map((name) => {
    const s = r.summary[name];
    return `| ${s.label} | ${f(s.http.requestsPerSecond)} | ${f(s.http.medianMs, 2)} | ${f(s.http.p99Ms, 2)} | ${f(s.ws.roundTripsPerSecond)} | ${f(s.ws.medianMs, 2)} | ${f(s.ws.p99Ms, 2)} |`;
  });
  return `# Proxy benchmark

Generated by \`node bench/proxy/run.ts\` on ${r.date}.

| | HTTP req/s | p50 ms | p99 ms | WS round trips/s | WS p50 ms | WS p99 ms |
|---|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

**Ratios** (ours ÷ other): HTTP ${f(r.ratios.httpOursOverChp, 2)}× configurable-http-proxy,
${f(r.ratios.httpOursOverDirect, 2)}× direct; WebSocket ${f(r.ratios.wsOursOverChp, 2)}× configurable-http-proxy,
${f(r.ratios.wsOursOverDirect, 2)}× direct. Target: HTTP ≥ 2× configurable-http-proxy at ${connections} connections.

Per-round HTTP req/s: ${(['direct', 'chp', 'ganymede'] as const).map((n) => `${n} ${r.summary[n].http.rounds.map((x) => f(x)).join(', ')}`).join('; ')}.

## Machine

${r.machine.cores} × ${r.machine.cpu}, ${r.machine.memoryGiB} GiB, ${r.machine.os}, Node ${r.machine.node}.
Load average at start ${r.machine.loadAverageAtStart.join(' / ')}; a \`go build\` was ${r.machine.goBuildRunning ? '**running** during the run (numbers are less reliable)' : 'not running'}.
Load generator, upstream and proxy share these cores; they ran at nice ${r.machine.nice}.

## Method

- HTTP: \`${r.method.httpCommand}\` (${r.method.loadGenerator}), keep-alive connections.
- WebSocket: ${r.method.ws}.
- ${r.method.rounds} rounds after a warm-up, target order rotated each round; ${r.method.statistic}.
- Upstream: ${r.method.upstream}.
- configurable-http-proxy: ${r.method.chp}.
- Ours: ${r.method.ganymede}.
- All three get the same request headers (session cookie, Origin); runs with any non-2xx answer or socket error are rejected.
`;
}
