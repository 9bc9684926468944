/**
 * JupyterHub's documented Python REST usage (rest_tutorial.py: `requests`, pagination, start,
 * the progress event stream, talking to the server, stop) against a real hub and a real
 * Jupyter server. The script checks the protocol as it goes; this test checks what it saw.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { hubClientPython, runPython } from '../../helpers/python/hub-client-python.ts';
import { startClientTestHub, type ClientTestHub } from './hub.ts';

const script = fileURLToPath(new URL('rest_tutorial.py', import.meta.url));

interface Seen {
  version: string;
  plain_list_names: string[];
  paged_names: string[];
  pages: { offset: number; limit: number; total: number; next: unknown }[];
  start_status: number;
  status_after_start: string;
  events: { progress: number; message: string; ready?: boolean; url?: string }[];
  server_url: string;
  jupyter_status: { started: string; kernels: number };
  user_while_running: { server: string | null; servers: Record<string, { ready: boolean }> };
  stop_status: number;
  user_after_stop: { server: string | null; servers: Record<string, unknown> };
}

describe('JupyterHub’s REST API guide, in Python with requests', { timeout: 600_000 }, () => {
  let hub: ClientTestHub;
  let python: string;

  before(async () => {
    python = hubClientPython();
    hub = await startClientTestHub();
  });

  after(() => hub.close());

  it('pages through users, starts a server, follows its progress, uses it and stops it', async () => {
    const names = ['admin', 'alice', 'bob', 'carol', 'dave', 'erin'];
    for (const name of names.slice(1)) {
      assert.equal((await hub.api('POST', `/users/${name}`)).status, 201);
    }
    const token = await hub.token(
      'admin',
      ['list:users', 'read:users', 'servers', 'access:servers'],
      'tutorial',
    );
    const { stdout } = await runPython(python, [script, hub.url, 'alice', '4'], {
      JUPYTERHUB_API_TOKEN: token,
    });
    const seen = JSON.parse(stdout) as Seen;

    assert.match(seen.version, /^\d+\.\d+\.\d+/);
    assert.deepEqual([...seen.plain_list_names].sort(), names);
    assert.deepEqual([...seen.paged_names].sort(), names);
    assert.deepEqual(
      seen.pages.map((p) => [p.offset, p.limit, p.total, p.next === null]),
      [
        [0, 4, 6, false],
        [4, 4, 6, true],
      ],
    );

    assert.ok([201, 202].includes(seen.start_status), String(seen.start_status));
    assert.ok(
      ['pending spawn', 'ready'].includes(seen.status_after_start),
      seen.status_after_start,
    );
    const last = seen.events.at(-1);
    assert.equal(last?.ready, true, JSON.stringify(seen.events));
    assert.equal(last.url, '/user/alice/');
    assert.equal(last.progress, 100);
    const progress = seen.events.map((e) => e.progress);
    assert.deepEqual(
      progress,
      [...progress].sort((a, b) => a - b),
      'progress never goes back',
    );
    for (const e of seen.events) assert.equal(typeof e.message, 'string');
    assert.equal(seen.server_url, `${hub.url}/user/alice/`);
    assert.equal(typeof seen.jupyter_status.started, 'string');
    assert.equal(seen.user_while_running.server, '/user/alice/');
    assert.equal(seen.user_while_running.servers['']?.ready, true);

    assert.ok([202, 204].includes(seen.stop_status), String(seen.stop_status));
    assert.equal(seen.user_after_stop.server, null);
    assert.deepEqual(seen.user_after_stop.servers, {});
    assert.equal(
      (await hub.ctx.hub.backend.status({ user: 'alice', server: '' })).phase,
      'stopped',
    );
  });
});
