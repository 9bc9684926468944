/**
 * In-process test set-up for the REST API: the whole web app (so the real identity middleware,
 * CSRF guard and error handler run) over an in-memory SQLite store and the fake backend, and
 * a checker that every answer matches what the served OpenAPI document says about it.
 */
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { createAuthService } from '../auth/auth-service.ts';
import { createFakeBackend, type FakeMode } from '../backends/fake/fake-backend.ts';
import { parseConfig } from '../config/load.ts';
import { silentLogger } from '../logging/logger.ts';
import { createServerService } from '../servers/server-service.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { createWebApp, SESSION_COOKIE } from '../web/app.ts';

export const ORIGIN = 'http://hub.test';

interface OpenApi {
  paths: Record<string, Record<string, { responses: Record<string, { content?: object }> }>>;
}

// ajv-formats is CommonJS with a default export; under Node's ESM interop it arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

export interface ApiHarnessOptions {
  readonly mode?: FakeMode;
  readonly pageDefaultLimit?: number;
  readonly slowStopMs?: number;
  /** The config's `quotas` (parsed by the config schema). */
  readonly quotas?: Record<string, unknown>;
}

export async function setupApi(options: ApiHarnessOptions = {}) {
  const config = parseConfig(options.quotas ? { quotas: options.quotas } : {});
  const store = openSqliteStore(':memory:');
  // One clock for the auth service and the API, moved by tests (never slept on).
  const clock = { ms: Date.now() };
  const auth = createAuthService({ store, ...config.auth, cacheMs: 0, now: () => clock.ms });
  const backend = createFakeBackend({ mode: options.mode ?? 'ok' });
  const servers = createServerService({
    store,
    backend,
    profiles: config.profiles,
    log: silentLogger,
    ...(config.quotas ? { quotas: config.quotas } : {}),
  });
  const app = createWebApp({
    auth,
    servers,
    store,
    log: silentLogger,
    publicUrl: undefined,
    sessionHours: 1,
    api: {
      now: () => new Date(clock.ms),
      ...(options.pageDefaultLimit ? { pageDefaultLimit: options.pageDefaultLimit } : {}),
      ...(options.slowStopMs ? { slowStopMs: options.slowStopMs } : {}),
    },
  });
  const admin = await auth.createUser('root', 'root-password', true);
  const alice = await auth.createUser('alice', 'alice-password', false);
  const bob = await auth.createUser('bob', 'bob-password', false);
  const adminToken = (await auth.createToken(admin.id, 'test')).token;
  const aliceToken = (await auth.createToken(alice.id, 'test')).token;
  const bobToken = (await auth.createToken(bob.id, 'test')).token;

  const openapi = (await (await app.request(`${ORIGIN}/hub/api/openapi.json`)).json()) as OpenApi;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(openapi, 'openapi');

  /** A request as an API client sends it: `Authorization: token …`, JSON body. */
  function api(
    method: string,
    path: string,
    init: { token?: string | undefined; body?: unknown; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token !== undefined) headers['authorization'] = `token ${init.token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    return app.request(`${ORIGIN}/hub/api${path}`, {
      method,
      headers,
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
  }

  /**
   * Asserts the answer is one the document lists for this operation, with a body that
   * validates against its schema; returns the parsed body (undefined when empty).
   */
  async function documented(
    res: Response,
    method: string,
    path: string,
    expectedStatus: number,
  ): Promise<unknown> {
    const text = await res.text();
    assert.equal(res.status, expectedStatus, `${method} ${path}: ${text}`);
    const op = openapi.paths[path]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${path} is not in the OpenAPI document`);
    const doc = op.responses[String(res.status)];
    assert.ok(doc, `${method} ${path} answered ${res.status}, which is not documented`);
    if (!doc.content) {
      assert.equal(text, '', `${method} ${path} ${res.status} should have no body`);
      return undefined;
    }
    const [type] = Object.keys(doc.content);
    assert.ok(
      (res.headers.get('content-type') ?? '').startsWith(type ?? ''),
      `${method} ${path} answered ${res.headers.get('content-type') ?? ''}, documented ${type ?? ''}`,
    );
    if (type !== 'application/json') return text;
    const body: unknown = JSON.parse(text);
    const pointer = [
      'paths',
      path.replaceAll('~', '~0').replaceAll('/', '~1'),
      method.toLowerCase(),
      'responses',
      String(res.status),
      'content',
      'application~1json',
      'schema',
    ].join('/');
    const validate = ajv.getSchema(`openapi#/${pointer}`);
    assert.ok(validate, `no schema at ${pointer}`);
    assert.ok(
      validate(body),
      `${method} ${path} ${res.status} body does not match the document: ${ajv.errorsText(validate.errors)}\n${text}`,
    );
    return body;
  }

  /** Signs in through the login form: the session cookie and the XSRF value for the API. */
  async function signIn(user: string, password: string) {
    const res = await app.request(`${ORIGIN}/hub/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
      body: new URLSearchParams({ username: user, password }).toString(),
    });
    assert.equal(res.status, 302);
    const sessionId = /ganymede-session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
    assert.ok(sessionId);
    const identity = await auth.fromSession(sessionId);
    assert.ok(identity);
    return { cookie: `${SESSION_COOKIE}=${sessionId}`, xsrf: auth.xsrfToken(identity) };
  }

  return {
    app,
    clock,
    store,
    auth,
    backend,
    servers,
    users: { admin, alice, bob },
    tokens: { admin: adminToken, alice: aliceToken, bob: bobToken },
    openapi,
    api,
    documented,
    signIn,
  };
}

export type ApiHarness = Awaited<ReturnType<typeof setupApi>>;
