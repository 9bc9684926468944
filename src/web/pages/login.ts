import { html } from 'hono/html';
import { layout } from '../layout.ts';

/** An organisation's identity provider offered next to the password form. */
export interface SignInProvider {
  /** "Sign in with <displayName>". */
  readonly displayName: string;
}

export function loginPage(
  next: string,
  xsrf: string | undefined,
  error?: string,
  provider?: SignInProvider,
) {
  const nextQuery = `?next=${encodeURIComponent(next)}`;
  return layout(
    'Sign in',
    undefined,
    html`<section class="card narrow" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <p class="muted">Your notebooks, ready where you left them.</p>
      ${error ? html`<p class="alert alert-error" role="alert">${error}</p>` : ''}
      ${
        provider
          ? html`<p>
                <a class="button primary" id="sign-in-provider" href="/hub/oauth/login${nextQuery}"
                  >Sign in with ${provider.displayName}</a
                >
              </p>
              <p>Or sign in with a user name and password on this service:</p>`
          : ''
      }
      <form method="post" action="/hub/login${nextQuery}" class="stack">
        ${xsrf ? html`<input type="hidden" name="_xsrf" value="${xsrf}" />` : ''}
        <label for="username">User name</label>
        <input
          id="username"
          name="username"
          type="text"
          autocomplete="username"
          required
          ${provider ? '' : 'autofocus'}
        />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
        />
        <div><button type="submit" class="primary">Sign in</button></div>
      </form>
    </section>`,
  );
}
