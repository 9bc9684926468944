/**
 * The images a real node runs, served under their real names by a registry of this test run:
 * Debian's docker-registry (distribution), listening on the host's end of the node's link,
 * serving a hard-linked copy of the registry folder test/cluster/images/build-node-images.sh
 * fills once and caches. containerd's mirrors (certs.d) send quay.io, docker.io and
 * registry.k8s.io references there, so manifests name images exactly as users' do.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { exitedReason } from '../control-plane/control-plane.ts';
import { ManagedProcess } from '../control-plane/managed-process.ts';
import { freeLoopbackPort } from '../control-plane/ports.ts';
import { waitFor } from '../control-plane/wait.ts';

const execFileAsync = promisify(execFile);
const buildScript = fileURLToPath(new URL('../images/build-node-images.sh', import.meta.url));

/** The notebook image, laid out like Jupyter's docker-stacks images. */
export const notebookImage = 'quay.io/jupyter/minimal-notebook:2025-06-02';
export const busyboxImage = 'docker.io/library/busybox:1.36';

/** Registries whose references the test registry answers for. */
const mirroredHosts = ['quay.io', 'docker.io', 'registry.k8s.io', 'ghcr.io'];

export interface NodeImages {
  /** host:port of the registry, on the host's end of the node's link. */
  readonly registry: string;
  /** containerd certs.d files (`<host>/hosts.toml`). */
  readonly mirrors: readonly { path: string; content: string }[];
  readonly coreDnsImage: string;
  /** Every image reference the registry holds. */
  readonly images: readonly string[];
  /**
   * Pushes an image from podman's storage (scripts/build-image.sh builds the hub image there)
   * under its real name, e.g. ghcr.io/ganymede/hub:test.
   */
  pushFromPodman(local: string, reference: string, containersConf: string): Promise<void>;
  stop(): Promise<void>;
  stopNow(): void;
}

/** Builds the images once (cached), then serves a copy of them on `address`. */
export async function startNodeImages(options: {
  dir: string;
  address: string;
  binDir: string;
}): Promise<NodeImages> {
  const { stdout } = await execFileAsync('bash', [buildScript, options.binDir], {
    maxBuffer: 1 << 20,
  });
  const seed = stdout.trim().split('\n').pop() ?? '';
  const images = (await readFile(join(seed, 'images'), 'utf8')).split('\n').filter(Boolean);
  const storage = join(options.dir, 'storage');
  await mkdir(options.dir, { recursive: true });
  // Hard links: instant, and a pull never writes, so the cached seed stays as it is.
  await execFileAsync('cp', ['-al', seed, storage]);
  let registryProcess: ManagedProcess | undefined;
  let registry = '';
  for (let attempt = 1; ; attempt++) {
    const port = await freeLoopbackPort();
    registry = `${options.address}:${port}`;
    const config = join(options.dir, 'config.yml');
    await writeFile(
      config,
      [
        'version: 0.1',
        'log: {level: warn}',
        `storage: {filesystem: {rootdirectory: ${storage}}, maintenance: {uploadpurging: {enabled: false}}}`,
        `http: {addr: "${registry}"}`,
        '',
      ].join('\n'),
    );
    // A managed process: killed with the harness even when the harness is SIGKILLed.
    const proc = new ManagedProcess('docker-registry', {
      command: 'docker-registry',
      args: ['serve', config],
      logFile: join(options.dir, 'registry.log'),
      cwd: options.dir,
    });
    registryProcess = proc;
    try {
      await waitFor(
        'the test registry',
        async () => ((await fetch(`http://${registry}/v2/`)).ok ? true : undefined),
        { timeoutMs: 10_000, intervalMs: 50, abortIf: () => exitedReason(proc) },
      );
      break;
    } catch (e) {
      await proc.stop(1000);
      if (attempt >= 3 || !proc.logTail().includes('address already in use')) throw e;
    }
  }
  const mirrors = mirroredHosts.map((host) => ({
    path: `${host}/hosts.toml`,
    content: [
      `server = "https://${host}"`,
      '',
      `[host."http://${registry}"]`,
      '  capabilities = ["pull", "resolve"]',
      '',
    ].join('\n'),
  }));
  const coreDnsImage = images.find((i) => i.startsWith('registry.k8s.io/coredns/'));
  if (!coreDnsImage) throw new Error(`no CoreDNS image in ${seed}`);
  const stopNow = (): void => {
    registryProcess.signal('SIGKILL');
  };
  return {
    registry,
    mirrors,
    coreDnsImage,
    images,
    pushFromPodman: async (local, reference, containersConf) => {
      const path = reference.slice(reference.indexOf('/') + 1);
      await execFileAsync(
        'podman',
        ['push', '--quiet', '--tls-verify=false', local, `docker://${registry}/${path}`],
        { env: { ...process.env, CONTAINERS_CONF: containersConf }, maxBuffer: 1 << 20 },
      );
    },
    stopNow,
    stop: async () => {
      await registryProcess.stop(2000);
    },
  };
}
