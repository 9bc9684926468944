/**
 * The users part: Ganymede (local mode) and JupyterHub 6.1.1 side by side on this machine,
 * the same users created through each one's REST API in the same batches, then the same
 * requests to both, alternating, for many rounds. See README.md for the method.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSeconds, findChild, rssMiB } from './proc.ts';
import { api, closeAgents, timedGet, type Timed } from './http.ts';
import { jupyterHubXsrf, startGanymedeLocal, startJupyterHubLocal, type BenchHub } from './hubs.ts';
import { roundSummary, summarize, type Summary } from './stats.ts';

export type System = 'ganymede' | 'jupyterhub';
export const systems: readonly System[] = ['ganymede', 'jupyterhub'];

export interface UsersPartInput {
  readonly users: number;
  readonly batch: number;
  readonly rounds: number;
  readonly readyServers: number;
  readonly dir: string;
  readonly venv: string;
  readonly chp: string;
  readonly nodeBinDir: string;
  readonly log: (message: string) => void;
  /** Called with partial results after each phase, so an interrupted run keeps them. */
  readonly onProgress: (partial: Partial<UsersPartResult>) => void;
}

export interface ProbeResult {
  readonly probe: string;
  readonly request: Record<System, string>;
  readonly latencyMs: Record<System, Summary>;
  readonly bytes: Record<System, number>;
  /** Items in the answer (lists), from the last response. */
  readonly items: Record<System, number | null>;
  readonly errors: Record<System, number>;
  /** Ganymede p50 ÷ JupyterHub p50. */
  readonly ratioP50: number;
  /** JupyterHub's admin console: the HTML page and its API call, apart. */
  readonly parts?: Record<string, { latencyMs: Summary; bytes: number }>;
}

export interface UsersPartResult {
  readonly settings: { users: number; batch: number; rounds: number; readyServers: number };
  readonly startup: Record<System, { rssMiB: number; proxyRssMiB?: number }>;
  readonly creation: Record<
    System,
    { totalMs: number; batchesMs: number[]; batchMedianMs: number }
  >;
  readonly readyServers: Record<System, { started: number; ms: number }>;
  readonly probes: ProbeResult[];
  readonly cpuSecondsDuringRounds: Record<System, number>;
  readonly after: Record<
    System,
    { rssMiB: number; proxyRssMiB?: number; totalMiB: number; users: number }
  >;
}

const pagination = { accept: 'application/jupyterhub-pagination+json' };

function auth(hub: BenchHub): Record<string, string> {
  return { authorization: `token ${hub.adminToken}`, ...pagination };
}

export function userName(i: number): string {
  return `user${String(i + 1).padStart(5, '0')}`;
}

interface Sample {
  ms: number;
  bytes: number;
  items: number | null;
  ok: boolean;
  parts?: Record<string, { ms: number; bytes: number }>;
}

function itemsOf(t: Timed): number | null {
  try {
    const json = JSON.parse(t.body) as unknown;
    if (Array.isArray(json)) return json.length;
    const items = (json as { items?: unknown }).items;
    return Array.isArray(items) ? items.length : null;
  } catch {
    return null;
  }
}

async function getSample(hub: BenchHub, path: string): Promise<Sample> {
  const t = await timedGet(`${hub.baseUrl}${path}`, auth(hub));
  return { ms: t.ms, bytes: t.bytes, items: itemsOf(t), ok: t.status === 200 };
}

/**
 * The admin console's first page of users, signed in as an admin. Ganymede renders it on the
 * server: one request. JupyterHub 6's /hub/admin is a React app; its users come from the API
 * call the app makes on load (copied from admin-react.js: include_stopped_servers, offset 0,
 * limit = api_page_default_limit (50), name_filter, sort=id, state, and the page's _xsrf as a
 * query parameter, cookie-authenticated, pagination Accept header). Timed: the page, then that
 * call, back to back (what a browser does, minus its static JS and CSS, which are cached).
 */
async function adminSample(hub: BenchHub): Promise<Sample> {
  const cookie = { cookie: hub.admin.cookieHeader, accept: 'text/html' };
  const page = await timedGet(`${hub.baseUrl}/hub/admin`, cookie);
  if (hub.system === 'ganymede') {
    return { ms: page.ms, bytes: page.bytes, items: null, ok: page.status === 200 };
  }
  const xsrf = jupyterHubXsrf(page.body) ?? '';
  const q = new URLSearchParams({
    include_stopped_servers: '1',
    offset: '0',
    limit: '50',
    name_filter: '',
    sort: 'id',
    state: '',
    _xsrf: xsrf,
  });
  const data = await timedGet(`${hub.baseUrl}/hub/api/users?${q.toString()}`, {
    cookie: hub.admin.cookieHeader,
    ...pagination,
  });
  return {
    ms: page.ms + data.ms,
    bytes: page.bytes + data.bytes,
    items: itemsOf(data),
    ok: page.status === 200 && data.status === 200,
    parts: {
      'page (/hub/admin)': { ms: page.ms, bytes: page.bytes },
      'data (/hub/api/users?…limit=50)': { ms: data.ms, bytes: data.bytes },
    },
  };
}

interface Probe {
  readonly name: string;
  readonly describe: (system: System) => string;
  readonly run: (hub: BenchHub, round: number) => Promise<Sample>;
}

function probes(users: number, pick: (round: number) => string): Probe[] {
  const deep = Math.max(0, users - 200);
  const list = (name: string, query: string): Probe => ({
    name,
    describe: () => `GET /hub/api/users?${query} (admin token, pagination Accept header)`,
    run: (hub) => getSample(hub, `/hub/api/users?${query}`),
  });
  return [
    list('list, first page', 'limit=200'),
    list(`list, deep offset`, `offset=${String(deep)}&limit=200`),
    list('list, state=ready', 'state=ready&limit=200'),
    list('list, state=active', 'state=active&limit=200'),
    {
      name: 'one user',
      describe: () => 'GET /hub/api/users/<random user> (admin token)',
      run: (hub, round) => getSample(hub, `/hub/api/users/${pick(round)}`),
    },
    {
      name: 'admin console, first page',
      describe: (system) =>
        system === 'ganymede'
          ? 'GET /hub/admin (admin session cookie): server-rendered users page'
          : "GET /hub/admin (cookie) + GET /hub/api/users?include_stopped_servers=1&offset=0&limit=50&name_filter=&sort=id&state=&_xsrf=… (the React app's call)",
      run: (hub) => adminSample(hub),
    },
  ];
}

async function createUsers(
  hubs: Record<System, BenchHub>,
  input: UsersPartInput,
): Promise<UsersPartResult['creation']> {
  const batchesMs: Record<System, number[]> = { ganymede: [], jupyterhub: [] };
  const batches = Math.ceil(input.users / input.batch);
  for (let b = 0; b < batches; b++) {
    const names = Array.from(
      { length: Math.min(input.batch, input.users - b * input.batch) },
      (_, i) => userName(b * input.batch + i),
    );
    // Alternate which hub goes first, so drift in the machine's load spreads over both.
    const order = b % 2 === 0 ? systems : [...systems].reverse();
    for (const system of order) {
      const hub = hubs[system];
      const t0 = performance.now();
      const res = await api(hub.baseUrl, hub.adminToken, 'POST', '/users', { usernames: names });
      batchesMs[system].push(performance.now() - t0);
      const created = Array.isArray(res.json) ? res.json.length : -1;
      if (created !== names.length) {
        throw new Error(
          `${system}: batch ${String(b + 1)} created ${String(created)} of ${String(names.length)}`,
        );
      }
    }
    if ((b + 1) % 5 === 0 || b + 1 === batches) {
      input.log(
        `  created ${String(Math.min(input.users, (b + 1) * input.batch))} users (last batch: ganymede ${String(Math.round(batchesMs.ganymede.at(-1) ?? 0))} ms, jupyterhub ${String(Math.round(batchesMs.jupyterhub.at(-1) ?? 0))} ms)`,
      );
    }
  }
  const out = {} as UsersPartResult['creation'];
  for (const system of systems) {
    const ms = batchesMs[system];
    out[system] = {
      totalMs: Math.round(ms.reduce((s, v) => s + v, 0)),
      batchesMs: ms.map((v) => Math.round(v)),
      batchMedianMs: Math.round(summarize(ms).p50),
    };
  }
  return out;
}

/** Starts the tiny server for the first `count` users and waits until each hub says ready. */
async function startReadyServers(
  hub: BenchHub,
  count: number,
): Promise<{ started: number; ms: number }> {
  const t0 = performance.now();
  const names = Array.from({ length: count }, (_, i) => userName(i));
  for (const name of names) {
    await api(hub.baseUrl, hub.adminToken, 'POST', `/users/${name}/server`, {}, [201, 202]);
  }
  const deadline = Date.now() + 120_000;
  const pending = new Set(names);
  while (pending.size > 0 && Date.now() < deadline) {
    for (const name of [...pending]) {
      const { json } = await api(hub.baseUrl, hub.adminToken, 'GET', `/users/${name}`);
      const servers = (json as { servers?: Record<string, { ready?: boolean }> }).servers ?? {};
      if (servers['']?.ready === true) pending.delete(name);
    }
    if (pending.size > 0) await sleep(250);
  }
  if (pending.size > 0) {
    throw new Error(`${hub.system}: servers not ready after 120 s: ${[...pending].join(', ')}`);
  }
  return { started: count, ms: Math.round(performance.now() - t0) };
}

async function stopReadyServers(hub: BenchHub, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await api(
      hub.baseUrl,
      hub.adminToken,
      'DELETE',
      `/users/${userName(i)}/server`,
      undefined,
      [202, 204, 400, 404],
    ).catch(() => undefined);
  }
}

function footprint(hub: BenchHub): { rssMiB: number; proxyRssMiB?: number; totalMiB: number } {
  const rss = rssMiB(hub.pid);
  if (hub.system === 'ganymede') return { rssMiB: round1(rss), totalMiB: round1(rss) };
  const chp = findChild(hub.pid, 'configurable-http-proxy');
  const proxy = chp === undefined ? Number.NaN : rssMiB(chp.pid);
  return { rssMiB: round1(rss), proxyRssMiB: round1(proxy), totalMiB: round1(rss + proxy) };
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

export async function runUsersPart(input: UsersPartInput): Promise<UsersPartResult> {
  const settings = {
    users: input.users,
    batch: input.batch,
    rounds: input.rounds,
    readyServers: input.readyServers,
  };
  input.log('users part: starting Ganymede (local mode) and JupyterHub');
  const started: BenchHub[] = [];
  try {
    const ganymede = await startGanymedeLocal({
      dir: join(input.dir, 'ganymede'),
      jupyter: join(input.venv, 'bin', 'jupyter'),
    });
    started.push(ganymede);
    const jupyterhub = await startJupyterHubLocal({
      dir: join(input.dir, 'jupyterhub'),
      venv: input.venv,
      chp: input.chp,
      nodeBinDir: input.nodeBinDir,
    });
    started.push(jupyterhub);
    const hubs: Record<System, BenchHub> = { ganymede, jupyterhub };
    await sleep(2000);
    const startup = {
      ganymede: footprint(ganymede),
      jupyterhub: footprint(jupyterhub),
    };
    input.log(
      `  RSS at start: ganymede ${String(startup.ganymede.rssMiB)} MiB, jupyterhub ${String(startup.jupyterhub.rssMiB)} + proxy ${String(startup.jupyterhub.proxyRssMiB)} MiB`,
    );
    input.onProgress({ settings, startup });

    input.log(`  creating ${String(input.users)} users in batches of ${String(input.batch)}`);
    const creation = await createUsers(hubs, input);
    input.log(
      `  created: ganymede ${String(creation.ganymede.totalMs)} ms, jupyterhub ${String(creation.jupyterhub.totalMs)} ms`,
    );
    input.onProgress({ settings, startup, creation });

    const readyServers = {} as UsersPartResult['readyServers'];
    for (const system of systems) {
      readyServers[system] = await startReadyServers(hubs[system], input.readyServers);
    }
    input.log(`  ${String(input.readyServers)} tiny servers ready on each hub`);

    // The same random user for both hubs within a round.
    const picks = Array.from({ length: input.rounds + 5 }, () =>
      userName(Math.floor(Math.random() * input.users)),
    );
    const list = probes(input.users, (round) => picks[round] ?? userName(0));
    const samples = new Map<string, Record<System, Sample[]>>();
    for (const p of list) samples.set(p.name, { ganymede: [], jupyterhub: [] });
    // Warm-up: a few unrecorded rounds (JIT, caches, connections).
    for (let r = 0; r < 3; r++) {
      for (const p of list) for (const system of systems) await p.run(hubs[system], r);
    }
    const cpu0 = { ganymede: cpuSeconds(ganymede.pid), jupyterhub: cpuSeconds(jupyterhub.pid) };
    input.log(`  ${String(input.rounds)} rounds of ${String(list.length)} requests per hub`);
    for (let r = 0; r < input.rounds; r++) {
      const order = r % 2 === 0 ? systems : [...systems].reverse();
      for (const p of list) {
        for (const system of order) {
          try {
            samples.get(p.name)?.[system].push(await p.run(hubs[system], r));
          } catch (e) {
            samples
              .get(p.name)
              ?.[system].push({ ms: Number.NaN, bytes: 0, items: null, ok: false });
            input.log(`  ${system} ${p.name}: ${(e as Error).message}`);
          }
        }
      }
      if ((r + 1) % 20 === 0) input.log(`  round ${String(r + 1)}/${String(input.rounds)}`);
    }
    const cpuSecondsDuringRounds = {
      ganymede: round2(cpuSeconds(ganymede.pid) - cpu0.ganymede),
      jupyterhub: round2(cpuSeconds(jupyterhub.pid) - cpu0.jupyterhub),
    };
    const probeResults: ProbeResult[] = list.map((p) => {
      const s = samples.get(p.name) ?? { ganymede: [], jupyterhub: [] };
      const ok = (system: System): Sample[] => s[system].filter((x) => x.ok);
      const latency = (system: System): Summary =>
        roundSummary(summarize(ok(system).map((x) => x.ms)));
      const latencyMs = { ganymede: latency('ganymede'), jupyterhub: latency('jupyterhub') };
      const parts: Record<string, { latencyMs: Summary; bytes: number }> = {};
      for (const key of Object.keys(ok('jupyterhub')[0]?.parts ?? {})) {
        const xs = ok('jupyterhub').flatMap((x) => (x.parts?.[key] ? [x.parts[key]] : []));
        parts[`JupyterHub ${key}`] = {
          latencyMs: roundSummary(summarize(xs.map((x) => x.ms))),
          bytes: xs.at(-1)?.bytes ?? 0,
        };
      }
      return {
        probe: p.name,
        request: { ganymede: p.describe('ganymede'), jupyterhub: p.describe('jupyterhub') },
        latencyMs,
        bytes: {
          ganymede: ok('ganymede').at(-1)?.bytes ?? 0,
          jupyterhub: ok('jupyterhub').at(-1)?.bytes ?? 0,
        },
        items: {
          ganymede: ok('ganymede').at(-1)?.items ?? null,
          jupyterhub: ok('jupyterhub').at(-1)?.items ?? null,
        },
        errors: {
          ganymede: s.ganymede.length - ok('ganymede').length,
          jupyterhub: s.jupyterhub.length - ok('jupyterhub').length,
        },
        ratioP50: round2(latencyMs.ganymede.p50 / latencyMs.jupyterhub.p50),
        ...(Object.keys(parts).length > 0 ? { parts } : {}),
      };
    });
    for (const p of probeResults) {
      input.log(
        `  ${p.probe}: p50 ganymede ${p.latencyMs.ganymede.p50.toFixed(1)} ms / jupyterhub ${p.latencyMs.jupyterhub.p50.toFixed(1)} ms (×${p.ratioP50.toFixed(2)}), bytes ${String(p.bytes.ganymede)} / ${String(p.bytes.jupyterhub)}, errors ${String(p.errors.ganymede)}/${String(p.errors.jupyterhub)}`,
      );
    }
    const after = {
      ganymede: { ...footprint(ganymede), users: input.users },
      jupyterhub: { ...footprint(jupyterhub), users: input.users },
    };
    input.log(
      `  RSS after: ganymede ${String(after.ganymede.rssMiB)} MiB, jupyterhub ${String(after.jupyterhub.rssMiB)} + proxy ${String(after.jupyterhub.proxyRssMiB)} MiB`,
    );
    const result: UsersPartResult = {
      settings,
      startup,
      creation,
      readyServers,
      probes: probeResults,
      cpuSecondsDuringRounds,
      after,
    };
    input.onProgress(result);
    for (const system of systems) await stopReadyServers(hubs[system], input.readyServers);
    return result;
  } finally {
    closeAgents();
    for (const hub of started.reverse()) await hub.stop();
  }
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
