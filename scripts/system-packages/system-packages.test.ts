// The system-package check (issue 11): every program the code runs has a package in
// scripts/system-packages.txt, the list's commands really are in those packages, and only
// scripts/ensure-system.sh installs packages.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parsePackageList, providerOf, readPackageList } from './package-list.ts';
import { shellCommands } from './shell-commands.ts';
import { tsCommands } from './ts-commands.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const SCANNED = ['src', 'test', 'scripts', 'bench', '.ci'];

interface Found {
  readonly command: string;
  readonly where: string;
}

function sourceFiles(): string[] {
  const files: string[] = [];
  for (const top of SCANNED) {
    for (const entry of readdirSync(join(root, top), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      if (/\.(ts|sh)$/.test(entry.name) || relative(root, path) === '.ci/run') files.push(path);
    }
  }
  return files;
}

function commandsInCode(): Found[] {
  const found: Found[] = [];
  for (const path of sourceFiles()) {
    const text = readFileSync(path, 'utf8');
    const rel = relative(root, path);
    const commands = path.endsWith('.ts') ? tsCommands(path, text) : shellCommands(text);
    for (const c of commands) found.push({ command: c.command, where: `${rel}:${c.line}` });
  }
  return found;
}

describe('system packages', () => {
  const list = readPackageList(root);
  const found = commandsInCode();

  it('finds the programs the code runs (the scanner works on this tree)', () => {
    const names = new Set(found.map((f) => f.command));
    for (const known of ['/usr/sbin/nginx', 'ip', 'openssl', 'podman', 'buildah', 'go', 'npm']) {
      assert.ok(names.has(known), `expected the scan to find ${known}`);
    }
  });

  it('names a package (or another source) for every program the code runs', () => {
    const orphans = found.filter((f) => providerOf(list, f.command) === undefined);
    assert.deepEqual(
      orphans.map((f) => `${f.command} (${f.where}) has no package in scripts/system-packages.txt`),
      [],
    );
  });

  it('installs packages in one place only: scripts/ensure-system.sh', () => {
    const installers = found.filter(
      (f) =>
        /^(apt-get|apt|aptitude)$/.test(f.command) &&
        !f.where.startsWith('scripts/ensure-system.sh:'),
    );
    assert.deepEqual(
      installers.map((f) => `${f.command} at ${f.where}`),
      [],
    );
  });

  it('lists commands that really are in their packages (checked with dpkg on this machine)', (t) => {
    let dpkgWorks = true;
    try {
      execFileSync('dpkg-query', ['--version'], { stdio: 'ignore' });
    } catch {
      dpkgWorks = false;
    }
    if (!dpkgWorks) {
      assert.notEqual(process.env['CI'], 'true', 'under CI=true this check needs dpkg');
      t.skip('no dpkg on this machine');
      return;
    }
    const problems: string[] = [];
    for (const p of list.debian) {
      const status = dpkgStatus(p.name);
      if (status !== 'installed') {
        // npm test runs ensure-system.sh (start, test) before this tier.
        if (process.env['CI'] === 'true' && p.group !== 'bench') {
          problems.push(`${p.name} is not installed although npm test installs it first`);
        }
        continue;
      }
      const files = packageFiles(p.name);
      for (const c of p.commands) {
        // An alternatives link (`awk` → /etc/alternatives/awk → mawk) is found by its target.
        const target = resolveOnPath(c);
        if (!files.some((f) => providesCommand(f, c) || (target !== undefined && f === target))) {
          problems.push(`${c} is not in ${p.name} or what it depends on`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });
});

describe('parsePackageList', () => {
  it('reads packages, groups, commands and @elsewhere notes', () => {
    const list = parsePackageList(
      '# c\nnginx-light test /usr/sbin/nginx  # why\nx base a b\n@elsewhere go -- on the machine\n',
    );
    assert.deepEqual(list.debian, [
      { name: 'nginx-light', group: 'test', commands: ['/usr/sbin/nginx'] },
      { name: 'x', group: 'base', commands: ['a', 'b'] },
    ]);
    assert.equal(providerOf(list, 'nginx'), 'nginx-light');
    assert.equal(providerOf(list, '/usr/bin/a'), 'x');
    assert.equal(providerOf(list, 'go'), 'elsewhere: on the machine');
    assert.equal(providerOf(list, 'wrk'), undefined);
  });

  it('refuses an unknown group, naming the line', () => {
    assert.throws(() => parsePackageList('nginx-light tests nginx\n'), /line 1: expected/);
  });
});

describe('shellCommands', () => {
  const commands = (s: string): string[] => shellCommands(s).map((c) => c.command);

  it('finds commands after separators, in substitutions and behind wrappers', () => {
    const script = [
      'set -euo pipefail',
      'x=$(dirname "$0") && cd "$x"',
      'if ! command -v nginx >/dev/null; then exec /usr/sbin/nginx -t; fi',
      'grep -q a b | sed s/a/b/ || nice -n 19 go build',
      'echo "size: $(du -s "$d" | cut -f1)" # comment: rm -rf /',
      'FOO=bar wrk -v',
    ].join('\n');
    assert.deepEqual(commands(script), [
      'dirname',
      '/usr/sbin/nginx',
      'grep',
      'sed',
      'go',
      'du',
      'cut',
      'wrk',
    ]);
  });

  it('skips data: quoted strings, arrays, here-documents, arithmetic, functions', () => {
    const script = [
      'need+=(buildah podman)',
      'log() { echo "$*"; }',
      'log "running podman now"',
      "printf '%s\\n' 'curl x' > f",
      'cat <<EOF',
      'wget http://x',
      'EOF',
      'echo $((a + b))',
      '"$venv/bin/pip" install -r r.txt',
    ].join('\n');
    assert.deepEqual(commands(script), ['cat']);
  });
});

describe('tsCommands', () => {
  it('finds literal programs, same-file constants and promisified launchers', () => {
    const source = [
      "import { execFile, spawn } from 'node:child_process';",
      "const NGINX = '/usr/sbin/nginx';",
      'const run = promisify(execFile);',
      "spawn(NGINX, ['-t']);",
      "execFileSync('ip', ['link']);",
      "run('podman', ['ps']);",
      'spawn(process.execPath, []);',
      "/x/.exec('y');",
    ].join('\n');
    assert.deepEqual(
      tsCommands('x.ts', source).map((c) => c.command),
      ['/usr/sbin/nginx', 'ip', 'podman'],
    );
  });
});

function dpkgStatus(name: string): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${db:Status-Status}', name], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return 'unknown';
  }
}

/** The files of `name` and of the packages it (pre-)depends on directly. */
function packageFiles(name: string): string[] {
  const depends = execFileSync('dpkg-query', ['-W', '-f=${Pre-Depends}, ${Depends}', name], {
    encoding: 'utf8',
  });
  const names = [name];
  for (const alternative of depends.split(',')) {
    const first = alternative
      .split('|')[0]
      ?.trim()
      .split(/[\s:(]/)[0];
    if (first) names.push(first);
  }
  const files: string[] = [];
  for (const n of names) {
    try {
      files.push(
        ...execFileSync('dpkg', ['-L', n], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }).split('\n'),
      );
    } catch {
      // A virtual package or an uninstalled alternative: nothing to list.
    }
  }
  return files;
}

/** Where `command` really is on PATH (links followed), in dpkg's /usr-merged form. */
function resolveOnPath(command: string): string | undefined {
  const dirs = command.startsWith('/') ? [''] : ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const dir of dirs) {
    const path = dir === '' ? command : join(dir, command);
    if (existsSync(path)) return realpathSync(path);
  }
  return undefined;
}

/** Whether a package file is `command` (a path, /usr-merged, or a name in a bin folder). */
function providesCommand(file: string, command: string): boolean {
  const unmerged = (p: string): string => p.replace(/^\/usr(?=\/s?bin\/)/, '');
  if (command.startsWith('/')) return unmerged(file) === unmerged(command);
  return /\/s?bin\/[^/]+$/.test(file) && file.endsWith(`/${command}`);
}
