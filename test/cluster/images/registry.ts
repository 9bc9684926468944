/**
 * A registry per test run, serving the images built here (images.ts) under their real names:
 * Debian's docker-registry (distribution 2.8) on <address>:<free port>, serving a copy of the
 * cached seed (blobs hard-linked, the small per-repository link files copied, so a push into
 * this run's registry never writes into the cache). containerd finds it through registry
 * mirrors (certs.d/<host>/hosts.toml, containerdMirrors()), so pods name images exactly as
 * users' pods do: `quay.io/jupyter/minimal-notebook:latest`, `registry.k8s.io/pause:3.10`.
 *
 * ```ts
 * const images = await ensureImages({ binDir });          // builds once, then < 1 s
 * const registry = await startRegistry({ dir, address, images });
 * await writeMirrors(certsDir, containerdMirrors(registry.host));
 * // … containerd pulls quay.io/jupyter/minimal-notebook:latest from registry.host
 * await registry.stop();
 * ```
 */
import { request } from 'node:http';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { ManagedProcess } from '../control-plane/managed-process.ts';
import { freeLoopbackPort } from '../control-plane/ports.ts';
import { waitFor } from '../control-plane/wait.ts';
import type { BuiltImage, ImageSet } from './images.ts';

export {
  busyboxImage,
  ensureImages,
  httpServerImage,
  imageNames,
  imagesCacheDir,
  notebookImage,
  notebookImages,
  pauseImage,
  shellImage,
} from './images.ts';
export type { BuiltImage, EnsureImagesOptions, ImageName, ImageSet } from './images.ts';

/** Registries whose references the test registry answers for (containerdMirrors' default). */
export const mirroredHosts: readonly string[] = [
  'quay.io',
  'docker.io',
  'registry.k8s.io',
  'ghcr.io', // the hub image, pushed by the tests that run it (ghcr.io/ganymede/hub:test)
  'ganymede.test',
];

export interface TestRegistry {
  /** `<address>:<port>`, e.g. `127.0.0.1:40123`. */
  readonly host: string;
  /** The storage folder it serves. */
  readonly storage: string;
  /** References it held when it started (the seed's). */
  readonly references: readonly string[];
  readonly logFile: string;
  /** SIGTERM, then SIGKILL after 2 s; idempotent. */
  stop(): Promise<void>;
  /** SIGKILL at once (an exit handler). */
  stopNow(): void;
}

export interface StartRegistryOptions {
  /** Folder for its config and log, and (unless `storage` is given) its storage, new or empty. */
  readonly dir: string;
  /** Address to listen on; default 127.0.0.1. A real node's containerd needs one it reaches. */
  readonly address?: string;
  /** Serve a copy of these images' seed (ensureImages()). */
  readonly images?: ImageSet;
  /** Serve this storage folder as it is, instead of `<dir>/storage`. */
  readonly storage?: string;
}

export async function startRegistry(options: StartRegistryOptions): Promise<TestRegistry> {
  const address = options.address ?? '127.0.0.1';
  const storage = options.storage ?? join(options.dir, 'storage');
  await mkdir(options.dir, { recursive: true });
  await mkdir(storage, { recursive: true });
  if (options.images) {
    if ((await readdir(storage)).length > 0) {
      throw new Error(
        `${storage} is not empty: a registry serves a copy of the images only in a new folder`,
      );
    }
    await copySeed(options.images.seed, storage);
  }
  const logFile = join(options.dir, 'registry.log');
  const config = join(options.dir, 'config.yml');
  for (let attempt = 1; ; attempt++) {
    const host = `${address}:${String(await freeLoopbackPort())}`;
    await writeFile(config, registryConfig(storage, host));
    const proc = new ManagedProcess('registry', {
      command: 'docker-registry',
      args: ['serve', config],
      logFile,
    });
    try {
      await waitFor(
        `the test registry on ${host}`,
        async () => ((await get(`http://${host}/v2/`)).status === 200 ? true : undefined),
        {
          timeoutMs: 15_000,
          intervalMs: 50,
          abortIf: () =>
            proc.exitInfo === undefined
              ? undefined
              : `docker-registry exited (${JSON.stringify(proc.exitInfo)}):\n${proc.logTail()}`,
        },
      );
    } catch (e) {
      await proc.stop(0);
      if (attempt < 3 && proc.logTail().includes('address already in use')) continue;
      throw e;
    }
    return {
      host,
      storage,
      references: options.images?.references ?? [],
      logFile,
      stop: async () => {
        await proc.stop(2000);
      },
      stopNow: () => {
        proc.signal('SIGKILL');
      },
    };
  }
}

/** docker-registry's configuration: filesystem storage, no background upload purging. */
function registryConfig(storage: string, host: string): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(storage)}`,
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: ${JSON.stringify(host)}`,
    '',
  ].join('\n');
}

/**
 * Copies a registry storage folder: blobs (content-addressed, never rewritten; a new upload is
 * renamed into place) as hard links, everything else (tag and link files, which a push
 * rewrites in place) as copies. Milliseconds, whatever the images' size.
 */
export async function copySeed(seed: string, storage: string): Promise<void> {
  const made = new Set<string>();
  const blobs = join(seed, 'docker/registry/v2/blobs');
  for (const entry of await readdir(seed, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const from = join(entry.parentPath, entry.name);
    const rel = relative(seed, from);
    if (rel === 'images.json') continue;
    const to = join(storage, rel);
    const dir = dirname(to);
    if (!made.has(dir)) {
      await mkdir(dir, { recursive: true });
      made.add(dir);
    }
    if (from.startsWith(`${blobs}/`)) await link(from, to);
    else await copyFile(from, to);
  }
}

/** A reference split as a registry sees it; Docker Hub's short names are expanded. */
export interface ParsedReference {
  /** `quay.io`, `docker.io`, `registry.k8s.io`, … */
  readonly registry: string;
  /** `jupyter/minimal-notebook`, `library/busybox`. */
  readonly repository: string;
  readonly tag: string;
}

export function parseReference(reference: string): ParsedReference {
  const match =
    /^(?:([^/]+[.:][^/]*|localhost)\/)?([a-z0-9]+(?:[._/-][a-z0-9]+)*):([\w][\w.-]{0,127})$/.exec(
      reference,
    );
  if (!match?.[2] || match[3] === undefined) {
    throw new Error(`not an image reference with a tag: ${reference}`);
  }
  const registry = match[1] ?? 'docker.io';
  const repository =
    registry === 'docker.io' && !match[2].includes('/') ? `library/${match[2]}` : match[2];
  return { registry, repository, tag: match[3] };
}

export interface MirrorFile {
  /** Relative to containerd's registry config_path: `<host>/hosts.toml`. */
  readonly path: string;
  readonly content: string;
}

/**
 * containerd's hosts.toml files (https://github.com/containerd/containerd/blob/main/docs/hosts.md)
 * that send pulls for these registries to the test registry first, references unchanged. The
 * upstream server stays as the fallback: unreachable here, so a missing image fails as it
 * would for users (ErrImagePull), after the mirror's 404.
 */
export function containerdMirrors(
  registryHost: string,
  hosts: readonly string[] = mirroredHosts,
): MirrorFile[] {
  return hosts.map((host) => ({
    path: `${host}/hosts.toml`,
    content: [
      `server = "https://${host === 'docker.io' ? 'registry-1.docker.io' : host}"`,
      '',
      `[host."http://${registryHost}"]`,
      '  capabilities = ["pull", "resolve"]',
      '',
    ].join('\n'),
  }));
}

interface OciManifest {
  readonly mediaType?: string;
  readonly config: { readonly digest: string; readonly size: number };
  readonly layers: readonly { readonly digest: string; readonly size: number }[];
}

/**
 * Pushes images from their OCI layouts into a registry over its HTTP API (distribution spec):
 * each blob once (a repository that needs a blob another one has gets it by a cross-repository
 * mount), then the manifest under every reference's repository and tag.
 */
export async function pushImages(
  registryHost: string,
  images: readonly Pick<BuiltImage, 'layout' | 'digest' | 'references'>[],
): Promise<void> {
  const base = `http://${registryHost}`;
  /** digest → a repository that has it; `<repository>@<digest>` for every blob pushed. */
  const holder = new Map<string, string>();
  const done = new Set<string>();
  for (const image of images) {
    const blobPath = (digest: string): string => join(image.layout, 'blobs', ...digest.split(':'));
    const manifestBytes = await readFile(blobPath(image.digest));
    const manifest = JSON.parse(manifestBytes.toString('utf8')) as OciManifest;
    const mediaType = manifest.mediaType ?? 'application/vnd.oci.image.manifest.v1+json';
    for (const reference of image.references) {
      const { repository, tag } = parseReference(reference);
      for (const blob of [manifest.config, ...manifest.layers]) {
        const key = `${repository}@${blob.digest}`;
        if (done.has(key)) continue;
        const from = holder.get(blob.digest);
        await pushBlob(base, repository, blob, blobPath(blob.digest), from);
        done.add(key);
        holder.set(blob.digest, repository);
      }
      const put = await send('PUT', new URL(`/v2/${repository}/manifests/${tag}`, base), {
        headers: { 'content-type': mediaType },
        body: manifestBytes,
      });
      if (put.status !== 201) {
        throw new Error(`PUT manifest ${reference}: ${String(put.status)} ${put.body}`);
      }
      const stored = put.headers['docker-content-digest'];
      if (stored !== image.digest) {
        throw new Error(`${reference}: registry stored ${String(stored)}, not ${image.digest}`);
      }
    }
  }
}

async function pushBlob(
  base: string,
  repository: string,
  { digest, size }: { readonly digest: string; readonly size: number },
  file: string,
  mountFrom: string | undefined,
): Promise<void> {
  const head = await send('HEAD', new URL(`/v2/${repository}/blobs/${digest}`, base));
  if (head.status === 200) return;
  const start = new URL(`/v2/${repository}/blobs/uploads/`, base);
  if (mountFrom !== undefined) {
    start.searchParams.set('mount', digest);
    start.searchParams.set('from', mountFrom);
  }
  const started = await send('POST', start);
  if (started.status === 201) return; // mounted
  const location = started.headers['location'];
  if (started.status !== 202 || typeof location !== 'string') {
    throw new Error(`POST ${start.pathname}: ${String(started.status)} ${started.body}`);
  }
  const upload = new URL(location, base);
  upload.searchParams.set('digest', digest);
  if ((await stat(file)).size !== size) throw new Error(`${file} is not ${String(size)} bytes`);
  const put = await send('PUT', upload, {
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
    file,
  });
  if (put.status !== 201) {
    throw new Error(`PUT blob ${digest} to ${repository}: ${String(put.status)} ${put.body}`);
  }
}

interface Reply {
  readonly status: number;
  readonly headers: NodeJS.Dict<string | string[]>;
  readonly body: string;
}

async function get(url: string): Promise<Reply> {
  return send('GET', new URL(url));
}

/** One HTTP request; the body from memory or streamed from a file. */
function send(
  method: string,
  url: URL,
  options: { headers?: Record<string, string>; body?: Buffer; file?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body) headers['content-length'] = String(options.body.length);
    else if (options.file === undefined && method !== 'GET' && method !== 'HEAD') {
      headers['content-length'] = '0';
    }
    const req = request(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.file !== undefined) {
      const stream = createReadStream(options.file);
      stream.on('error', (e) => req.destroy(e));
      stream.pipe(req);
    } else {
      req.end(options.body);
    }
  });
}
