/**
 * Forwards one HTTP request to a notebook server over its keep-alive pool (undici
 * `Pool.dispatch`, see upstream-pool.ts) and streams the response back. Bodies are streamed
 * both ways, never buffered: the request body is handed to undici as a stream (it reads with
 * backpressure) and response chunks are written as they come, pausing the upstream while the
 * browser's socket is full. Either side going away aborts the other.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { createBodyLimit } from './body-limit.ts';
import type { UpstreamTarget } from './upstream-pool.ts';
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
  readonly onUnreachable: (error: NodeJS.ErrnoException) => void;
  /** A chunked body crossed `maxBodyBytes`; nothing has been answered yet. */
  readonly onBodyTooLarge: () => void;
}

class ClientGone extends Error {}
class BodyTooLarge extends Error {}

export function forwardHttp(
  req: IncomingMessage,
  res: ServerResponse,
  forward: ForwardRequest,
): void {
  let controller: Dispatcher.DispatchController | undefined;
  let abortReason: Error | undefined;
  const abort = (reason: Error): void => {
    abortReason ??= reason;
    controller?.abort(reason);
  };
  res.on('close', () => {
    if (!res.writableFinished) abort(new ClientGone('the client went away'));
  });

  let body: Readable | null = null;
  if (forward.body === 'length') {
    body = req;
  } else if (forward.body === 'chunked') {
    const limit = createBodyLimit(forward.maxBodyBytes);
    limit.on('error', () => {
      req.unpipe(limit);
      abort(new BodyTooLarge());
      if (!res.headersSent) forward.onBodyTooLarge();
    });
    body = req.pipe(limit);
  }

  forward.target.pool.dispatch(
    { path: forward.path, method: req.method ?? 'GET', headers: forward.headers, body },
    {
      onRequestStart(c) {
        controller = c;
        if (abortReason !== undefined) c.abort(abortReason);
      },
      onResponseStart(c, statusCode, _headers, statusMessage) {
        if (statusCode < 200) return; // 1xx: informational, the final answer follows
        if (res.destroyed || res.headersSent) {
          c.abort(new ClientGone('the client went away'));
          return;
        }
        res.writeHead(
          statusCode,
          statusMessage ?? '',
          downstreamResponseHeaders(latin1(c.rawHeaders)),
        );
        res.on('drain', () => {
          c.resume();
        });
      },
      onResponseData(c, chunk: Buffer) {
        if (!res.write(chunk)) c.pause();
      },
      onResponseEnd() {
        res.end();
      },
      onResponseError(_c, error: Error) {
        if (error instanceof ClientGone || error instanceof BodyTooLarge || res.destroyed) return;
        if (res.headersSent) {
          res.destroy(); // failed mid-response: the browser sees a truncated body, as it should
          return;
        }
        forward.onUnreachable(upstreamCause(error));
      },
    },
  );
}

function latin1(raw: Dispatcher.DispatchController['rawHeaders']): string[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((h: Buffer | string) => (typeof h === 'string' ? h : h.toString('latin1')));
}

/** undici wraps socket errors; the operator wants the errno (ECONNREFUSED, ECONNRESET). */
function upstreamCause(error: Error): NodeJS.ErrnoException {
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error && 'code' in cause ? (cause as NodeJS.ErrnoException) : error;
}
