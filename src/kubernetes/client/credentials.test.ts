/**
 * Credentials applied per request, against a small local HTTPS server that plays the API
 * server: it records the Authorization header of every request and answers 401 to a token
 * that has been revoked. The token file is replaced the way the kubelet does it (a new file
 * renamed over the old one).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeConfig, Watch } from '#kubernetes-client';
import { createKubeApi, KubeApiError } from './kube-api.ts';
import { readKubeConfig, rereadTokenFiles } from './kube-config.ts';

let dir: string;
let server: Server;
let port: number;
let caPem: string;
const revoked = new Set<string>();
let seen: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ganymede-credentials-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  caPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: caPem }, (req, res) => {
    const authorization = req.headers.authorization ?? '';
    seen.push(authorization);
    if (revoked.has(authorization.replace(/^Bearer /, ''))) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', reason: 'Unauthorized', message: 'Unauthorized' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    // A watch ends at once (no events); a list is empty.
    res.end(req.url?.includes('watch=true') ? '' : '{"items":[],"metadata":{}}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** Replaces the file as the kubelet does: write a new one, rename it over the old. */
function replaceToken(path: string, token: string): void {
  writeFileSync(`${path}.new`, `${token}\n`);
  renameSync(`${path}.new`, path);
}

function kubeconfig(user: Record<string, unknown>): string {
  const file = join(dir, `kubeconfig-${Math.random().toString(36).slice(2)}`);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'c',
          cluster: {
            server: `https://127.0.0.1:${port}`,
            'certificate-authority-data': Buffer.from(caPem).toString('base64'),
          },
        },
      ],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    }),
  );
  return file;
}

/** One request, then the token file replaced and the old token revoked, then two more. */
async function rotate(kubeConfig: KubeConfig, tokenPath: string, name: string): Promise<void> {
  const api = await createKubeApi(kubeConfig);
  try {
    seen = [];
    await api.list('/api/v1/namespaces/ns/pods');
    replaceToken(tokenPath, `${name}-2`);
    revoked.add(`${name}-1`);
    await api.list('/api/v1/namespaces/ns/pods');
    await api.list('/api/v1/namespaces/ns/pods');
    assert.deepEqual(seen, [
      `Bearer ${name}-1`,
      `Bearer ${name}-1`, // answered 401: the file is read again and the request sent again
      `Bearer ${name}-2`,
      `Bearer ${name}-2`, // no 401 any more: no second read-and-retry
    ]);
  } finally {
    api.close();
  }
}

describe('credentials applied per request', () => {
  for (const key of ['tokenFile', 'token-file']) {
    it(`a kubeconfig's ${key} is read again when the API server rejects its token`, async () => {
      const name = key.replace('-', '');
      writeFileSync(join(dir, `${name}.token`), `${name}-1\n`);
      // Relative to the kubeconfig's folder, as kubectl resolves it.
      const file = kubeconfig({ [key]: `${name}.token` });
      const cwd = process.cwd();
      // client-node reads `token-file` at load time relative to the working directory.
      process.chdir(dir);
      try {
        await rotate(readKubeConfig(file), join(dir, `${name}.token`), name);
      } finally {
        process.chdir(cwd);
      }
    });
  }

  it("the service account's token file (in-cluster config) is read again too", async () => {
    const prefix = join(dir, 'pod');
    const sa = join(prefix, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'ca.crt'), caPem);
    writeFileSync(join(sa, 'token'), 'incluster-1');
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromCluster(prefix);
    // The address comes from KUBERNETES_SERVICE_HOST/PORT, which a pod has and this test
    // does not set.
    kubeConfig.clusters = kubeConfig.clusters.map((c) => ({
      ...c,
      server: `https://127.0.0.1:${port}`,
    }));
    rereadTokenFiles(kubeConfig);
    await rotate(kubeConfig, join(sa, 'token'), 'incluster');
  });

  it("client-node's Watch sees the token our REST client read again", async () => {
    const tokenPath = join(dir, 'watch.token');
    writeFileSync(tokenPath, 'watch-1');
    const kubeConfig = readKubeConfig(kubeconfig({ tokenFile: tokenPath }));
    const api = await createKubeApi(kubeConfig);
    const watchOnce = (): Promise<void> =>
      new Promise((resolve, reject) => {
        new Watch(kubeConfig)
          .watch(
            '/api/v1/pods',
            {},
            () => undefined,
            (err: unknown) => {
              if (err instanceof Error) reject(err);
              else if (err) reject(new Error('the watch failed'));
              else resolve();
            },
          )
          .catch(reject);
      });
    try {
      seen = [];
      await watchOnce();
      replaceToken(tokenPath, 'watch-2');
      revoked.add('watch-1');
      await api.list('/api/v1/pods');
      await watchOnce();
      assert.deepEqual(seen, [
        'Bearer watch-1',
        'Bearer watch-1',
        'Bearer watch-2',
        'Bearer watch-2',
      ]);
    } finally {
      api.close();
    }
  });

  it('a static token rejected with 401 is not sent again', async () => {
    revoked.add('static-1');
    const api = await createKubeApi(readKubeConfig(kubeconfig({ token: 'static-1' })));
    try {
      seen = [];
      await assert.rejects(
        api.list('/api/v1/pods'),
        (e) => e instanceof KubeApiError && e.status === 401,
      );
      assert.deepEqual(seen, ['Bearer static-1']);
    } finally {
      api.close();
    }
  });
});
