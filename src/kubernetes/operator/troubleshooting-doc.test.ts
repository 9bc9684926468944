import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

/** States that are not problems need no troubleshooting section. */
const normal = new Set(['Running', 'Starting', 'Stopped', 'Stopping']);

describe('docs/troubleshooting.md', () => {
  it('has a section for every reason the operator can write', () => {
    const sources = read('./diagnose.ts') + read('./status.ts');
    const reasons = new Set(
      [...sources.matchAll(/reason: '([A-Za-z]+)'|_REASON = '([A-Za-z]+)'/g)].map(
        (m) => m[1] ?? m[2] ?? '',
      ),
    );
    assert.ok(reasons.size > 15, [...reasons].join(', '));
    const doc = read('../../../docs/troubleshooting.md');
    const missing = [...reasons].filter((r) => !normal.has(r) && !doc.includes(`### ${r}\n`));
    assert.deepEqual(missing, [], 'add a section for each of these');
  });
});
