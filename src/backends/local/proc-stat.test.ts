import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { descendantsOf, identityOf, isGone, parseProcStat, type ProcStat } from './proc-stat.ts';

// Field 22 (start time) is 112233 in both samples.
const plain =
  '4242 (python3) S 1 4242 4242 0 -1 4194560 5000 0 0 0 10 5 0 0 20 0 3 0 112233 300000000 9000 18446744073709551615 0 0 0 0 0 0 0 16781312 17642 0 0 0 17 1 0 0 0 0 0';
const tricky =
  '77 (evil) name (x) R 5 6 7 0 -1 4194560 5000 0 0 0 10 5 0 0 20 0 3 0 112233 300000000 9000 0';

describe('parseProcStat', () => {
  it('reads state, parents, group, session and start time', () => {
    assert.deepEqual(parseProcStat(plain), {
      pid: 4242,
      state: 'S',
      ppid: 1,
      pgrp: 4242,
      session: 4242,
      startTime: '112233',
    });
  });

  it('counts fields from the last parenthesis, so odd command names cannot shift them', () => {
    assert.deepEqual(parseProcStat(tricky), {
      pid: 77,
      state: 'R',
      ppid: 5,
      pgrp: 6,
      session: 7,
      startTime: '112233',
    });
  });

  it('rejects truncated or garbled text', () => {
    assert.equal(parseProcStat(''), undefined);
    assert.equal(parseProcStat('12 (x) S 1 2'), undefined);
    assert.equal(parseProcStat('x (y) S 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 0 0 0 0 1 0 0'), undefined);
  });
});

describe('isGone and identityOf', () => {
  const stat = (state: string): ProcStat => ({ ...parseProcStat(plain)!, state });

  it('treats zombies and missing processes as gone', () => {
    assert.equal(isGone(undefined), true);
    assert.equal(isGone(stat('Z')), true);
    assert.equal(isGone(stat('X')), true);
    assert.equal(isGone(stat('S')), false);
    assert.equal(isGone(stat('R')), false);
  });

  it('ties a pid to one boot and one start', () => {
    const s = stat('S');
    assert.equal(identityOf('boot-a', s), 'boot-a:112233');
    assert.notEqual(identityOf('boot-a', s), identityOf('boot-b', s));
    assert.notEqual(identityOf('boot-a', s), identityOf('boot-a', { ...s, startTime: '112234' }));
  });
});

describe('descendantsOf', () => {
  const node = (pid: number, ppid: number): ProcStat => ({
    pid,
    ppid,
    state: 'S',
    pgrp: pid,
    session: pid,
    startTime: '1',
  });

  it('walks the whole tree below a pid, and nothing else', () => {
    const stats = [node(1, 0), node(10, 1), node(11, 10), node(12, 11), node(13, 10), node(20, 1)];
    assert.deepEqual(
      descendantsOf(10, stats)
        .map((s) => s.pid)
        .sort(),
      [11, 12, 13],
    );
    assert.deepEqual(descendantsOf(12, stats), []);
  });

  it('survives a cycle in garbled input', () => {
    assert.deepEqual(
      descendantsOf(1, [node(2, 1), node(1, 2)]).map((s) => s.pid),
      [2],
    );
  });
});
