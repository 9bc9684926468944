import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './upstream-headers.ts';

const ctx = {
  serverToken: 'server-secret',
  sessionCookieName: 'ganymede-session',
  clientAddress: '10.0.0.7',
  protocol: 'https',
  upgrade: false,
};

function pairs(flat: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i] ?? '', flat[i + 1] ?? '']);
  return out;
}

describe('upstreamRequestHeaders', () => {
  // Name, value pairs read best one pair per line.
  // prettier-ignore
  const hostile = [
    'Host', 'hub.example.org',
    'X-Forwarded-User', 'root',
    'x-remote-user', 'root',
    'Remote-User', 'root',
    'X-Auth-Request-User', 'root',
    'X-Auth-Request-Email', 'root@example.org',
    'X-Ganymede-User', 'root',
    'X-Forwarded-For', '1.2.3.4',
    'X-Forwarded-Proto', 'https',
    'X-Forwarded-Host', 'evil.example',
    'X-Forwarded-Prefix', '/user/bob/',
    'Forwarded', 'for=1.2.3.4;host=evil',
    'X-Real-IP', '1.2.3.4',
    'Authorization', 'token hub-api-token',
    'Cookie', '_xsrf=abc; ganymede-session=secret; username-x=1',
    'Connection', 'keep-alive, X-Secret-Hop',
    'X-Secret-Hop', 'x',
    'Keep-Alive', 'timeout=5',
    'Proxy-Authorization', 'Basic x',
    'Upgrade', 'h2c',
    'TE', 'trailers',
    'Accept', 'application/json',
    'X-XSRFToken', 'abc',
  ];

  it('strips identity, hop-by-hop and credential headers and sets its own', () => {
    assert.deepEqual(pairs(upstreamRequestHeaders(hostile, ctx)), [
      ['Host', 'hub.example.org'],
      ['Cookie', '_xsrf=abc; username-x=1'],
      ['Accept', 'application/json'],
      ['X-XSRFToken', 'abc'],
      ['Authorization', 'token server-secret'],
      ['X-Forwarded-For', '10.0.0.7'],
      ['X-Forwarded-Proto', 'https'],
      ['X-Forwarded-Host', 'hub.example.org'],
    ]);
  });

  it('keeps Upgrade and sets Connection: Upgrade for WebSocket handshakes', () => {
    const out = pairs(
      upstreamRequestHeaders(
        ['Host', 'h', 'Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k'],
        { ...ctx, upgrade: true },
      ),
    );
    assert.deepEqual(out, [
      ['Host', 'h'],
      ['Upgrade', 'websocket'],
      ['Sec-WebSocket-Key', 'k'],
      ['Authorization', 'token server-secret'],
      ['X-Forwarded-For', '10.0.0.7'],
      ['X-Forwarded-Proto', 'https'],
      ['X-Forwarded-Host', 'h'],
      ['Connection', 'Upgrade'],
    ]);
  });

  it('drops the Cookie header when only the session cookie was in it', () => {
    const out = upstreamRequestHeaders(['Cookie', 'ganymede-session=s'], ctx);
    assert.equal(
      out.some((h) => h.toLowerCase() === 'cookie'),
      false,
    );
  });

  it('never lets Connection remove Host', () => {
    const out = pairs(upstreamRequestHeaders(['Host', 'h', 'Connection', 'host'], ctx));
    assert.deepEqual(out[0], ['Host', 'h']);
  });
});

describe('downstreamResponseHeaders', () => {
  it('keeps repeated Set-Cookie and drops hop-by-hop headers', () => {
    // prettier-ignore
    const out = downstreamResponseHeaders([
      'Set-Cookie', 'a=1',
      'Set-Cookie', 'b=2',
      'Connection', 'keep-alive, X-Hop',
      'X-Hop', '1',
      'Keep-Alive', 'timeout=5',
      'Transfer-Encoding', 'chunked',
      'Content-Type', 'text/plain',
    ]);
    assert.deepEqual(pairs(out), [
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
      ['Content-Type', 'text/plain'],
    ]);
  });
});
