import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from './load.ts';

describe('culler and metrics configuration', () => {
  it('has safe defaults: culling every minute, no maximum age, tabs do not count, metrics private', () => {
    const config = parseConfig({});
    assert.deepEqual(config.culler, {
      intervalSeconds: 60,
      maxAgeHours: 0,
      countOpenConnections: false,
    });
    assert.deepEqual(config.metrics, { public: false });
  });

  it('accepts fractions where tests need them', () => {
    const config = parseConfig({
      culler: { intervalSeconds: 0.5, maxAgeHours: 1.5, idleTimeoutSecondsOverride: 3 },
    });
    assert.equal(config.culler.intervalSeconds, 0.5);
    assert.equal(config.culler.idleTimeoutSecondsOverride, 3);
  });

  it('names the key and gives an example for wrong values', () => {
    assert.throws(
      () => parseConfig({ culler: { intervalSeconds: 0 } }),
      /culler\.intervalSeconds: .*\(example: 60\)/,
    );
    assert.throws(
      () => parseConfig({ culler: { maxAgeHours: -1 } }),
      /culler\.maxAgeHours: .*\(example: 24/,
    );
    assert.throws(
      () => parseConfig({ metrics: { public: 'yes' } }),
      /metrics\.public: .*\(example: false\)/,
    );
    assert.throws(() => parseConfig({ culler: { idleMinutes: 5 } }), /unknown key "idleMinutes"/);
  });
});
