/** The Markdown page of a run (bench/results/<name>.md), from the same object as the JSON. */
import { resultPreamble } from '../machine.ts';
import type { ServersPartResult } from './servers.ts';
import { summarize, type Summary } from './stats.ts';
import type { UsersPartResult } from './users.ts';

interface RunResult {
  benchmark: string;
  date: string;
  finished: string | null;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    kernel: string;
    loadAtStart: number[];
    loadAtEnd: number[];
  };
  versions: Record<string, string>;
  settings: Record<string, unknown>;
  users: Partial<UsersPartResult> | null;
  servers: Partial<ServersPartResult> | null;
  errors: string[];
}

export interface Target {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | null;
}

const f1 = (v: number | undefined | null): string =>
  v === undefined || v === null || !Number.isFinite(v) ? '–' : v.toFixed(1);
const kb = (bytes: number | undefined): string =>
  bytes === undefined
    ? '–'
    : bytes >= 1e6
      ? `${(bytes / 1e6).toFixed(2)} MB`
      : `${(bytes / 1e3).toFixed(1)} kB`;

export function targets(r: Pick<RunResult, 'users' | 'servers'>): Target[] {
  const out: Target[] = [];
  const probes = r.users?.probes ?? [];
  for (const p of probes.filter((x) => x.probe.startsWith('list'))) {
    out.push({
      target: `${p.probe}: p50 ≤ 0.5× JupyterHub`,
      measured: `${f1(p.latencyMs.ganymede.p50)} vs ${f1(p.latencyMs.jupyterhub.p50)} ms (${p.ratioP50.toFixed(2)}×)`,
      met: Number.isFinite(p.ratioP50) ? p.ratioP50 <= 0.5 : null,
    });
  }
  const after = r.users?.after;
  if (after) {
    out.push({
      target: `hub RSS ≤ JupyterHub's at ${String(after.ganymede.users)} users (JupyterHub: hub + its proxy)`,
      measured: `${f1(after.ganymede.rssMiB)} MiB vs ${f1(after.jupyterhub.totalMiB)} MiB (hub ${f1(after.jupyterhub.rssMiB)} + proxy ${f1(after.jupyterhub.proxyRssMiB)})`,
      met: after.ganymede.rssMiB <= after.jupyterhub.totalMiB,
    });
  }
  const admin = probes.find((p) => p.probe.startsWith('admin'));
  if (admin) {
    out.push({
      target: 'admin console first page ≤ 100 ms (p50)',
      measured: `${f1(admin.latencyMs.ganymede.p50)} ms p50, ${f1(admin.latencyMs.ganymede.p99)} ms p99, ${kb(admin.bytes.ganymede)}`,
      met: admin.latencyMs.ganymede.p50 <= 100,
    });
  }
  const s = r.servers;
  const restarts = s?.restarts ?? [];
  if (restarts.length > 0) {
    // Judged on the median of each kind of stop (these machines are noisy); the worst is
    // shown. A restart after which some route never answered fails the target outright.
    const incomplete = restarts.filter((x) => !Number.isFinite(x.allRoutesMs)).length;
    const back = (signal: string) =>
      summarize(restarts.filter((x) => x.signal === signal).map((x) => x.allRoutesMs));
    const term = back('SIGTERM');
    const kill = back('SIGKILL');
    const ready = summarize(restarts.map((x) => x.readyMs));
    const measured = (name: string, x: Summary) =>
      `${name} median ${f1(x.p50 / 1000)} s (worst ${f1(x.max / 1000)} s, ${String(x.n)} restarts)`;
    out.push({
      target: `restart re-adopts ${String(s?.setup?.running ?? '?')} servers in ≤ 2 s (every route answers through the proxy; the median of each kind of stop)`,
      measured: `${measured('SIGTERM', term)}; ${measured('SIGKILL', kill)}; /ready median ${f1(ready.p50 / 1000)} s${incomplete > 0 ? `; ${String(incomplete)} restarts with routes that never answered` : ''}`,
      met: incomplete === 0 && [term, kill].every((x) => x.n > 0 && x.p50 <= 2000),
    });
  }
  if (s?.hub) {
    out.push({
      target: `idle CPU at ${String(s.setup?.running ?? '?')} running ≤ 5% of a core (hub with its operator and culler)`,
      measured: `${f1(s.hub.idleCpuPercentOfCore)}% over ${f1(s.hub.idleSeconds)} s`,
      met: s.hub.idleCpuPercentOfCore <= 5,
    });
  }
  const running = s?.setup?.running;
  if (s?.settings && running !== undefined) {
    out.push({
      target: `${String(s.settings.servers)} running servers on the test cluster`,
      measured: `${String(running)} answering`,
      met: running >= s.settings.servers,
    });
  }
  return out;
}

export function renderMarkdown(r: RunResult): string {
  const lines: string[] = [];
  lines.push(
    ...resultPreamble(
      'Scale benchmark',
      'node bench/scale/run.ts',
      '[bench/scale/README.md](../scale/README.md)',
      r,
    ),
  );
  lines.push('## Targets');
  lines.push('');
  lines.push('| target | measured | met? |');
  lines.push('| --- | --- | --- |');
  for (const t of targets(r)) {
    lines.push(
      `| ${t.target} | ${t.measured} | ${t.met === null ? '–' : t.met ? 'met' : '**not met**'} |`,
    );
  }
  lines.push('');
  const u = r.users;
  if (u) {
    lines.push(
      `## Users part: ${String(u.settings?.users ?? '?')} users, Ganymede (local mode) vs JupyterHub`,
    );
    lines.push('');
    if (u.creation) {
      lines.push(
        `Creation, \`POST /hub/api/users\` with ${String(u.settings?.batch)} names per request, the hubs alternating per batch:`,
      );
      lines.push('');
      lines.push('| | Ganymede | JupyterHub | JupyterHub ÷ Ganymede |');
      lines.push('| --- | ---: | ---: | ---: |');
      const g = u.creation.ganymede;
      const j = u.creation.jupyterhub;
      lines.push(
        `| total | ${f1(g.totalMs / 1000)} s | ${f1(j.totalMs / 1000)} s | ${(j.totalMs / g.totalMs).toFixed(1)}× |`,
      );
      lines.push(
        `| median batch | ${String(g.batchMedianMs)} ms | ${String(j.batchMedianMs)} ms | ${(j.batchMedianMs / g.batchMedianMs).toFixed(1)}× |`,
      );
      lines.push(
        `| first / last batch | ${String(g.batchesMs[0])} / ${String(g.batchesMs.at(-1))} ms | ${String(j.batchesMs[0])} / ${String(j.batchesMs.at(-1))} ms | |`,
      );
      lines.push('');
    }
    if (u.probes) {
      lines.push(
        `Requests, ${String(u.settings?.rounds)} rounds (after 3 unrecorded), each request to both hubs back to back, the order alternating per round; ${String(u.settings?.readyServers)} users per hub have a running (tiny) server. Latency in ms, bytes of the uncompressed body:`,
      );
      lines.push('');
      lines.push(
        '| request | Ganymede p50 | p99 | JupyterHub p50 | p99 | ratio p50 (G÷J) | bytes G | bytes J | items G / J | errors |',
      );
      lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |');
      for (const p of u.probes) {
        lines.push(
          `| ${p.probe} | ${f1(p.latencyMs.ganymede.p50)} | ${f1(p.latencyMs.ganymede.p99)} | ${f1(p.latencyMs.jupyterhub.p50)} | ${f1(p.latencyMs.jupyterhub.p99)} | ${p.ratioP50.toFixed(2)}× | ${kb(p.bytes.ganymede)} | ${kb(p.bytes.jupyterhub)} | ${String(p.items.ganymede ?? '–')} / ${String(p.items.jupyterhub ?? '–')} | ${String(p.errors.ganymede)} / ${String(p.errors.jupyterhub)} |`,
        );
        for (const [name, part] of Object.entries(p.parts ?? {})) {
          lines.push(
            `| ↳ ${name} | | | ${f1(part.latencyMs.p50)} | ${f1(part.latencyMs.p99)} | | | ${kb(part.bytes)} | | |`,
          );
        }
      }
      lines.push('');
      lines.push('What each request is:');
      lines.push('');
      for (const p of u.probes) {
        lines.push(
          `- ${p.probe}: Ganymede \`${p.request.ganymede}\`; JupyterHub \`${p.request.jupyterhub}\``,
        );
      }
      lines.push('');
    }
    if (u.after) {
      lines.push('Memory (VmRSS) and CPU:');
      lines.push('');
      lines.push('| | Ganymede | JupyterHub hub | JupyterHub proxy (CHP) | JupyterHub total |');
      lines.push('| --- | ---: | ---: | ---: | ---: |');
      if (u.startup) {
        lines.push(
          `| RSS at start, no users | ${f1(u.startup.ganymede.rssMiB)} MiB | ${f1(u.startup.jupyterhub.rssMiB)} MiB | ${f1(u.startup.jupyterhub.proxyRssMiB)} MiB | ${f1(u.startup.jupyterhub.rssMiB + (u.startup.jupyterhub.proxyRssMiB ?? 0))} MiB |`,
        );
      }
      lines.push(
        `| RSS after the run | ${f1(u.after.ganymede.rssMiB)} MiB | ${f1(u.after.jupyterhub.rssMiB)} MiB | ${f1(u.after.jupyterhub.proxyRssMiB)} MiB | ${f1(u.after.jupyterhub.totalMiB)} MiB |`,
      );
      if (u.cpuSecondsDuringRounds) {
        lines.push(
          `| hub CPU during the rounds | ${f1(u.cpuSecondsDuringRounds.ganymede)} s | ${f1(u.cpuSecondsDuringRounds.jupyterhub)} s | | |`,
        );
      }
      lines.push('');
    }
  }
  const s = r.servers;
  if (s) {
    lines.push(
      `## Servers part: ${String(s.settings?.servers ?? '?')} servers on the test cluster (Ganymede only)`,
    );
    lines.push('');
    if (s.setup) {
      lines.push(
        `Test cluster up in ${f1((s.clusterStartMs ?? 0) / 1000)} s. ${String(s.setup.requested)} servers requested (\`POST /hub/api/users/<u>/server\`, 10 first, then the rest, 8 requests at a time: ${f1(s.setup.startRequestsMs / 1000)} s), start admission limit ${String(s.settings?.maxStarting)}; ` +
          `**${String(s.setup.running)} answering through the proxy**${s.setup.allRunningMs === null ? ' when the set-up time ran out' : ` after ${f1(s.setup.allRunningMs / 1000)} s`}.`,
      );
      lines.push('');
    }
    if (s.hub) {
      lines.push('| hub (operator and culler in the same process) | value |');
      lines.push('| --- | ---: |');
      lines.push(`| RSS with ${String(s.setup?.running)} running | ${f1(s.hub.rssMiB)} MiB |`);
      lines.push(
        `| idle CPU (utime+stime over ${f1(s.hub.idleSeconds)} s, after 30 s settling) | ${f1(s.hub.idleCpuSeconds)} s = ${f1(s.hub.idleCpuPercentOfCore)}% of a core |`,
      );
      if (s.tinyServerRssMiB)
        lines.push(
          `| one tiny server (BusyBox httpd), median RSS of ${String(s.tinyServerRssMiB.n)} | ${s.tinyServerRssMiB.p50.toFixed(2)} MiB |`,
        );
      lines.push('');
    }
    if (s.lookup && s.lookup.length > 0) {
      lines.push(
        "Route lookup: sequential `GET /user/<random user>/api/status`, alternately through the hub's proxy (admin token) and straight to the pod IP, keep-alive connections (ms):",
      );
      lines.push('');
      lines.push(
        '| servers running | via proxy p50 | p99 | direct p50 | p99 | added by the proxy (p50) | errors |',
      );
      lines.push('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
      for (const l of s.lookup) {
        lines.push(
          `| ${String(l.running)} | ${l.viaProxyMs.p50.toFixed(2)} | ${l.viaProxyMs.p99.toFixed(2)} | ${l.directMs.p50.toFixed(2)} | ${l.directMs.p99.toFixed(2)} | ${l.addedP50Ms.toFixed(2)} | ${String(l.errors)} |`,
        );
      }
      lines.push('');
    }
    if (s.restarts && s.restarts.length > 0) {
      lines.push(
        'Restart: the hub stopped, the same configuration started again (new process, same store and port); times from spawning the new process:',
      );
      lines.push('');
      lines.push(
        '| stopped with | stop took | /ready | first route answers | every route answers | routes answering | `state=ready` total after | RSS after |',
      );
      lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
      for (const x of s.restarts) {
        lines.push(
          `| ${x.signal} | ${f1(x.stopMs / 1000)} s | ${f1(x.readyMs / 1000)} s | ${f1(x.firstRouteMs / 1000)} s | ${f1(x.allRoutesMs / 1000)} s | ${String(x.answered)} | ${String(x.readyInApi ?? '–')} | ${f1(x.rssMiBAfter)} MiB |`,
        );
      }
      lines.push('');
    }
  }
  if (r.errors.length > 0) {
    lines.push('## Errors');
    lines.push('');
    for (const e of r.errors) lines.push(`- \`${e.split('\n')[0] ?? ''}\``);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
