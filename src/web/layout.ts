/**
 * The page shell. Everything interpolated with `html` is HTML-escaped by Hono; only the
 * shell's own markup is raw. No inline scripts: the Content-Security-Policy forbids them.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Identity } from '../auth/auth-service.ts';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export function layout(title: string, identity: Identity | undefined, body: Html, xsrf = ''): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Ganymede</title>
        <link rel="stylesheet" href="/hub/static/style.css" />
      </head>
      <body>
        <header>
          <a class="brand" href="/hub/home">Ganymede</a>
          ${
            identity
              ? html`<nav>
                  ${identity.admin ? html`<a href="/hub/admin">Admin</a>` : ''}
                  <span class="who">${identity.user}</span>
                  <form method="post" action="/hub/logout">
                    <input type="hidden" name="_xsrf" value="${xsrf}" />
                    <button type="submit" class="link">Sign out</button>
                  </form>
                </nav>`
              : ''
          }
        </header>
        <main>${body}</main>
      </body>
    </html>`;
}
