/**
 * Makes the test environment's `jupyter` runnable by a pod's user (runAsUser 1000).
 *
 * Why: a virtualenv's interpreter is a symlink to the Python it was made from. When that
 * Python lives somewhere only root may enter (pyenv under /root, as on our CI machines), a
 * non-root pod cannot start it. In that case we build a twin once: a venv from a Python of
 * the same minor version that everyone can run (/usr/bin/python3.X), a .pth file that adds
 * the original venv's site-packages, its console scripts re-pointed at the twin's
 * interpreter, and its share/ and etc/ (JupyterLab's assets and server config) linked in.
 * When the original works for others, it is used unchanged.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** uid/gid 65534 (nobody): if nobody can run it, every pod user can. */
function runsAsNobody(command: string, args: readonly string[]): boolean {
  // Through /bin/sh so that the exec of `command` itself happens without root's privileges.
  const res = spawnSync(
    'setpriv',
    [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      '--',
      '/bin/sh',
      '-c',
      'exec "$@"',
      'sh',
      command,
      ...args,
    ],
    { stdio: 'ignore', cwd: '/', timeout: 60_000 },
  );
  return res.status === 0;
}

export function jupyterForPods(jupyter: string): string {
  const srcBin = dirname(jupyter);
  const srcPython = join(srcBin, 'python');
  const probe = existsSync(srcPython)
    ? runsAsNobody(srcPython, ['-c', 'import jupyterlab'])
    : runsAsNobody(jupyter, ['lab', '--version']);
  if (probe) return jupyter;
  const srcVenv = dirname(srcBin);
  const cfg = readFileSync(join(srcVenv, 'pyvenv.cfg'), 'utf8');
  const version = /^version(?:_info)?\s*=\s*(\d+\.\d+)/m.exec(cfg)?.[1];
  if (!version) throw new Error(`${srcVenv}/pyvenv.cfg names no Python version`);
  const python = [`/usr/bin/python${version}`, `/usr/local/bin/python${version}`].find(
    (p) => existsSync(p) && runsAsNobody(p, ['-c', 'import venv']),
  );
  if (!python) {
    throw new Error(
      `${jupyter} cannot be run by non-root pod users (its Python is not reachable) and no ` +
        `python${version} usable by everyone was found to build a twin; install python${version} ` +
        `and python${version}-venv (Debian) or create .venv from such a Python`,
    );
  }
  const key = createHash('sha256').update(`${srcVenv}\n${python}`).digest('hex').slice(0, 12);
  const twin = join(tmpdir(), `ganymede-jupyter-runtime-${key}`);
  const twinJupyter = join(twin, 'bin', 'jupyter');
  // Built complete (renamed into place only at the end) by an earlier run.
  if (existsSync(twinJupyter)) return twinJupyter;

  const building = `${twin}.${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  execFileSync(python, ['-m', 'venv', '--without-pip', building], { stdio: 'ignore' });
  const sitePackages = join(srcVenv, 'lib', `python${version}`, 'site-packages');
  writeFileSync(
    join(building, 'lib', `python${version}`, 'site-packages', 'ganymede-test-environment.pth'),
    `${sitePackages}\n`,
  );
  const twinPython = join(twin, 'bin', 'python');
  for (const name of readdirSync(srcBin)) {
    const src = join(srcBin, name);
    let text: string;
    try {
      text = readFileSync(src, 'utf8');
    } catch {
      continue; // A directory or unreadable entry: not a console script.
    }
    const firstLine = text.split('\n', 1)[0] ?? '';
    if (!firstLine.startsWith(`#!${srcBin}/python`)) continue;
    const target = join(building, 'bin', name);
    writeFileSync(target, `#!${twinPython}\n${text.slice(firstLine.length + 1)}`);
    chmodSync(target, 0o755);
  }
  for (const dir of ['share', 'etc']) {
    if (existsSync(join(srcVenv, dir))) symlinkSync(join(srcVenv, dir), join(building, dir));
  }
  mkdirSync(dirname(twin), { recursive: true });
  rmSync(twin, { recursive: true, force: true });
  renameSync(building, twin);
  if (!runsAsNobody(twinJupyter, ['lab', '--version'])) {
    throw new Error(`built ${twin} for non-root pods, but its jupyter lab does not start`);
  }
  return twinJupyter;
}
