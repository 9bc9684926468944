/**
 * Proxies a WebSocket handshake (RFC 6455 §4) and then the raw byte stream: once the notebook
 * server answers 101, the two TCP sockets are piped into each other. Frames are never parsed,
 * so a busy kernel costs the hub only a copy per chunk. Either socket's error or close destroys
 * both, so no half-dead pair survives.
 */
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { UpstreamTarget } from './upstream-pool.ts';
import { downstreamResponseHeaders } from './upstream-headers.ts';

export interface ForwardUpgrade {
  readonly target: UpstreamTarget;
  readonly path: string;
  /** Already rewritten, with `Upgrade` kept and `Connection: Upgrade` set. */
  readonly headers: string[];
  /** Bytes the client sent after its handshake, already read by Node. */
  readonly head: Buffer;
  /** Called for data in either direction; the caller throttles. */
  readonly onActivity: () => void;
  /** The server could not be reached before the handshake completed. */
  onUnreachable(error: NodeJS.ErrnoException): void;
  /** Registers a live pair so the proxy's `close()` can end it; returns the unregister. */
  track(destroy: () => void): () => void;
}

export function forwardUpgrade(
  req: IncomingMessage,
  client: Duplex,
  forward: ForwardUpgrade,
): void {
  const { target } = forward;
  let settled = false;
  const upstream = target.request({
    hostname: target.hostname,
    port: target.port,
    // A socket that upgrades leaves the pool anyway; a fresh one keeps the pool for HTTP.
    agent: false,
    method: req.method,
    path: forward.path,
    headers: forward.headers,
  });
  const abandon = (): void => {
    if (!settled) upstream.destroy();
  };
  client.on('error', abandon);
  client.on('close', abandon);

  upstream.on('upgrade', (upstreamRes, upstreamSocket, upstreamHead) => {
    settled = true;
    client.off('error', abandon);
    client.off('close', abandon);
    if (client.destroyed) {
      upstreamSocket.destroy();
      return;
    }
    let untrack: () => void = noop;
    const destroyBoth = (): void => {
      client.destroy();
      upstreamSocket.destroy();
      untrack();
    };
    untrack = forward.track(destroyBoth);
    client.on('error', destroyBoth);
    client.on('close', destroyBoth);
    upstreamSocket.on('error', destroyBoth);
    upstreamSocket.on('close', destroyBoth);
    noDelay(client);
    upstreamSocket.setNoDelay(true);

    // The 101's headers (Upgrade, Connection, Sec-WebSocket-Accept, …) go back verbatim.
    client.write(statusLine(101, upstreamRes.statusMessage) + headerLines(upstreamRes.rawHeaders));
    if (upstreamHead.length > 0) client.write(upstreamHead);
    if (forward.head.length > 0) upstreamSocket.write(forward.head);
    client.on('data', forward.onActivity);
    upstreamSocket.on('data', forward.onActivity);
    client.pipe(upstreamSocket);
    upstreamSocket.pipe(client);
  });

  // The server refused the handshake (404 for an unknown kernel, 403 for its own checks):
  // relay its answer and close.
  upstream.on('response', (upstreamRes) => {
    settled = true;
    const status = upstreamRes.statusCode ?? 502;
    const headers = downstreamResponseHeaders(upstreamRes.rawHeaders);
    headers.push('Connection', 'close');
    client.write(statusLine(status, upstreamRes.statusMessage) + headerLines(headers));
    upstreamRes.on('error', () => client.destroy());
    upstreamRes.pipe(client);
  });

  upstream.on('error', (error: NodeJS.ErrnoException) => {
    if (settled) {
      client.destroy();
      return;
    }
    settled = true;
    if (client.destroyed) return;
    forward.onUnreachable(error);
  });
  upstream.end();
}

function statusLine(status: number, message: string | undefined): string {
  return `HTTP/1.1 ${status} ${message ?? STATUS_CODES[status] ?? ''}\r\n`;
}

function headerLines(raw: readonly string[]): string {
  let lines = '';
  for (let i = 0; i + 1 < raw.length; i += 2) lines += `${raw[i] ?? ''}: ${raw[i + 1] ?? ''}\r\n`;
  return `${lines}\r\n`;
}

function noDelay(socket: Duplex): void {
  // The hub's server hands us a net.Socket (a TLSSocket under HTTPS); both have setNoDelay.
  if ('setNoDelay' in socket) (socket as Socket).setNoDelay(true);
}

function noop(): void {
  // nothing to unregister yet
}
