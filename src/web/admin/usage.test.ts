import assert from 'node:assert/strict';
import { it } from 'node:test';
import { usageByDay, usageFromRows, usagePeriod } from './usage.ts';

const H = 3_600_000;
const day0 = Date.UTC(2026, 0, 1);
const at = (hours: number) => new Date(day0 + hours * H);

it('counts servers and hours per profile and UTC day, splitting runs across midnight', () => {
  const usage = usageByDay(
    [
      { profile: 'gpu', readyAt: at(22), endedAt: at(26) }, // 2 h on day 0, 2 h on day 1
      { profile: 'small', readyAt: at(25), endedAt: at(26.5) },
      { profile: 'small', readyAt: at(47), endedAt: null }, // open: counts up to now
      { profile: 'small', readyAt: null, endedAt: at(3) }, // never ready: not usage
      { profile: 'old', readyAt: at(-50), endedAt: at(-30) }, // before the period
    ],
    { days: 3, now: at(49), profileOrder: ['small', 'gpu'] },
  );
  assert.deepEqual(
    usage.days.map((d) => d.day.toISOString().slice(0, 10)),
    ['2026-01-01', '2026-01-02', '2026-01-03'],
  );
  const cell = (i: number, p: string) => usage.days[i]?.byProfile.get(p);
  assert.deepEqual(cell(0, 'gpu'), { servers: 1, hours: 2 });
  assert.deepEqual(cell(1, 'gpu'), { servers: 1, hours: 2 });
  assert.deepEqual(cell(1, 'small'), { servers: 2, hours: 2.5 });
  assert.deepEqual(cell(2, 'small'), { servers: 1, hours: 1 });
  assert.equal(cell(0, 'small'), undefined);
  assert.deepEqual(usage.totals.get('gpu'), { servers: 1, hours: 4 }, 'one server, not two');
  assert.deepEqual(usage.totals.get('small'), { servers: 2, hours: 3.5 });
  assert.deepEqual(usage.profiles, ['small', 'gpu'], 'configured order; unused ones left out');
});

it('builds the same view from the rows the database summed, every day of the period present', () => {
  const now = at(49);
  assert.deepEqual(usagePeriod(3, now), { from: new Date(day0), to: new Date(day0 + 72 * H) });
  const usage = usageFromRows(
    {
      days: [
        { day: new Date(day0), profile: 'gpu', servers: 1, hours: 2 },
        { day: new Date(day0 + 24 * H), profile: 'small', servers: 2, hours: 2.5 },
        { day: new Date(day0 + 24 * H), profile: 'gpu', servers: 1, hours: 2 },
      ],
      totals: [
        { profile: 'gpu', servers: 1, hours: 4 },
        { profile: 'small', servers: 2, hours: 2.5 },
      ],
    },
    { days: 3, now, profileOrder: ['small', 'gpu'] },
  );
  assert.deepEqual(
    usage.days.map((d) => [d.day.toISOString().slice(0, 10), d.byProfile.size]),
    [
      ['2026-01-01', 1],
      ['2026-01-02', 2],
      ['2026-01-03', 0],
    ],
  );
  assert.deepEqual(usage.days[1]?.byProfile.get('small'), { servers: 2, hours: 2.5 });
  assert.deepEqual(usage.totals.get('gpu'), { servers: 1, hours: 4 });
  assert.deepEqual(usage.profiles, ['small', 'gpu']);
});
