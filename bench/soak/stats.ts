/**
 * What the soak reports, computed from what it recorded (pure): per kind of action the count,
 * failures (inside and outside fault windows), p50/p99 of the successful ones and the most
 * common errors; and whether a series (a hub's RSS, its open files) grows after warm-up.
 */
import { percentile } from '../proxy/stats.ts';
import type { FaultKind } from './schedule.ts';

export const actionKinds = [
  'sign-in',
  'start',
  'read-file',
  'open-kernel',
  'cell',
  'kernel-reconnect',
  'write-file',
  'stop',
  'culled',
] as const;
export type ActionKind = (typeof actionKinds)[number];

export interface ActionRecord {
  readonly kind: ActionKind;
  /** Milliseconds after the soak started. */
  readonly atMs: number;
  readonly durationMs: number;
  readonly ok: boolean;
  readonly error?: string;
  /** The replica the action's last request went to. */
  readonly hub?: string;
}

/** From injection until recovered, plus a grace period for the system to settle. */
export interface FaultWindow {
  readonly kind: FaultKind;
  readonly fromMs: number;
  readonly toMs: number;
}

export interface ActionSummary {
  readonly kind: ActionKind;
  readonly n: number;
  readonly failed: number;
  /** Failures of actions overlapping a fault window, by the fault's kind. */
  readonly failedDuringFault: Partial<Record<FaultKind, number>>;
  readonly failedOutsideFaults: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** The most common error messages (numbers and ids folded), with counts. */
  readonly errors: readonly { readonly message: string; readonly count: number }[];
}

/** The fault window an action overlaps, if any (the first one). */
export function faultAt(
  record: Pick<ActionRecord, 'atMs' | 'durationMs'>,
  windows: readonly FaultWindow[],
): FaultWindow | undefined {
  const end = record.atMs + record.durationMs;
  return windows.find((w) => record.atMs <= w.toMs && end >= w.fromMs);
}

/** Error messages grouped: user names, numbers and hex ids folded so alike errors count once. */
export function foldError(message: string): string {
  return message
    .split('\n')[0]!
    .replace(/soak-u\d+/g, '<user>')
    .replace(/[0-9a-f]{8}-[0-9a-f-]{27,}/g, '<id>')
    .replace(/\d+/g, 'N')
    .slice(0, 200);
}

export function summarizeActions(
  records: readonly ActionRecord[],
  windows: readonly FaultWindow[],
): ActionSummary[] {
  return actionKinds.map((kind) => {
    const mine = records.filter((r) => r.kind === kind);
    const okSorted = mine
      .filter((r) => r.ok)
      .map((r) => r.durationMs)
      .sort((a, b) => a - b);
    const failures = mine.filter((r) => !r.ok);
    const during: Partial<Record<FaultKind, number>> = {};
    let outside = 0;
    const messages = new Map<string, number>();
    for (const f of failures) {
      const w = faultAt(f, windows);
      if (w) during[w.kind] = (during[w.kind] ?? 0) + 1;
      else outside++;
      const m = foldError(f.error ?? 'unknown');
      messages.set(m, (messages.get(m) ?? 0) + 1);
    }
    return {
      kind,
      n: mine.length,
      failed: failures.length,
      failedDuringFault: during,
      failedOutsideFaults: outside,
      p50Ms: okSorted.length ? percentile(okSorted, 0.5) : Number.NaN,
      p99Ms: okSorted.length ? percentile(okSorted, 0.99) : Number.NaN,
      maxMs: okSorted.at(-1) ?? Number.NaN,
      errors: [...messages]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([message, count]) => ({ message, count })),
    };
  });
}

export interface Sample {
  readonly tMs: number;
  readonly value: number;
}

export interface Growth {
  readonly samples: number;
  /** Median of the first and the last quarter of the samples after warm-up. */
  readonly firstMedian: number;
  readonly lastMedian: number;
  /** Least-squares slope, per 10 minutes. */
  readonly slopePer10Min: number;
}

/** How a series moves after `fromMs` (warm-up excluded); undefined with fewer than 4 samples. */
export function growth(series: readonly Sample[], fromMs: number): Growth | undefined {
  const s = series.filter((x) => x.tMs >= fromMs && Number.isFinite(x.value));
  if (s.length < 4) return undefined;
  const quarter = Math.max(1, Math.floor(s.length / 4));
  const median = (xs: readonly Sample[]): number =>
    percentile(
      xs.map((x) => x.value).sort((a, b) => a - b),
      0.5,
    );
  const meanT = s.reduce((a, x) => a + x.tMs, 0) / s.length;
  const meanV = s.reduce((a, x) => a + x.value, 0) / s.length;
  let num = 0;
  let den = 0;
  for (const x of s) {
    num += (x.tMs - meanT) * (x.value - meanV);
    den += (x.tMs - meanT) ** 2;
  }
  return {
    samples: s.length,
    firstMedian: median(s.slice(0, quarter)),
    lastMedian: median(s.slice(-quarter)),
    slopePer10Min: den === 0 ? 0 : (num / den) * 600_000,
  };
}
