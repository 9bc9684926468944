/**
 * The machine a benchmark ran on, as every result file records it: results are compared
 * within one run, and the load tells how noisy that run was.
 */
import os from 'node:os';

export function machineInfo(loadAtStart: number[]) {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? '',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    loadAtStart,
    loadAtEnd: os.loadavg(),
  };
}

/** What every result file opens with: title, how it was made, the machine, versions, settings. */
export function resultPreamble(
  title: string,
  script: string,
  method: string,
  r: {
    date: string;
    finished: string | null;
    machine: ReturnType<typeof machineInfo>;
    versions: Record<string, string>;
    settings: unknown;
  },
): string[] {
  const m = r.machine;
  return [
    `# ${title}: ${r.date.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Made by \`${script}\` (method: ${method}). ` +
      (r.finished === null
        ? '**Unfinished run** (partial results).'
        : `Finished ${r.finished.slice(11, 19)} UTC.`),
    '',
    `Machine: ${String(m.cpus)} × ${m.cpuModel}, ${String(m.memoryGiB)} GiB, Linux ${m.kernel}; load average at start ${m.loadAtStart.map((l) => l.toFixed(1)).join(' ')}, at end ${m.loadAtEnd.map((l) => l.toFixed(1)).join(' ')}. ` +
      `Versions: ${Object.entries(r.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
    '',
    `Settings: \`${JSON.stringify(r.settings)}\``,
    '',
  ];
}
