import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isGanymedeError } from '../../errors/ganymede-error.ts';
import { serverLayout } from './layout.ts';
import {
  findStateFiles,
  parseServerState,
  readServerState,
  removeServerState,
  writeServerState,
  type ServerState,
} from './state-file.ts';

const state: ServerState = {
  version: 1,
  user: 'zoë',
  server: '',
  pid: 4242,
  pidIdentity: 'boot:1',
  port: 41234,
  token: 'a'.repeat(43),
  baseUrl: '/user/zo%C3%AB/',
  profile: 'standard',
  startedAt: '2026-01-02T03:04:05.000Z',
};

describe('state file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ganymede-state-'));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips, readable by its owner only, and is found by the scan', async () => {
    const file = serverLayout(dir, { user: state.user, server: state.server }).stateFile;
    await writeServerState(file, state);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(file, '..')).mode & 0o777, 0o700);
    assert.deepEqual(await readServerState(file), state);
    assert.deepEqual(await findStateFiles(dir), [file]);
    await removeServerState(file);
    assert.equal(await readServerState(file), undefined);
    assert.deepEqual(await findStateFiles(dir), []);
    await removeServerState(file);
  });

  it('scans an empty or odd data directory without failing', async () => {
    assert.deepEqual(await findStateFiles(join(dir, 'missing')), []);
    mkdirSync(join(dir, 'servers'), { recursive: true });
    writeFileSync(join(dir, 'servers', 'stray-file'), '');
    assert.deepEqual(await findStateFiles(dir), []);
  });

  it('names the damaged field', () => {
    const check = (text: string, field: string) => {
      assert.throws(
        () => parseServerState(text, 'x.json'),
        (e: unknown) =>
          isGanymedeError(e) && e.field === field && (e.detail ?? '').includes('x.json'),
      );
    };
    check(JSON.stringify({ ...state, pid: 'oops' }), 'pid');
    check(JSON.stringify({ ...state, port: 70000 }), 'port');
    check(JSON.stringify({ ...state, baseUrl: 'user/a' }), 'baseUrl');
    check(JSON.stringify({ ...state, extra: 1 }), '');
    assert.throws(() => parseServerState('{', 'x.json'), /damaged/);
  });
});
