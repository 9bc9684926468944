/**
 * The benchmark's upstream, standing in for a notebook server: a minimal node:http server
 * answering every GET with a small JSON body, and a WebSocket echo on the same port.
 * Prints `{"port": …}` on stdout when listening.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

const body = Buffer.from(JSON.stringify({ version: '2.21.1', started: '2026-01-01T00:00:00Z' }));
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    ws.send(data, { binary: isBinary });
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
