/**
 * What every client test here needs besides the real hub (test/helpers/test-hub.ts): an admin
 * API token got the way a person gets one, and a few REST calls made with it. The clients under
 * test never use these; the tests use them to set the scene and to check the result.
 */
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, Browser, startTestHub } from '../../helpers/test-hub.ts';

export interface ClientTestHub {
  readonly ctx: Awaited<ReturnType<typeof startTestHub>>;
  readonly url: string;
  readonly adminToken: string;
  api(method: string, path: string, body?: unknown, token?: string): Promise<Response>;
  /** A token for `owner` with exactly these scopes (made with the admin's token). */
  token(owner: string, scopes: readonly string[], note: string): Promise<string>;
  /** Creates the user (if new) and starts their default server; resolves when it is ready. */
  startServer(user: string): Promise<void>;
  close(): Promise<void>;
}

export async function startClientTestHub(
  options: Parameters<typeof startTestHub>[0] = {},
): Promise<ClientTestHub> {
  const ctx = await startTestHub(options);
  const url = ctx.hub.url;
  const browser = new Browser(url);
  await browser.signIn('admin', ADMIN_PASSWORD);
  const created = await browser.fetch('/hub/api/users/admin/tokens', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'X-XSRFToken': await browser.xsrf() },
    body: JSON.stringify({ note: 'client tests' }),
  });
  const text = await created.text();
  assert.equal(created.status, 201, text);
  const adminToken = (JSON.parse(text) as { token: string }).token;

  const api = (method: string, path: string, body?: unknown, token = adminToken) =>
    fetch(`${url}/hub/api${path}`, {
      method,
      headers: {
        authorization: `token ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  return {
    ctx,
    url,
    adminToken,
    api,
    async token(owner, scopes, note) {
      const res = await api('POST', `/users/${owner}/tokens`, { scopes, note });
      const body = await res.text();
      assert.equal(res.status, 201, body);
      return (JSON.parse(body) as { token: string }).token;
    },
    async startServer(user) {
      const exists = await api('GET', `/users/${user}`);
      if (exists.status === 404) assert.equal((await api('POST', `/users/${user}`)).status, 201);
      const start = await api('POST', `/users/${user}/server`);
      assert.ok([201, 202].includes(start.status), `${start.status} ${await start.text()}`);
      const events = await (await api('GET', `/users/${user}/server/progress`)).text();
      assert.match(events, /"ready":true/, events);
    },
    async close() {
      const running = await ctx.hub.backend.list();
      await Promise.all(running.map((s) => ctx.hub.backend.stop(s.ref)));
      await ctx.hub.close();
    },
  };
}
