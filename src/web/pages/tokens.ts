/** Personal API tokens: create one (shown once), see when each was used, revoke. */
import { html } from 'hono/html';
import type { Identity } from '../../auth/auth-service.ts';
import type { ApiToken } from '../../store/types.ts';
import { layout } from '../layout.ts';
import { ago, formatTime } from './format.ts';

export interface TokensView {
  readonly identity: Identity;
  readonly xsrf: string;
  readonly now: Date;
  readonly tokens: readonly ApiToken[];
  /** A token just created: its secret, shown this once and never again. */
  readonly created?: { readonly token: string; readonly note: string };
  readonly notice?: string | undefined;
}

/** Choices for a new token's lifetime, in days; 0 is "never expires". */
export const TOKEN_LIFETIMES = [
  { days: 30, label: '30 days' },
  { days: 7, label: '7 days' },
  { days: 1, label: '1 day' },
  { days: 90, label: '90 days' },
  { days: 0, label: 'Never' },
] as const;

export function tokensPage(view: TokensView) {
  const body = html`<h1>API tokens</h1>
    <p class="lead">
      A token lets a program (a script, a command-line tool) act as you on this hub's API. Treat it
      like a password.
    </p>
    ${view.notice ? html`<p class="alert alert-info" role="status">${view.notice}</p>` : ''}
    ${
      view.created
        ? html`<section class="alert alert-success" role="status" aria-labelledby="new-token-title">
            <h2 id="new-token-title">Your new token “${view.created.note}”</h2>
            <p>Copy it now: it will not be shown again.</p>
            <label for="new-token">Token</label>
            <input
              id="new-token"
              class="token-value"
              type="text"
              readonly
              value="${view.created.token}"
            />
          </section>`
        : ''
    }
    <section class="card" aria-labelledby="create-title">
      <h2 id="create-title">Create a token</h2>
      <form method="post" action="/hub/token" class="stack">
        <input type="hidden" name="_xsrf" value="${view.xsrf}" />
        <label for="note">What is it for?</label>
        <input
          id="note"
          name="note"
          type="text"
          maxlength="200"
          required
          placeholder="e.g. my laptop's sync script"
        />
        <label for="expires">Expires after</label>
        <select id="expires" name="expires_days">
          ${TOKEN_LIFETIMES.map((l) => html`<option value="${l.days}">${l.label}</option>`)}
        </select>
        <div><button type="submit" class="primary">Create token</button></div>
      </form>
    </section>
    <section class="card" aria-labelledby="list-title">
      <h2 id="list-title">Your tokens</h2>
      ${
        view.tokens.length === 0
          ? html`<p class="muted">You have no tokens.</p>`
          : html`<div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">For</th>
                    <th scope="col">Created</th>
                    <th scope="col">Last used</th>
                    <th scope="col">Expires</th>
                    <th scope="col"><span class="visually-hidden">Actions</span></th>
                  </tr>
                </thead>
                <tbody>
                  ${view.tokens.map(
                    (t) =>
                      html`<tr>
                        <td>${t.note}</td>
                        <td>${formatTime(t.createdAt)}</td>
                        <td>${t.lastUsedAt ? ago(t.lastUsedAt, view.now) : 'Never'}</td>
                        <td>${t.expiresAt ? formatTime(t.expiresAt) : 'Never'}</td>
                        <td>
                          <form method="post" action="/hub/token/revoke">
                            <input type="hidden" name="_xsrf" value="${view.xsrf}" />
                            <input type="hidden" name="id" value="${t.id}" />
                            <button
                              type="submit"
                              class="danger small"
                              aria-label="Revoke ${t.note}"
                            >
                              Revoke
                            </button>
                          </form>
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
      }
    </section>`;
  return layout('API tokens', view.identity, body, view.xsrf, { section: 'tokens' });
}
