/**
 * One simulated person's browser: a cookie jar, and the requests a person's browser and
 * JupyterLab make, each to whichever hub replica the load balancer (`pickHub`) sends it to.
 * Every request has a time-out: under faults nothing may hang the soak.
 */
import { createHash } from 'node:crypto';
import { KernelSession } from '../../test/integration/replicas/kernel-session.ts';

export class SoakError extends Error {}

export interface ServerView {
  readonly ready: boolean;
  readonly pending: string | null;
}

export class PersonClient {
  readonly name: string;
  readonly #pickHub: () => string;
  readonly #cookies = new Map<string, string>();
  #xsrf: string | undefined;
  /** The replica the last request went to (recorded with a failure). */
  lastHub = '';

  constructor(name: string, pickHub: () => string) {
    this.name = name;
    this.#pickHub = pickHub;
  }

  get signedIn(): boolean {
    return this.#cookies.size > 0;
  }

  #cookieHeader(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** One request to a replica; returns the response with its body read. */
  async request(
    path: string,
    init: {
      method?: string;
      body?: string;
      headers?: Record<string, string>;
      timeoutMs?: number;
      hub?: string;
    } = {},
  ): Promise<{ status: number; text: string; hub: string }> {
    const hub = init.hub ?? this.#pickHub();
    this.lastHub = hub;
    const method = init.method ?? 'GET';
    const headers: Record<string, string> = { cookie: this.#cookieHeader(), ...init.headers };
    if (method !== 'GET') headers['origin'] ??= hub;
    const res = await fetch(`${hub}${path}`, {
      method,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(init.timeoutMs ?? 30_000),
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c)) this.#cookies.delete(name);
      else this.#cookies.set(name, pair.slice(eq + 1));
    }
    return { status: res.status, text: await res.text(), hub };
  }

  #expect(r: { status: number; text: string }, ok: readonly number[], what: string): void {
    if (!ok.includes(r.status)) {
      throw new SoakError(`${what}: HTTP ${String(r.status)} ${r.text.slice(0, 160)}`);
    }
  }

  /** Dummy sign-in (any password but the admin's), then the home page's `_xsrf` for forms. */
  async signIn(password = 'soak'): Promise<void> {
    this.#cookies.clear();
    this.#xsrf = undefined;
    const hub = this.#pickHub();
    const r = await this.request('/hub/login', {
      method: 'POST',
      hub,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: this.name, password }).toString(),
    });
    this.#expect(r, [302, 303], 'sign-in');
    await this.#loadXsrf();
  }

  async #loadXsrf(): Promise<string> {
    const home = await this.request('/hub/home');
    this.#expect(home, [200], 'home page');
    const m = /name="_xsrf" value="([^"]+)"/.exec(home.text);
    if (!m?.[1]) throw new SoakError('no _xsrf on the home page');
    this.#xsrf = m[1];
    return m[1];
  }

  async #xsrfValue(): Promise<string> {
    return this.#xsrf ?? (await this.#loadXsrf());
  }

  /** Presses Start (the home page's form) and follows progress until ready or failed. */
  async start(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const r = await this.request('/hub/spawn', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _xsrf: await this.#xsrfValue() }).toString(),
    });
    this.#expect(r, [302, 303], 'start');
    // The progress page's EventSource: on a dropped stream (a replica killed, a time-out) it
    // connects again, to whichever replica answers.
    let last = '';
    while (Date.now() < deadline) {
      try {
        const p = await this.request(`/hub/api/users/${this.name}/server/progress`, {
          timeoutMs: Math.max(1000, deadline - Date.now()),
        });
        if (p.text.includes('"ready":true')) return;
        const failed =
          /"failed":true[^\n]*?"message":"([^"]*)"|"message":"([^"]*)"[^\n]*?"failed":true/.exec(
            p.text,
          );
        if (failed) throw new SoakError(`start failed: ${failed[1] ?? failed[2] ?? ''}`);
        last = `progress HTTP ${String(p.status)} ${p.text.slice(-160)}`;
      } catch (e) {
        if (e instanceof SoakError) throw e;
        last = String(e);
      }
      const view = await this.server().catch(() => undefined);
      if (view?.ready) return;
      await new Promise((r2) => setTimeout(r2, 2000));
    }
    throw new SoakError(`start not ready in ${String(timeoutMs / 1000)} s (${last})`);
  }

  /** The person's default server as the REST API shows it; undefined when stopped. */
  async server(): Promise<ServerView | undefined> {
    const r = await this.request(`/hub/api/users/${this.name}`);
    this.#expect(r, [200], 'user model');
    const model = JSON.parse(r.text) as { servers?: Record<string, ServerView> };
    return model.servers?.[''];
  }

  /** Asks for a stop (the REST API, as the home page's Stop button does). */
  async requestStop(): Promise<void> {
    const r = await this.request(`/hub/api/users/${this.name}/server`, {
      method: 'DELETE',
      headers: { 'x-xsrftoken': await this.#xsrfValue() },
    });
    this.#expect(r, [202, 204, 400], 'stop');
  }

  /** Polls until the server is reported stopped. */
  async waitStopped(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        if ((await this.server()) === undefined) return;
      } catch (e) {
        last = String(e);
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
    throw new SoakError(`not stopped within ${String(timeoutMs / 1000)} s ${last}`);
  }

  /** A new kernel and its channels (the WebSocket); returns both. */
  async openKernel(): Promise<{ id: string; session: KernelSession }> {
    const r = await this.request(`/user/${this.name}/api/kernels`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'python3' }),
      timeoutMs: 60_000,
    });
    this.#expect(r, [201], 'new kernel');
    const id = (JSON.parse(r.text) as { id: string }).id;
    return { id, session: await this.connectKernel(id, r.hub) };
  }

  /** The kernel's channels, through a replica (JupyterLab reconnects like this). */
  connectKernel(id: string, hub = this.#pickHub()): Promise<KernelSession> {
    this.lastHub = hub;
    return KernelSession.open(
      `${hub.replace('http', 'ws')}/user/${this.name}/api/kernels/${id}/channels`,
      { cookie: this.#cookieHeader(), origin: hub },
    );
  }

  /** Writes a text file with the Jupyter contents API. */
  async writeFile(path: string, content: string): Promise<void> {
    const r = await this.request(`/user/${this.name}/api/contents/${path}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'file', format: 'text', content }),
    });
    this.#expect(r, [200, 201], 'write file');
  }

  /** Reads a text file back and returns its SHA-256. */
  async readFileSha(path: string): Promise<string> {
    const r = await this.request(
      `/user/${this.name}/api/contents/${path}?content=1&type=file&format=text`,
    );
    this.#expect(r, [200], 'read file');
    return sha256((JSON.parse(r.text) as { content: string }).content);
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
