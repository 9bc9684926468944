import { html } from 'hono/html';
import { layout } from '../layout.ts';

export function loginPage(next: string, error?: string) {
  return layout(
    'Sign in',
    undefined,
    html`<div class="card">
      <h1>Sign in</h1>
      ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
      <form method="post" action="/hub/login?next=${encodeURIComponent(next)}">
        <label for="username">User name</label>
        <input
          id="username"
          name="username"
          type="text"
          autocomplete="username"
          required
          autofocus
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
