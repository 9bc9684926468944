/**
 * One timed HTTP request over node:http with a keep-alive agent per target (a client reusing
 * its connections, as a browser or an API script does). No `Accept-Encoding` is sent, so the
 * byte counts are uncompressed body sizes. Time is from sending to the last byte.
 */
import { Agent, request } from 'node:http';

export interface Timed {
  readonly status: number;
  readonly ms: number;
  readonly bytes: number;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

const agents = new Map<string, Agent>();

function agentFor(origin: string): Agent {
  let agent = agents.get(origin);
  if (agent === undefined) {
    agent = new Agent({ keepAlive: true, maxSockets: 64 });
    agents.set(origin, agent);
  }
  return agent;
}

/** Drops every kept-alive connection (after a hub restart, before stopping). */
export function closeAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}

export function timedGet(
  url: string,
  headers: Record<string, string> = {},
  options: { timeoutMs?: number; keepBody?: boolean } = {},
): Promise<Timed> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method: 'GET',
        headers,
        agent: agentFor(u.origin),
        timeout: options.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (options.keepBody !== false) chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            ms: performance.now() - t0,
            bytes,
            body: options.keepBody === false ? '' : Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          });
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`timeout after ${String(options.timeoutMs ?? 30_000)} ms: ${url}`)),
    );
    req.on('error', reject);
    req.end();
  });
}

/** Runs `fn` over `items` with at most `concurrency` at once; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T, i);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

/** JSON API call with a token; throws on a status outside `ok`. */
export async function api(
  baseUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  ok: readonly number[] = [200, 201, 202, 204],
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${baseUrl}/hub/api${path}`, {
    method,
    headers: {
      authorization: `token ${token}`,
      'content-type': 'application/json',
      accept: 'application/jupyterhub-pagination+json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!ok.includes(res.status)) {
    throw new Error(`${method} ${path}: ${String(res.status)} ${text.slice(0, 300)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}
