/**
 * The hub image definition, statically (test/integration/image/hub-image.test.ts builds it
 * with buildah and runs it with podman): the Dockerfile is validated by dockerfile-utils (the Docker language server's validator: every
 * instruction, flag and argument as the builder parses them) and its security properties are
 * checked: multi-stage, Node.js 24, a numeric non-root USER in the final stage, exec-form
 * ENTRYPOINT, no remote ADD, no install scripts; and the chart runs what it defines.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { validate } from 'dockerfile-utils';
import { find, renderChart } from './helm.ts';

const text = readFileSync(new URL('../../../deploy/docker/Dockerfile', import.meta.url), 'utf8');

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

/** Instructions with continuation lines joined; comments and blank lines dropped. */
function instructions(source: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  source.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) return;
    if (pending === '') start = i + 1;
    pending += (pending ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (line.endsWith('\\')) return;
    const [keyword = '', ...rest] = pending.split(/\s+/);
    out.push({ keyword: keyword.toUpperCase(), args: rest.join(' '), line: start });
    pending = '';
  });
  return out;
}

describe('deploy/docker/Dockerfile', () => {
  const all = instructions(text);
  const stages = all.filter((i) => i.keyword === 'FROM');
  const lastFrom = stages.at(-1);
  const finalStage = lastFrom ? all.slice(all.indexOf(lastFrom)) : [];

  it('has no errors or warnings from the Dockerfile validator', () => {
    const problems = validate(text);
    assert.deepEqual(
      problems.map((p) => `${String(p.range.start.line + 1)}: ${JSON.stringify(p.message)}`),
      [],
    );
  });

  it('the validator does catch a broken Dockerfile (so the check above can fail)', () => {
    assert.ok(validate('FROM node:24\nUSER\nENTRYPOINT node x.ts --flag=\n').length > 0);
  });

  it('is multi-stage on Node.js 24, the final stage copying from the first', () => {
    assert.ok(stages.length >= 2);
    const nodeImage = all.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_IMAGE='));
    assert.match(nodeImage?.args ?? '', /^NODE_IMAGE=node:24[-.]/);
    assert.ok(
      finalStage.some((i) => i.keyword === 'COPY' && i.args.includes('--from=dependencies')),
    );
    const install = all.find((i) => i.keyword === 'RUN' && i.args.includes('npm ci'));
    assert.match(install?.args ?? '', /--omit=dev/);
    assert.match(install?.args ?? '', /--ignore-scripts/);
  });

  it('runs as a numeric non-root user, with an exec-form entrypoint, nothing fetched by ADD', () => {
    const user = finalStage.filter((i) => i.keyword === 'USER').at(-1);
    assert.match(
      user?.args ?? '',
      /^[1-9][0-9]*(:[1-9][0-9]*)?$/,
      'numeric, so runAsNonRoot can verify it',
    );
    const entrypoint = finalStage.find((i) => i.keyword === 'ENTRYPOINT');
    assert.deepEqual(JSON.parse(entrypoint?.args ?? 'null'), ['node', 'src/cli/main.ts']);
    assert.ok(!all.some((i) => i.keyword === 'ADD'));
    assert.ok(finalStage.some((i) => i.keyword === 'EXPOSE' && i.args === '8000'));
  });

  it('matches what the chart runs: the same user, port and entrypoint arguments', async () => {
    const deployment = find(await renderChart(), 'Deployment') as unknown as {
      spec: {
        template: {
          spec: {
            securityContext: { runAsUser: number; runAsGroup: number };
            containers: {
              args: string[];
              ports: { containerPort: number }[];
              command?: string[];
            }[];
          };
        };
      };
    };
    const pod = deployment.spec.template.spec;
    const user = finalStage.filter((i) => i.keyword === 'USER').at(-1)?.args ?? '';
    assert.equal(user, `${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`);
    const [hub] = pod.containers;
    assert.ok(hub);
    assert.equal(hub.command, undefined, 'the chart keeps the image entrypoint');
    assert.equal(hub.args[0], 'serve');
    assert.equal(hub.ports[0]?.containerPort, 8000);
  });
});
