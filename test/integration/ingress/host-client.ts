/**
 * A browser-like client for tests with real host names: every name resolves to 127.0.0.1
 * (undici's `connect.lookup`), so `http://alice.nb.ganymede.test:<port>/` reaches the local
 * nginx with the right `Host`, and cookies are kept per RFC 6265 domain rules (enough of
 * them: Domain, host-only, Max-Age=0 deletion). Never follows redirects.
 */
import { Agent, fetch as undiciFetch } from 'undici';

interface StoredCookie {
  readonly value: string;
  /** Host-only cookies match their host exactly; Domain cookies match it and subdomains. */
  readonly domain: string;
  readonly hostOnly: boolean;
}

export class HostClient {
  readonly #agent = new Agent({
    connect: {
      lookup: (_hostname, options, callback) => {
        // node:net calls lookup with `all: true` when autoSelectFamily is on.
        const all = (options as { all?: boolean }).all === true;
        if (all)
          (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [
            { address: '127.0.0.1', family: 4 },
          ]);
        else callback(null, '127.0.0.1', 4);
      },
    },
  });
  readonly cookies = new Map<string, StoredCookie>();

  cookieHeaderFor(host: string): string {
    return [...this.cookies]
      .filter(([, c]) =>
        c.hostOnly ? host === c.domain : host === c.domain || host.endsWith(`.${c.domain}`),
      )
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
  }

  async fetch(
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ) {
    const { hostname } = new URL(url);
    const cookie = this.cookieHeaderFor(hostname);
    const res = await undiciFetch(url, {
      method: init.method ?? 'GET',
      headers: { ...(cookie ? { cookie } : {}), ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
      redirect: 'manual',
      dispatcher: this.#agent,
    });
    for (const line of res.headers.getSetCookie()) this.#store(line, hostname);
    return res;
  }

  #store(line: string, host: string): void {
    const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    let domain: string | undefined;
    let expired = false;
    for (const a of attributes) {
      const [k = '', v = ''] = a.split('=');
      if (k.toLowerCase() === 'domain') domain = v.replace(/^\./, '').toLowerCase();
      if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
    }
    // RFC 6265 §5.3 step 6: a Domain the request host does not domain-match is ignored.
    if (domain !== undefined && host !== domain && !host.endsWith(`.${domain}`)) return;
    if (expired) this.cookies.delete(name);
    else
      this.cookies.set(name, {
        value: pair.slice(eq + 1),
        domain: domain ?? host,
        hostOnly: domain === undefined,
      });
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}
