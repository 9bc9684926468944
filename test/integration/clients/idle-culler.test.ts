/**
 * jupyterhub-idle-culler (PyPI), run the way JupyterHub runs it as a service
 * (`python -m jupyterhub_idle_culler --timeout … --cull-every … --url …/hub/api`, its token in
 * JUPYTERHUB_API_TOKEN carrying exactly the scopes its README lists), against a real hub with
 * real Jupyter servers: the idle ones (a default and a named server) are stopped, the one in
 * use is left running.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { hubClientPython } from '../../helpers/python/hub-client-python.ts';
import { startClientTestHub, type ClientTestHub } from './hub.ts';

/** The culler's --timeout: short, so the test waits little, and long enough to cover its run. */
const TIMEOUT_S = 20;
const CULL_EVERY_S = 2;
/** jupyterhub-idle-culler's README, "Permissions". */
const CULLER_SCOPES = ['list:users', 'read:users:activity', 'read:servers', 'delete:servers'];

async function until<T>(
  what: () => string,
  ms: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await sleep(250);
  }
}

describe('jupyterhub-idle-culler as a JupyterHub service', { timeout: 600_000 }, () => {
  let hub: ClientTestHub;
  let python: string;
  let culler: ChildProcess | undefined;
  let log = '';

  before(async () => {
    python = hubClientPython();
    hub = await startClientTestHub();
  });

  after(async () => {
    culler?.kill();
    await hub.close();
  });

  it('stops the idle server and leaves the one in use', async () => {
    await Promise.all([hub.startServer('alice'), hub.startServer('bob')]);
    // Alice also has an idle named server: the culler stops it with DELETE …/servers/<name>.
    const named = await hub.api('POST', '/users/alice/servers/train');
    assert.ok([201, 202].includes(named.status), `${named.status} ${await named.text()}`);
    const events = await (await hub.api('GET', '/users/alice/servers/train/progress')).text();
    assert.match(events, /"ready":true/, events);
    const cullerToken = await hub.token('admin', CULLER_SCOPES, 'idle culler');

    // Both servers idle past the limit, then Bob uses his through the proxy, as a browser or
    // kernel client would (any request under /user/bob/ counts as activity).
    await sleep((TIMEOUT_S + 1) * 1000);
    const bobToken = await hub.token('bob', ['access:servers!user=bob'], 'bob at work');
    const use = async () => {
      const res = await fetch(`${hub.url}/user/bob/api/status`, {
        headers: { authorization: `token ${bobToken}` },
      });
      assert.equal(res.status, 200, await res.text());
    };
    await use();
    // The proxy's activity reaches the store in batches (once a second), as JupyterHub's
    // reaches it from its proxy: wait for it rather than expecting it at once.
    let bobActivity = '(none)';
    await until(
      () => `bob's activity to be recorded (last: ${bobActivity})`,
      5_000,
      async () => {
        const users = (await (await hub.api('GET', '/users/bob')).json()) as {
          servers: Record<string, { last_activity: string | null }>;
        };
        bobActivity = users.servers['']?.last_activity ?? '(none)';
        return Date.now() - Date.parse(bobActivity) < 5_000 ? true : undefined;
      },
    );

    culler = spawn(
      python,
      [
        '-m',
        'jupyterhub_idle_culler',
        `--timeout=${TIMEOUT_S}`,
        `--cull-every=${CULL_EVERY_S}`,
        `--url=${hub.url}/hub/api`,
        '--IdleCuller.log_level=DEBUG',
      ],
      {
        // Its default --config file is read from the working directory: an empty one.
        cwd: mkdtempSync(join(tmpdir(), 'idle-culler-')),
        env: { ...process.env, JUPYTERHUB_API_TOKEN: cullerToken, PYTHONUNBUFFERED: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    culler.stdout?.on('data', (c: Buffer) => (log += c.toString()));
    culler.stderr?.on('data', (c: Buffer) => (log += c.toString()));
    const keepUsing = setInterval(() => void use().catch(() => undefined), 1_000);
    try {
      const passes = () => log.match(/Got \d+ users with ready servers/g)?.length ?? 0;
      await until(
        () => `alice's servers to be culled\n${log}`,
        30_000,
        async () => {
          const res = await hub.api('GET', '/users/alice');
          const alice = (await res.json()) as { servers: Record<string, unknown> };
          return Object.keys(alice.servers).length === 0 ? true : undefined;
        },
      );
      // Two more whole passes after the cull: Bob's server survived them.
      const seen = passes();
      await until(
        () => `two more culler passes\n${log}`,
        30_000,
        () => Promise.resolve(passes() >= seen + 2 ? true : undefined),
      );
    } finally {
      clearInterval(keepUsing);
      culler.kill();
    }

    assert.match(log, /Culling server alice \(inactive for/, log);
    assert.match(log, /Culling server alice\/train \(inactive for/, log);
    assert.doesNotMatch(log, /Culling server bob/, log);
    assert.doesNotMatch(log, /Traceback|Error processing|HTTP \d{3}/, log);
    assert.match(log, /Not culling server bob/, log);
    assert.equal(
      (await hub.ctx.hub.backend.status({ user: 'alice', server: '' })).phase,
      'stopped',
    );
    const train = { user: 'alice', server: 'train' };
    assert.equal((await hub.ctx.hub.backend.status(train)).phase, 'stopped');
    assert.equal((await hub.ctx.hub.backend.status({ user: 'bob', server: '' })).phase, 'running');
    const bob = (await (await hub.api('GET', '/users/bob')).json()) as { server: string | null };
    assert.equal(bob.server, '/user/bob/');
  });
});
