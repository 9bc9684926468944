/** The page behind a one-time invitation or password-reset link: choose a password. */
import { html } from 'hono/html';
import { layout } from '../layout.ts';

export function invitePage(
  userName: string,
  action: string,
  xsrf: string | undefined,
  error?: string,
) {
  return layout(
    'Choose a password',
    undefined,
    html`<section class="card narrow" aria-labelledby="invite-title">
      <h1 id="invite-title">Welcome, ${userName}</h1>
      <p>Choose a password to sign in with. This link works once.</p>
      ${error ? html`<p class="alert alert-error" role="alert">${error}</p>` : ''}
      <form method="post" action="${action}" class="stack">
        ${xsrf ? html`<input type="hidden" name="_xsrf" value="${xsrf}" />` : ''}
        <input
          type="text"
          name="username"
          autocomplete="username"
          value="${userName}"
          hidden
          readonly
        />
        <label for="password">New password (at least 8 characters)</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="new-password"
          minlength="8"
          required
        />
        <label for="confirm">The same password again</label>
        <input
          id="confirm"
          name="confirm"
          type="password"
          autocomplete="new-password"
          minlength="8"
          required
        />
        <div><button type="submit" class="primary">Set password and sign in</button></div>
      </form>
    </section>`,
  );
}

export function invalidInvitePage() {
  return layout(
    'Link not valid',
    undefined,
    html`<section class="card narrow">
      <h1>This link is no longer valid</h1>
      <p>
        Links to set a password work once and expire after a week. Ask your administrator for a new
        one.
      </p>
      <p><a href="/hub/login">Go to the sign-in page</a></p>
    </section>`,
  );
}
