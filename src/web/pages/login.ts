import { html } from 'hono/html';
import { layout } from '../layout.ts';

/** An organisation's identity provider offered next to the password form. */
export interface SignInProvider {
  /** "Sign in with <displayName>". */
  readonly displayName: string;
}

export function loginPage(next: string, error?: string, provider?: SignInProvider) {
  const nextQuery = `?next=${encodeURIComponent(next)}`;
  return layout(
    'Sign in',
    undefined,
    html`<div class="card">
      <h1>Sign in</h1>
      ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
      ${
        provider
          ? html`<p>
                <a class="button" id="sign-in-provider" href="/hub/oauth/login${nextQuery}"
                  >Sign in with ${provider.displayName}</a
                >
              </p>
              <p>Or sign in with a user name and password on this service:</p>`
          : ''
      }
      <form method="post" action="/hub/login${nextQuery}">
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
        <button type="submit">Sign in</button>
      </form>
    </div>`,
  );
}
