/**
 * The proxy's own answers (refusals and failures). Browsers navigating get a small page,
 * scripts get the JSON error envelope `{ "error": { "code", "message" } }`; on a raw socket
 * (a refused WebSocket handshake) we write a minimal HTTP/1.1 response ourselves.
 */
import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { GanymedeError } from '../errors/ganymede-error.ts';

export function sendError(
  res: ServerResponse,
  error: GanymedeError,
  asPage: boolean,
  extraHeaders: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = asPage ? errorPage(error) : errorJson(error);
  res.writeHead(error.status, {
    'Content-Type': asPage ? 'text/html; charset=utf-8' : 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...extraHeaders,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export function sendRedirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { Location: location, 'Content-Length': 0 });
  res.end();
}

/** Answers a WebSocket handshake with an HTTP error and closes the connection. */
export function refuseUpgrade(socket: Duplex, error: GanymedeError): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = errorJson(error);
  socket.end(
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}\r\n` +
      'Connection: close\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function errorJson(error: GanymedeError): string {
  return JSON.stringify({ error: { code: error.code, message: error.userMessage } });
}

function errorPage(error: GanymedeError): string {
  const title = escapeHtml(STATUS_CODES[error.status] ?? 'Error');
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
    `<body><h1>${title}</h1><p>${escapeHtml(error.userMessage)}</p>` +
    '<p><a href="/hub/home">Go to your home page</a></p></body></html>'
  );
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
