/** Latency samples → the figures the report gives. */
import { percentile } from '../proxy/stats.ts';

export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / (sorted.length || 1);
  return {
    n: sorted.length,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    mean,
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/** Rounds for the JSON file: milliseconds to 0.01, everything else kept. */
export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

export function roundSummary(s: Summary): Summary {
  return {
    n: s.n,
    p50: round2(s.p50),
    p90: round2(s.p90),
    p99: round2(s.p99),
    mean: round2(s.mean),
    min: round2(s.min),
    max: round2(s.max),
  };
}
