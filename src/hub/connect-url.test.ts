import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hubApiUrl } from './connect-url.ts';

describe('hubApiUrl', () => {
  const listening = { address: '127.0.0.1', port: 8000 };

  it('uses hub.connectUrl when set, on either backend', () => {
    for (const backend of ['local', 'kubernetes'] as const) {
      assert.equal(
        hubApiUrl({ backend, listening, connectUrl: 'http://ganymede.hub.svc:8000/' }),
        'http://ganymede.hub.svc:8000/hub/api',
      );
    }
  });

  it('locally, reaches the listening address, a wildcard one through loopback', () => {
    assert.equal(hubApiUrl({ backend: 'local', listening }), 'http://127.0.0.1:8000/hub/api');
    assert.equal(
      hubApiUrl({ backend: 'local', listening: { address: '0.0.0.0', port: 41000 } }),
      'http://127.0.0.1:41000/hub/api',
    );
    assert.equal(
      hubApiUrl({ backend: 'local', listening: { address: '::', port: 8000 } }),
      'http://[::1]:8000/hub/api',
    );
    assert.equal(
      hubApiUrl({ backend: 'local', listening: { address: 'fd00::5', port: 8000 } }),
      'http://[fd00::5]:8000/hub/api',
    );
  });

  it('on Kubernetes, falls back to the public URL, else gives none', () => {
    assert.equal(
      hubApiUrl({ backend: 'kubernetes', listening, publicUrl: 'https://nb.example.org' }),
      'https://nb.example.org/hub/api',
    );
    assert.equal(hubApiUrl({ backend: 'kubernetes', listening }), undefined);
  });
});
