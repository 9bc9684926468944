import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globToRegExp, resolveCommand, type ImageRule } from './images.ts';

const rules: ImageRule[] = [
  {
    pattern: 'quay.io/jupyter/*',
    commands: { jupyter: '/venv/bin/jupyter', 'start-notebook.py': ['/venv/bin/jupyter', 'lab'] },
    defaultCommand: ['/venv/bin/jupyter', 'lab'],
  },
];

describe('image rules', () => {
  it('globs match the whole reference', () => {
    assert.ok(globToRegExp('quay.io/jupyter/*').test('quay.io/jupyter/base-notebook:2025-01-01'));
    assert.ok(!globToRegExp('quay.io/jupyter/*').test('evil.io/quay.io/jupyter/x'));
    assert.ok(!globToRegExp('a.b/*').test('aXb/c'), 'dots are literal');
  });

  it('translates command[0], uses args as CMD when they name a program, else entrypoint + args', () => {
    const image = 'quay.io/jupyter/base-notebook:1';
    assert.deepEqual(
      resolveCommand(rules, { image, command: ['jupyter', 'server'], args: ['--x'] }),
      {
        ok: true,
        argv: ['/venv/bin/jupyter', 'server', '--x'],
        rule: rules[0],
        fromRule: 1,
      },
    );
    const cmd = resolveCommand(rules, { image, args: ['start-notebook.py', '--y'] });
    assert.deepEqual(cmd.ok && cmd.argv, ['/venv/bin/jupyter', 'lab', '--y']);
    assert.equal(cmd.ok && cmd.fromRule, 2, 'the rule supplied "jupyter lab", host words');
    const plain = resolveCommand(rules, { image, args: ['--ServerApp.port=9'] });
    assert.deepEqual(plain.ok && plain.argv, ['/venv/bin/jupyter', 'lab', '--ServerApp.port=9']);
    assert.equal(plain.ok && plain.fromRule, 2);
  });

  it('an unknown image is ErrImagePull; an unknown program is RunContainerError', () => {
    const unknown = resolveCommand(rules, { image: 'docker.io/nope:1' });
    assert.deepEqual(!unknown.ok && unknown.reason, 'ErrImagePull');
    const noProgram = resolveCommand(rules, { image: 'quay.io/jupyter/x', command: ['bash'] });
    assert.deepEqual(!noProgram.ok && noProgram.reason, 'RunContainerError');
  });
});
