import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProgressEvent } from '../types.ts';
import { ProgressLog } from './progress-log.ts';

const step = (progress: number, message: string): ProgressEvent => ({ progress, message });
const ready: ProgressEvent = { progress: 100, message: 'ready', ready: true };

async function collect(log: ProgressLog): Promise<ProgressEvent[]> {
  const out: ProgressEvent[] = [];
  for await (const event of log.follow()) out.push(event);
  return out;
}

describe('ProgressLog', () => {
  it('replays from the start to a late follower, then follows live events to the end', async () => {
    const log = new ProgressLog();
    log.push(step(10, 'a'));
    log.push(step(30, 'b'));
    const early = collect(log);
    log.push(step(50, 'c'));
    const late = collect(log);
    log.push(ready);
    const expected = [step(10, 'a'), step(30, 'b'), step(50, 'c'), ready];
    assert.deepEqual(await early, expected);
    assert.deepEqual(await late, expected);
    assert.equal(log.done, true);
    assert.deepEqual(log.terminal(), ready);
  });

  it('ends at a failed event too, and ignores anything after the end', async () => {
    const log = new ProgressLog();
    const failed: ProgressEvent = { progress: 100, message: 'no', failed: true, detail: 'why' };
    log.push(failed);
    log.push(step(20, 'late'));
    assert.deepEqual(await collect(log), [failed]);
    assert.deepEqual(log.events, [failed]);
  });

  it('has no terminal event while running', () => {
    const log = new ProgressLog();
    log.push(step(10, 'a'));
    assert.equal(log.terminal(), undefined);
    assert.equal(log.done, false);
  });
});
