import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isServerName, RESERVED_SERVER_NAMES, serverNameSchema } from './server-names.ts';

describe('server names', () => {
  it('accepts 1 to 32 lower-case letters, digits and -', () => {
    for (const name of ['gpu', 'a', 'project-2', '2026', '-', 'x'.repeat(32)]) {
      assert.equal(isServerName(name), true, name);
      assert.equal(serverNameSchema.safeParse(name).success, true, name);
    }
  });

  it('refuses empty, long, upper-case, non-ASCII and path-like names', () => {
    for (const name of [
      '',
      'x'.repeat(33),
      'GPU',
      'gpu_1',
      'zoë',
      'a/b',
      'a.b',
      '..',
      '%2e',
      'a b',
    ]) {
      assert.equal(isServerName(name), false, name);
      assert.equal(serverNameSchema.safeParse(name).success, false, name);
    }
  });

  it("refuses Jupyter's own top-level paths, with a message saying why", () => {
    for (const name of ['lab', 'api', 'tree', 'files', 'static', 'notebooks', 'edit', 'view']) {
      assert.equal(RESERVED_SERVER_NAMES.has(name), true, name);
      assert.equal(isServerName(name), false, name);
    }
    for (const name of ['terminals', 'kernelspecs', 'nbconvert', 'custom', 'login', 'logout']) {
      assert.equal(isServerName(name), false, name);
    }
    for (const name of ['doc', 'nbextensions', 'voila', 'lsp']) {
      assert.equal(isServerName(name), false, name);
    }
    const result = serverNameSchema.safeParse('lab');
    assert.equal(result.success, false);
    assert.match(result.error.issues[0]?.message ?? '', /Jupyter uses for its own pages/);
  });

  it('keeps every reserved name in the shape, so the shape alone never lets one through', () => {
    for (const name of RESERVED_SERVER_NAMES) assert.match(name, /^[a-z0-9-]{1,32}$/);
  });
});
