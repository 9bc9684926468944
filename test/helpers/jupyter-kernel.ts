/**
 * Just enough of the Jupyter messaging protocol (v5.3) to run one cell over a kernel's
 * WebSocket and read its result, for tests through the proxy.
 * https://jupyter-client.readthedocs.io/en/stable/messaging.html
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

export async function executeOverWebSocket(
  url: string,
  code: string,
  headers: Record<string, string>,
  timeoutMs = 30_000,
): Promise<string> {
  const ws = new WebSocket(url, { headers });
  const msgId = randomUUID();
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no execute_result within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      ws.on('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        reject(new Error(`WebSocket upgrade refused: ${res.statusCode ?? '?'}`));
      });
      ws.on('open', () => {
        ws.send(
          JSON.stringify({
            header: {
              msg_id: msgId,
              msg_type: 'execute_request',
              username: 'test',
              session: randomUUID(),
              date: new Date().toISOString(),
              version: '5.3',
            },
            parent_header: {},
            metadata: {},
            content: {
              code,
              silent: false,
              store_history: false,
              user_expressions: {},
              allow_stdin: false,
            },
            channel: 'shell',
          }),
        );
      });
      ws.on('message', (data: Buffer) => {
        const msg = JSON.parse(data.toString()) as {
          msg_type: string;
          parent_header: { msg_id?: string };
          content: { data?: Record<string, string>; ename?: string; evalue?: string };
        };
        if (msg.parent_header.msg_id !== msgId) return;
        if (msg.msg_type === 'execute_result') {
          clearTimeout(timer);
          resolve(msg.content.data?.['text/plain'] ?? '');
        } else if (msg.msg_type === 'error') {
          clearTimeout(timer);
          reject(new Error(`${msg.content.ename ?? ''}: ${msg.content.evalue ?? ''}`));
        }
      });
    });
  } finally {
    ws.close();
  }
}
