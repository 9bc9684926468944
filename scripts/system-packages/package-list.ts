// Reads scripts/system-packages.txt: the one list of system programs the project runs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DebianPackage {
  readonly name: string;
  readonly group: string;
  /** Names on PATH or absolute paths. */
  readonly commands: readonly string[];
}

export interface PackageList {
  readonly debian: readonly DebianPackage[];
  /** Commands installed some other way (the machine's Node.js, Go, npm packages, a venv). */
  readonly elsewhere: ReadonlyMap<string, string>;
}

export const GROUPS = ['base', 'start', 'test', 'bench'] as const;

export function parsePackageList(text: string): PackageList {
  const debian: DebianPackage[] = [];
  const elsewhere = new Map<string, string>();
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') continue;
    if (line.startsWith('@elsewhere ')) {
      const [names = '', where = ''] = line.slice('@elsewhere '.length).split(' -- ');
      if (where.trim() === '') throw new Error(`line ${index + 1}: @elsewhere needs "-- <where>"`);
      for (const name of names.trim().split(/\s+/)) elsewhere.set(name, where.trim());
      continue;
    }
    const [name, group, ...commands] = line.split(/\s+/);
    if (!name || !group || !(GROUPS as readonly string[]).includes(group)) {
      throw new Error(`line ${index + 1}: expected "<package> <${GROUPS.join('|')}> <commands…>"`);
    }
    debian.push({ name, group, commands });
  }
  return { debian, elsewhere };
}

export function readPackageList(root: string): PackageList {
  return parsePackageList(readFileSync(join(root, 'scripts/system-packages.txt'), 'utf8'));
}

/** The package (or the @elsewhere note) that provides `command`, matched by name or path. */
export function providerOf(list: PackageList, command: string): string | undefined {
  const base = command.split('/').pop() ?? command;
  for (const p of list.debian) {
    for (const c of p.commands) {
      if (c === command || (!command.startsWith('/') && c.split('/').pop() === base)) return p.name;
      if (command.startsWith('/') && !c.startsWith('/') && c === base) return p.name;
    }
  }
  const note = list.elsewhere.get(base);
  return note === undefined ? undefined : `elsewhere: ${note}`;
}
