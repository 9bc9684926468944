import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isGanymedeError } from '../errors/ganymede-error.ts';
import { createBodyLimit, declaredLength } from './body-limit.ts';

async function run(chunks: string[], max: number): Promise<{ passed: string; error: unknown }> {
  let passed = '';
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      passed += chunk.toString();
      cb();
    },
  });
  try {
    await pipeline(Readable.from(chunks.map((c) => Buffer.from(c))), createBodyLimit(max), sink);
    return { passed, error: undefined };
  } catch (error) {
    return { passed, error };
  }
}

describe('createBodyLimit', () => {
  it('passes a body of exactly the limit', async () => {
    const { passed, error } = await run(['abc', 'de'], 5);
    assert.equal(passed, 'abcde');
    assert.equal(error, undefined);
  });

  it('fails with payload_too_large and never passes the crossing chunk', async () => {
    const { passed, error } = await run(['abc', 'def', 'ghi'], 5);
    assert.equal(passed, 'abc');
    assert.ok(isGanymedeError(error));
    assert.equal(error.status, 413);
  });
});

describe('declaredLength', () => {
  it('parses digits only', () => {
    assert.equal(declaredLength(undefined), undefined);
    assert.equal(declaredLength('12'), 12);
    assert.ok(Number.isNaN(declaredLength('-1')));
    assert.ok(Number.isNaN(declaredLength('1e3')));
    assert.ok(Number.isNaN(declaredLength('')));
  });
});
