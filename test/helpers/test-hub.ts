/**
 * Starts a real hub (local backend, real Jupyter, SQLite) on a free port in a temporary data
 * directory, and a small cookie-keeping client to talk to it like a browser does.
 */
import { mkdtempSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalBackend } from '../../src/backends/local/index.ts';
import { parseConfig } from '../../src/config/load.ts';
import { startHub, type Hub } from '../../src/hub/hub.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import { jupyterCommand } from './jupyter-path.ts';

export const ADMIN_PASSWORD = 'admin-test-password';

export async function startTestHub(
  options: { dataDir?: string; port?: number; config?: object } = {},
) {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'ganymede-hub-'));
  const config = parseConfig({
    hub: { port: options.port ?? 0, dataDir },
    backend: { local: { startTimeoutSeconds: 90, stopGraceSeconds: 5 } },
    ...(options.config ?? {}),
  });
  const store = openSqliteStore(join(dataDir, 'ganymede.sqlite'));
  const backend = createLocalBackend({
    dataDir,
    jupyter: jupyterCommand(),
    startTimeoutMs: 90_000,
    stopGraceMs: 5_000,
    log: silentLogger,
  });
  const hub: Hub = await startHub({
    config,
    store,
    backend,
    log: silentLogger,
    adminPassword: ADMIN_PASSWORD,
  });
  return { hub, dataDir };
}

/** A browser-like client: keeps cookies, sends Origin on state changes, never follows redirects. */
export class Browser {
  readonly base: string;
  readonly cookies = new Map<string, string>();
  /** The normalised name the hub gave us at sign-in (from GET /hub/api/user). */
  user = '';

  constructor(base: string) {
    this.base = base;
  }

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async fetch(
    path: string,
    init: Omit<RequestInit, 'headers'> & { headers?: Record<string, string> } = {},
  ) {
    const method = init.method ?? 'GET';
    const headers: Record<string, string> = { cookie: this.cookieHeader, ...init.headers };
    if (method !== 'GET' && method !== 'HEAD') headers['origin'] ??= this.base;
    const res = await fetch(`${this.base}${path}`, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1));
    }
    return res;
  }

  form(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    return this.fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }

  async signIn(username: string, password: string): Promise<void> {
    const res = await this.form('/hub/login', { username, password });
    if (res.status !== 302) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
    const me = await this.fetch('/hub/api/user');
    this.user = ((await me.json()) as { name: string }).name;
  }

  /**
   * A top-level navigation, with the headers a browser sends for one. Through node:http,
   * because fetch() always sends `Sec-Fetch-Mode: cors` and may not be told otherwise.
   */
  navigate(path: string): Promise<Response> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${this.base}${path}`, {
        headers: {
          cookie: this.cookieHeader,
          accept: 'text/html,application/xhtml+xml',
          'sec-fetch-mode': 'navigate',
          'sec-fetch-site': 'none',
        },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v])
              headers.append(k, one);
          }
          const status = res.statusCode ?? 0;
          const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
          resolve(new Response(body, { status, headers }));
        });
      });
      req.end();
    });
  }

  /** The per-session _xsrf value, read from the home page like a browser would. */
  async xsrf(): Promise<string> {
    const html = await (await this.fetch('/hub/home')).text();
    const m = /name="_xsrf" value="([^"]+)"/.exec(html);
    if (!m?.[1]) throw new Error('no _xsrf on the home page');
    return m[1];
  }

  /** Presses Start and waits for the progress stream's ready event. */
  async startServer(profile?: string): Promise<string> {
    const res = await this.form('/hub/spawn', {
      _xsrf: await this.xsrf(),
      ...(profile ? { profile } : {}),
    });
    if (res.status !== 302) throw new Error(`spawn failed: ${res.status} ${await res.text()}`);
    const events = await (
      await this.fetch(`/hub/api/users/${encodeURIComponent(this.user)}/server/progress`)
    ).text();
    if (!events.includes('"ready":true')) throw new Error(`start did not become ready:\n${events}`);
    return events;
  }
}
