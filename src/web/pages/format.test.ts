import assert from 'node:assert/strict';
import { it } from 'node:test';
import { aboutDuration, ago, formatHours, formatTime, profileSize } from './format.ts';

it('says durations, times and sizes in words', () => {
  assert.equal(aboutDuration(400), 'about 1 second');
  assert.equal(aboutDuration(12_400), 'about 12 seconds');
  assert.equal(aboutDuration(185_000), 'about 3 minutes');
  assert.equal(formatTime(new Date(Date.UTC(2026, 10, 5, 7, 3))), '5 Nov 2026, 07:03 UTC');
  const now = new Date(Date.UTC(2026, 0, 10));
  assert.equal(ago(new Date(now.getTime() - 30_000), now), 'just now');
  assert.equal(ago(new Date(now.getTime() - 60_000), now), '1 minute ago');
  assert.equal(ago(new Date(now.getTime() - 3 * 3_600_000), now), '3 hours ago');
  assert.equal(ago(new Date(now.getTime() - 72 * 3_600_000), now), '3 days ago');
  assert.equal(profileSize({ cpu: '2', memory: '4Gi' }), '2 CPUs · 4 GB memory');
  assert.equal(profileSize({ cpu: '500m', memory: undefined }), '0.5 CPU');
  assert.equal(profileSize({ cpu: '1', memory: '512Mi' }), '1 CPU · 512 MB memory');
  assert.equal(profileSize({ cpu: undefined, memory: undefined }), '');
  assert.equal(formatHours(0.05), '3 min');
  assert.equal(formatHours(3.46), '3.5 h');
});
