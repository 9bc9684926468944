import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactUrl } from './logger.ts';

describe('redactUrl', () => {
  it('hides every token query parameter, however spelled, and keeps the rest', () => {
    assert.equal(
      redactUrl('/user/alice/api/kernels/k/channels?session_id=s&token=secret&x=1'),
      '/user/alice/api/kernels/k/channels?session_id=s&token=[redacted]&x=1',
    );
    assert.equal(redactUrl('/x?%74oken=secret'), '/x?token=[redacted]');
    assert.equal(redactUrl('/x?TOKEN=secret'), '/x?token=[redacted]');
    assert.equal(redactUrl('/x?tokens=1'), '/x?tokens=1');
    assert.equal(redactUrl('/x'), '/x');
  });
});
