/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
 * Fixtures are plain objects; client-node's model classes carry only static metadata. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { expandReferences, resolveEnv, type EnvSources } from './env.ts';

const facts = {
  podIP: '10.213.0.9',
  hostIP: '10.213.0.1',
  nodeAllocatable: { cpu: '2', memory: '4Gi' },
};
const sources: EnvSources = {
  secret: (name) => Promise.resolve(name === 's' ? { password: 'pw' } : undefined),
  configMap: (name) => Promise.resolve(name === 'cm' ? { a: '1', b: '2' } : undefined),
};
const pod: V1Pod = {
  metadata: { name: 'p', namespace: 'ns', uid: 'u', labels: { app: 'x' } },
  spec: { nodeName: 'n', serviceAccountName: 'sa', containers: [{ name: 'c' }] },
};

describe('environment resolution', () => {
  it('expands $(VAR) from earlier variables; $$ escapes; unknown stays', () => {
    assert.equal(expandReferences('$(A)-$$(A)-$(B)', { A: 'x' }), 'x-$(A)-$(B)');
  });

  it('resolves image env, envFrom, env, downward API, secrets and config maps in order', async () => {
    const env = await resolveEnv(
      pod,
      {
        name: 'c',
        resources: { limits: { memory: '1Gi' } },
        envFrom: [{ configMapRef: { name: 'cm' }, prefix: 'CM_' }],
        env: [
          { name: 'HOME', value: '/home/me' },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'PW', valueFrom: { secretKeyRef: { name: 's', key: 'password' } } },
          {
            name: 'MEM_MI',
            valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } },
          },
          { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
          { name: 'BOTH', value: '$(POD)@$(IP)' },
        ],
      },
      facts,
      sources,
      { HOME: '/root', PATH: '/bin' },
    );
    assert.deepEqual(env, {
      HOME: '/home/me',
      PATH: '/bin',
      CM_a: '1',
      CM_b: '2',
      POD: 'p',
      APP: 'x',
      IP: '10.213.0.9',
      PW: 'pw',
      MEM_MI: '1024',
      CPU: '2',
      BOTH: 'p@10.213.0.9',
    });
  });

  it('a missing secret or key fails with the kubelet message; optional ones are skipped', async () => {
    await assert.rejects(
      resolveEnv(
        pod,
        {
          name: 'c',
          env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }],
        },
        facts,
        sources,
      ),
      { name: 'ContainerConfigError', message: 'secret "nope" not found' },
    );
    await assert.rejects(
      resolveEnv(
        pod,
        {
          name: 'c',
          env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: 'zz' } } }],
        },
        facts,
        sources,
      ),
      { message: "couldn't find key zz in ConfigMap ns/cm" },
    );
    const env = await resolveEnv(
      pod,
      {
        name: 'c',
        env: [
          { name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k', optional: true } } },
        ],
      },
      facts,
      sources,
    );
    assert.deepEqual(env, {});
  });
});
