import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createApiApp, PATH_ALIASES } from './api-app.ts';
import { setupApi, type ApiHarness } from './test-harness.ts';
import { OPENAPI_YAML, openApiYaml } from './write-openapi.ts';

interface Sample {
  readonly path: string;
  readonly status: number;
  readonly body?: unknown;
  readonly token?: (t: ApiHarness) => string;
}

/**
 * One real request per documented operation, with the answer it must give. Keyed by
 * operationId: an operation added to the document without a sample here fails the test.
 */
const samples: Record<string, Sample> = {
  'get-version': { path: '/', status: 200 },
  'get-info': { path: '/info', status: 200 },
  'get-openapi': { path: '/openapi.json', status: 200 },
  'get-self': { path: '/user', status: 200 },
  'get-users': { path: '/users?state=active&offset=0&limit=5', status: 200 },
  'post-users': { path: '/users', status: 201, body: { usernames: ['zed'] } },
  'get-user': { path: '/users/alice?include_stopped_servers', status: 200 },
  'post-user': { path: '/users/newbie', status: 201, body: { admin: false } },
  'patch-user': { path: '/users/alice', status: 200, body: { admin: false } },
  'delete-user': { path: '/users/zed', status: 204 },
  'post-user-activity': {
    path: '/users/alice/activity',
    status: 204,
    body: { last_activity: new Date().toISOString() },
  },
  'post-user-server': { path: '/users/alice/server', status: 201, body: { profile: 'standard' } },
  'get-user-server-progress': { path: '/users/alice/server/progress', status: 200 },
  'delete-user-server': { path: '/users/alice/server', status: 204 },
  'post-user-named-server': { path: '/users/alice/servers/gpu', status: 201 },
  'delete-user-named-server': { path: '/users/alice/servers/gpu', status: 204 },
  'get-user-named-server-progress': { path: '/users/alice/servers/gpu/progress', status: 200 },
  'get-user-tokens': { path: '/users/alice/tokens', status: 200 },
  'post-user-tokens': { path: '/users/alice/tokens', status: 201, body: { note: 'ci' } },
  'get-user-token': { path: '/users/alice/tokens/a2', status: 200 },
  'delete-user-token': { path: '/users/alice/tokens/a2', status: 204 },
  'get-groups': { path: '/groups', status: 200 },
};

type Operations = Record<string, Record<string, { operationId: string }>>;

describe('REST API: the OpenAPI document and the implementation agree', () => {
  it('answers every documented operation as documented', async () => {
    const t = await setupApi();
    const paths = t.openapi.paths as unknown as Operations;
    const documented = Object.entries(paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ path, method, id: op.operationId })),
    );
    assert.deepEqual(documented.map((o) => o.id).sort(), Object.keys(samples).sort());
    // Sample order is the document's order, which creates before it deletes.
    for (const op of documented) {
      const sample = samples[op.id];
      assert.ok(sample);
      const res = await t.api(op.method.toUpperCase(), sample.path, {
        token: (sample.token ?? ((h) => h.tokens.admin))(t),
        ...(sample.body !== undefined ? { body: sample.body } : {}),
      });
      await t.documented(res, op.method.toUpperCase(), op.path, sample.status);
    }
  });

  it('documents every route the API serves', async () => {
    const t = await setupApi();
    const paths = t.openapi.paths as unknown as Operations;
    const api = createApiApp({
      auth: t.auth,
      servers: t.servers,
      store: t.store,
      log: console as never,
    });
    const aliases = new Set(Object.values(PATH_ALIASES).flat());
    const served = api.routes
      .filter((r) => !aliases.has(r.path)) // other spellings of documented operations
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([a-z_]+)/g, '{$1}')}`);
    assert.ok(served.length > 0);
    for (const route of served) {
      const [method = '', path = ''] = route.split(' ');
      assert.ok(paths[path]?.[method], `${route} is served but not documented`);
    }
    const documentedCount = Object.values(paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
    assert.equal(served.length, documentedCount);
  });

  it('keeps docs/api/openapi.yaml up to date (run node src/api/write-openapi.ts)', () => {
    assert.equal(readFileSync(OPENAPI_YAML, 'utf8'), openApiYaml());
  });
});
