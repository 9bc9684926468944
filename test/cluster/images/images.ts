/**
 * The images a real test node runs (kubelet + containerd), built here with buildah from Debian
 * packages and PyPI, under their real names, and cached: a warm call only compares hashes.
 *
 *   notebook     quay.io/jupyter/minimal-notebook:latest (the default profile's image) and
 *                :2025-06-02, quay.io/jupyter/base-notebook:latest and :2025-01-01 — one image
 *                laid out like Jupyter's docker-stacks images (recipes/notebook.sh)
 *   busybox      docker.io/library/busybox:1.36, also ganymede.test/shell:1 (recipes/busybox.sh)
 *   http-server  ganymede.test/http-server:1, the twin of http-server.ts (recipes/http-server.sh)
 *   pause        registry.k8s.io/pause:<its version> and :3.10 (recipes/pause.sh)
 *   coredns      registry.k8s.io/coredns/coredns:v<its version> (recipes/coredns.sh)
 *
 * pause and coredns wrap the static binaries test/cluster/build.sh makes; without that folder
 * they are left out.
 *
 * Cache (`${XDG_CACHE_HOME:-~/.cache}/ganymede/images/`):
 *   <image>-<hash>/        one OCI image layout per image; the hash covers its recipe files and
 *                          inputs (requirements, binaries), so a change rebuilds only that image
 *   registry-<hash>/       docker-registry storage holding all of them under every reference
 *                          (the seed: each test run's registry serves a hard-linked copy)
 *   buildah/               buildah's own storage (storage.conf), never podman's default one
 *   storage.conf           points buildah there (CONTAINERS_STORAGE_CONF, recipes/common.sh)
 *   containers.conf        runc and ulimits for buildah and podman here (recipes/common.sh)
 *   inputs.json            input files' hashes and versions, by size/mtime/inode
 *   logs/                  each build's output
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  link,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const recipesDir = join(here, 'recipes');
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The default profile's image (src/config/schema.ts). */
export const notebookImage = 'quay.io/jupyter/minimal-notebook:latest';
/** Every name the notebook image has: those the project's profiles, chart and tests use. */
export const notebookImages: readonly string[] = [
  notebookImage,
  'quay.io/jupyter/minimal-notebook:2025-06-02',
  'quay.io/jupyter/base-notebook:latest',
  'quay.io/jupyter/base-notebook:2025-01-01',
];
export const busyboxImage = 'docker.io/library/busybox:1.36';
/** The node agent's shell image name, here the busybox image. */
export const shellImage = 'ganymede.test/shell:1';
export const httpServerImage = 'ganymede.test/http-server:1';
/** The sandbox image containerd pins (test/cluster/real-node/containerd.ts). */
export const pauseImage = 'registry.k8s.io/pause:3.10';

export type ImageName = 'notebook' | 'busybox' | 'http-server' | 'pause' | 'coredns';
export const imageNames: readonly ImageName[] = [
  'notebook',
  'busybox',
  'http-server',
  'pause',
  'coredns',
];

export interface BuiltImage {
  readonly name: ImageName;
  /** Its real references, e.g. `quay.io/jupyter/minimal-notebook:latest`. */
  readonly references: readonly string[];
  /** An OCI image layout folder holding this one image. */
  readonly layout: string;
  /** The manifest's digest (`sha256:…`). */
  readonly digest: string;
}

export interface ImageSet {
  readonly images: readonly BuiltImage[];
  /** Every reference of every image. */
  readonly references: readonly string[];
  /** docker-registry storage holding all images under all references; copy it, never write it. */
  readonly seed: string;
  /** `registry.k8s.io/coredns/coredns:v…` when CoreDNS was built. */
  readonly coreDnsImage: string | undefined;
  /** containers.conf for buildah and podman on this machine (runc, ulimits). */
  readonly containersConf: string;
  readonly cacheDir: string;
}

export interface EnsureImagesOptions {
  /**
   * test/cluster/build.sh's binaries folder (pause, coredns); default `GANYMEDE_CLUSTER_BIN`.
   * Without one, pause and CoreDNS are left out; with one, both binaries must be there.
   */
  readonly binDir?: string | undefined;
  /** Progress lines (a build starting, its time); default: stderr. */
  readonly log?: (line: string) => void;
}

export function imagesCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache');
  return join(base, 'ganymede', 'images');
}

interface Recipe {
  readonly name: ImageName;
  /** Files under recipes/ whose content defines the image (the script first). */
  readonly files: readonly string[];
  /** Files given to the script as arguments after <out>, hashed by content. */
  readonly inputs: readonly string[];
  readonly references: readonly string[];
}

interface InputInfo {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
  readonly sha256: string;
  readonly version: string;
}
type InputCache = Record<string, InputInfo>;

/**
 * Builds what is missing (needs root: rootful buildah), then returns every image and the
 * registry seed. Safe to call from several processes at once (a lock file guards builds).
 */
export async function ensureImages(options: EnsureImagesOptions = {}): Promise<ImageSet> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[images] ${line}\n`));
  const cacheDir = imagesCacheDir();
  await mkdir(cacheDir, { recursive: true });
  const inputCache = await readInputCache(cacheDir);
  const recipes = await recipesFor(options.binDir ?? process.env['GANYMEDE_CLUSTER_BIN'], (p) =>
    inputInfo(inputCache, p),
  );
  const planned = await Promise.all(
    recipes.map(async (r) => ({
      recipe: r,
      layout: join(cacheDir, `${r.name}-${await recipeHash(r, inputCache)}`),
    })),
  );
  await writeInputCache(cacheDir, inputCache);

  let unlock: (() => Promise<void>) | undefined;
  try {
    const images: BuiltImage[] = [];
    for (const { recipe, layout } of planned) {
      let digest = await layoutDigest(layout);
      if (digest === undefined) {
        unlock ??= await lock(cacheDir, log);
        digest = (await layoutDigest(layout)) ?? (await build(recipe, layout, cacheDir, log));
      }
      images.push({ name: recipe.name, references: recipe.references, layout, digest });
    }
    const seedKey = sha256Hex(JSON.stringify(images.map((i) => [i.references, i.digest]))).slice(
      0,
      16,
    );
    const seed = join(cacheDir, `registry-${seedKey}`);
    if (!(await exists(join(seed, 'images.json')))) {
      unlock ??= await lock(cacheDir, log);
      if (!(await exists(join(seed, 'images.json')))) await fillSeed(seed, images, cacheDir, log);
    }
    const references = images.flatMap((i) => i.references);
    return {
      images,
      references,
      seed,
      coreDnsImage: images.find((i) => i.name === 'coredns')?.references[0],
      containersConf: join(cacheDir, 'containers.conf'),
      cacheDir,
    };
  } finally {
    await unlock?.();
  }
}

async function recipesFor(
  binDir: string | undefined,
  info: (path: string) => Promise<InputInfo>,
): Promise<Recipe[]> {
  const recipes: Recipe[] = [
    {
      name: 'notebook',
      files: ['notebook.sh', 'common.sh', ...notebookFiles],
      inputs: [join(repoRoot, 'scripts/requirements-jupyter.txt')],
      references: notebookImages,
    },
    {
      name: 'busybox',
      files: ['busybox.sh', 'common.sh', 'busybox-root.sh'],
      inputs: [],
      references: [busyboxImage, shellImage],
    },
    {
      name: 'http-server',
      files: ['http-server.sh', 'common.sh', 'busybox-root.sh', ...httpServerFiles],
      inputs: [],
      references: [httpServerImage],
    },
  ];
  if (binDir === undefined || binDir === '') return recipes;
  const pause = join(binDir, 'pause');
  const coredns = join(binDir, 'coredns');
  for (const binary of [pause, coredns]) {
    if (!(await exists(binary))) {
      throw new Error(`${binary} is missing: test/cluster/build.sh builds it into ${binDir}`);
    }
  }
  // pause -v prints `pause.c v3.10.2-v1.36.3`; coredns -version prints `CoreDNS-1.15.0`.
  const pauseTag = /\bv(\d+\.\d+(?:\.\d+)?)-/.exec((await info(pause)).version)?.[1];
  const corednsVersion = /CoreDNS-(\S+)/.exec((await info(coredns)).version)?.[1];
  if (pauseTag === undefined) throw new Error(`${pause} -v printed no version`);
  if (corednsVersion === undefined) throw new Error(`${coredns} -version printed no version`);
  recipes.push(
    {
      name: 'pause',
      files: ['pause.sh', 'common.sh'],
      inputs: [pause],
      references: [...new Set([`registry.k8s.io/pause:${pauseTag}`, pauseImage])],
    },
    {
      name: 'coredns',
      files: ['coredns.sh', 'common.sh'],
      inputs: [coredns],
      references: [`registry.k8s.io/coredns/coredns:v${corednsVersion}`],
    },
  );
  return recipes;
}

const notebookFiles = [
  'notebook/start.sh',
  'notebook/start-notebook.py',
  'notebook/start-notebook.sh',
  'notebook/jupyter_server_config.py',
];
const httpServerFiles = ['http-server/http-server', 'http-server/http-handler'];

/** Bump to rebuild every image (a change the recipe files would not show). */
const RECIPE_FORMAT = 1;

async function recipeHash(recipe: Recipe, inputCache: InputCache): Promise<string> {
  const h = createHash('sha256').update(`format ${RECIPE_FORMAT}\n`);
  for (const f of recipe.files) {
    h.update(`file ${f} ${sha256Hex(await readFile(join(recipesDir, f)))}\n`);
  }
  for (const input of recipe.inputs) {
    h.update(`input ${basename(input)} ${(await inputInfo(inputCache, input)).sha256}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

/** An input's hash and version, recomputed only when its size, mtime or inode changed. */
async function inputInfo(cache: InputCache, path: string): Promise<InputInfo> {
  const s = await stat(path);
  const known = cache[path];
  if (known?.size === s.size && known.mtimeMs === s.mtimeMs && known.ino === s.ino) return known;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const name = basename(path);
  const version =
    name === 'pause'
      ? await output(path, ['-v'])
      : name === 'coredns'
        ? await output(path, ['-version'])
        : '';
  const info = {
    size: s.size,
    mtimeMs: s.mtimeMs,
    ino: s.ino,
    sha256: hash.digest('hex'),
    version,
  };
  cache[path] = info;
  return info;
}

async function readInputCache(cacheDir: string): Promise<InputCache> {
  try {
    return JSON.parse(await readFile(join(cacheDir, 'inputs.json'), 'utf8')) as InputCache;
  } catch {
    return {};
  }
}

async function writeInputCache(cacheDir: string, cache: InputCache): Promise<void> {
  const text = JSON.stringify(cache, null, 1);
  const path = join(cacheDir, 'inputs.json');
  const current = await readFile(path, 'utf8').catch(() => '');
  if (current === text) return;
  const tmp = `${path}.${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/** The digest of the layout's one manifest, or undefined when the layout is not (all) there. */
export async function layoutDigest(layout: string): Promise<string | undefined> {
  let index: { manifests?: { digest?: string }[] };
  try {
    index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as typeof index;
  } catch {
    return undefined;
  }
  return index.manifests?.[0]?.digest;
}

async function build(
  recipe: Recipe,
  layout: string,
  cacheDir: string,
  log: (line: string) => void,
): Promise<string> {
  if (process.getuid?.() !== 0) {
    throw new Error(
      `building the test image ${recipe.name} needs root (rootful buildah); run as root once, ` +
        `or test/cluster/images/build.sh as root`,
    );
  }
  await ensureSystemPackages();
  const started = performance.now();
  log(`building ${recipe.name} (${recipe.references.join(', ')})`);
  const partial = `${layout}.partial`;
  await rm(partial, { recursive: true, force: true });
  const logs = join(cacheDir, 'logs');
  await mkdir(logs, { recursive: true });
  const logFile = join(logs, `${basename(layout)}.log`);
  const script = join(recipesDir, recipe.files[0] ?? '');
  const result = await run('bash', [script, partial, ...recipe.inputs], {
    env: { ...process.env, IMAGES_CACHE: cacheDir },
  });
  await writeFile(logFile, result.output);
  if (result.code !== 0) {
    await rm(partial, { recursive: true, force: true });
    throw new Error(
      `${script} failed (exit ${String(result.code)}); log ${logFile}:\n${result.output.slice(-6000)}`,
    );
  }
  const digest = await layoutDigest(partial);
  if (digest === undefined) throw new Error(`${script} wrote no OCI layout to ${partial}`);
  await rename(partial, layout);
  // Older builds of this image (other recipes) are not needed any more.
  for (const entry of await readdir(cacheDir)) {
    const path = join(cacheDir, entry);
    if (entry.startsWith(`${recipe.name}-`) && path !== layout && !entry.endsWith('.log')) {
      await rm(path, { recursive: true, force: true });
    }
  }
  log(`built ${recipe.name} in ${((performance.now() - started) / 1000).toFixed(1)} s: ${layout}`);
  return digest;
}

let systemChecked = false;
/** scripts/ensure-system.sh test: buildah, mmdebstrap, busybox-static, docker-registry, … */
async function ensureSystemPackages(): Promise<void> {
  if (systemChecked) return;
  const result = await run('bash', [join(repoRoot, 'scripts/ensure-system.sh'), 'test'], {});
  if (result.code !== 0) throw new Error(`scripts/ensure-system.sh test failed:\n${result.output}`);
  systemChecked = true;
}

/** Pushes every image under every reference into a registry whose folder becomes the seed. */
async function fillSeed(
  seed: string,
  images: readonly BuiltImage[],
  cacheDir: string,
  log: (line: string) => void,
): Promise<void> {
  const started = performance.now();
  const partial = `${seed}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'ganymede-images-seed-'));
  try {
    // registry.ts imports this module; a dynamic import keeps the two free of a load-order cycle.
    const { startRegistry, pushImages } = await import('./registry.ts');
    const registry = await startRegistry({ dir: work, storage: partial });
    try {
      await pushImages(registry.host, images);
    } finally {
      await registry.stop();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  // The registry's blobs are the layouts' blobs byte for byte: share the disk space.
  for (const image of images) {
    const blobs = join(image.layout, 'blobs', 'sha256');
    for (const hex of await readdir(blobs)) {
      const stored = join(partial, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
      if (!(await exists(stored))) continue;
      await link(join(blobs, hex), `${stored}.link`);
      await rename(`${stored}.link`, stored);
    }
  }
  const manifest = images.map((i) => ({
    name: i.name,
    references: i.references,
    digest: i.digest,
  }));
  await writeFile(join(partial, 'images.json'), JSON.stringify(manifest, null, 2));
  await rename(partial, seed);
  for (const entry of await readdir(cacheDir)) {
    const path = join(cacheDir, entry);
    if (entry.startsWith('registry-') && path !== seed)
      await rm(path, { recursive: true, force: true });
  }
  log(`registry seed filled in ${((performance.now() - started) / 1000).toFixed(1)} s: ${seed}`);
}

/**
 * An exclusive lock on the cache folder for builds, held by this process until the returned
 * function runs; a lock left by a process that no longer exists is taken over.
 */
async function lock(cacheDir: string, log: (line: string) => void): Promise<() => Promise<void>> {
  const path = join(cacheDir, '.lock');
  let waited = false;
  for (;;) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => unlink(path).catch(() => undefined);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number(await readFile(path, 'utf8').catch(() => ''));
    if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    if (!waited) log(`waiting for process ${holder}, which is building images`);
    waited = true;
    await delay(500);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function output(command: string, args: readonly string[]): Promise<string> {
  const result = await run(command, args, {});
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.output}`);
  return result.output;
}

/** Runs a program to its end; stdout and stderr together, as they came. */
function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, output: out });
    });
  });
}
