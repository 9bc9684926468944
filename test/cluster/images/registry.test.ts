// The parts of the real node's image registry that need neither root nor a registry: reference
// parsing, containerd's mirror files, the seed copy, and the names the images answer to.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { configSchema, profileSchema } from '../../../src/config/schema.ts';
import {
  containerdMirrors,
  copySeed,
  mirroredHosts,
  notebookImage,
  notebookImages,
  parseReference,
} from './registry.ts';

describe('parseReference', () => {
  it('splits references as a registry sees them, expanding Docker Hub short names', () => {
    assert.deepEqual(parseReference('quay.io/jupyter/minimal-notebook:2025-06-02'), {
      registry: 'quay.io',
      repository: 'jupyter/minimal-notebook',
      tag: '2025-06-02',
    });
    assert.deepEqual(parseReference('registry.k8s.io/coredns/coredns:v1.15.0'), {
      registry: 'registry.k8s.io',
      repository: 'coredns/coredns',
      tag: 'v1.15.0',
    });
    assert.deepEqual(parseReference('busybox:1.36'), {
      registry: 'docker.io',
      repository: 'library/busybox',
      tag: '1.36',
    });
    assert.deepEqual(parseReference('docker.io/library/busybox:1.36'), {
      registry: 'docker.io',
      repository: 'library/busybox',
      tag: '1.36',
    });
    assert.deepEqual(parseReference('127.0.0.1:5000/jupyter/x:1'), {
      registry: '127.0.0.1:5000',
      repository: 'jupyter/x',
      tag: '1',
    });
  });

  it('refuses references without a tag', () => {
    assert.throws(() => parseReference('quay.io/jupyter/minimal-notebook'), /with a tag/);
    assert.throws(() => parseReference('busybox@sha256:abc'), /with a tag/);
  });
});

describe('containerdMirrors', () => {
  it('sends each mirrored registry to the test registry first, upstream as the fallback', () => {
    const files = containerdMirrors('10.213.0.1:5123');
    assert.deepEqual(
      files.map((f) => f.path),
      [
        'quay.io/hosts.toml',
        'docker.io/hosts.toml',
        'registry.k8s.io/hosts.toml',
        'ghcr.io/hosts.toml',
        'ganymede.test/hosts.toml',
      ],
    );
    assert.equal(
      files[0]?.content,
      'server = "https://quay.io"\n\n[host."http://10.213.0.1:5123"]\n  capabilities = ["pull", "resolve"]\n',
    );
    assert.match(files[1]?.content ?? '', /^server = "https:\/\/registry-1\.docker\.io"$/m);
    assert.deepEqual(
      mirroredHosts,
      files.map((f) => f.path.split('/')[0]),
    );
  });
});

describe('copySeed', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('hard-links blobs and copies everything else', async () => {
    const seed = await mkdtemp(join(tmpdir(), 'ganymede-seed-'));
    const storage = await mkdtemp(join(tmpdir(), 'ganymede-storage-'));
    dirs.push(seed, storage);
    const blob = 'docker/registry/v2/blobs/sha256/ab/abcd/data';
    const tag = 'docker/registry/v2/repositories/x/_manifests/tags/1/current/link';
    for (const [path, content] of [
      [blob, 'layer'],
      [tag, 'sha256:abcd'],
      ['images.json', '[]'],
    ] as const) {
      await mkdir(join(seed, path, '..'), { recursive: true });
      await writeFile(join(seed, path), content);
    }
    await copySeed(seed, storage);
    assert.equal((await stat(join(storage, blob))).ino, (await stat(join(seed, blob))).ino);
    assert.notEqual((await stat(join(storage, tag))).ino, (await stat(join(seed, tag))).ino);
    assert.equal(await readFile(join(storage, tag), 'utf8'), 'sha256:abcd');
    await assert.rejects(stat(join(storage, 'images.json')));
  });
});

describe('image names', () => {
  it('include the default profile’s image and the one the Helm chart’s example names', async () => {
    const profile = profileSchema.parse({ name: 'x', displayName: 'X' });
    assert.equal(profile.image, notebookImage);
    const defaults = configSchema.parse({});
    for (const p of defaults.profiles) assert.ok(notebookImages.includes(p.image), p.image);
    const values = await readFile(
      new URL('../../../deploy/helm/ganymede/values.yaml', import.meta.url),
      'utf8',
    );
    for (const m of values.matchAll(/quay\.io\/jupyter\/[a-z-]+:[\w.-]+/g)) {
      assert.ok(notebookImages.includes(m[0]), m[0]);
    }
  });
});
