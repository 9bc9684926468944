import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StartInFlight } from './start-in-flight.ts';
import type { ServerStatus } from './types.ts';

describe('StartInFlight', () => {
  it('joins a second start to the one under way, and allows a new one after', async () => {
    const start = new StartInFlight();
    let runs = 0;
    let finish: (s: ServerStatus) => void = () => undefined;
    const run = () => {
      runs++;
      return new Promise<ServerStatus>((resolve) => (finish = resolve));
    };
    const first = start.begin(run);
    const second = start.begin(run);
    assert.equal(first, second);
    assert.equal(runs, 1);
    finish({ phase: 'running' });
    assert.deepEqual(await first, { phase: 'running' });
    assert.equal(start.current, undefined);
    void start.begin(run);
    assert.equal(runs, 2);
  });

  it('keeps the progress of the start for followers, replayed from the beginning', async () => {
    const start = new StartInFlight();
    void start.begin((_signal, progress) => {
      progress.push({ progress: 10, message: 'asked' });
      progress.push({ progress: 100, message: 'ready', ready: true });
      return Promise.resolve({ phase: 'running' });
    });
    const seen = [];
    for await (const e of start.progress?.follow() ?? []) seen.push(e.message);
    assert.deepEqual(seen, ['asked', 'ready']);
  });

  it('cancels with a reason the start can tell, and waits for it to settle', async () => {
    const start = new StartInFlight();
    let reason: unknown;
    const started = start.begin(
      (signal) =>
        new Promise<ServerStatus>((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            reason = signal.reason;
            reject(new Error('cut short'));
          });
        }),
    );
    await start.cancel('stopped');
    assert.equal(reason, 'stopped');
    assert.equal(start.current, undefined);
    await assert.rejects(started, /cut short/);
    await start.cancel('closed'); // nothing in flight: resolves
  });
});
