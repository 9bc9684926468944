/**
 * The proxy against real sockets: a stand-in hub (harness.ts) in front of a tiny echo
 * upstream, so each test can see exactly what reached the "notebook server".
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';
import type { Route } from '../../../src/backends/types.ts';
import { headerPairs, request, upgradeStatus } from './client.ts';
import { startEchoUpstream, type EchoUpstream, type Received } from './echo-upstream.ts';
import { closedPort, SESSION_COOKIE, startTestHub, type TestHub } from './harness.ts';

const identities = {
  'alice-session': { user: 'alice', admin: false },
  'alice-token': { user: 'alice', admin: false },
  'alice-read-token': { user: 'alice', admin: false, scopes: ['read:servers!user=alice'] },
  'bob-session': { user: 'bob', admin: false },
  'root-session': { user: 'root', admin: true },
  'carol-session': { user: 'carol', admin: false },
};
const aliceCookie = `${SESSION_COOKIE}=alice-session`;

let upstream: EchoUpstream;
let hub: TestHub;
const routes = new Map<string, Route>();

before(async () => {
  upstream = await startEchoUpstream();
  routes.set('alice', { target: upstream.target, token: 'alice-server-token' });
  routes.set('carol', { target: `http://127.0.0.1:${await closedPort()}`, token: 't' });
  hub = await startTestHub({ routes, identities, maxBodyBytes: 1000, activityIntervalMs: 1000 });
});

after(async () => {
  await hub.close();
  await upstream.close();
});

function lastReceived(): Received {
  const last = upstream.requests.at(-1);
  assert.ok(last, 'the upstream received nothing');
  return last;
}

describe('forwarding', () => {
  it('forwards GET with the server token, the Host and our X-Forwarded-* only', async () => {
    const res = await request(`${hub.url}/user/alice/api/echo?x=1`, {
      headers: {
        cookie: `_xsrf=abc; ${aliceCookie}; username-x=y`,
        'x-forwarded-user': 'root',
        'x-remote-user': 'root',
        'remote-user': 'root',
        'x-auth-request-user': 'root',
        'x-ganymede-user': 'root',
        'x-forwarded-for': '6.6.6.6',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-prefix': '/user/bob/',
        'x-forwarded-groups': 'admin',
        forwarded: 'for=6.6.6.6',
      },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2']);
    const got = JSON.parse(res.body) as Received;
    assert.equal(got.url, '/user/alice/api/echo?x=1');
    const headers = headerPairs(got.rawHeaders);
    const names = headers.map(([n]) => n);
    for (const forbidden of [
      'x-remote-user',
      'remote-user',
      'x-auth-request-user',
      'x-ganymede-user',
      'x-forwarded-user',
      'x-forwarded-prefix',
      'x-forwarded-groups',
      'forwarded',
    ]) {
      assert.ok(!names.includes(forbidden), `${forbidden} reached upstream`);
    }
    const get = (name: string) => headers.filter(([n]) => n === name).map(([, v]) => v);
    assert.deepEqual(get('authorization'), ['token alice-server-token']);
    assert.deepEqual(get('cookie'), ['_xsrf=abc; username-x=y']);
    assert.deepEqual(get('host'), [new URL(hub.url).host]);
    assert.deepEqual(get('x-forwarded-for'), ['127.0.0.1']);
    assert.deepEqual(get('x-forwarded-host'), [new URL(hub.url).host]);
    assert.deepEqual(get('x-forwarded-proto'), ['http']);
  });

  it('replaces an API token in Authorization with the server token', async () => {
    const res = await request(`${hub.url}/user/alice/api/echo`, {
      headers: { authorization: 'token alice-token' },
    });
    assert.equal(res.status, 200);
    const got = JSON.parse(res.body) as Received;
    assert.deepEqual(
      headerPairs(got.rawHeaders).filter(([n]) => n === 'authorization'),
      [['authorization', 'token alice-server-token']],
    );
  });

  it('lets an admin through to another user server', async () => {
    const res = await request(`${hub.url}/user/alice/api/echo`, {
      headers: { cookie: `${SESSION_COOKIE}=root-session` },
    });
    assert.equal(res.status, 200);
  });

  it('reuses pooled keep-alive connections upstream', async () => {
    const before = upstream.requests.length;
    const seen = new Set<string>();
    upstream.handlers.set('port', (req, res) => {
      res.end(String(req.socket.remotePort));
    });
    for (let i = 0; i < 5; i++) {
      const res = await request(`${hub.url}/user/alice/port`, { headers: { cookie: aliceCookie } });
      seen.add(res.body);
    }
    assert.equal(upstream.requests.length - before, 5);
    assert.equal(seen.size, 1, `sequential requests used ${seen.size} upstream connections`);
  });

  it('streams request bodies without buffering them', { timeout: 10_000 }, async () => {
    // The upstream answers as soon as it has the first chunk; a buffering proxy would wait
    // for the whole body, which we only send after seeing that answer: a deadlock, then timeout.
    upstream.handlers.set('upload', (req, res) => {
      req.once('data', () => {
        res.writeHead(200);
        res.write('first chunk arrived;');
        req.on('end', () => res.end('end'));
        req.resume();
      });
    });
    const req = httpRequest(`${hub.url}/user/alice/upload`, {
      method: 'PUT',
      headers: { cookie: aliceCookie, origin: hub.origin },
    });
    req.write('part 1');
    const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
    res.setEncoding('utf8');
    const [first] = (await once(res, 'data')) as [string];
    assert.equal(first, 'first chunk arrived;');
    req.end('part 2');
    const [rest] = (await once(res, 'data')) as [string];
    assert.equal(rest, 'end');
  });

  it('streams response bodies without buffering them', { timeout: 10_000 }, async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    upstream.handlers.set('download', (_req, res) => {
      res.writeHead(200);
      res.write('part 1;');
      void released.then(() => res.end('part 2'));
    });
    const req = httpRequest(`${hub.url}/user/alice/download`, { headers: { cookie: aliceCookie } });
    req.end();
    const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
    res.setEncoding('utf8');
    const [first] = (await once(res, 'data')) as [string];
    assert.equal(first, 'part 1;');
    release();
    const [rest] = (await once(res, 'data')) as [string];
    assert.equal(rest, 'part 2');
  });

  it('survives an upstream that resets mid-response', async () => {
    upstream.handlers.set('reset', (req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial', () => req.socket.destroy());
    });
    await assert.rejects(
      request(`${hub.url}/user/alice/reset`, { headers: { cookie: aliceCookie } }),
    );
    const res = await request(`${hub.url}/user/alice/api/echo`, {
      headers: { cookie: aliceCookie },
    });
    assert.equal(res.status, 200);
  });

  it('forwards a body sent with Expect: 100-continue (curl does so above 1 KB)', async () => {
    const req = httpRequest(`${hub.url}/user/alice/api/echo`, {
      method: 'POST',
      headers: {
        cookie: aliceCookie,
        origin: hub.origin,
        expect: '100-continue',
        'content-length': '500',
      },
    });
    const response = once(req, 'response');
    await Promise.race([once(req, 'continue'), response]);
    req.end(Buffer.alloc(500));
    const [res] = (await response) as [import('node:http').IncomingMessage];
    let body = '';
    for await (const chunk of res) body += String(chunk);
    assert.equal(res.statusCode, 200);
    assert.equal((JSON.parse(body) as Received).bodyBytes, 500);
  });

  it('records activity on requests, throttled per server', async () => {
    hub.advanceClock(5000);
    const count = hub.activity.length;
    for (let i = 0; i < 3; i++) {
      await request(`${hub.url}/user/alice/api/echo`, { headers: { cookie: aliceCookie } });
    }
    assert.equal(hub.activity.length, count + 1);
    assert.deepEqual(hub.activity.at(-1)?.ref, { user: 'alice', server: '' });
  });
});

describe('refusals', () => {
  it('redirects a browser without a session to the login page', async () => {
    const res = await request(`${hub.url}/user/alice/lab?a=1`, {
      headers: { accept: 'text/html' },
    });
    assert.equal(res.status, 302);
    assert.equal(
      res.headers.location,
      `/hub/login?next=${encodeURIComponent('/user/alice/lab?a=1')}`,
    );
  });

  it('answers scripts without credentials with 401 JSON', async () => {
    const before = upstream.requests.length;
    for (const headers of [
      {},
      { authorization: 'token wrong' },
      { cookie: `${SESSION_COOKIE}=forged` },
    ]) {
      const res = await request(`${hub.url}/user/alice/api/status`, { headers });
      assert.equal(res.status, 401);
      assert.equal(
        (JSON.parse(res.body) as { error: { code: string } }).error.code,
        'unauthorized',
      );
    }
    assert.equal(upstream.requests.length, before);
  });

  it('refuses another user with 403, as a page for browsers and JSON for scripts', async () => {
    const page = await request(`${hub.url}/user/alice/lab`, {
      headers: { cookie: `${SESSION_COOKIE}=bob-session`, accept: 'text/html' },
    });
    assert.equal(page.status, 403);
    assert.match(page.body, /access:servers/);
    const api = await request(`${hub.url}/user/alice/api/status`, {
      headers: { cookie: `${SESSION_COOKIE}=bob-session` },
    });
    assert.equal(api.status, 403);
  });

  it('refuses hostile paths before authentication or forwarding', async () => {
    const before = upstream.requests.length;
    for (const path of [
      '/user/bob%2F..%2Falice/api/echo',
      '/user/alice/%2e%2e/bob/',
      '/user/alice//api/echo',
      '/user/alice/%252e%252e/x',
    ]) {
      const res = await request(`${hub.url}${path}`, { headers: { cookie: aliceCookie } });
      assert.equal(res.status, 400, path);
    }
    assert.equal(upstream.requests.length, before);
  });

  it('refuses cross-site state changes with 403', async () => {
    const before = upstream.requests.length;
    const cases = [
      { origin: 'http://evil.example' },
      { origin: 'null' },
      {}, // cookie but no Origin
      { origin: hub.origin, 'sec-fetch-site': 'cross-site' },
      { origin: hub.origin, 'sec-fetch-site': 'same-site' },
    ];
    for (const extra of cases) {
      const res = await request(`${hub.url}/user/alice/api/echo`, {
        method: 'POST',
        headers: { cookie: aliceCookie, 'content-type': 'application/json', ...extra },
        body: '{}',
      });
      assert.equal(res.status, 403, JSON.stringify(extra));
    }
    assert.equal(upstream.requests.length, before);
    const ok = await request(`${hub.url}/user/alice/api/echo`, {
      method: 'POST',
      headers: { cookie: aliceCookie, origin: hub.origin, 'sec-fetch-site': 'same-origin' },
      body: '{}',
    });
    assert.equal(ok.status, 200);
    const script = await request(`${hub.url}/user/alice/api/echo`, {
      method: 'DELETE',
      headers: { authorization: 'token alice-token' },
    });
    assert.equal(script.status, 200, 'a token client sends no Origin and must pass');
  });

  it('takes a cookie request without Origin with Jupyter’s _xsrf cookie/header pair only', async () => {
    const before = upstream.requests.length;
    const post = (extra: Record<string, string>) =>
      request(`${hub.url}/user/alice/api/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...extra },
        body: '{}',
      });
    const missing = await post({ cookie: `${aliceCookie}; _xsrf=2|aabbccdd|00112233|1` });
    assert.equal(missing.status, 403);
    assert.match(missing.body, /X-XSRFToken/);
    const mismatch = await post({
      cookie: `${aliceCookie}; _xsrf=2|aabbccdd|00112233|1`,
      'x-xsrftoken': '2|aabbccdd|ffffffff|1',
    });
    assert.equal(mismatch.status, 403);
    assert.match(mismatch.body, /does not match/);
    const noCookie = await post({ cookie: aliceCookie, 'x-xsrftoken': '2|aabbccdd|00112233|1' });
    assert.equal(noCookie.status, 403);
    assert.match(noCookie.body, /nothing to match/);
    assert.equal(upstream.requests.length, before);
    const ok = await post({
      cookie: `${aliceCookie}; _xsrf=2|aabbccdd|00112233|1`,
      'x-xsrftoken': '2|aabbccdd|00112233|1',
    });
    assert.equal(ok.status, 200);
    // With a token the cookie's company does not matter: no Origin, no XSRF.
    const tokenToo = await post({ cookie: aliceCookie, authorization: 'token alice-token' });
    assert.equal(tokenToo.status, 200);
  });

  it('takes ?token= on API calls and removes it before forwarding; never on pages', async () => {
    const api = await request(`${hub.url}/user/alice/api/echo?a=1&token=alice-token&b=2`);
    assert.equal(api.status, 200);
    assert.equal(lastReceived().url, '/user/alice/api/echo?a=1&b=2');
    assert.ok(!lastReceived().rawHeaders.join('\n').includes('alice-token'));
    const page = await request(`${hub.url}/user/alice/lab?token=alice-token&x=1`, {
      headers: { accept: 'text/html' },
    });
    assert.equal(page.status, 302, 'a page is not signed in by ?token=');
    assert.equal(
      page.headers.location,
      `/hub/login?next=${encodeURIComponent('/user/alice/lab?x=1')}`,
    );
    const signedIn = await request(`${hub.url}/user/alice/lab?token=alice-token&x=1`, {
      headers: { accept: 'text/html', cookie: aliceCookie },
    });
    assert.equal(signedIn.status, 200);
    assert.equal(lastReceived().url, '/user/alice/lab?x=1');
  });

  it('needs access:servers: a read:servers token is refused, as for a server that does not exist', async () => {
    const before = upstream.requests.length;
    const own = await request(`${hub.url}/user/alice/api/echo`, {
      headers: { authorization: 'token alice-read-token' },
    });
    assert.equal(own.status, 403);
    const missing = await request(`${hub.url}/user/nobody/api/echo`, {
      headers: { authorization: 'token alice-read-token' },
    });
    assert.equal(missing.status, 403);
    assert.equal(missing.body, own.body);
    assert.equal(upstream.requests.length, before);
  });

  it('answers 413 for a body over the limit by Content-Length, without forwarding', async () => {
    const before = upstream.requests.length;
    const res = await request(`${hub.url}/user/alice/api/echo`, {
      method: 'POST',
      headers: { cookie: aliceCookie, origin: hub.origin },
      body: Buffer.alloc(1001),
    });
    assert.equal(res.status, 413);
    assert.equal(upstream.requests.length, before);
    const exact = await request(`${hub.url}/user/alice/api/echo`, {
      method: 'POST',
      headers: { cookie: aliceCookie, origin: hub.origin },
      body: Buffer.alloc(1000),
    });
    assert.equal(exact.status, 200);
    assert.equal((JSON.parse(exact.body) as Received).bodyBytes, 1000);
  });

  it('answers 413 for a chunked body that grows over the limit', async () => {
    const req = httpRequest(`${hub.url}/user/alice/api/echo`, {
      method: 'POST',
      headers: { cookie: aliceCookie, origin: hub.origin, 'transfer-encoding': 'chunked' },
    });
    req.on('error', () => undefined); // the proxy may close while we still write
    for (let i = 0; i < 5; i++) req.write(Buffer.alloc(300));
    req.end();
    const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
    assert.equal(res.statusCode, 413);
    res.resume();
    const received = lastReceived();
    assert.ok(received.bodyBytes <= 1000, `upstream got ${received.bodyBytes} bytes`);
  });

  it('shows the start-your-server page when no route exists or the server is down', async () => {
    const page = await request(`${hub.url}/user/root/lab`, {
      headers: { cookie: `${SESSION_COOKIE}=root-session`, accept: 'text/html' },
    });
    assert.equal(page.status, 503);
    assert.match(page.body, /Start root/);
    const refused = await request(`${hub.url}/user/carol/lab`, {
      headers: { cookie: `${SESSION_COOKIE}=carol-session`, accept: 'text/html' },
    });
    assert.equal(refused.status, 503);
    assert.match(refused.body, /Start carol/);
    const api = await request(`${hub.url}/user/carol/api/status`, {
      headers: { cookie: `${SESSION_COOKIE}=carol-session` },
    });
    assert.equal(api.status, 503);
    assert.equal((JSON.parse(api.body) as { error: { code: string } }).error.code, 'unavailable');
  });
});

describe('WebSocket', () => {
  function open(path: string, headers: Record<string, string>): Promise<WebSocket> {
    const ws = new WebSocket(`${hub.url.replace('http', 'ws')}${path}`, { headers });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        resolve(ws);
      });
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`status ${res.statusCode ?? 0}`));
      });
      ws.once('error', reject);
    });
  }
  const good = { cookie: aliceCookie, origin: '' };
  before(() => {
    good.origin = hub.origin;
  });

  it('proxies messages both ways with the server token and no identity headers', async () => {
    const ws = await open('/user/alice/api/kernels/k/channels', {
      ...good,
      'x-forwarded-user': 'root',
    });
    ws.send('hello');
    const [echo] = (await once(ws, 'message')) as [Buffer];
    assert.equal(echo.toString(), 'hello');
    ws.send('headers?');
    const [raw] = (await once(ws, 'message')) as [Buffer];
    const headers = headerPairs(JSON.parse(raw.toString()) as string[]);
    assert.deepEqual(
      headers.filter(([n]) => n === 'authorization'),
      [['authorization', 'token alice-server-token']],
    );
    assert.ok(!headers.some(([n]) => n === 'x-forwarded-user'));
    assert.ok(!headers.some(([, v]) => v.includes('alice-session')));
    ws.close();
    await once(ws, 'close');
  });

  it('records activity for data in either direction, throttled', async () => {
    const ws = await open('/user/alice/api/kernels/k/channels', good);
    hub.advanceClock(5000);
    const count = hub.activity.length;
    for (let i = 0; i < 10; i++) {
      ws.send(`m${i}`);
      await once(ws, 'message');
    }
    assert.equal(hub.activity.length, count + 1, 'ten round trips, one record');
    ws.close();
    await once(ws, 'close');
  });

  it('refuses foreign origins, cross-site fetches, other users and anonymous', async () => {
    await assert.rejects(
      open('/user/alice/x', { ...good, origin: 'http://evil.example' }),
      /status 403/,
    );
    // A handshake without Origin is no browser's (RFC 6455 §4.1): taken, as jupyter_server does.
    const program = await open('/user/alice/x', { cookie: aliceCookie });
    program.close();
    await once(program, 'close');
    await assert.rejects(
      open('/user/alice/x', { ...good, 'sec-fetch-site': 'cross-site' }),
      /status 403/,
    );
    await assert.rejects(
      open('/user/alice/x', { ...good, cookie: `${SESSION_COOKIE}=bob-session` }),
      /status 403/,
    );
    await assert.rejects(open('/user/alice/x', { origin: hub.origin }), /status 401/);
    assert.equal(await upgradeStatus(`${hub.url}/user/alice/%2e%2e/x`, good), 400);
    assert.equal(await upgradeStatus(`${hub.url}/user/bob%2F..%2Falice/x`, good), 400);
    await assert.rejects(
      open('/user/carol/x', { cookie: `${SESSION_COOKIE}=carol-session`, origin: hub.origin }),
      /status 503/,
    );
  });

  it('closes the client when the upstream goes away, and the upstream when the client does', async () => {
    const ws = await open('/user/alice/x', good);
    ws.send('ping');
    await once(ws, 'message');
    assert.equal(upstream.sockets.size, 1);
    const [server] = upstream.sockets;
    server?.terminate();
    await once(ws, 'close');

    const ws2 = await open('/user/alice/x', good);
    ws2.send('ping');
    await once(ws2, 'message');
    const [server2] = upstream.sockets;
    assert.ok(server2);
    const closed = once(server2, 'close');
    ws2.terminate(); // abrupt: no closing handshake, just a dead TCP connection
    await closed;
    assert.equal(upstream.sockets.size, 0);
  });

  it('close() ends proxied WebSockets', async () => {
    const spare = await startTestHub({ routes, identities });
    const ws = new WebSocket(`${spare.url.replace('http', 'ws')}/user/alice/x`, {
      headers: { cookie: aliceCookie, origin: spare.origin },
    });
    await once(ws, 'open');
    const closed = once(ws, 'close');
    await spare.proxy.close();
    await closed;
    await spare.close();
  });
});

describe('asynchronous authentication', () => {
  it('works the same when authenticate returns a promise', async () => {
    const asyncHub = await startTestHub({ routes, identities, asyncAuth: true });
    try {
      const ok = await request(`${asyncHub.url}/user/alice/api/echo`, {
        headers: { cookie: aliceCookie },
      });
      assert.equal(ok.status, 200);
      const other = await request(`${asyncHub.url}/user/alice/api/echo`, {
        headers: { cookie: `${SESSION_COOKIE}=bob-session` },
      });
      assert.equal(other.status, 403);
    } finally {
      await asyncHub.close();
    }
  });
});
