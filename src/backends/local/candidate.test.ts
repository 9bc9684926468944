import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { candidateFromState } from './candidate.ts';
import { processIdentity } from './processes.ts';
import type { ServerState } from './state-file.ts';

const state = (pid: number, pidIdentity?: string): ServerState => ({
  version: 1,
  user: 'a',
  server: '',
  pid,
  ...(pidIdentity === undefined ? {} : { pidIdentity }),
  port: 1,
  token: 't'.repeat(20),
  baseUrl: '/user/a/',
  profile: 'p',
  startedAt: new Date(10_000).toISOString(),
});

describe('candidateFromState', () => {
  it('gets what is left of the start timeout', () => {
    const candidate = candidateFromState(state(process.pid), {
      probe: () => Promise.resolve(true),
      now: () => 13_000,
      startTimeoutMs: 5_000,
    });
    assert.equal(candidate.timeoutMs, 2_000);
    assert.equal(candidate.ownChild, false);
  });

  it('probes a live process, and reports a dead (or foreign) one as exited', async () => {
    const options = { probe: () => Promise.resolve(true), now: () => 0, startTimeoutMs: 5_000 };
    const alive = candidateFromState(
      state(process.pid, await processIdentity(process.pid)),
      options,
    );
    assert.equal(await alive.probe(alive.state, 100), true);
    assert.equal(alive.exitSignal.aborted, false);

    const foreign = candidateFromState(state(process.pid, 'another-boot:1'), options);
    assert.equal(await foreign.probe(foreign.state, 100), false);
    assert.equal(foreign.exitSignal.aborted, true);
  });
});
