import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import {
  asCommitted,
  chartPaths,
  readmeWithTable,
  valueRows,
  valuesJsonSchema,
} from './chart-files.ts';
import { GANYMEDE_VERSION } from '../version.ts';
import { chartValuesSchema } from './values-schema.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const valuesYaml = read(chartPaths.values);

describe('the chart files generated from schemas', () => {
  it('values.yaml is valid under the chart schema (every key known, every type right)', () => {
    const r = chartValuesSchema.safeParse(parse(valuesYaml));
    assert.ok(r.success, JSON.stringify(r.error?.issues));
  });

  it('values.schema.json is fresh (run `node scripts/chart-files.ts`)', async () => {
    assert.equal(read(chartPaths.schema), await asCommitted(chartPaths.schema, valuesJsonSchema()));
  });

  it("the README's values table is fresh and every value is documented", async () => {
    const readme = read(chartPaths.readme);
    assert.equal(readme, await asCommitted(chartPaths.readme, readmeWithTable(readme, valuesYaml)));
    const rows = valueRows(valuesYaml);
    assert.ok(rows.length > 50, `${String(rows.length)} rows`);
    const undocumented = rows.filter((r) => r.description === '').map((r) => r.key);
    assert.deepEqual(undocumented, [], 'give these a `# --` comment in values.yaml');
  });

  it("the chart's appVersion is Ganymede's version (ganymede --version)", () => {
    const chart = parse(read('deploy/helm/ganymede/Chart.yaml')) as { appVersion: string };
    assert.equal(chart.appVersion, GANYMEDE_VERSION);
  });

  it('the table reads helm-docs comments, including on a map’s first key', () => {
    const rows = valueRows(
      [
        '# header of the file',
        '',
        '# -- how many',
        'replicas: 1',
        'image:',
        '  # -- where from',
        '  repository: r',
        '  # -- which',
        '  tag: ""',
        '# -- passed through',
        'resources:',
        '  limits: { memory: 1Gi }',
      ].join('\n'),
    );
    assert.deepEqual(rows, [
      { key: 'replicas', type: 'int', default: '1', description: 'how many' },
      { key: 'image.repository', type: 'string', default: '"r"', description: 'where from' },
      { key: 'image.tag', type: 'string', default: '""', description: 'which' },
      {
        key: 'resources',
        type: 'object',
        default: '{"limits":{"memory":"1Gi"}}',
        description: 'passed through',
      },
    ]);
  });
});
