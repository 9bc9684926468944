/**
 * The benchmark's "hub": a node:http server that hands `/user/…` to our proxy, with
 * authentication ON exactly as the hub does it (src/hub/hub.ts): the session cookie is read
 * and checked by the real auth service (SHA-256 of the session id, short in-memory cache,
 * SQLite store behind it). A user and a session are created at start-up.
 * Usage: node bench/proxy/ganymede-proxy.ts <upstream-port>; prints
 * `{"port": …, "cookie": "…"}` on stdout when listening.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthService } from '../../src/auth/auth-service.ts';
import { createRequestIdentifier } from '../../src/hub/request-identity.ts';
import { createProxy } from '../../src/proxy/index.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';

const SESSION_COOKIE = 'ganymede-session';
const upstreamPort = Number(process.argv[2]);
const store = openSqliteStore(join(mkdtempSync(join(tmpdir(), 'ganymede-bench-')), 'hub.sqlite'));
const auth = createAuthService({
  store,
  sessionHours: 24,
  maxFailuresPerUser: 5,
  maxFailuresPerAddress: 50,
  windowMinutes: 15,
});
const password = 'bench-password-1';
await auth.ensureAdmin('alice', password);
const { sessionId } = await auth.login('alice', password, '127.0.0.1');

const proxy = createProxy({
  // What the hub does (src/hub/request-identity.ts): the session, with its scopes.
  authenticate: createRequestIdentifier(auth, store),
  route: (ref) =>
    ref.user === 'alice'
      ? { target: `http://127.0.0.1:${upstreamPort}`, token: 'upstream-token' }
      : undefined,
  recordActivity: () => undefined,
  onNoServer: (_req, res) => {
    res.writeHead(503);
    res.end('not running');
  },
  onUnauthenticated: (_req, res) => {
    res.writeHead(302, { location: '/hub/login' });
    res.end();
  },
  maxBodyBytes: 10 * 1024 * 1024,
  sessionCookieName: SESSION_COOKIE,
});

const server = createServer((req, res) => {
  if (req.url?.startsWith('/user/') === true) proxy.handleRequest(req, res);
  else {
    res.writeHead(404);
    res.end();
  }
});
server.keepAliveTimeout = 60_000;
server.on('upgrade', (req, socket, head) => {
  if (req.url?.startsWith('/user/') === true) proxy.handleUpgrade(req, socket, head);
  else socket.destroy();
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ port, cookie: `${SESSION_COOKIE}=${sessionId}` })}\n`);
});
// A normal exit on SIGINT/SIGTERM, so `node --cpu-prof` writes its profile.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
