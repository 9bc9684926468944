import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createJupyterActivityReader, parseKernels, parseStatus } from './jupyter-activity.ts';

// Shapes as Jupyter Server 2.x sends them (isoformat with microseconds and Z).
const status = {
  connections: 1,
  kernels: 1,
  last_activity: '2026-01-01T08:00:00.123456Z',
  started: '2026-01-01T07:00:00.000000Z',
};
const kernels = [
  {
    id: 'k1',
    name: 'python3',
    last_activity: '2026-01-01T07:59:00.000001Z',
    execution_state: 'busy',
    connections: 1,
  },
];

describe('parsing Jupyter status', () => {
  it('reads api/status and api/kernels', () => {
    const s = parseStatus(status);
    assert.equal(s.last_activity.toISOString(), '2026-01-01T08:00:00.123Z');
    assert.equal(s.connections, 1);
    assert.deepEqual(parseKernels(kernels), [
      {
        executionState: 'busy',
        connections: 1,
        lastActivity: new Date('2026-01-01T07:59:00.000Z'),
      },
    ]);
  });

  it('refuses answers that are not Jupyter status', () => {
    assert.throws(() => parseStatus({ last_activity: 'yesterday', connections: 0, kernels: 0 }));
    assert.throws(() => parseStatus('<html>'));
    assert.throws(() => parseKernels([{ connections: 1 }]));
  });
});

describe('createJupyterActivityReader', () => {
  function fakeFetch(answers: Record<string, unknown>) {
    const seen: { url: string; authorization: string | null }[] = [];
    const doFetch = (url: string, init?: RequestInit) => {
      const u = url;
      seen.push({ url: u, authorization: new Headers(init?.headers).get('authorization') });
      const path = new URL(u).pathname + new URL(u).search;
      const body = answers[path];
      return Promise.resolve(
        body === undefined
          ? new Response('not found', { status: 404 })
          : Response.json(body, { status: 200 }),
      );
    };
    return { seen, fetch: doFetch as unknown as typeof fetch };
  }

  const route = { target: 'http://127.0.0.1:9999', token: 'server-token' };

  it('asks for kernels without counting as activity, with the server token', async () => {
    const f = fakeFetch({
      '/user/alice/api/status': status,
      '/user/alice/api/kernels?no_track_activity=1': kernels,
    });
    const read = createJupyterActivityReader({ fetch: f.fetch });
    const activity = await read(route, '/user/alice/');
    assert.equal(activity.kernels[0]?.executionState, 'busy');
    assert.deepEqual(
      f.seen.map((s) => s.url),
      [
        'http://127.0.0.1:9999/user/alice/api/status',
        'http://127.0.0.1:9999/user/alice/api/kernels?no_track_activity=1',
      ],
    );
    assert.ok(f.seen.every((s) => s.authorization === 'token server-token'));
  });

  it('does not ask for kernels when there are none', async () => {
    const f = fakeFetch({ '/user/bob/api/status': { ...status, kernels: 0, connections: 0 } });
    const activity = await createJupyterActivityReader({ fetch: f.fetch })(route, '/user/bob/');
    assert.deepEqual(activity.kernels, []);
    assert.equal(f.seen.length, 1);
  });

  it('fails on an error status', async () => {
    const f = fakeFetch({});
    await assert.rejects(createJupyterActivityReader({ fetch: f.fetch })(route, '/user/x/'), /404/);
  });
});
