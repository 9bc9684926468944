/**
 * Re-renders a result page from its JSON (after a change to report.ts):
 * node bench/spawn/render.ts bench/results/spawn.json
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { renderMarkdown, type RunResult } from './report.ts';

const file = process.argv[2];
if (!file?.endsWith('.json')) throw new Error('usage: render.ts RESULT.json');
const result = JSON.parse(readFileSync(file, 'utf8')) as RunResult;
writeFileSync(file.replace(/\.json$/, '.md'), renderMarkdown(result));
