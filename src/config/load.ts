/**
 * Reads and validates the configuration. A wrong key or value stops start-up with one line
 * per problem naming the key, what is wrong, and an example of a right value.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { GanymedeError } from '../errors/ganymede-error.ts';
import { configExamples, configSchema, type Config } from './schema.ts';

/** `['profiles', 0, 'name']` → `profiles[0].name`. */
export function formatPath(
  path: readonly PropertyKey[],
  index: (i: number) => string = (i) => `[${i}]`,
): string {
  return path
    .map((p, i) => (typeof p === 'number' ? index(p) : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

export function describeIssues(issues: readonly z.core.$ZodIssue[], source: string): string {
  const lines = issues.map((issue) => {
    const key = formatPath(issue.path, (i) => `[${i}]`);
    const exampleKey = formatPath(issue.path, () => '[]');
    let problem = issue.message;
    if (issue.code === 'unrecognized_keys') {
      problem = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    }
    const example = configExamples[exampleKey];
    return `  ${key || '(top level)'}: ${problem}${example ? ` (example: ${example})` : ''}`;
  });
  return `Invalid configuration in ${source}:\n${lines.join('\n')}`;
}

export function parseConfig(input: unknown, source = 'configuration'): Config {
  const result = configSchema.safeParse(input ?? {});
  if (!result.success) {
    const first = result.error.issues[0];
    throw new GanymedeError('bad_request', describeIssues(result.error.issues, source), {
      ...(first ? { field: formatPath(first.path) } : {}),
    });
  }
  return result.data;
}

export function loadConfig(path: string | undefined): Config {
  if (path === undefined) return parseConfig({}, 'defaults');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new GanymedeError('bad_request', `Cannot read the configuration file ${path}`, {
      detail: (e as Error).message,
    });
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? ` line ${e.linePos[0].line}` : '';
    throw new GanymedeError('bad_request', `${path}${where}: not valid YAML`, {
      detail: (e as Error).message,
    });
  }
  return parseConfig(data, path);
}
