/**
 * The proxy in front of a REAL Jupyter server (from the project's venv, or $GANYMEDE_JUPYTER)
 * serving under `/user/alice/` with its own token: REST, XSRF, kernels and the kernel
 * WebSocket all through the proxy, and the proxy's refusals in front of it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executeOverWebSocket } from '../../helpers/jupyter-kernel.ts';
import { jupyterCommand } from '../../helpers/jupyter-path.ts';
import { request } from './client.ts';
import { closedPort, SESSION_COOKIE, startTestHub, type TestHub } from './harness.ts';

const token = randomBytes(24).toString('hex');
const identities = {
  'alice-session': { user: 'alice', admin: false },
  'bob-session': { user: 'bob', admin: false },
};
const alice = { cookie: `${SESSION_COOKIE}=alice-session; other=1` };

let jupyter: ChildProcess;
let hub: TestHub;
let workDir: string;

async function startJupyter(port: number): Promise<ChildProcess> {
  workDir = mkdtempSync(join(tmpdir(), 'ganymede-proxy-jupyter-'));
  const child = spawn(
    jupyterCommand(),
    [
      'server',
      '--no-browser',
      '--ServerApp.ip=127.0.0.1',
      `--ServerApp.port=${port}`,
      '--ServerApp.port_retries=0',
      '--ServerApp.base_url=/user/alice/',
      `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${workDir}`,
      // CI containers often run as root, which Jupyter refuses unless told.
      ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
    ],
    {
      env: { ...process.env, JUPYTER_RUNTIME_DIR: join(workDir, '.runtime') },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    },
  );
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`Jupyter did not start within 60 s:\n${log}`));
    }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Jupyter exited with ${String(code)}:\n${log}`));
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      log += chunk;
      if (log.includes('is running at')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return child;
}

before(async () => {
  const port = await closedPort();
  jupyter = await startJupyter(port);
  hub = await startTestHub({
    routes: new Map([['alice', { target: `http://127.0.0.1:${port}`, token }]]),
    identities,
    maxBodyBytes: 64 * 1024,
  });
});

after(async () => {
  await hub.close();
  if (jupyter.pid !== undefined && jupyter.exitCode === null) {
    const exited = new Promise((resolve) => jupyter.once('exit', resolve));
    process.kill(-jupyter.pid, 'SIGTERM');
    await exited;
  }
  rmSync(workDir, { recursive: true, force: true });
});

describe('through the proxy to a real Jupyter server', { timeout: 120_000 }, () => {
  it('GET /user/alice/api/status works', async () => {
    const res = await request(`${hub.url}/user/alice/api/status`, { headers: alice });
    assert.equal(res.status, 200, res.body);
    assert.ok('started' in (JSON.parse(res.body) as object));
  });

  it('serves JupyterLab under the user prefix', async () => {
    const res = await request(`${hub.url}/user/alice/lab`, {
      headers: { ...alice, accept: 'text/html' },
    });
    assert.equal(res.status, 200);
    assert.match(res.body, /JupyterLab/);
  });

  it('creates a kernel by POST (Jupyter XSRF check passes on the injected token), runs 1+1 over its WebSocket, deletes it', async () => {
    const created = await request(`${hub.url}/user/alice/api/kernels`, {
      method: 'POST',
      headers: { ...alice, origin: hub.origin, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(created.status, 201, created.body);
    const kernel = JSON.parse(created.body) as { id: string };
    const wsUrl = `${hub.url.replace('http', 'ws')}/user/alice/api/kernels/${kernel.id}/channels`;
    const result = await executeOverWebSocket(wsUrl, '1+1', { ...alice, origin: hub.origin });
    assert.equal(result, '2');

    await assert.rejects(
      executeOverWebSocket(wsUrl, '1+1', { ...alice, origin: 'http://evil.example' }, 5000),
      /refused: 403/,
    );
    await assert.rejects(
      executeOverWebSocket(
        wsUrl,
        '1+1',
        { cookie: `${SESSION_COOKIE}=bob-session`, origin: hub.origin },
        5000,
      ),
      /refused: 403/,
    );
    await assert.rejects(
      executeOverWebSocket(wsUrl, '1+1', { origin: hub.origin }, 5000),
      /refused: 401/,
    );

    const deleted = await request(`${hub.url}/user/alice/api/kernels/${kernel.id}`, {
      method: 'DELETE',
      headers: { ...alice, origin: hub.origin },
    });
    assert.equal(deleted.status, 204, deleted.body);
  });

  it('refuses a cross-origin POST with 403 before Jupyter sees it', async () => {
    const res = await request(`${hub.url}/user/alice/api/kernels`, {
      method: 'POST',
      headers: { ...alice, origin: 'http://evil.example', 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 403);
    const kernels = await request(`${hub.url}/user/alice/api/kernels`, { headers: alice });
    assert.deepEqual(JSON.parse(kernels.body), []);
  });

  it('refuses another user (403) and the anonymous (401 JSON, login redirect for browsers)', async () => {
    const bob = await request(`${hub.url}/user/alice/api/status`, {
      headers: { cookie: `${SESSION_COOKIE}=bob-session` },
    });
    assert.equal(bob.status, 403);
    const anonymous = await request(`${hub.url}/user/alice/api/status`);
    assert.equal(anonymous.status, 401);
    const browser = await request(`${hub.url}/user/alice/lab`, {
      headers: { accept: 'text/html' },
    });
    assert.equal(browser.status, 302);
    assert.match(browser.headers.location ?? '', /^\/hub\/login\?next=/);
  });

  it('refuses an oversized body with 413 and accepts one under the limit', async () => {
    const content = (size: number) =>
      JSON.stringify({ type: 'file', format: 'text', content: 'x'.repeat(size) });
    const big = await request(`${hub.url}/user/alice/api/contents/big.txt`, {
      method: 'PUT',
      headers: { ...alice, origin: hub.origin, 'content-type': 'application/json' },
      body: content(100 * 1024),
    });
    assert.equal(big.status, 413);
    const small = await request(`${hub.url}/user/alice/api/contents/small.txt`, {
      method: 'PUT',
      headers: { ...alice, origin: hub.origin, 'content-type': 'application/json' },
      body: content(1024),
    });
    assert.equal(small.status, 201, small.body);
  });
});
