/**
 * The hub image, built and run for real: scripts/build-image.sh builds deploy/docker/Dockerfile
 * with buildah (on a locally assembled stand-in for node:24-bookworm-slim, since no registry is
 * reachable here), and podman runs it the way the Helm chart's hub Deployment does: uid 10001,
 * read-only root, /tmp a tmpfs, /var/lib/ganymede a volume writable by group 10001 (fsGroup),
 * all capabilities dropped, no privilege escalation, and no /etc/passwd entry for the user
 * (podman adds one by default; Kubernetes does not). Checks: the process is uid 10001, Node.js
 * is 24, /health, /ready and /hub/login answer 200 and the administrator signs in.
 *
 * Local mode also wants a `jupyter` command at start-up, which the hub image does not contain
 * (notebooks run elsewhere: pods on Kubernetes): the run below names /bin/true as it, so the
 * hub starts; only the hub is checked here, no notebook. Needs root (rootful buildah and
 * podman); under CI=true it never skips.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chownSync, chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Browser } from '../../helpers/test-hub.ts';

const run = promisify(execFile);
const root = new URL('../../../', import.meta.url).pathname;
const HUB_UID = 10001;
const ADMIN_PASSWORD = 'image-test-admin-password';
const isRoot = process.getuid?.() === 0;
const inCi = process.env['CI'] === 'true';

if (!isRoot && inCi) {
  throw new Error(
    'test/integration/image needs root (rootful buildah and podman; scripts/build-image.sh ' +
      'installs them with apt-get) and CI=true allows no skip',
  );
}
const skip = isRoot ? false : 'needs root: rootful buildah and podman (scripts/build-image.sh)';

interface Built {
  readonly image: string;
  readonly id: string;
  readonly size: number;
  readonly containersConf: string;
  readonly seconds: number;
}

/** Runs scripts/build-image.sh; its last lines are `key: value`. Fails with its output. */
async function buildImage(): Promise<Built> {
  const started = performance.now();
  const child = spawn('bash', [join(root, 'scripts/build-image.sh')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) {
    throw new Error(`scripts/build-image.sh exited ${String(code)}:\n${err.slice(-8000)}`);
  }
  const field = (key: string): string => {
    const m = new RegExp(`^${key}: (\\S+)`, 'm').exec(out);
    assert.ok(m?.[1], `scripts/build-image.sh printed no "${key}:" line:\n${out}`);
    return m[1];
  };
  return {
    image: field('image'),
    id: field('id'),
    size: Number(field('size')),
    containersConf: field('containers-conf'),
    seconds: (performance.now() - started) / 1000,
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(address && typeof address === 'object');
  return address.port;
}

describe('hub image built from deploy/docker/Dockerfile, run with podman', { skip }, () => {
  let built: Built | undefined;
  let dataDir = '';
  let base = '';
  const name = `ganymede-image-test-${String(process.pid)}`;

  const need = (): Built => {
    assert.ok(built, 'built in before()');
    return built;
  };
  /** podman with the settings the build script wrote for this machine. */
  const podman = async (args: string[], timeout = 120_000) => {
    const env = { ...process.env, CONTAINERS_CONF: need().containersConf };
    return run('podman', args, { env, timeout, maxBuffer: 16 * 1024 * 1024 });
  };
  const logs = async (): Promise<string> => {
    try {
      const { stdout, stderr } = await podman(['logs', name]);
      return `${stdout}${stderr}`.slice(-4000);
    } catch (e) {
      return `(no logs: ${(e as Error).message})`;
    }
  };

  before(async () => {
    built = await buildImage();
    // The chart's emptyDir with fsGroup 10001: group-owned by the hub's group, setgid.
    dataDir = mkdtempSync(join(tmpdir(), 'ganymede-image-data-'));
    chownSync(dataDir, HUB_UID, HUB_UID);
    chmodSync(dataDir, 0o2770);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    await podman(['rm', '--force', '--ignore', name]);
    await podman([
      'run',
      '--detach',
      `--name=${name}`,
      // Its own network namespace (user-mode networking): the image's default CMD listens on
      // 0.0.0.0:8000 there, published on this machine's loopback only.
      '--network=slirp4netns',
      `--publish=127.0.0.1:${port}:8000`,
      // The chart's podSecurityContext and securityContext.
      `--user=${HUB_UID}:${HUB_UID}`,
      '--read-only',
      '--tmpfs=/tmp:rw,size=256m,mode=1777',
      `--volume=${dataDir}:/var/lib/ganymede`,
      '--cap-drop=ALL',
      '--security-opt=no-new-privileges',
      '--passwd=false',
      `--env=GANYMEDE_ADMIN_PASSWORD=${ADMIN_PASSWORD}`,
      '--env=GANYMEDE_JUPYTER=/bin/true',
      need().image,
    ]);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const health = await fetch(`${base}/health`).catch(() => undefined);
      if (health?.status === 200) break;
      if (Date.now() > deadline) {
        throw new Error(`the hub in the container never answered /health:\n${await logs()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });

  after(async () => {
    // Always: the container, then its data (files owned by uid 10001, removable by root).
    if (built) await podman(['rm', '--force', '--ignore', '--time=10', name]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('builds with buildah, and the script prints the image id and size', (t) => {
    const b = need();
    t.diagnostic(
      `${b.image} ${b.id.slice(0, 12)}: ${String(Math.round(b.size / 1e6))} MB, ` +
        `scripts/build-image.sh took ${b.seconds.toFixed(1)} s`,
    );
    assert.match(b.id, /^[0-9a-f]{64}$/);
    assert.ok(b.size > 50e6 && b.size < 2e9, `size ${String(b.size)} bytes`);
  });

  it('runs Node.js 24 and keeps the Dockerfile’s user, entrypoint and command', async () => {
    const { stdout: version } = await podman(['exec', name, 'node', '--version']);
    assert.match(version.trim(), /^v24\./);
    const { stdout } = await podman(['image', 'inspect', '--format={{json .Config}}', need().id]);
    const config = JSON.parse(stdout) as { User: string; Entrypoint: string[]; Cmd: string[] };
    assert.equal(config.User, `${HUB_UID}:${HUB_UID}`);
    assert.deepEqual(config.Entrypoint, ['node', 'src/cli/main.ts']);
    assert.deepEqual(config.Cmd, ['serve', '--host=0.0.0.0', '--data-dir=/var/lib/ganymede']);
  });

  it('the hub process is uid 10001, on this machine too (no user namespace)', async () => {
    const { stdout } = await podman(['top', name, 'user', 'huser', 'group', 'args']);
    const rows = stdout.trim().split('\n').slice(1);
    const hub = rows.find((r) => r.includes('src/cli/main.ts serve'));
    assert.ok(hub, stdout);
    assert.deepEqual(hub.trim().split(/\s+/).slice(0, 3), ['10001', '10001', '10001']);
    const { stdout: ids } = await podman([
      'exec',
      name,
      'node',
      '-p',
      'process.getuid() + ":" + process.getgid()',
    ]);
    assert.equal(ids.trim(), `${HUB_UID}:${HUB_UID}`);
  });

  it('serves /health, /ready and the sign-in page; the administrator signs in', async () => {
    for (const path of ['/health', '/ready', '/hub/login']) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 200, `${path}: ${res.status}\n${await logs()}`);
      if (path === '/hub/login') assert.match(await res.text(), /<form[^>]*>/);
    }
    const browser = new Browser(base);
    await browser.signIn('admin', ADMIN_PASSWORD);
    assert.equal(browser.user, 'admin');
    const home = await browser.navigate('/hub/home');
    assert.equal(home.status, 200);
  });

  it('writes its store to the volume, and cannot write its own code or root', async () => {
    const store = join(dataDir, 'ganymede.sqlite');
    assert.ok(existsSync(store), 'the SQLite store is on the volume');
    assert.equal(statSync(store).uid, HUB_UID);
    const write = (path: string) =>
      podman([
        'exec',
        name,
        'node',
        '-e',
        `require("fs").writeFileSync(${JSON.stringify(path)}, "x")`,
      ]);
    // EROFS, not EACCES: the file system refuses before permissions are even looked at.
    await assert.rejects(write('/app/src/cli/main.ts'), /EROFS/);
    await assert.rejects(write('/etc/ganymede-test'), /EROFS/);
    await write('/tmp/scratch');
  });

  it('holds only the runtime: package.json, production node_modules, src without tests, the one-file Kubernetes client', async () => {
    const script = [
      'const fs = require("fs");',
      'const tests = fs.readdirSync("src", { recursive: true }).filter((f) => f.endsWith(".test.ts"));',
      'console.log(JSON.stringify({ app: fs.readdirSync(".").sort(), tests: tests.length,',
      '  build: fs.readdirSync(".build"),',
      '  dev: fs.existsSync("node_modules/typescript") || fs.existsSync("node_modules/esbuild") }));',
    ].join('\n');
    const { stdout } = await podman(['exec', name, 'node', '-e', script]);
    assert.deepEqual(JSON.parse(stdout), {
      app: ['.build', 'node_modules', 'package.json', 'src'],
      tests: 0,
      build: ['kubernetes-client.mjs'],
      dev: false,
    });
    // The Kubernetes backend and the operator import it by this name (package.json `imports`).
    const client = await podman([
      'exec',
      name,
      'node',
      '--input-type=module',
      '-e',
      "const k = await import('#kubernetes-client'); console.log(typeof k.KubeConfig, typeof k.ListWatch);",
    ]);
    assert.equal(client.stdout.trim(), 'function function');
  });

  it('with no volume and no jupyter, the default command stops with a clear message', async () => {
    // Exercises the image's own /var/lib/ganymede (owned by 10001: the store opens) and the
    // local-mode check that follows it.
    const failed = await podman(['run', '--rm', '--network=none', need().image]).then(
      () => undefined,
      (e: unknown) => e as { code: number; stderr: string },
    );
    assert.ok(failed, 'the container should exit non-zero');
    // 2: the CLI's exit code for a configuration to fix (src/cli/main.ts).
    assert.equal(failed.code, 2, failed.stderr);
    assert.match(failed.stderr, /Cannot run "jupyter lab --version"/);
    assert.doesNotMatch(failed.stderr, /EACCES|EROFS/);
  });
});
