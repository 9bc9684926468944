/** The soak's result (bench/results/soak.json) and its Markdown page, from the same object. */
import { resultPreamble } from '../machine.ts';
import type { FaultEvent } from './faults.ts';
import type { Leftovers } from './leftovers.ts';
import type { ProcessSeries } from './replicas.ts';
import type { ScheduledFault } from './schedule.ts';
import { growth, type ActionRecord, type ActionSummary, type Growth } from './stats.ts';

export interface SoakResult {
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
  settings: Record<string, unknown> & {
    minutes: number;
    users: number;
    warmUpMs: number;
    graceMs: number;
  };
  faults: {
    missing: Record<string, string>;
    schedule: readonly ScheduledFault[];
    events: readonly FaultEvent[];
  };
  actions: ActionSummary[];
  hubs: readonly ProcessSeries[];
  running: readonly { tMs: number; running: number; waiting: number; processes: number }[];
  files: {
    written: number;
    bytes: number;
    readDuringSoak: {
      ok: number;
      corrupted: readonly { path: string; expected: string; got: string }[];
    };
  };
  soakEndedMs: number | null;
  end: {
    stillActiveAfterSoak: number;
    apiReadBack: {
      intact: number;
      differ: string[];
      unread: string[];
      people: number;
      files: number;
    };
    disk: { intact: number; differ: string[]; missing: string[] };
    leftovers: Leftovers;
    peopleWithFiles: number;
  } | null;
  failures: readonly ActionRecord[];
  errors: string[];
}

const f0 = (v: number | undefined | null): string =>
  v === undefined || v === null || !Number.isFinite(v) ? '–' : v.toFixed(0);
const f1 = (v: number | undefined | null): string =>
  v === undefined || v === null || !Number.isFinite(v) ? '–' : v.toFixed(1);
const sec = (ms: number | undefined | null): string =>
  ms === undefined || ms === null || !Number.isFinite(ms)
    ? '–'
    : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
const clock = (ms: number): string => {
  const s = Math.round(ms / 1000);
  return `${String(Math.floor(s / 60))}:${String(s % 60).padStart(2, '0')}`;
};

/** Where a process's series counts: after the soak's warm-up and its own first 2 minutes. */
export function seriesGrowth(
  s: ProcessSeries,
  warmUpMs: number,
): { rss: Growth | undefined; fds: Growth | undefined; fromMs: number } {
  const fromMs = Math.max(warmUpMs, s.startedMs + 120_000);
  return {
    fromMs,
    rss: growth(
      s.samples.map((x) => ({ tMs: x.tMs, value: x.rssMiB })),
      fromMs,
    ),
    fds: growth(
      s.samples.map((x) => ({ tMs: x.tMs, value: x.fds })),
      fromMs,
    ),
  };
}

export function renderMarkdown(r: SoakResult): string {
  const L: string[] = [];
  const st = r.settings;
  L.push(
    ...resultPreamble(
      'Soak',
      'node bench/soak/run.ts',
      '[bench/soak/README.md](../soak/README.md)',
      r,
    ),
  );

  L.push(...headline(r));
  L.push('## Faults');
  L.push('');
  const missing = Object.entries(r.faults.missing);
  if (st['no-faults'] === true) L.push('Run with `--no-faults`: none injected.');
  if (missing.length > 0) {
    L.push('Not injected (not available in this build; their turns in the schedule stay empty):');
    L.push('');
    for (const [k, why] of missing) L.push(`- ${k}: ${why}`);
  }
  L.push('');
  if (r.faults.events.length > 0) {
    L.push('| fault | scheduled | injected | recovered | lasted | note |');
    L.push('| --- | ---: | ---: | ---: | ---: | --- |');
    for (const e of r.faults.events) {
      L.push(
        `| ${e.kind} | ${clock(e.scheduledMs)} | ${clock(e.injectedMs)} | ${e.recoveredMs === null ? '**not recovered**' : clock(e.recoveredMs)} | ${e.recoveredMs === null ? '–' : sec(e.recoveredMs - e.injectedMs)} | ${e.error ? `**error**: ${e.error.slice(0, 120)}` : (e.detail ?? '')} |`,
      );
    }
    L.push('');
    L.push(
      `Times are minutes:seconds after the soak started. An action counts as "during a fault" when it overlaps the time from injection until ${String(r.settings.graceMs / 1000)} s after recovery.`,
    );
    L.push('');
  }

  L.push('## Actions');
  L.push('');
  L.push('| action | count | failed | during faults | outside faults | p50 | p99 | max |');
  L.push('| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |');
  for (const a of r.actions) {
    const during = Object.entries(a.failedDuringFault)
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(', ');
    L.push(
      `| ${a.kind} | ${String(a.n)} | ${String(a.failed)} | ${during || '0'} | ${String(a.failedOutsideFaults)} | ${sec(a.p50Ms)} | ${sec(a.p99Ms)} | ${sec(a.maxMs)} |`,
    );
  }
  L.push('');
  L.push('Latencies are of the successful actions. Most common errors per action:');
  L.push('');
  for (const a of r.actions) {
    for (const e of a.errors)
      L.push(`- ${a.kind} (${String(e.count)}×): \`${e.message.replaceAll('`', "'")}\``);
  }
  L.push('');

  L.push('## Hub processes: memory and open files');
  L.push('');
  L.push(
    "Each row is one process (a killed replica comes back as a new one). Growth is judged after the soak's warm-up and the process's own first 2 minutes: medians of the first and the last quarter of those samples (every 10 s), and the least-squares slope.",
  );
  L.push('');
  L.push(
    '| replica | pid | lived (min) | RSS first → last quarter (MiB) | RSS slope per 10 min | fds first → last quarter | fds slope per 10 min | max RSS |',
  );
  L.push('| --- | ---: | --- | --- | ---: | --- | ---: | ---: |');
  for (const s of r.hubs) {
    const g = seriesGrowth(s, r.settings.warmUpMs);
    const maxRss = Math.max(...s.samples.map((x) => x.rssMiB).filter(Number.isFinite));
    L.push(
      `| ${s.replica} | ${String(s.pid)} | ${clock(s.startedMs)}–${s.endedMs === null ? 'end' : clock(s.endedMs)} | ${g.rss ? `${f1(g.rss.firstMedian)} → ${f1(g.rss.lastMedian)}` : 'too short'} | ${g.rss ? f1(g.rss.slopePer10Min) : '–'} | ${g.fds ? `${f0(g.fds.firstMedian)} → ${f0(g.fds.lastMedian)}` : 'too short'} | ${g.fds ? f1(g.fds.slopePer10Min) : '–'} | ${f1(maxRss)} |`,
    );
  }
  L.push('');
  L.push(
    "Over time (every 2 minutes; RSS MiB / open fds per replica; people holding a turn (their server starting, running or stopping), people waiting for one, and the processes under the soak other than the cluster's, PostgreSQL's and the hubs' (Jupyter servers and kernels)):",
  );
  L.push('');
  const names = [...new Set(r.hubs.map((s) => s.replica))];
  L.push(`| t | ${names.map((n) => `${n} RSS / fds`).join(' | ')} | turns | waiting | processes |`);
  L.push(`| ---: | ${names.map(() => '---:').join(' | ')} | ---: | ---: | ---: |`);
  for (const row of r.running.filter((_, i) => i % 12 === 0)) {
    const cells = names.map((n) => {
      const x = r.hubs
        .filter((s) => s.replica === n)
        .flatMap((s) => s.samples)
        .find((p) => Math.abs(p.tMs - row.tMs) < 5_000);
      return x ? `${f0(x.rssMiB)} / ${f0(x.fds)}` : 'down';
    });
    L.push(
      `| ${clock(row.tMs)} | ${cells.join(' | ')} | ${String(row.running)} | ${String(row.waiting)} | ${String(row.processes)} |`,
    );
  }
  L.push('');

  L.push('## Files');
  L.push('');
  L.push(
    `${String(r.files.written)} files written through the Jupyter contents API (${f1(r.files.bytes / 1e6)} MB); ${String(r.files.readDuringSoak.ok)} read back intact during the soak in later sessions (new pods, after faults); ${String(r.files.readDuringSoak.corrupted.length)} differed.`,
  );
  L.push('');
  const e = r.end;
  if (e) {
    L.push(
      `At the end, through the API (each person's server started once more, every file read back, then stopped), as far as the verification time allowed: ${String(e.apiReadBack.people)} of ${String(e.peopleWithFiles)} people, ${String(e.apiReadBack.intact)} of ${String(e.apiReadBack.files)} files intact, ${String(e.apiReadBack.differ.length)} differ, ${String(e.apiReadBack.unread.length)} unread.`,
    );
    L.push('');
    L.push(
      `Every file on the volumes' backing folders: **${String(e.disk.intact)} of ${String(r.files.written)} intact**, ${String(e.disk.differ.length)} differ, ${String(e.disk.missing.length)} missing.${e.disk.missing.length ? ` Missing: ${e.disk.missing.slice(0, 10).join(', ')}` : ''}`,
    );
    L.push('');
    L.push('## Left at the end');
    L.push('');
    const lo = e.leftovers;
    L.push(
      `${String(e.stillActiveAfterSoak)} servers were still active when the people had finished (an admin asked them to stop). Then, after the verification:`,
    );
    L.push('');
    L.push('| what | count | should be |');
    L.push('| --- | ---: | --- |');
    L.push(`| pods | ${String(lo.pods.length)} | 0 |`);
    L.push(`| notebooks not stopped | ${String(lo.notStopped.length)} | 0 |`);
    L.push(`| objects owned by a notebook that is gone | ${String(lo.orphans.length)} | 0 |`);
    L.push(
      `| processes left under the soak (Jupyter, kernels) | ${String(lo.processes.length)} | 0 |`,
    );
    L.push(
      `| JupyterNotebook resources | ${String(lo.notebooks)} | one per person who started (${String(e.peopleWithFiles)} wrote files) |`,
    );
    for (const [k, v] of Object.entries(lo.counts)) {
      if (k === 'jupyternotebooks' || k === 'pods') continue;
      L.push(`| ${k} | ${String(v)} | ${expectation(k)} |`);
    }
    L.push(
      `| persistent volumes of the namespace | ${String(lo.persistentVolumes)} | one per claim |`,
    );
    L.push('');
    for (const [what, list] of [
      ['pods', lo.pods],
      ['notebooks not stopped', lo.notStopped],
      ['orphans', lo.orphans],
      ['processes', lo.processes],
      ['errors while listing', lo.errors],
    ] as const) {
      if (list.length > 0)
        L.push(
          `- ${what}: ${list
            .slice(0, 10)
            .map((x) => `\`${x}\``)
            .join(', ')}`,
        );
    }
    L.push('');
  }
  if (r.errors.length > 0) {
    L.push('## Errors');
    L.push('');
    for (const x of r.errors) L.push(`- \`${x.split('\n')[0] ?? ''}\``);
    L.push('');
  }
  return `${L.join('\n')}\n`;
}

function expectation(kind: string): string {
  switch (kind) {
    case 'deployments':
    case 'services':
    case 'networkpolicies':
    case 'persistentvolumeclaims':
      return 'one per notebook (kept while stopped: files are kept)';
    case 'replicasets':
      return "the Deployments' (at 0 replicas)";
    case 'secrets':
      return "the notebooks' token Secrets";
    case 'configmaps':
      return '1 (kube-root-ca.crt, in every namespace)';
    default:
      return '';
  }
}

/** The figures that answer the issue's questions, first. */
function headline(r: SoakResult): string[] {
  const L: string[] = ['## Headline', ''];
  const total = r.actions.reduce((a, x) => a + x.n, 0);
  const failed = r.actions.reduce((a, x) => a + x.failed, 0);
  const outside = r.actions.reduce((a, x) => a + x.failedOutsideFaults, 0);
  const injected = r.faults.events.map((e) => e.kind);
  L.push(
    `- ${String(r.settings.users)} people, ${String(r.settings.minutes)} minutes; faults injected: ${injected.length > 0 ? injected.join(', ') : 'none'}${Object.keys(r.faults.missing).length > 0 ? ` (not available: ${Object.keys(r.faults.missing).join(', ')})` : ''}.`,
  );
  L.push(
    `- ${String(total)} actions, **${String(failed)} failed** (${String(failed - outside)} during a fault window, ${String(outside)} outside).`,
  );
  const e = r.end;
  if (e) {
    L.push(
      `- Files: ${String(r.files.written)} written; on disk at the end ${String(e.disk.intact)} intact, ${String(e.disk.differ.length)} differ, ${String(e.disk.missing.length)} missing; through the API at the end ${String(e.apiReadBack.intact)} of ${String(e.apiReadBack.files)} intact; during the soak ${String(r.files.readDuringSoak.corrupted.length)} differed.`,
    );
    const lo = e.leftovers;
    L.push(
      `- Left at the end: ${String(lo.pods.length)} pods, ${String(lo.notStopped.length)} notebooks not stopped, ${String(lo.orphans.length)} orphaned objects, ${String(lo.processes.length)} stray processes.`,
    );
  }
  const grown = r.hubs
    .map((s) => ({ s, g: seriesGrowth(s, r.settings.warmUpMs) }))
    .filter((x) => x.g.rss !== undefined);
  if (grown.length > 0) {
    L.push(
      `- Hub processes after warm-up (those that lived long enough to judge): ${grown
        .map(
          ({ s, g }) =>
            `${s.replica} (pid ${String(s.pid)}) RSS ${f1(g.rss?.firstMedian)} → ${f1(g.rss?.lastMedian)} MiB, fds ${f0(g.fds?.firstMedian)} → ${f0(g.fds?.lastMedian)}`,
        )
        .join('; ')}.`,
    );
  }
  L.push('');
  return L;
}
