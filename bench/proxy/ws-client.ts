/**
 * WebSocket round-trip load: `connections` sockets, each sending a 32-byte message and
 * waiting for its echo before sending the next, for `durationMs`. Prints one JSON line:
 * `{ roundTrips, perSecond, medianMs, p99Ms, errors }`.
 * Usage: node bench/proxy/ws-client.ts <url> <connections> <durationMs> [headersJson]
 */
import WebSocket from 'ws';
import { percentile } from './stats.ts';

const [url = '', connectionsArg = '50', durationArg = '10000', headersArg = '{}'] =
  process.argv.slice(2);
const connections = Number(connectionsArg);
const durationMs = Number(durationArg);
const headers = JSON.parse(headersArg) as Record<string, string>;
const payload = Buffer.alloc(32, 'x');

const sockets = await Promise.all(
  Array.from(
    { length: connections },
    () =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(url, { headers, perMessageDeflate: false });
        ws.once('open', () => {
          resolve(ws);
        });
        ws.once('error', reject);
        ws.once('unexpected-response', (_req, res) => {
          reject(new Error(`handshake refused: ${res.statusCode ?? 0}`));
        });
      }),
  ),
);

const latencies: number[] = [];
let errors = 0;
const start = performance.now();
const deadline = start + durationMs;
await Promise.all(
  sockets.map(
    (ws) =>
      new Promise<void>((resolve) => {
        let sentAt = 0;
        const send = (): void => {
          sentAt = performance.now();
          ws.send(payload);
        };
        ws.on('message', () => {
          const now = performance.now();
          latencies.push(now - sentAt);
          if (now < deadline) send();
          else resolve();
        });
        ws.on('error', () => {
          errors++;
          resolve();
        });
        send();
      }),
  ),
);
const elapsed = (performance.now() - start) / 1000;
for (const ws of sockets) ws.terminate();
latencies.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    roundTrips: latencies.length,
    perSecond: latencies.length / elapsed,
    medianMs: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    errors,
  })}\n`,
);
