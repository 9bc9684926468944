/**
 * Usage per profile and day, from server runs (src/store/types.ts `ServerRun`): how many
 * servers ran on each day and for how many hours. Pure; days are UTC calendar days. A run
 * still open counts up to `now`.
 */
import type { ServerRun, UsageRow } from '../../store/types.ts';

export interface ProfileDay {
  /** Distinct runs that were up at some moment of the day. */
  readonly servers: number;
  readonly hours: number;
}

export interface UsageDay {
  /** Midnight UTC. */
  readonly day: Date;
  readonly byProfile: ReadonlyMap<string, ProfileDay>;
}

export interface Usage {
  readonly days: readonly UsageDay[];
  /** Profiles that appear in the period, in first-seen order of `profileOrder`, then others. */
  readonly profiles: readonly string[];
  readonly totals: ReadonlyMap<string, ProfileDay>;
}

const DAY = 86_400_000;

export function startOfUtcDay(d: Date): Date {
  return new Date(Math.floor(d.getTime() / DAY) * DAY);
}

export function usageByDay(
  runs: readonly Pick<ServerRun, 'profile' | 'readyAt' | 'endedAt'>[],
  options: { readonly days: number; readonly now: Date; readonly profileOrder?: readonly string[] },
): Usage {
  const last = startOfUtcDay(options.now).getTime();
  const first = last - (options.days - 1) * DAY;
  const now = options.now.getTime();
  const days = Array.from({ length: options.days }, (_, i) => ({
    day: new Date(first + i * DAY),
    byProfile: new Map<string, { servers: number; hours: number }>(),
  }));
  const totals = new Map<string, { servers: number; hours: number }>();
  for (const run of runs) {
    if (!run.readyAt) continue;
    const from = run.readyAt.getTime();
    const to = Math.max(from, Math.min(run.endedAt?.getTime() ?? now, now));
    let counted = false;
    for (const d of days) {
      const dayStart = d.day.getTime();
      // Up at some moment of [dayStart, dayStart + DAY): a run of no length counts where it is.
      const overlaps =
        from < dayStart + DAY && (to > dayStart || (to === from && from >= dayStart));
      if (!overlaps) continue;
      const hours = (Math.min(to, dayStart + DAY) - Math.max(from, dayStart)) / 3_600_000;
      const cell = d.byProfile.get(run.profile) ?? { servers: 0, hours: 0 };
      d.byProfile.set(run.profile, { servers: cell.servers + 1, hours: cell.hours + hours });
      const total = totals.get(run.profile) ?? { servers: 0, hours: 0 };
      totals.set(run.profile, {
        servers: total.servers + (counted ? 0 : 1),
        hours: total.hours + hours,
      });
      counted = true;
    }
  }
  return { days, profiles: profilesInOrder([...totals.keys()], options.profileOrder), totals };
}

/** The profiles seen, in `order` first (the configuration's), then the others by name. */
function profilesInOrder(seen: readonly string[], order: readonly string[] = []): string[] {
  return [
    ...order.filter((p) => seen.includes(p)),
    ...seen.filter((p) => !order.includes(p)).sort(),
  ];
}

/** The usage view's days, `days` UTC days up to today's: [from, to) for `Store.usage`. */
export function usagePeriod(days: number, now: Date): { from: Date; to: Date } {
  const last = startOfUtcDay(now).getTime();
  return { from: new Date(last - (days - 1) * DAY), to: new Date(last + DAY) };
}

/**
 * The same `Usage` from the rows the database summed (`Store.usage`), so the request path
 * never reads the runs themselves: every day of the period present (empty ones too), profiles
 * ordered as `usageByDay` orders them.
 */
export function usageFromRows(
  rows: { readonly days: readonly UsageRow[]; readonly totals: readonly UsageRow[] },
  options: { readonly days: number; readonly now: Date; readonly profileOrder?: readonly string[] },
): Usage {
  const { from } = usagePeriod(options.days, options.now);
  const days = Array.from({ length: options.days }, (_, i) => ({
    day: new Date(from.getTime() + i * DAY),
    byProfile: new Map<string, ProfileDay>(),
  }));
  for (const row of rows.days) {
    if (row.day === undefined) continue;
    const day = days[Math.round((startOfUtcDay(row.day).getTime() - from.getTime()) / DAY)];
    day?.byProfile.set(row.profile, { servers: row.servers, hours: row.hours });
  }
  const totals = new Map<string, ProfileDay>(
    rows.totals.map((r) => [r.profile, { servers: r.servers, hours: r.hours }]),
  );
  return { days, profiles: profilesInOrder([...totals.keys()], options.profileOrder), totals };
}
