import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { notebookCrd, notebookCrdYaml } from './notebook-crd.ts';
import { toStructuralSchema } from './structural-schema.ts';

const committed = new URL(
  '../../../deploy/crd/jupyternotebooks.ganymede.dev.yaml',
  import.meta.url,
);

describe('notebook CRD', () => {
  it('deploy/crd holds exactly the CRD generated from the schema', () => {
    // When this fails, regenerate: bin/ganymede render --crd > deploy/crd/jupyternotebooks.ganymede.dev.yaml
    // (Compared as data: Prettier formats the committed file.)
    const text = readFileSync(committed, 'utf8');
    assert.deepEqual(parse(text), notebookCrd());
    assert.deepEqual(parse(notebookCrdYaml()), notebookCrd());
    assert.match(text, /^# Generated from src\/notebook-spec\//);
  });

  it('derives the spec schema, with defaults, from the zod schema', () => {
    const crd = JSON.stringify(notebookCrd());
    for (const needle of [
      '"required":["image"]',
      '"default":"lab"',
      '"enum":["lab","notebook","server"]',
      '"x-kubernetes-validations"',
      '"subresources":{"status":{}}',
      '"shortNames":["jnb"]',
    ]) {
      assert.ok(crd.includes(needle), needle);
    }
    assert.ok(!crd.includes('additionalProperties":false'), 'structural schemas refuse it');
    assert.ok(!crd.includes('9007199254740991'));
  });
});

describe('toStructuralSchema', () => {
  it('refuses what a CRD cannot hold', () => {
    assert.throws(
      () => toStructuralSchema({ type: 'object', properties: { a: { $ref: '#/x' } } }),
      /\.a uses "\$ref"/,
    );
    assert.throws(() => toStructuralSchema({ properties: {} }), /no type/);
    assert.throws(
      () =>
        toStructuralSchema({ type: 'object', properties: { q: { anyOf: [{ type: 'string' }] } } }),
      /\.q uses "anyOf"/,
    );
  });

  it('drops $schema and additionalProperties:false, keeps map value schemas', () => {
    assert.deepEqual(
      toStructuralSchema({
        $schema: 'x',
        type: 'object',
        additionalProperties: false,
        properties: { m: { type: 'object', additionalProperties: { type: 'string' } } },
      }),
      {
        type: 'object',
        properties: { m: { type: 'object', additionalProperties: { type: 'string' } } },
      },
    );
  });
});
