/** Pure summaries of the spawn measurements. */
import { median, percentile } from '../proxy/stats.ts';
import type { UserSpawnResult } from './measure.ts';

export type SystemName = 'ganymede' | 'jupyterhub';

export interface Measurement {
  readonly system: SystemName;
  readonly users: number;
  readonly round: number;
  readonly namespace: string;
  readonly startedAt: string;
  /** os.loadavg() just before the start requests. */
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
  /** Share of CPU time idle in the window just before the start requests (quiet.ts). */
  readonly idleBefore?: number;
  /** From the first start request to the last user's first working status (or give-up). */
  readonly wallMs: number;
  readonly results: readonly UserSpawnResult[];
  /** CPU seconds used during the measurement (t0 → last user working), see cpu.ts. */
  readonly cpuSeconds?: {
    /** The hub process and its children (JupyterHub: with configurable-http-proxy). */
    readonly hub: number;
    /** etcd, kube-apiserver, kube-controller-manager. */
    readonly controlPlane: number;
    /** The notebook servers started (all of their CPU: they started after t0). */
    readonly notebooks: number;
    readonly notebookProcesses: number;
  };
}

export interface Summary {
  readonly system: SystemName;
  readonly users: number;
  readonly rounds: number;
  readonly samples: number;
  readonly failures: number;
  readonly tooManyRequests: number;
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly maxMs: number;
  /** Median over rounds of the time until every user of the round had a working notebook. */
  readonly medianAllReadyMs: number;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

export function summarize(measurements: readonly Measurement[]): Summary[] {
  const keys = new Map<string, Measurement[]>();
  for (const m of measurements) {
    const key = `${m.system}:${String(m.users)}`;
    keys.set(key, [...(keys.get(key) ?? []), m]);
  }
  return [...keys.values()].map((group) => {
    const first = group[0];
    if (first === undefined) throw new Error('empty group');
    const results = group.flatMap((m) => m.results);
    const times = results
      .flatMap((r) => (r.ok && r.ms !== undefined ? [r.ms] : []))
      .sort((a, b) => a - b);
    const allReady = group
      .filter((m) => m.results.every((r) => r.ok))
      .map((m) => Math.max(...m.results.map((r) => r.ms ?? 0)));
    return {
      system: first.system,
      users: first.users,
      rounds: group.length,
      samples: times.length,
      failures: results.filter((r) => !r.ok).length,
      tooManyRequests: results.reduce((sum, r) => sum + r.tooManyRequests, 0),
      medianMs: round1(percentile(times, 0.5)),
      p90Ms: round1(percentile(times, 0.9)),
      maxMs: round1(times.at(-1) ?? Number.NaN),
      medianAllReadyMs: round1(allReady.length > 0 ? median(allReady) : Number.NaN),
    };
  });
}

/** JupyterHub's median ÷ Ganymede's: how many times faster Ganymede is (> 1 = faster). */
export function speedups(
  summaries: readonly Summary[],
): { users: number; median: number; p90: number; allReady: number }[] {
  const by = (system: SystemName, users: number) =>
    summaries.find((s) => s.system === system && s.users === users);
  const users = [...new Set(summaries.map((s) => s.users))].sort((a, b) => a - b);
  return users.flatMap((n) => {
    const g = by('ganymede', n);
    const j = by('jupyterhub', n);
    if (!g || !j) return [];
    return [
      {
        users: n,
        median: Math.round((j.medianMs / g.medianMs) * 100) / 100,
        p90: Math.round((j.p90Ms / g.p90Ms) * 100) / 100,
        allReady: Math.round((j.medianAllReadyMs / g.medianAllReadyMs) * 100) / 100,
      },
    ];
  });
}

/**
 * Per round, JupyterHub's median ÷ Ganymede's for the same user count: the two ran minutes
 * apart, so each ratio saw similar machine load; their spread shows how much the load moved.
 */
export function pairedRatios(
  measurements: readonly Measurement[],
): { users: number; round: number; ratio: number }[] {
  const medianOf = (m: Measurement): number =>
    median(m.results.flatMap((r) => (r.ok && r.ms !== undefined ? [r.ms] : [])));
  const out: { users: number; round: number; ratio: number }[] = [];
  for (const g of measurements.filter((m) => m.system === 'ganymede')) {
    const j = measurements.find(
      (m) => m.system === 'jupyterhub' && m.users === g.users && m.round === g.round,
    );
    if (!j) continue;
    out.push({
      users: g.users,
      round: g.round,
      ratio: Math.round((medianOf(j) / medianOf(g)) * 100) / 100,
    });
  }
  return out.sort((a, b) => a.users - b.users || a.round - b.round);
}
