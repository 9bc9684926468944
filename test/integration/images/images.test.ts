/**
 * The real node's images (test/cluster/images/), without a kubelet: built (or found in the
 * cache), served by a registry of this run, found by their real names through the registry
 * mirrors containerd is given, and run with podman the way a pod runs them.
 *
 * podman here uses its own storage in this test's folder (never podman's default storage,
 * which scripts/build-image.sh fills) and pulls by real name through registries.conf mirrors
 * that mirror containerd's hosts.toml. Needs root (rootful buildah and podman); under CI=true
 * it never skips, and pause and CoreDNS are required (GANYMEDE_CLUSTER_BIN, from
 * test/cluster/build.sh, which npm test exports).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { jupyterCommand, readinessPath } from '../../../src/kubernetes/resources/deployment.ts';
import { notebookSpecSchema } from '../../../src/notebook-spec/schema.ts';
import {
  busyboxImage,
  containerdMirrors,
  ensureImages,
  httpServerImage,
  mirroredHosts,
  notebookImage,
  notebookImages,
  parseReference,
  pauseImage,
  pushImages,
  startRegistry,
  type ImageSet,
  type MirrorFile,
  type TestRegistry,
} from '../../cluster/images/registry.ts';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const inCi = process.env['CI'] === 'true';
const binDir = process.env['GANYMEDE_CLUSTER_BIN'];

if (inCi && !isRoot) {
  throw new Error(
    'test/integration/images needs root (rootful buildah and podman); CI=true allows no skip',
  );
}
if (inCi && !binDir) {
  throw new Error(
    'test/integration/images needs GANYMEDE_CLUSTER_BIN (test/cluster/build.sh) under CI=true',
  );
}
const skip = isRoot ? false : 'needs root: rootful buildah and podman';
const noBinaries = binDir ? false : 'GANYMEDE_CLUSTER_BIN is not set (test/cluster/build.sh)';

/** Docker's and OCI's manifest types, as containerd asks for them. */
const ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/**
 * What containerd does with certs.d for a pull (docs/hosts.md): the `[host."…"]` entries of
 * `<registry>/hosts.toml` first, in order, then `server`; each at `<host>/v2/<repository>/…`.
 */
function endpointsFor(reference: string, files: readonly MirrorFile[]): string[] {
  const { registry } = parseReference(reference);
  const file = files.find((f) => f.path === `${registry}/hosts.toml`);
  if (!file) return [`https://${registry}`];
  const hosts = [...file.content.matchAll(/^\[host\."([^"]+)"\]/gm)].map((m) => m[1] ?? '');
  const server = /^server = "([^"]+)"/m.exec(file.content)?.[1];
  return [...hosts, ...(server ? [server] : [])];
}

async function manifestThroughMirrors(
  reference: string,
  files: readonly MirrorFile[],
): Promise<{ status: number; digest: string | null; endpoint: string }> {
  const { repository, tag } = parseReference(reference);
  const [endpoint = ''] = endpointsFor(reference, files);
  const res = await fetch(`${endpoint}/v2/${repository}/manifests/${tag}`, {
    headers: { accept: ACCEPT },
  });
  await res.arrayBuffer();
  return { status: res.status, digest: res.headers.get('docker-content-digest'), endpoint };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(address && typeof address === 'object');
  return address.port;
}

describe('real-node images: built here, served by real name, run like pods', { skip }, () => {
  let images: ImageSet | undefined;
  let registry: TestRegistry | undefined;
  let dir = '';
  let registriesConf = '';
  const containers: string[] = [];

  const need = (): { images: ImageSet; registry: TestRegistry } => {
    assert.ok(images && registry, 'set up in before()');
    return { images, registry };
  };
  /** podman with this test's own storage, the images' containers.conf and our mirrors. */
  const podman = async (args: string[], timeout = 180_000) => {
    const env = {
      ...process.env,
      CONTAINERS_CONF: need().images.containersConf,
      CONTAINERS_REGISTRIES_CONF: registriesConf,
    };
    const storage = ['--root', join(dir, 'podman/root'), '--runroot', join(dir, 'podman/run')];
    return run('podman', [...storage, '--storage-driver', 'overlay', ...args], {
      env,
      timeout,
      maxBuffer: 16 * 1024 * 1024,
    });
  };
  const podmanFails = async (args: string[]): Promise<{ code: number; output: string }> => {
    try {
      const { stdout, stderr } = await podman(args);
      return { code: 0, output: stdout + stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: err.code ?? -1, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
    }
  };
  const detached = async (name: string, args: string[]): Promise<void> => {
    containers.push(name);
    await podman(['run', '-d', '--name', name, ...args]);
  };
  const logs = async (name: string): Promise<string> => {
    const { stdout, stderr } = await podman(['logs', name]);
    return stdout + stderr;
  };
  /** GET from inside a container of the notebook image (which has python3, no curl). */
  const getInside = async (name: string, url: string): Promise<string> => {
    const script = `import urllib.request; print(urllib.request.urlopen(${JSON.stringify(url)}, timeout=5).read().decode())`;
    const { stdout } = await podman(['exec', name, 'python3', '-c', script]);
    return stdout;
  };
  const until = async <T>(
    what: string,
    probe: () => Promise<T>,
    timeoutMs = 60_000,
  ): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await probe();
      } catch (e) {
        if (Date.now() > deadline) {
          throw new Error(`${what}: ${(e as Error).message}`, { cause: e });
        }
        await delay(250);
      }
    }
  };

  before(async () => {
    const started = performance.now();
    images = await ensureImages({ binDir });
    const built = performance.now();
    dir = await mkdtemp(join(tmpdir(), 'ganymede-images-test-'));
    registry = await startRegistry({ dir: join(dir, 'registry'), images });
    const served = performance.now();
    process.stderr.write(
      `[images test] ensureImages ${((built - started) / 1000).toFixed(2)} s, ` +
        `registry (copy + start) ${((served - built) / 1000).toFixed(2)} s\n`,
    );
    // podman's equivalent of containerd's hosts.toml: mirrors first, by real name.
    registriesConf = join(dir, 'registries.conf');
    await writeFile(
      registriesConf,
      mirroredHosts
        .map(
          (host) =>
            `[[registry]]\nprefix = "${host}"\nlocation = "${host}"\n` +
            `[[registry.mirror]]\nlocation = "${registry?.host ?? ''}"\ninsecure = true\n`,
        )
        .join('\n'),
    );
  });

  after(async () => {
    for (const name of containers) await podmanFails(['rm', '-f', '-t', '0', name]);
    if (dir) {
      await podmanFails(['rmi', '-af']);
      await registry?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the images as the project does, and the registry answers for every name through the mirrors', async () => {
    const { images, registry } = need();
    for (const name of [notebookImage, ...notebookImages, busyboxImage, httpServerImage]) {
      assert.ok(images.references.includes(name), `${name} is built`);
    }
    if (binDir) {
      assert.ok(images.references.includes(pauseImage));
      assert.match(
        images.coreDnsImage ?? '',
        /^registry\.k8s\.io\/coredns\/coredns:v\d+\.\d+\.\d+$/,
      );
    }
    const files = containerdMirrors(registry.host);
    assert.deepEqual(
      files.map((f) => f.path),
      mirroredHosts.map((h) => `${h}/hosts.toml`),
    );
    for (const image of images.images) {
      for (const reference of image.references) {
        const got = await manifestThroughMirrors(reference, files);
        assert.equal(got.endpoint, `http://${registry.host}`, reference);
        assert.equal(got.status, 200, reference);
        assert.equal(got.digest, image.digest, reference);
      }
    }
    // An image that was never built: the mirror says 404, so containerd goes on to the real
    // registry, unreachable here, and the pod gets the real ErrImagePull.
    const missing = await manifestThroughMirrors(
      'quay.io/jupyter/no-such-notebook:2020-01-01',
      files,
    );
    assert.equal(missing.status, 404);
  });

  it('serves a copy: pushing into this run’s registry leaves the cached seed as it was', async () => {
    const { images, registry } = need();
    const busybox = images.images.find((i) => i.name === 'busybox');
    assert.ok(busybox);
    const tagLink =
      'docker/registry/v2/repositories/library/busybox/_manifests/tags/1.36/current/link';
    const blob = (digest: string): string =>
      `docker/registry/v2/blobs/sha256/${digest.slice(7, 9)}/${digest.slice(7)}/data`;
    const started = performance.now();
    await pushImages(registry.host, [
      { ...busybox, references: [busyboxImage, 'ganymede.test/pushed:1'] },
    ]);
    const pushed = performance.now() - started;
    const files = containerdMirrors(registry.host);
    assert.equal(
      (await manifestThroughMirrors('ganymede.test/pushed:1', files)).digest,
      busybox.digest,
    );
    // Blobs are shared (hard links), tag files are not.
    assert.equal(
      (await stat(join(images.seed, blob(busybox.digest)))).ino,
      (await stat(join(registry.storage, blob(busybox.digest)))).ino,
    );
    assert.notEqual(
      (await stat(join(images.seed, tagLink))).ino,
      (await stat(join(registry.storage, tagLink))).ino,
    );
    await assert.rejects(stat(join(images.seed, 'docker/registry/v2/repositories/pushed')));
    process.stderr.write(`[images test] pushImages (busybox, 2 names) ${pushed.toFixed(0)} ms\n`);
  });

  it('the notebook image: jovyan 1000:100 in /home/jovyan, JupyterLab pinned, docker-stacks start scripts', async () => {
    const started = performance.now();
    await podman(['pull', '--quiet', notebookImage]);
    process.stderr.write(
      `[images test] podman pull ${notebookImage}: ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );
    const id = (await podman(['run', '--rm', '--network', 'none', notebookImage, 'id'])).stdout;
    assert.equal(id.trim(), 'uid=1000(jovyan) gid=100(users) groups=100(users)');
    const pwd = await podman([
      'run',
      '--rm',
      '--network',
      'none',
      notebookImage,
      'sh',
      '-c',
      'pwd; echo $HOME',
    ]);
    assert.equal(pwd.stdout, '/home/jovyan\n/home/jovyan\n');
    const pinned = /^jupyterlab==(\S+)$/m.exec(
      await readFile(new URL('../../../scripts/requirements-jupyter.txt', import.meta.url), 'utf8'),
    )?.[1];
    const version = await podman([
      'run',
      '--rm',
      '--network',
      'none',
      notebookImage,
      'jupyter',
      'lab',
      '--version',
    ]);
    assert.equal(version.stdout.trim(), pinned);
    // docker-stacks' default command path: start-notebook.sh → start-notebook.py → jupyter lab.
    const viaStart = await podman([
      'run',
      '--rm',
      '--network',
      'none',
      notebookImage,
      'start-notebook.sh',
      '--version',
    ]);
    assert.match(viaStart.stdout, /^Executing: jupyter lab --version\n/);
    assert.ok(viaStart.stdout.trim().endsWith(pinned ?? '?'));
    // The venv is jovyan's: users can pip install into it, as into docker-stacks' conda.
    const writable = await podman([
      'run',
      '--rm',
      '--network',
      'none',
      notebookImage,
      'sh',
      '-c',
      'touch /opt/venv/x && echo ok',
    ]);
    assert.equal(writable.stdout, 'ok\n');
  });

  it('the notebook image runs the operator’s exact command as a restricted pod would', async () => {
    const spec = notebookSpecSchema.parse({ image: notebookImage, baseUrl: '/user/alice/' });
    const { command, args } = jupyterCommand(spec);
    // The home volume as the kubelet leaves it with fsGroup 100: group users, setgid.
    const home = join(dir, 'home');
    await mkdir(home);
    await chown(home, 0, 100);
    await chmod(home, 0o2775);
    const name = `ganymede-images-nb-${String(process.pid)}`;
    await detached(name, [
      '--network',
      'none',
      '--user',
      '1000:100',
      '--group-add',
      '100',
      '--cap-drop',
      'all',
      '--security-opt',
      'no-new-privileges',
      '--env',
      'JUPYTER_TOKEN=images-test-token',
      '--workdir',
      '/home/jovyan',
      '--volume',
      `${home}:/home/jovyan`,
      '--entrypoint',
      JSON.stringify(command),
      notebookImage,
      ...args,
    ]);
    const api = await until(
      'the server answers its readiness path',
      () => getInside(name, `http://127.0.0.1:8888${readinessPath(spec)}`),
      90_000,
    ).catch(async (e: unknown) => {
      throw new Error(`${(e as Error).message}\n${await logs(name)}`);
    });
    assert.match(api, /"version"/);
    const contents = await getInside(
      name,
      `http://127.0.0.1:8888/user/alice/api/contents/?token=images-test-token`,
    );
    assert.match(contents, /"type": ?"directory"/);
    await podman(['exec', name, 'touch', '/home/jovyan/written-by-jovyan']);
    const written = await stat(join(home, 'written-by-jovyan'));
    assert.equal(written.uid, 1000);
    assert.equal(written.gid, 100);
  });

  it('the notebook image’s own command (tini → start.sh → start-notebook.py) serves on $JUPYTER_PORT', async () => {
    const name = `ganymede-images-nbcmd-${String(process.pid)}`;
    await detached(name, ['--network', 'none', '--env', 'JUPYTER_PORT=8890', notebookImage]);
    const api = await until(
      'the server answers /api',
      () => getInside(name, 'http://127.0.0.1:8890/api'),
      90_000,
    );
    assert.match(api, /"version"/);
    assert.match(await logs(name), /Executing: jupyter lab/);
    const top = await podman(['top', name, 'user', 'comm']);
    assert.match(top.stdout, /^\S+\s+tini$/m);
  });

  it('busybox: 1000:100, and a process over its memory limit is OOM-killed (exit 137)', async () => {
    const id = await podman(['run', '--rm', '--network', 'none', busyboxImage, 'id']);
    assert.equal(id.stdout.trim(), 'uid=1000(jovyan) gid=100(users) groups=100(users)');
    const small = await podmanFails([
      'run',
      '--rm',
      '--network',
      'none',
      '--memory',
      '64m',
      busyboxImage,
      'dd',
      'if=/dev/zero',
      'of=/dev/null',
      'bs=16M',
      'count=1',
    ]);
    assert.equal(small.code, 0, small.output);
    const big = await podmanFails([
      'run',
      '--rm',
      '--network',
      'none',
      '--memory',
      '64m',
      busyboxImage,
      'dd',
      'if=/dev/zero',
      'of=/dev/null',
      'bs=200M',
      'count=1',
    ]);
    assert.equal(big.code, 137, big.output);
  });

  it('the http-server image answers like http-server.ts and stops at once on SIGTERM', async () => {
    const port = await freePort();
    const name = `ganymede-images-http-${String(process.pid)}`;
    await detached(name, [
      '--network',
      'host',
      '--env',
      `PORT=${String(port)}`,
      '--env',
      'TEST_GREETING=hello "you"',
      httpServerImage,
    ]);
    const base = `http://127.0.0.1:${String(port)}`;
    const info = await until('the server answers', async () => {
      const res = await fetch(`${base}/`);
      return (await res.json()) as {
        uid: number;
        gid: number;
        cwd: string;
        env: Record<string, string>;
      };
    });
    assert.equal(info.uid, 1000);
    assert.equal(info.gid, 100);
    assert.equal(info.cwd, '/home/jovyan');
    assert.equal(info.env['TEST_GREETING'], 'hello "you"');
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const put = await fetch(`${base}/files/note.txt`, { method: 'PUT', body: 'some\nlines\n' });
    assert.equal(put.status, 204);
    assert.equal(await (await fetch(`${base}/files/note.txt`)).text(), 'some\nlines\n');
    assert.equal((await fetch(`${base}/files/absent`)).status, 404);
    await podman(['exec', name, 'touch', 'unhealthy']);
    assert.equal((await fetch(`${base}/healthz`)).status, 503);
    const started = performance.now();
    await podman(['stop', '-t', '20', name]);
    assert.ok(
      performance.now() - started < 5000,
      'stopped by SIGTERM, not by the SIGKILL after 20 s',
    );
  });

  it('pause: runs as 65535 and stops at once', { skip: noBinaries }, async () => {
    const name = `ganymede-images-pause-${String(process.pid)}`;
    await detached(name, ['--network', 'none', pauseImage]);
    const top = await podman(['top', name, 'user', 'comm']);
    assert.match(top.stdout, /^65535\s+pause$/m);
    const started = performance.now();
    await podman(['stop', '-t', '20', name]);
    assert.ok(performance.now() - started < 5000);
  });

  it(
    'CoreDNS: binds port 53 as 65532 with only NET_BIND_SERVICE, as kubeadm runs it',
    { skip: noBinaries },
    async () => {
      const { images } = need();
      const image = images.coreDnsImage ?? '';
      const corefile = join(dir, 'Corefile');
      await writeFile(corefile, '.:53 {\n  whoami\n  health :8080\n}\n');
      const name = `ganymede-images-coredns-${String(process.pid)}`;
      await detached(name, [
        '--network',
        'none',
        '--cap-drop',
        'all',
        '--cap-add',
        'NET_BIND_SERVICE',
        '--security-opt',
        'no-new-privileges',
        '--read-only',
        '--volume',
        `${corefile}:/etc/coredns/Corefile:ro`,
        image,
        '-conf',
        '/etc/coredns/Corefile',
      ]);
      const version = parseReference(image).tag.slice(1);
      const output = await until('CoreDNS serves .:53', async () => {
        const text = await logs(name);
        if (!text.includes(`CoreDNS-${version}`)) throw new Error(text || 'no output yet');
        return text;
      });
      assert.match(output, /^\.:53$/m);
      // huser: the uid as the host sees it (no user namespace), which no host user has.
      const uid = await podman(['top', name, 'huser', 'comm']);
      assert.match(uid.stdout, /^65532\s+coredns$/m);
      const state = await podman(['inspect', '--format', '{{.State.Running}}', name]);
      assert.equal(state.stdout.trim(), 'true', await logs(name));
    },
  );
});
