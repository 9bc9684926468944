import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kubeName } from '../../names/kube-names.ts';
import {
  DEFAULT_SERVER_FOLDER,
  refKey,
  serverFolderName,
  serverLayout,
  userLayout,
} from './layout.ts';

describe('layout', () => {
  it('keeps readable names readable', () => {
    assert.deepEqual(userLayout('/data', 'alice'), {
      userDir: '/data/users/alice',
      home: '/data/users/alice/home',
      configDir: '/data/users/alice/jupyter/config',
      dataDir: '/data/users/alice/jupyter/data',
      runtimeDir: '/data/users/alice/jupyter/runtime',
    });
    assert.deepEqual(serverLayout('/data', { user: 'alice', server: 'gpu' }), {
      serverDir: '/data/servers/alice/gpu',
      stateFile: '/data/servers/alice/gpu/state.json',
      logFile: '/data/servers/alice/gpu/jupyter.log',
      previousLogFile: '/data/servers/alice/gpu/jupyter.previous.log',
    });
  });

  it("gives a named server its own files, apart from the default server's", () => {
    assert.equal(userLayout('/data', 'alice', '').home, '/data/users/alice/home');
    const named = userLayout('/data', 'alice', 'gpu');
    assert.equal(named.home, '/data/users/alice/named/gpu');
    assert.equal(named.configDir, userLayout('/data', 'alice').configDir, 'config is shared');
    assert.notEqual(userLayout('/data', 'alice', 'home').home, userLayout('/data', 'alice').home);
  });

  it('never lets a name leave its folder', () => {
    for (const name of ['../../etc', '/abs', 'a/b', '..', '.', 'zoë', 'A B']) {
      const home = userLayout('/data', name).home;
      assert.equal(home, `/data/users/${kubeName(name)}/home`);
      assert.doesNotMatch(kubeName(name), /[/.]/);
      const dir = serverLayout('/data', { user: 'u', server: name }).serverDir;
      assert.equal(dir.split('/').length, 5, dir);
    }
  });

  it('gives the default server a folder no named server can have', () => {
    assert.equal(serverFolderName(''), DEFAULT_SERVER_FOLDER);
    assert.notEqual(serverFolderName('_default'), DEFAULT_SERVER_FOLDER);
    assert.notEqual(serverFolderName('default'), DEFAULT_SERVER_FOLDER);
  });

  it('keys refs unambiguously', () => {
    assert.notEqual(refKey({ user: 'a-b', server: 'c' }), refKey({ user: 'a', server: 'b-c' }));
    assert.equal(refKey({ user: 'a', server: '' }), refKey({ user: 'a', server: '' }));
  });
});
