import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { faultAt, foldError, growth, summarizeActions, type ActionRecord } from './stats.ts';

describe('soak statistics', () => {
  const records: ActionRecord[] = [
    { kind: 'cell', atMs: 0, durationMs: 10, ok: true },
    { kind: 'cell', atMs: 100, durationMs: 20, ok: true },
    { kind: 'cell', atMs: 200, durationMs: 30, ok: true },
    { kind: 'cell', atMs: 1_000, durationMs: 5, ok: false, error: 'HTTP 503 for soak-u012' },
    { kind: 'cell', atMs: 5_000, durationMs: 5, ok: false, error: 'HTTP 503 for soak-u013' },
    { kind: 'start', atMs: 0, durationMs: 900, ok: false, error: 'timed out' },
  ];
  const windows = [{ kind: 'postgres-down' as const, fromMs: 900, toMs: 2_000 }];

  it('counts failures inside and outside fault windows, and percentiles of successes', () => {
    const cell = summarizeActions(records, windows).find((a) => a.kind === 'cell');
    assert.ok(cell);
    assert.equal(cell.n, 5);
    assert.equal(cell.failed, 2);
    assert.deepEqual(cell.failedDuringFault, { 'postgres-down': 1 });
    assert.equal(cell.failedOutsideFaults, 1);
    assert.equal(cell.p50Ms, 20);
    assert.equal(cell.p99Ms, 30);
    assert.deepEqual(cell.errors, [{ message: 'HTTP N for <user>', count: 2 }]);
    const start = summarizeActions(records, windows).find((a) => a.kind === 'start');
    assert.ok(start);
    assert.equal(start.failedDuringFault['postgres-down'], 1, 'overlapping the window counts');
    assert.ok(Number.isNaN(start.p50Ms));
  });

  it('finds the window an action overlaps', () => {
    assert.equal(faultAt({ atMs: 2_001, durationMs: 1 }, windows), undefined);
    assert.equal(faultAt({ atMs: 0, durationMs: 899 }, windows), undefined);
    assert.equal(faultAt({ atMs: 1_999, durationMs: 0 }, windows)?.kind, 'postgres-down');
  });

  it('folds numbers and names out of error messages', () => {
    assert.equal(foldError('start: HTTP 500 soak-u001\nstack'), 'start: HTTP N <user>');
  });

  it('sees growth after warm-up and none in a flat series', () => {
    const rising = Array.from({ length: 60 }, (_, i) => ({ tMs: i * 10_000, value: 100 + i }));
    const g = growth(rising, 0);
    assert.ok(g);
    assert.equal(Math.round(g.slopePer10Min), 60);
    assert.ok(g.lastMedian > g.firstMedian);
    const flat = Array.from({ length: 60 }, (_, i) => ({
      tMs: i * 10_000,
      value: i < 10 ? 50 + i * 10 : 150,
    }));
    assert.equal(growth(flat, 100_000)?.slopePer10Min, 0, 'warm-up left out');
    assert.equal(growth(flat.slice(0, 3), 0), undefined);
  });
});
