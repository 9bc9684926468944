import { html } from 'hono/html';
import type { Identity } from '../../auth/auth-service.ts';
import type { ServerStatus } from '../../backends/types.ts';
import type { Profile } from '../../config/schema.ts';
import { layout } from '../layout.ts';

export interface HomeView {
  readonly identity: Identity;
  readonly xsrf: string;
  readonly status: ServerStatus;
  readonly serverUrl: string;
  readonly profiles: readonly Profile[];
  readonly lastProfile: string | undefined;
}

function size(p: Profile): string {
  const parts = [
    p.cpu ? `${p.cpu} CPU` : '',
    p.memory ? `${p.memory} memory` : '',
    p.gpu ? `${p.gpu} GPU` : '',
  ];
  return parts.filter(Boolean).join(', ');
}

export function homePage(view: HomeView) {
  const { status } = view;
  const running = status.phase === 'running';
  const starting = status.phase === 'starting';
  const body = html`<div class="card">
    <h1>Your notebook server</h1>
    ${
      running
        ? html`<p>Your server is running.</p>
            <a class="button" href="${view.serverUrl}lab" id="open">Open JupyterLab</a>
            <form method="post" action="/hub/stop">
              <input type="hidden" name="_xsrf" value="${view.xsrf}" />
              <button type="submit" class="secondary" id="stop">Stop my server</button>
            </form>`
        : starting
          ? html`<p>Your server is starting.</p>
              <a class="button" href="/hub/spawn-pending">Follow its progress</a>`
          : html`${status.message ? html`<p class="notice">${status.message}</p>` : ''}
              ${
                status.detail
                  ? html`<details>
                      <summary>Technical details</summary>
                      <pre>${status.detail}</pre>
                    </details>`
                  : ''
              }
              <form method="post" action="/hub/spawn">
                <input type="hidden" name="_xsrf" value="${view.xsrf}" />
                <label for="profile">Environment</label>
                <select id="profile" name="profile">
                  ${view.profiles.map(
                    (p) =>
                      html`<option
                        value="${p.name}"
                        ${(view.lastProfile ?? '') === p.name ? 'selected' : ''}
                      >
                        ${p.displayName}${size(p) ? ` (${size(p)})` : ''} — ${p.description}
                      </option>`,
                  )}
                </select>
                <button type="submit" id="start">Start my server</button>
              </form>`
    }
  </div>`;
  return layout('Home', view.identity, body, view.xsrf);
}

export function pendingPage(identity: Identity, xsrf: string, eventsUrl: string, next: string) {
  return layout(
    'Starting',
    identity,
    html`<div class="card" id="progress" data-events="${eventsUrl}" data-next="${next}">
        <h1>Starting your server</h1>
        <progress max="100" value="0" aria-label="Start progress"></progress>
        <p class="message" aria-live="polite">Getting ready…</p>
        <details class="detail" hidden>
          <summary>Technical details</summary>
          <pre></pre>
        </details>
        <p id="retry" hidden><a class="button" href="/hub/home">Back to the start page</a></p>
      </div>
      <script src="/hub/static/progress.js" type="module"></script>`,
    xsrf,
  );
}

export function notRunningPage(identity: Identity, xsrf: string, owner: string, next: string) {
  const own = identity.user === owner;
  return layout(
    'Server not running',
    identity,
    html`<div class="card">
      <h1>${own ? 'Your server is not running' : `${owner}'s server is not running`}</h1>
      <p>Your files are safe. Start the server to continue where you left off.</p>
      ${
        own
          ? html`<form method="post" action="/hub/spawn?next=${encodeURIComponent(next)}">
              <input type="hidden" name="_xsrf" value="${xsrf}" />
              <button type="submit" id="start">Start my server</button>
            </form>`
          : html`<a class="button" href="/hub/admin">Back to the admin page</a>`
      }
    </div>`,
    xsrf,
  );
}
