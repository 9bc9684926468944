/**
 * Per-person quotas (config `quotas`): which limits apply to a person, and whether one more
 * start fits in them. Pure: the server service reads the person's open runs and monthly hours
 * from the store, under a per-user lock, and calls `checkStart`.
 */
import { quantityValue } from '../notebook-spec/quantity.ts';
import type { Profile, Quota, QuotasConfig } from '../config/schema.ts';

type NumberField = 'maxServers' | 'gpu';
type QuantityField = 'cpu' | 'memory';

/** The limits that apply to one person; a field absent means no limit. */
export interface EffectiveQuota {
  maxServers?: number;
  cpu?: string;
  memory?: string;
  gpu?: number;
  /** Hours per calendar month (UTC), by profile name. */
  hoursPerMonth: Record<string, number>;
}

/**
 * Field by field: the user's own entry if it sets the field; else the most generous value
 * among the person's groups that set it (a group grants more, never less); else the default.
 */
export function effectiveQuota(
  quotas: QuotasConfig | undefined,
  userName: string,
  groups: readonly string[],
): EffectiveQuota {
  if (quotas === undefined) return { hoursPerMonth: {} };
  const own = Object.hasOwn(quotas.users, userName) ? quotas.users[userName] : undefined;
  const ofGroups: Quota[] = [];
  for (const g of groups) {
    const q = Object.hasOwn(quotas.groups, g) ? quotas.groups[g] : undefined;
    if (q !== undefined) ofGroups.push(q);
  }
  const result: EffectiveQuota = { hoursPerMonth: {} };
  const pick = <T>(get: (q: Quota) => T | undefined, more: (a: T, b: T) => boolean) => {
    const mine = own === undefined ? undefined : get(own);
    if (mine !== undefined) return mine;
    let best: T | undefined;
    for (const q of ofGroups) {
      const v = get(q);
      if (v !== undefined && (best === undefined || more(v, best))) best = v;
    }
    return best ?? get(quotas.default);
  };
  const numeric = (a: number, b: number) => a > b;
  const quantities = (a: string, b: string) => quantityValue(a) > quantityValue(b);
  for (const field of ['maxServers', 'gpu'] as const satisfies NumberField[]) {
    const v = pick((q) => q[field], numeric);
    if (v !== undefined) result[field] = v;
  }
  for (const field of ['cpu', 'memory'] as const satisfies QuantityField[]) {
    const v = pick((q) => q[field], quantities);
    if (v !== undefined) result[field] = v;
  }
  const profiles = new Set(
    [own, ...ofGroups, quotas.default].flatMap((q) => Object.keys(q?.hoursPerMonth ?? {})),
  );
  for (const profile of profiles) {
    const v = pick((q) => q.hoursPerMonth?.[profile], numeric);
    if (v !== undefined) result.hoursPerMonth[profile] = v;
  }
  return result;
}

/** A server of the person that is starting or running: its name ('' default) and profile. */
export interface ActiveServer {
  readonly serverName: string;
  readonly profile: Pick<Profile, 'name' | 'cpu' | 'memory' | 'gpu'> | undefined;
}

export type StartCheck =
  { readonly allowed: true } | { readonly allowed: false; readonly message: string };

const cpuOf = (p: ActiveServer['profile']) => (p?.cpu === undefined ? 0 : quantityValue(p.cpu));
const memoryOf = (p: ActiveServer['profile']) =>
  p?.memory === undefined ? 0 : quantityValue(p.memory);
const gpuOf = (p: ActiveServer['profile']) => p?.gpu ?? 0;

/** “the default one” or “gpu” (a named server by its name). */
function serverLabel(name: string): string {
  return name === '' ? 'the default one' : `“${name}”`;
}

function listLabels(labels: string[]): string {
  if (labels.length <= 1) return labels.join('');
  return `${labels.slice(0, -1).join(', ')} and ${labels[labels.length - 1] ?? ''}`;
}

/** 2147483648 → "2Gi", 1.5 → "1.5": the way people wrote the limits. */
function formatBytes(bytes: number): string {
  for (const [suffix, size] of [
    ['Ti', 2 ** 40],
    ['Gi', 2 ** 30],
    ['Mi', 2 ** 20],
  ] as const) {
    if (bytes >= size) return `${round(bytes / size)}${suffix}`;
  }
  return `${round(bytes)} bytes`;
}

function round(n: number): string {
  return String(Math.round(n * 100) / 100);
}

function cores(n: number): string {
  return `${round(n)} CPU core${n === 1 ? '' : 's'}`;
}

/** The 1st of the next month, in words ("1 January"). */
function nextReset(now: Date): string {
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return `1 ${next.toLocaleString('en-GB', { month: 'long', timeZone: 'UTC' })}`;
}

/** The start of the calendar month (UTC) `now` is in: monthly hours count from here. */
export function monthStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

/**
 * Whether `starting` (a server of `serverName` with `profile`) may start, given the person's
 * other servers that are starting or running and their hours this month by profile. The first
 * limit exceeded is named, with what to stop.
 */
export function checkStart(input: {
  quota: EffectiveQuota;
  active: readonly ActiveServer[];
  serverName: string;
  profile: Pick<Profile, 'name' | 'displayName' | 'cpu' | 'memory' | 'gpu'>;
  hoursThisMonth: ReadonlyMap<string, number>;
  now: Date;
}): StartCheck {
  const { quota, profile, now } = input;
  // A server already open for this name is being replaced, not added (a start never runs two).
  const others = input.active.filter((s) => s.serverName !== input.serverName);
  const refuse = (message: string): StartCheck => ({ allowed: false, message });
  const names = others.map((s) => serverLabel(s.serverName));

  if (quota.maxServers !== undefined && others.length + 1 > quota.maxServers) {
    const running = others.length === 1 ? '1 is running' : `${others.length} are running`;
    if (quota.maxServers === 0) return refuse('You may not run servers.');
    return refuse(
      `You can run ${quota.maxServers} server${quota.maxServers === 1 ? '' : 's'} at once and ${running} (${listLabels(names)}). Stop one to start this one.`,
    );
  }

  const resources = [
    {
      limit: quota.cpu === undefined ? undefined : quantityValue(quota.cpu),
      of: cpuOf,
      say: cores,
      short: round,
    },
    {
      limit: quota.memory === undefined ? undefined : quantityValue(quota.memory),
      of: memoryOf,
      say: (n: number) => `${formatBytes(n)} of memory`,
      short: formatBytes,
    },
    {
      limit: quota.gpu,
      of: gpuOf,
      say: (n: number) => `${round(n)} GPU${n === 1 ? '' : 's'}`,
      short: round,
    },
  ];
  for (const r of resources) {
    if (r.limit === undefined) continue;
    const limit = r.limit;
    const used = others.reduce((sum, s) => sum + r.of(s.profile), 0);
    const wanted = r.of(profile);
    if (wanted === 0 || used + wanted <= limit + 1e-9) continue;
    if (used === 0 || wanted > limit) {
      return refuse(
        `This server needs ${r.say(wanted)} and your limit is ${r.say(limit)}. Choose a smaller environment, or ask an administrator for more.`,
      );
    }
    const holders = others
      .filter((s) => r.of(s.profile) > 0)
      .map((s) => `${serverLabel(s.serverName)}: ${r.short(r.of(s.profile))}`);
    return refuse(
      `This would reserve ${r.say(used + wanted)} and your limit is ${r.say(limit)}; your running servers reserve ${r.short(used)} (${holders.join(', ')}). Stop one of them first.`,
    );
  }

  const allowedHours = quota.hoursPerMonth[profile.name];
  if (allowedHours !== undefined) {
    const used = input.hoursThisMonth.get(profile.name) ?? 0;
    if (used >= allowedHours) {
      return refuse(
        `You have used your ${round(allowedHours)} hour${allowedHours === 1 ? '' : 's'} of ${profile.displayName} this month; it resets on ${nextReset(now)}.`,
      );
    }
  }
  return { allowed: true };
}

/** One quota that applies to a person, with their use of it (the admin console's user page). */
export interface QuotaUseRow {
  /** What is limited: "Servers at once", "CPU", "Memory", "GPUs", "Hours of GPU this month". */
  readonly what: string;
  readonly used: string;
  readonly limit: string;
  /** Whether the next start that needs any of it would be refused. */
  readonly full: boolean;
}

/** Use against each limit that applies (absent fields have no row). */
export function quotaUse(input: {
  quota: EffectiveQuota;
  active: readonly ActiveServer[];
  hoursThisMonth: ReadonlyMap<string, number>;
  profiles: readonly Pick<Profile, 'name' | 'displayName'>[];
}): QuotaUseRow[] {
  const { quota, active } = input;
  const rows: QuotaUseRow[] = [];
  const sum = (of: (p: ActiveServer['profile']) => number) =>
    active.reduce((total, s) => total + of(s.profile), 0);
  if (quota.maxServers !== undefined) {
    rows.push({
      what: 'Servers at once',
      used: String(active.length),
      limit: String(quota.maxServers),
      full: active.length >= quota.maxServers,
    });
  }
  if (quota.cpu !== undefined) {
    const used = sum(cpuOf);
    const limit = quantityValue(quota.cpu);
    rows.push({ what: 'CPU cores', used: round(used), limit: round(limit), full: used >= limit });
  }
  if (quota.memory !== undefined) {
    const used = sum(memoryOf);
    const limit = quantityValue(quota.memory);
    rows.push({
      what: 'Memory',
      used: used === 0 ? '0' : formatBytes(used),
      limit: formatBytes(limit),
      full: used >= limit,
    });
  }
  if (quota.gpu !== undefined) {
    const used = sum(gpuOf);
    rows.push({
      what: 'GPUs',
      used: round(used),
      limit: String(quota.gpu),
      full: used >= quota.gpu,
    });
  }
  for (const [name, limit] of Object.entries(quota.hoursPerMonth)) {
    const used = input.hoursThisMonth.get(name) ?? 0;
    const display = input.profiles.find((p) => p.name === name)?.displayName ?? name;
    rows.push({
      what: `Hours of ${display} this month`,
      used: round(used),
      limit: round(limit),
      full: used >= limit,
    });
  }
  return rows;
}
