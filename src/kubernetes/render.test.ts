import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runRender } from '../cli/commands/render.ts';
import { isGanymedeError } from '../errors/ganymede-error.ts';
import { render } from './render.ts';
import { defaultBuildSettings } from './resources/settings.ts';

const two = `apiVersion: ganymede.dev/v1alpha1
kind: JupyterNotebook
metadata: { name: alice, namespace: team }
spec: { image: quay.io/jupyter/minimal-notebook:latest }
---
apiVersion: ganymede.dev/v1alpha1
kind: JupyterNotebook
metadata: { name: bob }
spec: { image: quay.io/jupyter/minimal-notebook:latest, stopped: true }
`;

let counter = 0;
const options = {
  settings: defaultBuildSettings,
  tokenSecret: { token: () => `token-${++counter}` },
};

describe('render', () => {
  it('prints every object of every notebook as YAML documents', () => {
    const docs = parseAllDocuments(render(two, 'nb.yaml', { ...options, output: 'yaml' })).map(
      (d) => d.toJS() as { kind: string; metadata: { name: string; namespace: string } },
    );
    assert.deepEqual(
      docs.map((d) => `${d.kind}/${d.metadata.namespace}/${d.metadata.name}`),
      [
        'Secret/team/alice',
        'PersistentVolumeClaim/team/alice-home',
        'Service/team/alice',
        'NetworkPolicy/team/alice',
        'Deployment/team/alice',
        'Secret/default/bob',
        'PersistentVolumeClaim/default/bob-home',
        'Service/default/bob',
        'NetworkPolicy/default/bob',
        'Deployment/default/bob',
      ],
    );
  });

  it('--namespace overrides, --output json prints a v1 List, tokens differ', () => {
    const list = JSON.parse(
      render(two, 'nb.yaml', { ...options, output: 'json', namespace: 'x' }),
    ) as {
      kind: string;
      items: { kind: string; metadata: { namespace: string }; stringData?: { token: string } }[];
    };
    assert.equal(list.kind, 'List');
    assert.ok(list.items.every((i) => i.metadata.namespace === 'x'));
    const tokens = list.items.flatMap((i) => (i.stringData ? [i.stringData.token] : []));
    assert.equal(new Set(tokens).size, 2);
  });

  it('names the document and field of a mistake', () => {
    const bad = two.replace('stopped: true', 'stopped: maybe');
    assert.throws(
      () => render(bad, 'nb.yaml', { ...options, output: 'yaml' }),
      (e: unknown) =>
        isGanymedeError(e) &&
        e.field === 'spec.stopped' &&
        e.userMessage.startsWith('nb.yaml (document 2)'),
    );
    assert.throws(
      () => render('a: [', 'nb.yaml', { ...options, output: 'yaml' }),
      /not valid YAML/,
    );
    assert.throws(
      () => render('', 'nb.yaml', { ...options, output: 'yaml' }),
      /holds no JupyterNotebook/,
    );
  });
});

describe('ganymede render', () => {
  function run(args: string[], stdin = two): string {
    let out = '';
    assert.equal(runRender(args, { stdin: () => stdin, write: (t) => (out += t) }), 0);
    return out;
  }

  it('prints no Secret unless asked, so the output is the same on every run', () => {
    const first = run(['-f', '-']);
    assert.equal(run(['-f', '-']), first);
    assert.doesNotMatch(first, /kind: Secret/);
    assert.match(first, /secretKeyRef:\s+name: alice\s+key: token/);
    const fresh = [run(['-f', '-', '--with-secret']), run(['-f', '-', '--with-secret'])];
    assert.match(fresh[0] ?? '', /kind: Secret/);
    assert.notEqual(fresh[0], fresh[1], 'fresh tokens differ per run');
  });

  it('--token-file gives the Secrets a fixed token: the same output every run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'render-'));
    const file = join(dir, 'token');
    writeFileSync(file, 'a-fixed-token-of-some-length\n');
    const once = run(['-f', '-', '--token-file', file]);
    assert.equal(run(['-f', '-', '--token-file', file]), once);
    assert.match(once, /token: a-fixed-token-of-some-length/);
    writeFileSync(file, 'short');
    assert.throws(
      () => run(['-f', '-', '--token-file', file]),
      (e: unknown) => isGanymedeError(e) && e.field === 'token-file',
    );
    assert.throws(
      () => run(['-f', '-', '--token-file', file, '--with-secret']),
      (e: unknown) => isGanymedeError(e) && e.field === 'token-file',
    );
  });

  it('reads standard input and prints the CRD', () => {
    assert.match(run(['-f', '-', '-o', 'json']), /"kind": "List"/);
    assert.match(run(['--crd']), /name: jupyternotebooks\.ganymede\.dev/);
  });

  it('refuses bad flags by name', () => {
    assert.throws(
      () => run(['-f', '-', '-o', 'xml']),
      (e: unknown) => isGanymedeError(e) && e.field === 'output',
    );
    assert.throws(
      () => run(['-f', '-', '-n', 'Bad_NS']),
      (e: unknown) => isGanymedeError(e) && e.field === 'namespace',
    );
    assert.throws(
      () => run([]),
      (e: unknown) => isGanymedeError(e) && e.field === 'filename',
    );
    assert.throws(() => run(['--frobnicate']), /Unknown option/);
  });
});
