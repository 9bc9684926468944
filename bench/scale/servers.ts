/**
 * The servers part: Ganymede's hub (Kubernetes backend, the operator in the hub as usual) on
 * the test cluster with our node agent, N notebooks running the tiny server instead of
 * Jupyter. What is measured is the hub (and its in-hub operator): memory, idle CPU, the
 * proxy's route lookup, and a restart until every route answers again. See README.md.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api } from '@kubernetes/client-node';
import { startCluster, type TestCluster } from '../../test/cluster/harness.ts';
import type { ImageRule } from '../../test/cluster/node-agent/images.ts';
import { startGanymedeHub, type GanymedeHub } from '../spawn/ganymede.ts';
import { startProcess, waitUntil, type HubProcess } from '../spawn/processes.ts';
import { processesMentioning } from '../../test/cluster/real-node/host-state.ts';
import { busybox, tinyServerScript } from './hubs.ts';
import { api, closeAgents, mapLimit, timedGet } from './http.ts';
import { cpuSeconds, rssMiB } from './proc.ts';
import { roundSummary, summarize, type Summary } from './stats.ts';
import { userName } from './users.ts';

const cliMain = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));
/** The profile's image; the node agent runs it as the tiny server (rule below). */
export const tinyImage = 'ganymede.bench/tiny-notebook:1';

export interface ServersPartInput {
  readonly servers: number;
  readonly maxStarting: number | 'auto';
  readonly setupTimeoutMs: number;
  readonly idleSeconds: number;
  readonly lookupRequests: number;
  /** Restarts per signal (SIGTERM, SIGKILL alternating): the target is judged on medians. */
  readonly restarts: number;
  readonly dir: string;
  /** Node flags for the restarted hubs only (e.g. `--cpu-prof`), to profile a restart. */
  readonly restartNodeArgs?: readonly string[];
  /** Where the hub's log is copied at the end (the run's folder is removed). */
  readonly keepLogAs?: string;
  readonly log: (message: string) => void;
  readonly onProgress: (partial: Partial<ServersPartResult>) => void;
}

export interface LookupResult {
  readonly running: number;
  readonly requests: number;
  readonly viaProxyMs: Summary;
  readonly directMs: Summary;
  /** p50 through the proxy minus p50 direct: what the proxy adds, route lookup included. */
  readonly addedP50Ms: number;
  readonly errors: number;
}

export interface RestartResult {
  readonly signal: 'SIGTERM' | 'SIGKILL';
  readonly stopMs: number;
  /** From spawning the new hub process to `/ready` answering 200. */
  readonly readyMs: number;
  /** From spawning the new hub process until the first route answered through the proxy. */
  readonly firstRouteMs: number;
  /** From spawning the new hub process until every route answered 200 through the proxy (the
   * last one's answer; the routes are polled 32 at a time, 100 ms between passes). */
  readonly allRoutesMs: number;
  readonly answered: number;
  /** GET /hub/api/users?state=ready total after the routes answered. */
  readonly readyInApi: number | null;
  readonly rssMiBAfter: number;
}

export interface ServersPartResult {
  readonly settings: {
    servers: number;
    maxStarting: number | 'auto';
    setupTimeoutMs: number;
    idleSeconds: number;
    lookupRequests: number;
    restarts: number;
  };
  readonly clusterStartMs: number;
  readonly setup: {
    requested: number;
    running: number;
    startRequestsMs: number;
    allRunningMs: number | null;
    timeline: { seconds: number; running: number }[];
  };
  readonly lookup: LookupResult[];
  readonly hub: {
    rssMiB: number;
    idleCpuSeconds: number;
    idleSeconds: number;
    idleCpuPercentOfCore: number;
    operatorInHub: true;
  };
  readonly nodeAgentPods: number;
  readonly tinyServerRssMiB: { p50: number; n: number };
  readonly restarts: RestartResult[];
}

function tinyImageRule(): ImageRule {
  const command = [busybox, 'sh', tinyServerScript];
  return {
    pattern: 'ganymede.bench/tiny-notebook*',
    commands: { jupyter: command, 'start-notebook.py': command, 'start-notebook.sh': command },
    defaultCommand: command,
    env: { BUSYBOX: busybox, JUPYTER_PORT: '8888', PATH: '/usr/bin:/bin', HOME: '/home/jovyan' },
    user: { uid: 1000, gid: 100 },
  };
}

async function kubectlOk(cluster: TestCluster, args: string[], input?: string): Promise<string> {
  const r = await cluster.kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Does `user`'s server answer through the hub's proxy (our tiny server's status file)? */
async function routeAnswers(baseUrl: string, token: string, user: string): Promise<boolean> {
  try {
    const t = await timedGet(
      `${baseUrl}/user/${user}/api/status`,
      { authorization: `token ${token}` },
      { timeoutMs: 10_000 },
    );
    return t.status === 200 && t.body.includes('"last_activity"');
  } catch {
    return false;
  }
}

/**
 * Polls every user's route (32 requests in flight) until each answered once or the deadline
 * passes; `pollMs` between passes. Returns when each answered, in ms since `t0`.
 */
async function waitForRoutes(
  baseUrl: string,
  token: string,
  users: readonly string[],
  deadline: number,
  t0: number,
  pollMs: number,
): Promise<Map<string, number>> {
  const answered = new Map<string, number>();
  while (answered.size < users.length && Date.now() < deadline) {
    const pending = users.filter((u) => !answered.has(u));
    await mapLimit(pending, 32, async (u) => {
      if (await routeAnswers(baseUrl, token, u)) answered.set(u, performance.now() - t0);
    });
    if (answered.size < users.length) await sleep(pollMs);
  }
  return answered;
}

/** user → pod IP, from each running pod's tiny server (its `/` names its base URL). */
async function podAddresses(cluster: TestCluster, namespace: string): Promise<Map<string, string>> {
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  const pods = await core.listNamespacedPod({ namespace });
  const ips = pods.items.flatMap((p) =>
    p.status?.phase === 'Running' && p.status.podIP ? [p.status.podIP] : [],
  );
  const out = new Map<string, string>();
  await mapLimit(ips, 16, async (ip) => {
    try {
      const t = await timedGet(`http://${ip}:8888/`, {}, { timeoutMs: 5000 });
      const m = /^\/user\/([^/]+)\/$/.exec(t.body);
      if (t.status === 200 && m?.[1]) out.set(decodeURIComponent(m[1]), ip);
    } catch {
      // Not answering: left out.
    }
  });
  return out;
}

/** Random users' servers, alternately through the proxy and directly to the pod. */
async function measureLookup(
  hub: GanymedeHub,
  addresses: Map<string, string>,
  requests: number,
): Promise<LookupResult> {
  const users = [...addresses.keys()];
  const via: number[] = [];
  const direct: number[] = [];
  let errors = 0;
  const auth = { authorization: `token ${hub.adminToken}` };
  // Warm-up: connections and JIT.
  for (let i = 0; i < 50; i++) {
    const u = users[i % users.length] ?? '';
    await timedGet(`${hub.baseUrl}/user/${u}/api/status`, auth).catch(() => undefined);
    await timedGet(`http://${addresses.get(u) ?? ''}:8888/user/${u}/api/status`).catch(
      () => undefined,
    );
  }
  for (let i = 0; i < requests; i++) {
    const u = users[Math.floor(Math.random() * users.length)] ?? '';
    const viaFirst = i % 2 === 0;
    for (const which of viaFirst ? ['via', 'direct'] : ['direct', 'via']) {
      try {
        const t =
          which === 'via'
            ? await timedGet(`${hub.baseUrl}/user/${u}/api/status`, auth)
            : await timedGet(`http://${addresses.get(u) ?? ''}:8888/user/${u}/api/status`);
        if (t.status !== 200) {
          errors++;
          continue;
        }
        (which === 'via' ? via : direct).push(t.ms);
      } catch {
        errors++;
      }
    }
  }
  const viaProxyMs = roundSummary(summarize(via));
  const directMs = roundSummary(summarize(direct));
  return {
    running: users.length,
    requests,
    viaProxyMs,
    directMs,
    addedP50Ms: Math.round((viaProxyMs.p50 - directMs.p50) * 100) / 100,
    errors,
  };
}

async function totalReady(hub: { baseUrl: string; adminToken: string }): Promise<number | null> {
  try {
    const { json } = await api(hub.baseUrl, hub.adminToken, 'GET', '/users?state=ready&limit=1');
    return (json as { _pagination?: { total?: number } })._pagination?.total ?? null;
  } catch {
    return null;
  }
}

export async function runServersPart(input: ServersPartInput): Promise<ServersPartResult> {
  const settings = {
    servers: input.servers,
    maxStarting: input.maxStarting,
    setupTimeoutMs: input.setupTimeoutMs,
    idleSeconds: input.idleSeconds,
    lookupRequests: input.lookupRequests,
    restarts: input.restarts,
  };
  const namespace = 'bench-scale';
  input.log(
    `servers part: starting the test cluster (node agent, ${String(input.servers + 20)} pods)`,
  );
  const t0 = performance.now();
  const cluster = await startCluster({ images: [tinyImageRule()], maxPods: input.servers + 20 });
  let hubProcess: HubProcess | undefined;
  let hub: GanymedeHub | undefined;
  try {
    const clusterStartMs = Math.round(performance.now() - t0);
    await kubectlOk(
      cluster,
      ['apply', '--server-side', '-f', '-'],
      readFileSync(join(root, 'deploy', 'crd', 'jupyternotebooks.ganymede.dev.yaml'), 'utf8'),
    );
    await kubectlOk(cluster, [
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/jupyternotebooks.ganymede.dev',
    ]);
    await kubectlOk(cluster, ['create', 'namespace', namespace]);
    await waitUntil(
      `ServiceAccount ${namespace}/default`,
      async () => (await cluster.kubectl(['-n', namespace, 'get', 'sa', 'default'])).code === 0,
      { timeoutMs: 60_000 },
    );
    const hubDir = join(input.dir, 'hub');
    hub = await startGanymedeHub({
      dir: hubDir,
      kubeconfigPath: cluster.kubeconfigPath,
      namespace,
      // The start time-out counts a start's time in the queue too: with 1,000 asked at once
      // on a loaded 2-core machine the last ones wait longer than 10 min (150 of them timed
      // out at 600 s in one run). What is measured is the hub with N running, not the timeout.
      timeoutSeconds: 3600,
      maxStarting: input.maxStarting,
      image: tinyImage,
    });
    hubProcess = hub.process;
    const names = Array.from({ length: input.servers }, (_, i) => userName(i));
    for (let b = 0; b < names.length; b += 500) {
      await api(hub.baseUrl, hub.adminToken, 'POST', '/users', {
        usernames: names.slice(b, b + 500),
      });
    }
    input.log(`  ${String(names.length)} users created; starting their servers`);
    const current = hub;
    const lookup: LookupResult[] = [];

    // A few servers first: the proxy's cost with few routes, to compare with N routes.
    const few = names.slice(0, Math.min(10, names.length));
    for (const u of few)
      await api(current.baseUrl, current.adminToken, 'POST', `/users/${u}/server`, {}, [201, 202]);
    await waitForRoutes(
      current.baseUrl,
      current.adminToken,
      few,
      Date.now() + 120_000,
      performance.now(),
      500,
    );
    const fewAddresses = await podAddresses(cluster, namespace);
    if (fewAddresses.size > 0) {
      lookup.push(await measureLookup(current, fewAddresses, input.lookupRequests));
      input.log(
        `  proxy at ${String(fewAddresses.size)} running: p50 ${String(lookup[0]?.viaProxyMs.p50)} ms via proxy, ${String(lookup[0]?.directMs.p50)} ms direct`,
      );
    }

    const setupStart = performance.now();
    const rest = names.slice(few.length);
    await mapLimit(rest, 8, async (u) => {
      await api(current.baseUrl, current.adminToken, 'POST', `/users/${u}/server`, {}, [201, 202]);
    });
    const startRequestsMs = Math.round(performance.now() - setupStart);
    input.log(
      `  ${String(rest.length)} start requests sent in ${String(startRequestsMs)} ms; waiting for the routes`,
    );
    // Progress from the API (one cheap request every 5 s), then every route checked.
    const timeline: { seconds: number; running: number }[] = [];
    const setupDeadline = Date.now() + input.setupTimeoutMs;
    let lastLog = 0;
    let stalledSince = Date.now();
    let best = 0;
    while (Date.now() < setupDeadline) {
      const ready = (await totalReady(current)) ?? 0;
      const seconds = Math.round((performance.now() - setupStart) / 1000);
      timeline.push({ seconds, running: ready });
      if (ready > best) {
        best = ready;
        stalledSince = Date.now();
      }
      if (seconds - lastLog >= 15) {
        lastLog = seconds;
        input.log(`  ${String(ready)}/${String(names.length)} ready after ${String(seconds)} s`);
      }
      // Done, or nothing new for 3 minutes (then go on with those that run).
      if (ready >= names.length || Date.now() - stalledSince > 180_000) break;
      await sleep(5000);
    }
    // Every route checked: until all answer, or a minute once the API says the starts stalled
    // (servers that failed, e.g. timed out, never will).
    const answeredAt = await waitForRoutes(
      current.baseUrl,
      current.adminToken,
      names,
      best < names.length ? Date.now() + 60_000 : Math.max(setupDeadline, Date.now() + 60_000),
      setupStart,
      2000,
    );
    const answered = new Set(answeredAt.keys());
    const allRunningMs =
      answered.size === names.length ? Math.round(Math.max(...answeredAt.values())) : null;
    const running = [...answered];
    input.log(
      `  ${String(running.length)}/${String(names.length)} servers answering${allRunningMs === null ? ' (setup time-out)' : ` after ${String(allRunningMs)} ms`}`,
    );
    const setup = {
      requested: names.length,
      running: running.length,
      startRequestsMs,
      allRunningMs,
      timeline,
    };
    input.onProgress({ settings, clusterStartMs, setup, lookup });

    // Settle, then idle CPU of the hub (operator and culler inside it) over `idleSeconds`.
    input.log('  settling 30 s, then measuring idle CPU');
    await sleep(30_000);
    const pid = current.process.child.pid ?? 0;
    const cpu0 = cpuSeconds(pid);
    const w0 = performance.now();
    await sleep(input.idleSeconds * 1000);
    const idleCpuSeconds = cpuSeconds(pid) - cpu0;
    const wallSeconds = (performance.now() - w0) / 1000;
    const hubFigures = {
      rssMiB: Math.round(rssMiB(pid) * 10) / 10,
      idleCpuSeconds: Math.round(idleCpuSeconds * 100) / 100,
      idleSeconds: Math.round(wallSeconds * 10) / 10,
      idleCpuPercentOfCore: Math.round((idleCpuSeconds / wallSeconds) * 1000) / 10,
      operatorInHub: true as const,
    };
    input.log(
      `  hub RSS ${String(hubFigures.rssMiB)} MiB, idle CPU ${String(hubFigures.idleCpuPercentOfCore)}% of a core over ${String(hubFigures.idleSeconds)} s`,
    );
    // The tiny servers' own memory (what each notebook stand-in costs).
    const tinyRss = processesMentioning(cluster.dir)
      .filter((p) => p.cmdline.includes('httpd'))
      .map((p) => rssMiB(p.pid))
      .filter((v) => Number.isFinite(v));
    const tinyServerRssMiB = {
      p50: Math.round(summarize(tinyRss).p50 * 100) / 100,
      n: tinyRss.length,
    };

    const addresses = await podAddresses(cluster, namespace);
    lookup.push(await measureLookup(current, addresses, input.lookupRequests));
    input.log(
      `  proxy at ${String(addresses.size)} running: p50 ${String(lookup.at(-1)?.viaProxyMs.p50)} ms via proxy, ${String(lookup.at(-1)?.directMs.p50)} ms direct`,
    );
    input.onProgress({
      settings,
      clusterStartMs,
      setup,
      lookup,
      hub: hubFigures,
      tinyServerRssMiB,
    });

    // Restarts: stop the hub, start the same configuration again, time until every route
    // that answered before answers again through the new process's proxy.
    const restarts: RestartResult[] = [];
    const configFile = join(hubDir, 'ganymede.yaml');
    // Alternating, so both kinds see the same drift of the machine's load over the run.
    const signals = Array.from({ length: input.restarts * 2 }, (_, i) =>
      i % 2 === 0 ? ('SIGTERM' as const) : ('SIGKILL' as const),
    );
    for (const signal of signals) {
      closeAgents();
      const s0 = performance.now();
      const old = hubProcess;
      if (signal === 'SIGTERM') {
        await old.stop(15_000);
      } else {
        try {
          process.kill(-(old.child.pid ?? 0), 'SIGKILL');
        } catch {
          // Gone.
        }
        await old.stop(1000);
      }
      const stopMs = Math.round(performance.now() - s0);
      const r0 = performance.now();
      const proc = startProcess(
        process.execPath,
        [...(input.restartNodeArgs ?? []), cliMain, 'serve', '--config', configFile],
        {
          logFile: join(hubDir, 'ganymede.log'),
          cwd: hubDir,
          env: {
            ...process.env,
            // bench/spawn/ganymede.ts's admin password (the admin exists already).
            GANYMEDE_ADMIN_PASSWORD: 'bench-admin-password',
            KUBECONFIG: cluster.kubeconfigPath,
          },
        },
      );
      hubProcess = proc;
      let readyMs = Number.NaN;
      const readyWait = waitUntil(
        'the restarted hub to answer /ready',
        async () => {
          const res = await fetch(`${current.baseUrl}/ready`);
          await res.body?.cancel();
          if (res.status === 200 && Number.isNaN(readyMs)) readyMs = performance.now() - r0;
          return res.status === 200;
        },
        { timeoutMs: 120_000, process: proc },
      );
      const back = await waitForRoutes(
        current.baseUrl,
        current.adminToken,
        running,
        Date.now() + 300_000,
        r0,
        100,
      );
      const times = [...back.values()];
      const allRoutesMs = Math.round(Math.max(...times));
      await readyWait.catch(() => undefined);
      const restart: RestartResult = {
        signal,
        stopMs,
        readyMs: Math.round(readyMs),
        firstRouteMs: Math.round(Math.min(...times)),
        allRoutesMs: back.size === running.length ? allRoutesMs : Number.NaN,
        answered: back.size,
        readyInApi: await totalReady(current),
        rssMiBAfter: Math.round(rssMiB(proc.child.pid ?? 0) * 10) / 10,
      };
      restarts.push(restart);
      input.log(
        `  restart after ${signal}: /ready after ${String(restart.readyMs)} ms, ${String(back.size)}/${String(running.length)} routes after ${String(allRoutesMs)} ms; state=ready total ${String(restart.readyInApi)}`,
      );
      input.onProgress({
        settings,
        clusterStartMs,
        setup,
        lookup,
        hub: hubFigures,
        tinyServerRssMiB,
        restarts,
      });
      await sleep(5000);
    }
    const nodeAgentPods = (
      await cluster.kubeConfig.makeApiClient(CoreV1Api).listNamespacedPod({ namespace })
    ).items.length;
    return {
      settings,
      clusterStartMs,
      setup,
      lookup,
      hub: hubFigures,
      nodeAgentPods,
      tinyServerRssMiB,
      restarts,
    };
  } finally {
    closeAgents();
    await hubProcess?.stop(15_000);
    if (input.keepLogAs) {
      try {
        copyFileSync(join(input.dir, 'hub', 'ganymede.log'), input.keepLogAs);
      } catch {
        // No hub started.
      }
    }
    input.log('  stopping the test cluster');
    await cluster.stop();
  }
}
