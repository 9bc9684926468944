/**
 * A stand-in hub for proxy tests: a node:http server that hands `/user/…` to a real
 * `createProxy`, with an in-memory identity table (session cookie or API token), routes the
 * test controls, and an injected clock. Records what the proxy asked of the hub.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Route, ServerRef } from '../../../src/backends/types.ts';
import { expandScopes, rightsOf } from '../../../src/api/scopes.ts';
import { createProxy, type Identity, type Proxy } from '../../../src/proxy/index.ts';

export const SESSION_COOKIE = 'ganymede-session';

export interface HubOptions {
  /** By user name for default servers, by `user/server` for named ones. */
  readonly routes: Map<string, Route>;
  /** `user/server` of the named servers users have (running or not): `hasServer`. */
  readonly namedServers?: ReadonlySet<string>;
  /** Answer `hasServer` through a promise (as a store lookup would). */
  readonly asyncHasServer?: boolean;
  /**
   * Session id or API token → identity. `scopes` defaults to the owner's rights (what a
   * session holds); `credential` to `token` for keys ending in `-token`, else `session`.
   */
  readonly identities: Record<string, TestIdentity>;
  /** User → groups, for `!group=` filters. */
  readonly groups?: Record<string, readonly string[]>;
  readonly maxBodyBytes?: number;
  readonly activityIntervalMs?: number;
  /** Answer `authenticate` through a promise (as a store lookup would) instead of directly. */
  readonly asyncAuth?: boolean;
}

export interface TestIdentity {
  readonly user: string;
  readonly admin: boolean;
  readonly scopes?: readonly string[];
}

export interface TestHub {
  readonly url: string;
  readonly origin: string;
  readonly proxy: Proxy;
  readonly activity: { ref: ServerRef; at: number }[];
  readonly noServerPages: ServerRef[];
  /** The refs `hasServer` was asked about. */
  readonly hasServerAsked: ServerRef[];
  advanceClock(ms: number): void;
  close(): Promise<void>;
}

export async function startTestHub(options: HubOptions): Promise<TestHub> {
  let clock = 1_700_000_000_000;
  const activity: { ref: ServerRef; at: number }[] = [];
  const noServerPages: ServerRef[] = [];
  const hasServerAsked: ServerRef[] = [];
  const has = (ref: ServerRef): boolean => {
    hasServerAsked.push(ref);
    return options.namedServers?.has(`${ref.user}/${ref.server}`) ?? false;
  };
  const identity = (key: string): Identity | undefined => {
    const known = options.identities[key];
    if (known === undefined) return undefined;
    return {
      user: known.user,
      admin: known.admin,
      credential: key.endsWith('-token') ? 'token' : 'session',
      scopes: known.scopes
        ? expandScopes(known.scopes, { name: known.user, admin: known.admin })
        : rightsOf({ name: known.user, admin: known.admin }),
    };
  };
  const lookup = (req: IncomingMessage, queryToken: string | undefined): Identity | undefined => {
    const auth = req.headers.authorization;
    const token = auth?.match(/^(?:token|bearer) (.+)$/i)?.[1] ?? queryToken;
    const byToken = token === undefined ? undefined : identity(token);
    if (byToken) return byToken;
    const session = req.headers.cookie?.match(/(?:^|;\s*)ganymede-session=([^;]+)/)?.[1];
    return session === undefined ? undefined : identity(session);
  };
  const proxy = createProxy({
    authenticate: options.asyncAuth === true ? (req, q) => Promise.resolve(lookup(req, q)) : lookup,
    groupsOf: (user) => options.groups?.[user] ?? [],
    route: (ref) => options.routes.get(ref.server === '' ? ref.user : `${ref.user}/${ref.server}`),
    hasServer: options.asyncHasServer === true ? (ref) => Promise.resolve(has(ref)) : has,
    recordActivity: (ref, at) => activity.push({ ref, at: at.getTime() }),
    onNoServer: (_req, res, ref) => {
      noServerPages.push(ref);
      res.writeHead(503, { 'content-type': 'text/html' });
      const name = ref.server === '' ? ref.user : `${ref.user}/${ref.server}`;
      res.end(`<p>Your server is not running. <button>Start ${name}</button></p>`);
    },
    onUnauthenticated: (_req, res, next) => {
      res.writeHead(302, { location: `/hub/login?next=${encodeURIComponent(next)}` });
      res.end();
    },
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    sessionCookieName: SESSION_COOKIE,
    activityIntervalMs: options.activityIntervalMs ?? 60_000,
    now: () => clock,
  });
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/user/') === true) proxy.handleRequest(req, res);
    else {
      res.writeHead(404);
      res.end('hub page');
    }
  });
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
    if (req.url?.startsWith('/user/') === true) proxy.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    origin,
    proxy,
    activity,
    noServerPages,
    hasServerAsked,
    advanceClock: (ms) => (clock += ms),
    async close() {
      await proxy.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  return port;
}
