import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { profileSchema } from '../config/schema.ts';
import { isGanymedeError } from '../errors/ganymede-error.ts';
import { specFromProfile } from './from-profile.ts';
import { parseNotebookResource, parseNotebookSpec } from './resource.ts';
import { notebookSpecSchema } from './schema.ts';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (isGanymedeError(e)) return e.field;
    throw e;
  }
  assert.fail('expected a validation error');
}

describe('notebookSpecSchema', () => {
  it('fills every default from an image alone', () => {
    assert.deepEqual(notebookSpecSchema.parse({ image: 'img' }), {
      image: 'img',
      interface: 'lab',
      resources: { gpu: 0 },
      storage: { size: '10Gi', retain: true },
      env: {},
      idleTimeoutMinutes: 60,
      stopped: false,
      baseUrl: '/',
    });
  });

  it('names the bad field', () => {
    const cases: [unknown, string][] = [
      [{}, 'spec.image'],
      [{ image: 'a b' }, 'spec.image'],
      [{ image: 'i', interface: 'vscode' }, 'spec.interface'],
      [{ image: 'i', resources: { cpu: 'lots' } }, 'spec.resources.cpu'],
      [{ image: 'i', resources: { memory: '2 GB' } }, 'spec.resources.memory'],
      [{ image: 'i', resources: { gpu: -1 } }, 'spec.resources.gpu'],
      [{ image: 'i', storage: { size: 'big' } }, 'spec.storage.size'],
      [{ image: 'i', storage: { subPath: '../etc' } }, 'spec.storage.subPath'],
      [{ image: 'i', storage: { subPath: '/abs' } }, 'spec.storage.subPath'],
      [{ image: 'i', storage: { existingClaim: 'c', className: 'x' } }, 'spec.storage.className'],
      [{ image: 'i', storage: { existingClaim: 'c', retain: false } }, 'spec.storage.retain'],
      [{ image: 'i', env: { '1A': 'x' } }, 'spec.env.1A'],
      [{ image: 'i', env: { JUPYTER_TOKEN: 'x' } }, 'spec.env.JUPYTER_TOKEN'],
      [{ image: 'i', env: { JUPYTERHUB_API_TOKEN: 'x' } }, 'spec.env.JUPYTERHUB_API_TOKEN'],
      [{ image: 'i', hub: { user: 'a', apiUrl: 'ftp://x' } }, 'spec.hub.apiUrl'],
      [{ image: 'i', idleTimeoutMinutes: 1.5 }, 'spec.idleTimeoutMinutes'],
      [{ image: 'i', baseUrl: '/user/a' }, 'spec.baseUrl'],
      [{ image: 'i', baseUrl: '/user/../admin/' }, 'spec.baseUrl'],
      [{ image: 'i', ingress: { host: 'Not A Host' } }, 'spec.ingress.host'],
      [{ image: 'i', ingress: { host: 'a.b', tls: {} } }, 'spec.ingress.tls.secretName'],
      [{ image: 'i', serviceAccountName: 'Admin' }, 'spec.serviceAccountName'],
      [{ image: 'i', imagePullPolicy: 'Always' }, 'spec'],
    ];
    for (const [spec, field] of cases) {
      assert.equal(
        fieldOf(() => parseNotebookSpec(spec)),
        field,
        JSON.stringify(spec),
      );
    }
  });

  it('accepts a full spec', () => {
    const spec = parseNotebookSpec({
      image: 'quay.io/jupyter/scipy-notebook:2025-06-02',
      interface: 'server',
      resources: { cpu: '500m', memory: '4Gi', gpu: 1 },
      storage: { existingClaim: 'shared', subPath: 'users/alice' },
      env: { 'MY.VAR': '1', _X: '' },
      baseUrl: '/user/al%C3%AFce/work/',
      ingress: { host: 'nb.example.org', className: 'nginx', tls: { secretName: 'cert' } },
      serviceAccountName: 'reader',
    });
    assert.equal(spec.storage.existingClaim, 'shared');
    assert.equal(spec.interface, 'server');
  });
});

describe('parseNotebookResource', () => {
  const valid = {
    apiVersion: 'ganymede.dev/v1alpha1',
    kind: 'JupyterNotebook',
    metadata: { name: 'alice', namespace: 'ns' },
    spec: { image: 'img' },
  };

  it('parses a resource and applies defaults', () => {
    const nb = parseNotebookResource(valid);
    assert.equal(nb.spec.baseUrl, '/');
    assert.equal(nb.metadata.name, 'alice');
  });

  it('names apiVersion, kind, metadata.name and spec fields', () => {
    assert.equal(
      fieldOf(() => parseNotebookResource({ ...valid, apiVersion: 'v1' })),
      'apiVersion',
    );
    assert.equal(
      fieldOf(() => parseNotebookResource({ ...valid, kind: 'Pod' })),
      'kind',
    );
    assert.equal(
      fieldOf(() => parseNotebookResource({ ...valid, metadata: { name: 'Alice' } })),
      'metadata.name',
    );
    assert.equal(
      fieldOf(() => parseNotebookResource({ ...valid, spec: { image: 'i', stopped: 'yes' } })),
      'spec.stopped',
    );
  });

  it('puts every problem in the message, one a line', () => {
    try {
      parseNotebookResource({ ...valid, spec: { image: '', resources: { cpu: 'x' } } }, 'nb.yaml');
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(isGanymedeError(e));
      assert.match(e.userMessage, /^nb\.yaml is not a valid JupyterNotebook/);
      assert.match(e.userMessage, /\nspec\.image: /);
      assert.match(e.userMessage, /\nspec\.resources\.cpu: must be a Kubernetes quantity/);
    }
  });
});

describe('specFromProfile', () => {
  it('turns every default profile into a valid spec with the same values', () => {
    const profile = profileSchema.parse({
      name: 'gpu',
      displayName: 'GPU',
      image: 'quay.io/jupyter/pytorch-notebook:cuda12-latest',
      cpu: '4',
      memory: '16Gi',
      gpu: 1,
      idleTimeoutMinutes: 30,
    });
    const spec = parseNotebookSpec(specFromProfile(profile, { baseUrl: '/user/bob/' }));
    assert.equal(spec.image, profile.image);
    assert.deepEqual(spec.resources, { cpu: '4', memory: '16Gi', gpu: 1 });
    assert.equal(spec.idleTimeoutMinutes, 30);
    assert.equal(spec.baseUrl, '/user/bob/');
    assert.equal(spec.stopped, false);
  });
});
