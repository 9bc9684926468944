/**
 * Forwards one HTTP request to a notebook server and streams the response back. Bodies are
 * piped both ways (never buffered), with backpressure; either side going away tears down the
 * other.
 */
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import { createBodyLimit } from './body-limit.ts';
import type { UpstreamTarget } from './upstream-agent.ts';
import { downstreamResponseHeaders } from './upstream-headers.ts';

export interface ForwardRequest {
  readonly target: UpstreamTarget;
  readonly path: string;
  /** Already rewritten (upstream-headers.ts). */
  readonly headers: string[];
  /**
   * How the request body is framed (RFC 9112 §6.3): `none`, `length` (Content-Length, already
   * checked against the limit) or `chunked` (counted while it streams).
   */
  readonly body: 'none' | 'length' | 'chunked';
  readonly maxBodyBytes: number;
  /** The server could not be reached (refused, reset, …) before it answered anything. */
  onUnreachable(error: NodeJS.ErrnoException): void;
  /** A chunked body crossed `maxBodyBytes`; nothing has been answered yet. */
  onBodyTooLarge(): void;
}

export function forwardHttp(
  req: IncomingMessage,
  res: ServerResponse,
  forward: ForwardRequest,
): void {
  let current: ClientRequest | undefined;
  let finished = false;
  res.on('close', () => {
    // The browser went away (or we are done): stop the upstream exchange too.
    if (!res.writableFinished) current?.destroy();
    finished = true;
  });
  send(false);

  function send(isRetry: boolean): void {
    const { target } = forward;
    let answered = false;
    let abandoned = false;
    const upstream = target.request({
      hostname: target.hostname,
      port: target.port,
      agent: target.agent,
      method: req.method,
      path: forward.path,
      headers: forward.headers,
    });
    current = upstream;
    upstream.on('response', (upstreamRes) => {
      answered = true;
      if (finished || res.headersSent) {
        upstreamRes.destroy();
        return;
      }
      res.writeHead(
        upstreamRes.statusCode ?? 502,
        upstreamRes.statusMessage,
        downstreamResponseHeaders(upstreamRes.rawHeaders),
      );
      upstreamRes.on('error', () => res.destroy());
      upstreamRes.pipe(res);
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (finished || abandoned) return;
      if (answered || res.headersSent) {
        res.destroy(); // failed mid-response: the browser sees a truncated body, as it should
        return;
      }
      // A pooled connection the server closed just as we reused it (its idle timeout raced
      // ours): safe to retry once when there is no body to replay (Node's http.Agent docs).
      if (
        forward.body === 'none' &&
        !isRetry &&
        upstream.reusedSocket &&
        error.code === 'ECONNRESET'
      ) {
        send(true);
        return;
      }
      forward.onUnreachable(error);
    });
    switch (forward.body) {
      case 'none':
        upstream.end();
        return;
      case 'length':
        req.pipe(upstream);
        return;
      case 'chunked': {
        const limit = createBodyLimit(forward.maxBodyBytes);
        limit.on('error', () => {
          req.unpipe(limit);
          abandoned = true;
          upstream.destroy();
          if (!answered && !res.headersSent) forward.onBodyTooLarge();
          else res.destroy();
        });
        req.pipe(limit).pipe(upstream);
        return;
      }
    }
  }
}
