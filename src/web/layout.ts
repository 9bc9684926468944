/**
 * The page shell. Everything interpolated with `html` is HTML-escaped by Hono; only the
 * shell's own markup is raw. No inline scripts or styles: the Content-Security-Policy forbids
 * them, so behaviour comes from /hub/static/*.js and looks from /hub/static/style.css.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Identity } from '../auth/auth-service.ts';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** Which navigation entry is the current page (marked with aria-current). */
export type Section = 'home' | 'tokens' | 'admin' | undefined;

export interface LayoutOptions {
  readonly section?: Section;
  /** Scripts under /hub/static/ this page needs (ES modules). */
  readonly scripts?: readonly string[];
  /** A wider page for tables (admin console). */
  readonly wide?: boolean;
}

export function layout(
  title: string,
  identity: Identity | undefined,
  body: Html,
  xsrf = '',
  options: LayoutOptions = {},
): Html {
  const current = (section: Section) => (options.section === section ? 'page' : 'false');
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Ganymede</title>
        <link rel="stylesheet" href="/hub/static/style.css" />
        ${(options.scripts ?? []).map(
          (s) => html`<script src="/hub/static/${s}" type="module"></script>`,
        )}
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="/hub/home"
            ><span class="brand-mark" aria-hidden="true"></span>Ganymede</a
          >
          ${
            identity
              ? html`<nav aria-label="Main">
                  <a href="/hub/home" aria-current="${current('home')}">Home</a>
                  <a href="/hub/token" aria-current="${current('tokens')}">API tokens</a>
                  ${
                    identity.admin
                      ? html`<a href="/hub/admin" aria-current="${current('admin')}">Admin</a>`
                      : ''
                  }
                  <form method="post" action="/hub/logout" class="sign-out">
                    <input type="hidden" name="_xsrf" value="${xsrf}" />
                    <button type="submit" class="link" title="Signed in as ${identity.user}">
                      Sign out <span class="who">${identity.user}</span>
                    </button>
                  </form>
                </nav>`
              : ''
          }
        </header>
        <main id="main" class="${options.wide ? 'wide' : ''}" tabindex="-1">${body}</main>
      </body>
    </html>`;
}
