/**
 * A tiny upstream standing in for a notebook server: `/…/echo` answers with what it received
 * (method, URL, raw headers, body size); a WebSocket server echoes messages. Tests read
 * `requests` to see exactly what crossed the proxy.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  bodyBytes: number;
}

export interface EchoUpstream {
  readonly target: string;
  readonly requests: Received[];
  readonly sockets: Set<WebSocket>;
  /** Custom handlers by path suffix, for streaming and failure tests. */
  readonly handlers: Map<string, (req: IncomingMessage, res: ServerResponse) => void>;
  close(): Promise<void>;
}

export async function startEchoUpstream(): Promise<EchoUpstream> {
  const requests: Received[] = [];
  const handlers = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  const server = createServer((req, res) => {
    const received: Received = {
      method: req.method ?? '',
      url: req.url ?? '',
      rawHeaders: req.rawHeaders,
      bodyBytes: 0,
    };
    requests.push(received);
    const suffix = (req.url ?? '').split('?')[0]?.split('/').pop() ?? '';
    const handler = handlers.get(suffix);
    if (handler !== undefined) {
      handler(req, res);
      return;
    }
    req.on('data', (chunk: Buffer) => (received.bodyBytes += chunk.length));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] });
      res.end(JSON.stringify(received));
    });
  });
  const wss = new WebSocketServer({ server });
  const sockets = new Set<WebSocket>();
  wss.on('connection', (ws, req) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', (data: Buffer, isBinary) => {
      if (data.toString() === 'headers?') ws.send(JSON.stringify(req.rawHeaders));
      else ws.send(data, { binary: isBinary });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    target: `http://127.0.0.1:${port}`,
    requests,
    sockets,
    handlers,
    async close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}
