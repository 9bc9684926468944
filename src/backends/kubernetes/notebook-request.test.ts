import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { profileSchema } from '../../config/schema.ts';
import { parseNotebookResource } from '../../notebook-spec/resource.ts';
import {
  HUB_LABEL,
  hubAnnotations,
  refOfResource,
  resourceNameOf,
  startRequest,
  STOP_PATCH,
} from './notebook-request.ts';

const profile = profileSchema.parse({
  name: 'gpu',
  displayName: 'GPU',
  image: 'quay.io/jupyter/pytorch-notebook:cuda12-latest',
  cpu: '4',
  memory: '16Gi',
  gpu: 1,
  idleTimeoutMinutes: 30,
  command: ['jupyter', 'lab', '--debug'],
});

describe('startRequest', () => {
  const ref = { user: 'Zoë', server: 'thesis' };
  const request = startRequest({
    ref,
    namespace: 'notebooks',
    profile,
    baseUrl: '/user/Zo%C3%AB/thesis/',
    now: new Date('2026-01-02T03:04:05.678Z'),
  });

  it('is a valid JupyterNotebook named by the one naming module, raw names in annotations', () => {
    const nb = parseNotebookResource(request);
    assert.equal(nb.metadata.name, resourceNameOf(ref));
    assert.match(nb.metadata.name, /^zoe-thesis--[0-9a-f]{10}$/);
    assert.equal(nb.metadata.namespace, 'notebooks');
    assert.deepEqual(refOfResource(nb.metadata.annotations), ref);
    assert.equal(nb.metadata.labels?.[HUB_LABEL.key], HUB_LABEL.value);
    const annotations = nb.metadata.annotations ?? {};
    assert.equal(annotations[hubAnnotations.profile], 'gpu');
    assert.equal(annotations[hubAnnotations.startedAt], '2026-01-02T03:04:05.678Z');
  });

  it('takes the spec from the profile only, running, under the base URL', () => {
    assert.deepEqual(request.spec, {
      image: profile.image,
      resources: { cpu: '4', memory: '16Gi', gpu: 1 },
      idleTimeoutMinutes: 30,
      baseUrl: '/user/Zo%C3%AB/thesis/',
      stopped: false,
    });
  });

  it('writes intent only: no runtime state in annotations', () => {
    assert.deepEqual(
      Object.keys(request.metadata.annotations).sort(),
      [
        hubAnnotations.profile,
        hubAnnotations.startedAt,
        hubAnnotations.server,
        hubAnnotations.user,
      ].sort(),
    );
  });
});

describe('patches and annotations', () => {
  it('stop patch only sets stopped', () => {
    assert.deepEqual(STOP_PATCH, { spec: { stopped: true } });
  });

  it('maps only complete annotations back to a server', () => {
    assert.equal(refOfResource({ [hubAnnotations.user]: 'a' }), undefined);
  });
});
