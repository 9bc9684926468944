/** The Markdown page of a spawn benchmark run (bench/results/spawn.md). Pure. */
import { pairedRatios, type Measurement, type Summary } from './summary.ts';

export interface RunResult {
  readonly date: string;
  readonly finished: string | null;
  readonly machine: {
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    kernel: string;
    loadAtStart: readonly number[];
    loadAtEnd: readonly number[];
  };
  readonly versions: Record<string, string>;
  readonly settings: {
    userCounts: number[];
    rounds: number;
    systems: string[];
    timeoutSeconds: number;
    /** Absent in runs before the option existed: they used 'auto'. */
    ganymedeMaxStarting?: number | 'auto';
    /** Absent in runs before the option existed: they used the node agent. */
    node?: 'agent' | 'kubelet';
  };
  readonly summaries: readonly Summary[];
  readonly speedups: readonly { users: number; median: number; p90: number; allReady: number }[];
  readonly errors: readonly string[];
  readonly measurements: readonly Measurement[];
}

const s = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(1) : '–');
const cpu = (x: number | undefined): string => (x === undefined ? '–' : x.toFixed(1));
const load = (l: readonly number[]): string => l.map((x) => x.toFixed(1)).join(' / ');

export function renderMarkdown(r: RunResult): string {
  const lines: string[] = [
    '# Spawn benchmark: time to a working notebook',
    '',
    `Run ${r.date}${r.finished ? ` – ${r.finished}` : ' (in progress)'}; ` +
      `${String(r.machine.cpus)} × ${r.machine.cpuModel}, ${String(r.machine.memoryGiB)} GiB, Linux ${r.machine.kernel}; ` +
      `load average (1/5/15 min) ${load(r.machine.loadAtStart)} at the start, ${load(r.machine.loadAtEnd)} at the end ` +
      '(a shared machine: other work ran at the same time).',
    '',
    `Method (bench/spawn/README.md): both hubs on the same test control plane and ${r.settings.node === 'kubelet' ? 'real node (kubelet + containerd, real containers of one image pulled before measuring)' : 'node agent'}, a fresh hub and ` +
      'namespace per measurement, N users created with a token each (untimed), then N start requests at once. ' +
      'Per user: from `POST /hub/api/users/{name}/server` to the first `200` of `GET /user/{name}/api/status` ' +
      "with the user's token through the hub's proxy. Systems alternate order each round. " +
      `Ganymede's start admission limit: ${String(r.settings.ganymedeMaxStarting ?? 'auto')}.`,
    '',
    `Versions: ${Object.entries(r.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    '',
    '## Summary',
    '',
    '| system | users | rounds | samples | median s | p90 s | max s | all ready (median over rounds) s | failures | 429s |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const sorted = [...r.summaries].sort(
    (a, b) => a.users - b.users || a.system.localeCompare(b.system),
  );
  for (const x of sorted) {
    lines.push(
      `| ${x.system} | ${String(x.users)} | ${String(x.rounds)} | ${String(x.samples)} | ${s(x.medianMs)} | ${s(x.p90Ms)} | ${s(x.maxMs)} | ${s(x.medianAllReadyMs)} | ${String(x.failures)} | ${String(x.tooManyRequests)} |`,
    );
  }
  if (r.speedups.length > 0) {
    lines.push(
      '',
      'Speed-up (JupyterHub ÷ Ganymede; above 1 means Ganymede is faster):',
      '',
      '| users | median | p90 | all ready |',
      '| ---: | ---: | ---: | ---: |',
      ...r.speedups.map(
        (x) =>
          `| ${String(x.users)} | ${x.median.toFixed(2)}× | ${x.p90.toFixed(2)}× | ${x.allReady.toFixed(2)}× |`,
      ),
    );
  }
  const paired = pairedRatios(r.measurements);
  if (paired.length > 0) {
    lines.push(
      '',
      'Per round (JupyterHub median ÷ Ganymede median, the two measured minutes apart):',
      '',
      ...[...new Set(paired.map((p) => p.users))].map(
        (n) =>
          `- ${String(n)} user(s): ${paired
            .filter((p) => p.users === n)
            .map((p) => `round ${String(p.round)} ${p.ratio.toFixed(2)}×`)
            .join(', ')}`,
      ),
    );
  }
  lines.push(
    '',
    '## Every measurement',
    '',
    'CPU seconds are used during the measurement by the hub process tree (JupyterHub: with CHP), the ' +
      'control plane (etcd, API server, controller manager) and the notebook servers (all of theirs).',
    '',
    '| # | system | users | round | started | load before | idle before | ok | median s | max s | wall s | 429s | CPU s hub | CPU s control plane | CPU s notebooks |',
    '| ---: | --- | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  r.measurements.forEach((m, i) => {
    const times = m.results
      .flatMap((x) => (x.ms === undefined ? [] : [x.ms]))
      .sort((a, b) => a - b);
    const med = times[Math.floor((times.length - 1) / 2)] ?? Number.NaN;
    lines.push(
      `| ${String(i + 1)} | ${m.system} | ${String(m.users)} | ${String(m.round)} | ${m.startedAt.slice(11, 19)} | ${load(m.loadBefore)} | ${m.idleBefore === undefined ? '–' : `${(m.idleBefore * 100).toFixed(0)}%`} | ${String(times.length)}/${String(m.users)} | ${s(med)} | ${s(times.at(-1) ?? Number.NaN)} | ${s(m.wallMs)} | ${String(m.results.reduce((a, x) => a + x.tooManyRequests, 0))} | ${cpu(m.cpuSeconds?.hub)} | ${cpu(m.cpuSeconds?.controlPlane)} | ${cpu(m.cpuSeconds?.notebooks)} |`,
    );
  });
  const failures = r.measurements.flatMap((m) =>
    m.results
      .filter((x) => !x.ok)
      .map((x) => `- ${m.system} ${m.namespace} ${x.user}: ${x.error ?? ''}`),
  );
  if (failures.length > 0) lines.push('', '## Failures', '', ...failures);
  if (r.errors.length > 0) {
    lines.push('', '## Measurements that could not run', '', ...r.errors.map((e) => `- ${e}`));
  }
  lines.push('');
  return lines.join('\n');
}
