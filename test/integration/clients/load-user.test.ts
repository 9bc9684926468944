/**
 * A simulated user as JupyterHub's load-test scripts drive a hub (load_user.py: `requests` and
 * `websocket-client`, no browser, no Origin header): signs in through the form with only the
 * hub's `_xsrf` cookie and field, follows GET /hub/spawn to the server, starts a kernel with
 * the session cookie and Jupyter's `X-XSRFToken`, runs a cell over the WebSocket, and stops
 * the server through the REST API with the cookie and the hub's `X-XSRFToken`.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { hubClientPython, runPython } from '../../helpers/python/hub-client-python.ts';
import { ADMIN_PASSWORD } from '../../helpers/test-hub.ts';
import { startClientTestHub, type ClientTestHub } from './hub.ts';

const script = fileURLToPath(new URL('load_user.py', import.meta.url));

interface Seen {
  login_status: number;
  spawn_redirects: string[];
  progress?: { progress: number; ready?: boolean; url?: string }[];
  server_page: string;
  kernel_status: number;
  execute_reply: string;
  stream: string;
  stop_status: number;
}

describe('a load-test user script (requests + websocket-client)', { timeout: 600_000 }, () => {
  let hub: ClientTestHub;
  let python: string;

  before(async () => {
    python = hubClientPython();
    hub = await startClientTestHub();
  });

  after(() => hub.close());

  it('signs in, spawns, runs a cell over the WebSocket and stops the server', async () => {
    const { stdout } = await runPython(
      python,
      [script, hub.url, 'admin', ADMIN_PASSWORD],
      {},
      300_000,
    );
    const seen = JSON.parse(stdout) as Seen;
    assert.equal(seen.login_status, 302);
    assert.ok(seen.spawn_redirects.length > 0, 'GET /hub/spawn redirects');
    if (seen.progress) assert.equal(seen.progress.at(-1)?.ready, true);
    assert.match(seen.server_page, /^\/user\/admin\//);
    assert.equal(seen.kernel_status, 201);
    assert.equal(seen.execute_reply, 'ok');
    assert.equal(seen.stream, '2\n');
    assert.ok([202, 204].includes(seen.stop_status), String(seen.stop_status));
    assert.equal(
      (await hub.ctx.hub.backend.status({ user: 'admin', server: '' })).phase,
      'stopped',
    );
  });
});
