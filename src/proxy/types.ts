/**
 * The proxy's contract with the hub. The hub's node:http server hands every request and
 * upgrade whose path starts with `/user/` to `handleRequest` / `handleUpgrade`; the proxy
 * decides, authenticates, authorises and forwards, and calls back into the hub for pages.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Route, ServerRef } from '../backends/types.ts';

/** Who is making a request, as established by the hub's session or API token check. */
export interface Identity {
  /** Normalised user name. */
  readonly user: string;
  readonly admin: boolean;
  /** An API token (header or `?token=`), or the hub's session cookie (src/security/cross-site.ts). */
  readonly credential: 'token' | 'session';
  /**
   * The credential's effective scopes, expanded (src/api/scopes.ts): a token's intersected with
   * its owner's rights, a session's its owner's rights. The proxy reads `access:servers`.
   */
  readonly scopes: ReadonlySet<string>;
}

/**
 * `I` is the hub's own identity type (it may carry more, such as a user id); the proxy only
 * reads `user` and `admin`, and hands the same object back to `onNoServer`.
 */
export interface ProxyOptions<I extends Identity = Identity> {
  /**
   * Establishes who sent the request: an API token (`Authorization: token …` / `Bearer …`,
   * else `queryToken`, which the proxy passes only for API and WebSocket requests) that the hub
   * knows, else the session cookie; undefined when nobody valid. May be synchronous: a cache
   * hit then costs no promise. Must not throw for bad credentials (return undefined); a throw
   * or rejection is logged and answered as a 503.
   */
  authenticate(
    req: IncomingMessage,
    queryToken: string | undefined,
  ): Promise<I | undefined> | I | undefined;
  /**
   * The groups a user belongs to, asked only when a credential holds `access:servers` through
   * a `!group=` filter and nothing else decides. A throw or rejection is a 503.
   */
  groupsOf?(user: string): Promise<readonly string[]> | readonly string[];
  /** Where a server's traffic goes, or undefined when it is not running. Synchronous, cheap. */
  route(ref: ServerRef): Route | undefined;
  /**
   * Whether the user has this named server (running or not), asked only for a path whose
   * segment after the user is a valid server name and whose named server is not running.
   * False (or absent): the path belongs to the default server. A throw or rejection is a 503.
   */
  hasServer?(ref: ServerRef): Promise<boolean> | boolean;
  /**
   * Called at most once per server per `activityIntervalMs` while it is used (HTTP requests
   * and WebSocket data in either direction). Must not throw.
   */
  recordActivity(ref: ServerRef, at: Date): void;
  /** Renders the "your server is not running, start it?" page. Called for browser requests. */
  onNoServer(req: IncomingMessage, res: ServerResponse, ref: ServerRef, identity: I): void;
  /**
   * Sends a browser to sign in (the hub redirects to `/hub/login?next=…`). `next` is the
   * request target with any `?token=` removed: a token is never copied into a redirect.
   */
  onUnauthenticated(req: IncomingMessage, res: ServerResponse, next: string): void;
  /**
   * The hub's public origin (`https://hub.example.org`) against which `Origin` headers are
   * checked. Default: derived per request from `Host` and the connection's protocol.
   */
  publicOrigin?: string;
  /** Largest request body forwarded; larger ones get 413. */
  maxBodyBytes: number;
  /** Name of the hub's session cookie, which never reaches a notebook server. */
  sessionCookieName: string;
  /** Default 60 000. */
  activityIntervalMs?: number;
  /** Upstream connections kept per notebook server. Default 64 (see upstream-pool.ts). */
  maxSocketsPerServer?: number;
  /** Milliseconds clock. Default `Date.now`. */
  now?: () => number;
  log?: Logger;
}

export interface Proxy {
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes idle upstream connections and destroys proxied WebSockets. Idempotent. */
  close(): Promise<void>;
}
