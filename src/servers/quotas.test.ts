import assert from 'node:assert/strict';
import { it } from 'node:test';
import { quotasSchema } from '../config/schema.ts';
import { checkStart, effectiveQuota, monthStart, quotaUse, type ActiveServer } from './quotas.ts';

const standard = { name: 'standard', displayName: 'Standard', cpu: '1', memory: '2Gi', gpu: 0 };
const gpu = { name: 'gpu', displayName: 'GPU', cpu: '2', memory: '8Gi', gpu: 1 };
const bare = { name: 'bare', displayName: 'Bare', gpu: 0 };
const now = new Date('2026-12-04T22:00:00Z');

const quotas = quotasSchema.parse({
  default: { maxServers: 2, cpu: '4', memory: '16Gi', gpu: 1, hoursPerMonth: { gpu: 20 } },
  groups: {
    physics: { cpu: '8', hoursPerMonth: { gpu: 60 } },
    chemistry: { cpu: '6000m', maxServers: 4 },
    students: { cpu: '2' },
  },
  users: { alice: { maxServers: 3, cpu: '1' } },
});

it('takes the user entry, else the most generous group, else the default, field by field', () => {
  assert.deepEqual(effectiveQuota(quotas, 'bob', []), {
    maxServers: 2,
    cpu: '4',
    memory: '16Gi',
    gpu: 1,
    hoursPerMonth: { gpu: 20 },
  });
  // Groups grant more: physics' 8 beats chemistry's 6000m and students' 2 (quantities compared).
  const member = effectiveQuota(quotas, 'bob', ['students', 'chemistry', 'physics']);
  assert.equal(member.cpu, '8');
  assert.equal(member.maxServers, 4);
  assert.equal(member.memory, '16Gi');
  assert.deepEqual(member.hoursPerMonth, { gpu: 60 });
  // A group that sets less than the default still applies (the group's value is the rule).
  assert.equal(effectiveQuota(quotas, 'bob', ['students']).cpu, '2');
  // The user's own value wins even when a group is more generous.
  const alice = effectiveQuota(quotas, 'alice', ['physics']);
  assert.equal(alice.cpu, '1');
  assert.equal(alice.maxServers, 3);
  assert.deepEqual(effectiveQuota(undefined, 'bob', ['physics']), { hoursPerMonth: {} });
  // A user named like an Object.prototype key is not confused with it.
  assert.equal(effectiveQuota(quotas, 'constructor', []).cpu, '4');
});

type TestProfile = Parameters<typeof checkStart>[0]['profile'];
const running = (serverName: string, profile: TestProfile): ActiveServer => ({
  serverName,
  profile,
});
const check = (
  active: ActiveServer[],
  profile: TestProfile,
  opts: { serverName?: string; hours?: [string, number][]; user?: string; groups?: string[] } = {},
) =>
  checkStart({
    quota: effectiveQuota(quotas, opts.user ?? 'bob', opts.groups ?? []),
    active,
    serverName: opts.serverName ?? 'new',
    profile,
    hoursThisMonth: new Map(opts.hours ?? []),
    now,
  });

it('refuses a server beyond maxServers, naming the running ones', () => {
  assert.deepEqual(check([running('', standard)], standard), { allowed: true });
  assert.deepEqual(check([running('', standard), running('gpu', gpu)], standard), {
    allowed: false,
    message:
      'You can run 2 servers at once and 2 are running (the default one and “gpu”). Stop one to start this one.',
  });
  // Restarting a server that is already counted does not count it twice.
  assert.equal(
    check([running('', standard), running('gpu', gpu)], standard, { serverName: '' }).allowed,
    true,
  );
});

it('adds up CPU, memory and GPUs of the running servers and names what to stop', () => {
  // Lift maxServers so the CPU limit is the one reached.
  const physics = checkStart({
    quota: { ...effectiveQuota(quotas, 'bob', ['physics']), maxServers: 5, cpu: '4' },
    active: [running('', standard), running('gpu', gpu)],
    serverName: 'more',
    profile: { ...gpu, gpu: 0 },
    hoursThisMonth: new Map(),
    now,
  });
  assert.deepEqual(physics, {
    allowed: false,
    message:
      'This would reserve 5 CPU cores and your limit is 4 CPU cores; your running servers reserve 3 (the default one: 1, “gpu”: 2). Stop one of them first.',
  });
  const memory = checkStart({
    quota: { memory: '12Gi', hoursPerMonth: {} },
    active: [running('gpu', gpu)],
    serverName: '',
    profile: { ...gpu, gpu: 0 },
    hoursThisMonth: new Map(),
    now,
  });
  assert.equal(
    memory.allowed ? '' : memory.message,
    'This would reserve 16Gi of memory and your limit is 12Gi of memory; your running servers reserve 8Gi (“gpu”: 8Gi). Stop one of them first.',
  );
  const gpus = check([running('gpu', gpu)], gpu, { serverName: 'gpu2' });
  assert.equal(
    gpus.allowed ? '' : gpus.message,
    'This would reserve 2 GPUs and your limit is 1 GPU; your running servers reserve 1 (“gpu”: 1). Stop one of them first.',
  );
  // A profile bigger than the limit on its own: stopping would not help.
  const alone = check([], gpu, { user: 'alice' });
  assert.equal(
    alone.allowed ? '' : alone.message,
    'This server needs 2 CPU cores and your limit is 1 CPU core. Choose a smaller environment, or ask an administrator for more.',
  );
  // A profile without cpu/memory counts 0 for them.
  assert.equal(
    check(
      [running('a', bare)],
      { ...bare, cpu: '1' },
      {
        user: 'alice',
      },
    ).allowed,
    true,
  );
});

it('refuses a profile whose monthly hours are used up, saying when they reset', () => {
  assert.equal(check([], gpu, { hours: [['gpu', 19.5]] }).allowed, true);
  assert.deepEqual(check([], gpu, { hours: [['gpu', 20]] }), {
    allowed: false,
    message: 'You have used your 20 hours of GPU this month; it resets on 1 January.',
  });
  assert.equal(check([], gpu, { hours: [['gpu', 20]], groups: ['physics'] }).allowed, true);
  // Hours of another profile do not count.
  assert.equal(check([], standard, { hours: [['gpu', 100]] }).allowed, true);
  assert.deepEqual(monthStart(now), new Date('2026-12-01T00:00:00Z'));
});

it('sums use against each limit that applies, for the admin console', () => {
  const rows = quotaUse({
    quota: effectiveQuota(quotas, 'bob', ['physics']),
    active: [running('', standard), running('gpu', gpu)],
    hoursThisMonth: new Map([['gpu', 12.25]]),
    profiles: [standard, gpu],
  });
  assert.deepEqual(rows, [
    { what: 'Servers at once', used: '2', limit: '2', full: true },
    { what: 'CPU cores', used: '3', limit: '8', full: false },
    { what: 'Memory', used: '10Gi', limit: '16Gi', full: false },
    { what: 'GPUs', used: '1', limit: '1', full: true },
    { what: 'Hours of GPU this month', used: '12.25', limit: '60', full: false },
  ]);
  assert.deepEqual(
    quotaUse({
      quota: effectiveQuota(undefined, 'bob', []),
      active: [],
      hoursThisMonth: new Map(),
      profiles: [],
    }),
    [],
  );
});
