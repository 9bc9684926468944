/**
 * When the soak injects which fault (pure). Faults come in turn, in a fixed order, one at a
 * time: the first after a warm-up, then one every `everyMs`, none in the last `coolDownMs`
 * (so the run ends having seen the system recover). The runner (faults.ts) also never starts
 * a fault before the previous one has recovered, so a scheduled time is the earliest.
 */
export const faultKinds = [
  'hub-kill',
  'api-server-down',
  'etcd-restart',
  'postgres-down',
  'node-lost',
] as const;
export type FaultKind = (typeof faultKinds)[number];

export interface ScheduledFault {
  /** Milliseconds after the soak started. */
  readonly atMs: number;
  readonly kind: FaultKind;
}

export interface ScheduleInput {
  readonly durationMs: number;
  /** The kinds available, in the order they take turns. */
  readonly kinds: readonly FaultKind[];
  readonly everyMs: number;
  readonly warmUpMs: number;
  readonly coolDownMs: number;
}

export function faultSchedule(input: ScheduleInput): ScheduledFault[] {
  const out: ScheduledFault[] = [];
  if (input.kinds.length === 0 || input.everyMs <= 0) return out;
  const last = input.durationMs - input.coolDownMs;
  for (let i = 0, at = input.warmUpMs; at <= last; i++, at += input.everyMs) {
    const kind = input.kinds[i % input.kinds.length];
    if (kind !== undefined) out.push({ atMs: at, kind });
  }
  return out;
}

/**
 * Warm-up and cool-down for a run of `durationMs`: 3 and 4 minutes for the default 30-minute
 * run, a fifth of the run each for short ones.
 */
export function phases(durationMs: number): { warmUpMs: number; coolDownMs: number } {
  return {
    warmUpMs: Math.min(3 * 60_000, durationMs * 0.2),
    coolDownMs: Math.min(4 * 60_000, durationMs * 0.2),
  };
}
