import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cleanLogLine, formatLogTail, MAX_LINE_CHARS, readLogTail, tailLines } from './log-tail.ts';

describe('tailLines', () => {
  it('keeps the last lines and drops trailing blank ones', () => {
    assert.deepEqual(tailLines('a\nb\nc\n\n', 2), ['b', 'c']);
    assert.deepEqual(tailLines('a\r\nb', 5), ['a', 'b']);
    assert.deepEqual(tailLines('', 3), []);
  });
});

describe('cleanLogLine', () => {
  it('strips terminal escapes', () => {
    assert.equal(cleanLogLine('\x1b[32m[I]\x1b[0m ready\x07', []), '[I] ready');
  });

  it('redacts tokens in URLs and known secrets anywhere', () => {
    assert.equal(
      cleanLogLine('http://127.0.0.1:1/lab?token=abc&x=1', []),
      'http://127.0.0.1:1/lab?token=[redacted]&x=1',
    );
    assert.equal(
      cleanLogLine('JUPYTER_TOKEN is s3cret, s3cret', ['s3cret']),
      'JUPYTER_TOKEN is [redacted], [redacted]',
    );
  });

  it('shortens very long lines', () => {
    const line = cleanLogLine('x'.repeat(100_000), []);
    assert.equal(line.length, MAX_LINE_CHARS + 2);
    assert.ok(line.endsWith(' …'));
  });
});

describe('readLogTail', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ganymede-logtail-'));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the end of a large file without its cut first line', async () => {
    const file = join(dir, 'big.log');
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i}`);
    writeFileSync(file, lines.join('\n') + '\n');
    const tail = await readLogTail(file, [], 3);
    assert.equal(tail, 'line 19997\nline 19998\nline 19999');
  });

  it('reads a small file whole and a missing one as empty', async () => {
    const file = join(dir, 'small.log');
    writeFileSync(file, 'only line');
    assert.equal(await readLogTail(file), 'only line');
    assert.equal(await readLogTail(join(dir, 'missing.log')), '');
  });

  it('formats the same way as formatLogTail', () => {
    assert.equal(formatLogTail('a\nb?token=t\n', ['b']), 'a\n[redacted]?token=[redacted]');
  });
});
