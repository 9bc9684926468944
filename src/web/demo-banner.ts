/**
 * The banner every hub page shows while the dummy authenticator is on (`auth.type: dummy`),
 * so nobody mistakes a demo or load-test hub for a real one. Added to each HTML answer as it
 * leaves (the web app's middleware, and the proxy's own pages in src/hub/hub.ts), rather than
 * threaded through every page function: no page can forget it. Pure.
 */

export const DEMO_BANNER_TEXT =
  'Demo sign-in: anyone can sign in with any user name. Do not keep anything private here.';

const BANNER = `<p class="demo-banner" role="note">${DEMO_BANNER_TEXT}</p>`;

/** The page with the banner first in its body (after the skip link); other text unchanged. */
export function withDemoBanner(page: string): string {
  const skip = /<a class="skip"[^>]*>[^<]*<\/a>/.exec(page);
  if (skip) {
    const at = skip.index + skip[0].length;
    return page.slice(0, at) + BANNER + page.slice(at);
  }
  const body = /<body[^>]*>/i.exec(page);
  if (!body) return page;
  const at = body.index + body[0].length;
  return page.slice(0, at) + BANNER + page.slice(at);
}
