import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cullMessage,
  decideCull,
  idleTimeoutMs,
  lastActivityOf,
  type CullInput,
  type CullSettings,
} from './decide.ts';
import type { JupyterActivity, KernelActivity } from './jupyter-activity.ts';

const t0 = new Date('2026-01-01T08:00:00Z');
const minutes = (m: number) => new Date(t0.getTime() + m * 60_000);
const settings: CullSettings = { maxAgeHours: 0, countOpenConnections: false };

function input(overrides: Partial<CullInput> = {}): CullInput {
  return {
    server: { phase: 'running', startedAt: t0, lastActivity: t0 },
    idleTimeoutMs: 60 * 60_000,
    jupyter: undefined,
    settings,
    now: minutes(30),
    ...overrides,
  };
}

function jupyter(lastActivity: Date, kernels: KernelActivity[] = []): JupyterActivity {
  return {
    lastActivity,
    connections: kernels.reduce((n, k) => n + k.connections, 0),
    kernels,
  };
}

const kernel = (executionState: string, connections = 0): KernelActivity => ({
  executionState,
  connections,
  lastActivity: t0,
});

describe('decideCull', () => {
  it('keeps a server used within its idle timeout', () => {
    assert.deepEqual(decideCull(input({ now: minutes(59) })), {
      action: 'keep',
      reason: 'active',
      idleMs: 59 * 60_000,
    });
  });

  it('stops a server idle for exactly its timeout or longer', () => {
    assert.equal(decideCull(input({ now: minutes(60) })).action, 'stop');
    assert.deepEqual(decideCull(input({ now: minutes(90) })), {
      action: 'stop',
      reason: 'idle',
      idleMs: 90 * 60_000,
    });
  });

  it('never culls what is not running', () => {
    for (const state of ['stopped', 'starting', 'stopping', 'failed'] as const) {
      const d = decideCull(
        input({ server: { phase: state, startedAt: t0, lastActivity: t0 }, now: minutes(600) }),
      );
      assert.deepEqual([d.action, d.reason], ['keep', 'not-running'], state);
    }
  });

  it('keeps a server whose profile has no idle timeout', () => {
    const d = decideCull(input({ idleTimeoutMs: 0, now: minutes(10_000) }));
    assert.deepEqual([d.action, d.reason], ['keep', 'no-idle-timeout']);
  });

  it('a busy kernel keeps a server long past its idle timeout', () => {
    const d = decideCull(
      input({ jupyter: jupyter(t0, [kernel('idle'), kernel('busy')]), now: minutes(500) }),
    );
    assert.deepEqual([d.action, d.reason], ['keep', 'busy']);
    const idle = decideCull(input({ jupyter: jupyter(t0, [kernel('idle')]), now: minutes(500) }));
    assert.deepEqual([idle.action, idle.reason], ['stop', 'idle']);
  });

  it('open connections keep a server only when configured', () => {
    const open = jupyter(t0, [kernel('idle', 2)]);
    const off = decideCull(input({ jupyter: open, now: minutes(120) }));
    assert.deepEqual([off.action, off.reason], ['stop', 'idle']);
    const on = decideCull(
      input({
        jupyter: open,
        settings: { ...settings, countOpenConnections: true },
        now: minutes(120),
      }),
    );
    assert.deepEqual([on.action, on.reason], ['keep', 'connected']);
  });

  it('stops at the maximum age even when busy', () => {
    const busy = jupyter(minutes(239), [kernel('busy')]);
    const s = { ...settings, maxAgeHours: 4 };
    const before = decideCull(input({ jupyter: busy, settings: s, now: minutes(239) }));
    assert.deepEqual([before.action, before.reason], ['keep', 'busy']);
    const at = decideCull(input({ jupyter: busy, settings: s, now: minutes(240) }));
    assert.deepEqual([at.action, at.reason], ['stop', 'max-age']);
  });

  it('maximum age 0 is off', () => {
    const d = decideCull(
      input({ idleTimeoutMs: 0, settings: { ...settings, maxAgeHours: 0 }, now: minutes(1e6) }),
    );
    assert.equal(d.action, 'keep');
  });

  it("Jupyter's own activity keeps a server the proxy has not seen for a while", () => {
    const d = decideCull(input({ jupyter: jupyter(minutes(50)), now: minutes(70) }));
    assert.deepEqual([d.action, d.reason, d.idleMs], ['keep', 'active', 20 * 60_000]);
  });

  it('a server that cannot be asked is judged by the proxy record', () => {
    const server = { phase: 'running' as const, startedAt: t0, lastActivity: minutes(50) };
    const d = decideCull(input({ server, jupyter: undefined, now: minutes(70) }));
    assert.deepEqual([d.action, d.idleMs], ['keep', 20 * 60_000]);
    assert.equal(decideCull(input({ server, now: minutes(110) })).action, 'stop');
  });

  it('a running server without any recorded time is never culled for idleness', () => {
    const d = decideCull(
      input({
        server: { phase: 'running', startedAt: null, lastActivity: null },
        now: minutes(1e6),
      }),
    );
    assert.deepEqual([d.action, d.idleMs], ['keep', 0]);
  });
});

describe('lastActivityOf', () => {
  // The proxy counts WebSocket keep-alive frames of a tab nobody looks at.
  const tabOpen = { phase: 'running' as const, startedAt: t0, lastActivity: minutes(100) };

  it('ignores the proxy record when Jupyter answered and connections do not count', () => {
    assert.deepEqual(
      lastActivityOf({ server: tabOpen, jupyter: jupyter(minutes(10)), settings }),
      minutes(10),
    );
  });

  it('takes the latest of all sources when connections count', () => {
    const s = { ...settings, countOpenConnections: true };
    assert.deepEqual(
      lastActivityOf({ server: tabOpen, jupyter: jupyter(minutes(10)), settings: s }),
      minutes(100),
    );
  });

  it('never goes before the start', () => {
    const restarted = { phase: 'running' as const, startedAt: minutes(30), lastActivity: null };
    assert.deepEqual(
      lastActivityOf({ server: restarted, jupyter: jupyter(minutes(5)), settings }),
      minutes(30),
    );
  });
});

describe('idleTimeoutMs', () => {
  it('converts minutes, applies the test override only to non-zero timeouts', () => {
    assert.equal(idleTimeoutMs(60), 3_600_000);
    assert.equal(idleTimeoutMs(60, 2), 2000);
    assert.equal(idleTimeoutMs(0, 2), 0);
  });
});

describe('cullMessage', () => {
  it('tells the user why and that files are kept', () => {
    assert.equal(
      cullMessage('idle', 3_600_000, 0),
      'Your server was stopped after 60 minutes without activity. Your files are kept.',
    );
    assert.equal(
      cullMessage('max-age', 0, 8),
      'Your server was stopped because servers run at most 8 hours. Your files are kept.',
    );
    assert.match(cullMessage('idle', 3000, 0), /after 3 seconds/);
  });
});
