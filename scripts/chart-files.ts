/**
 * Writes the Helm chart's generated files (src/chart/chart-files.ts): values.schema.json and
 * the values table in the chart's README. Run after changing values.yaml or the config schema:
 *   node scripts/chart-files.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  asCommitted,
  chartPaths,
  readmeWithTable,
  valuesJsonSchema,
} from '../src/chart/chart-files.ts';

const root = new URL('../', import.meta.url);
const at = (path: string) => new URL(path, root);

const values = readFileSync(at(chartPaths.values), 'utf8');
writeFileSync(at(chartPaths.schema), await asCommitted(chartPaths.schema, valuesJsonSchema()));
const readme = readmeWithTable(readFileSync(at(chartPaths.readme), 'utf8'), values);
writeFileSync(at(chartPaths.readme), await asCommitted(chartPaths.readme, readme));
console.log(`wrote ${chartPaths.schema} and the values table in ${chartPaths.readme}`);
