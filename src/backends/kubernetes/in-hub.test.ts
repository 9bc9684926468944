import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig } from '../../config/load.ts';
import { isGanymedeError } from '../../errors/ganymede-error.ts';
import { loadKubeConfig } from './in-hub.ts';

describe('backend.kubernetes configuration', () => {
  it('has defaults a single replica can use as they are', () => {
    const k = parseConfig({ backend: { type: 'kubernetes' } }).backend.kubernetes;
    assert.equal(k.namespace, 'default');
    assert.equal(k.runOperator, false);
    assert.equal(k.startTimeoutSeconds, 300);
    assert.deepEqual(k.leaderElection, {
      leaseName: 'ganymede-hub',
      leaseDurationSeconds: 15,
      renewDeadlineSeconds: 10,
      retryPeriodSeconds: 2,
    });
  });

  it('names the bad key, with an example', () => {
    const cases: [unknown, RegExp][] = [
      [
        { namespace: 'Not_A_Namespace' },
        /backend\.kubernetes\.namespace: must be a namespace name \(example: notebooks\)/,
      ],
      [
        { leaderElection: { leaseDurationSeconds: 5, renewDeadlineSeconds: 5 } },
        /backend\.kubernetes\.leaderElection\.renewDeadlineSeconds: renewDeadlineSeconds must be shorter/,
      ],
      [{ runOperator: 'yes' }, /backend\.kubernetes\.runOperator/],
    ];
    for (const [kubernetes, message] of cases) {
      assert.throws(
        () => parseConfig({ backend: { type: 'kubernetes', kubernetes } }),
        (e: unknown) => isGanymedeError(e) && message.test(e.userMessage),
      );
    }
  });

  it('reads a kubeconfig file, and says which key to fix when it cannot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ganymede-kc-'));
    const file = join(dir, 'kubeconfig');
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443' } }],
        users: [{ name: 'u', user: { token: 't' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    assert.equal(loadKubeConfig(file).getCurrentCluster()?.server, 'https://127.0.0.1:6443');
    assert.throws(
      () => loadKubeConfig(join(dir, 'missing')),
      (e: unknown) => isGanymedeError(e) && e.field === 'backend.kubernetes.kubeconfig',
    );
  });
});
