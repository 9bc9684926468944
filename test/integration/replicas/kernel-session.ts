/**
 * One kernel WebSocket kept open across several cells, to show that a connection through one
 * hub replica lives on while another replica dies. Jupyter messaging protocol v5.3
 * (https://jupyter-client.readthedocs.io/en/stable/messaging.html).
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

export class KernelSession {
  readonly #ws: WebSocket;
  readonly #session = randomUUID();
  readonly #pending = new Map<
    string,
    { resolve: (v: string) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  #closed: Error | undefined;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as {
        msg_type: string;
        parent_header: { msg_id?: string };
        content: { data?: Record<string, string>; ename?: string; evalue?: string };
      };
      const waiter = this.#pending.get(msg.parent_header.msg_id ?? '');
      if (!waiter) return;
      if (msg.msg_type === 'execute_result') {
        this.#settle(msg.parent_header.msg_id ?? '');
        waiter.resolve(msg.content.data?.['text/plain'] ?? '');
      } else if (msg.msg_type === 'error') {
        this.#settle(msg.parent_header.msg_id ?? '');
        waiter.reject(new Error(`${msg.content.ename ?? ''}: ${msg.content.evalue ?? ''}`));
      }
    });
    ws.on('close', () => {
      this.#closed = new Error('the kernel WebSocket closed');
      for (const [id, w] of this.#pending) {
        this.#settle(id);
        w.reject(this.#closed);
      }
    });
  }

  static open(url: string, headers: Record<string, string>): Promise<KernelSession> {
    const ws = new WebSocket(url, { headers });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        resolve(new KernelSession(ws));
      });
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`WebSocket upgrade refused: ${res.statusCode ?? '?'}`));
      });
    });
  }

  get isOpen(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  #settle(id: string): void {
    const w = this.#pending.get(id);
    if (w) clearTimeout(w.timer);
    this.#pending.delete(id);
  }

  execute(code: string, timeoutMs = 60_000): Promise<string> {
    if (this.#closed) return Promise.reject(this.#closed);
    const msgId = randomUUID();
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(msgId);
        reject(new Error(`no execute_result within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(msgId, { resolve, reject, timer });
      this.#ws.send(
        JSON.stringify({
          header: {
            msg_id: msgId,
            msg_type: 'execute_request',
            username: 'test',
            session: this.#session,
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
  }

  close(): void {
    this.#ws.close();
  }
}
