import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { translatePath, translateWord } from './paths.ts';

const mounts = [
  { mountPath: '/home/jovyan', hostPath: '/pv/1' },
  { mountPath: '/home/jovyan/work/', hostPath: '/pv/2' },
  { mountPath: '/data', hostPath: '/pv/3' },
];

describe('mount path translation', () => {
  it('picks the longest mountPath', () => {
    assert.equal(translatePath('/home/jovyan/work/a.ipynb', mounts), '/pv/2/a.ipynb');
    assert.equal(translatePath('/home/jovyan/.local', mounts), '/pv/1/.local');
    assert.equal(translatePath('/etc/passwd', mounts), undefined);
  });

  it('rewrites paths in words, option values and scripts, at path boundaries only', () => {
    const cases: [string, string][] = [
      ['/data', '/pv/3'],
      ['--root_dir=/home/jovyan/work', '--root_dir=/pv/2'],
      ['echo hi > /data/x && cat /data/x', 'echo hi > /pv/3/x && cat /pv/3/x'],
      ['/database', '/database'],
      ['relative/data', 'relative/data'],
    ];
    for (const [input, expected] of cases)
      assert.equal(translateWord(input, mounts), expected, input);
  });
});
