/**
 * A browser-like HTTP client that keeps one cookie jar per origin (the hub and the provider
 * listen on different ports of one host), never follows redirects by itself, and can walk
 * the provider's development login and consent forms.
 */
export class Agent {
  readonly jars = new Map<string, Map<string, string>>();

  jar(origin: string): Map<string, string> {
    let jar = this.jars.get(origin);
    if (!jar) {
      jar = new Map();
      this.jars.set(origin, jar);
    }
    return jar;
  }

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}) {
    const target = new URL(url);
    const jar = this.jar(target.origin);
    const headers: Record<string, string> = {
      cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
    };
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['origin'] = target.origin;
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(target, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      headers,
      body: body ?? null,
      redirect: 'manual',
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c)) jar.delete(name);
      else jar.set(name, pair.slice(eq + 1));
    }
    return res;
  }

  /**
   * Starts at `url` and follows redirects, signing in at the provider as `account` on its
   * login form and consenting on its consent form, until a redirect points at `stopAt`;
   * returns that URL (the hub's callback with `code` and `state`) without requesting it.
   * With `cancel`, presses the provider's cancel link instead of signing in.
   */
  async signInAtProvider(
    url: string,
    account: string,
    stopAt: string,
    options: { cancel?: boolean } = {},
  ): Promise<string> {
    let next = url;
    for (let step = 0; step < 20; step++) {
      if (next.startsWith(stopAt)) return next;
      const res = await this.request(next);
      const location = res.headers.get('location');
      if (location) {
        await res.body?.cancel();
        next = new URL(location, next).href;
        continue;
      }
      const page = await res.text();
      if (res.status !== 200) throw new Error(`unexpected ${res.status} at ${next}:\n${page}`);
      const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
      const prompt = /name="prompt" value="([a-z]+)"/.exec(page)?.[1];
      if (!action || !prompt) throw new Error(`no sign-in form at ${next}:\n${page}`);
      if (options.cancel) {
        // The provider's own "Cancel" link (devInteractions: /interaction/<uid>/abort).
        next = new URL(`${new URL(action, next).pathname}/abort`, next).href;
        continue;
      }
      const form = prompt === 'login' ? { prompt, login: account, password: 'any' } : { prompt };
      const posted = await this.request(new URL(action, next).href, { form });
      const after = posted.headers.get('location');
      if (!after)
        throw new Error(`the ${prompt} form gave ${posted.status}: ${await posted.text()}`);
      next = new URL(after, next).href;
    }
    throw new Error('too many redirects');
  }
}
