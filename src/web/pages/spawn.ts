/**
 * The pages of JupyterHub's `/hub/spawn/<user>[/<server>]` (src/web/portal/jupyterhub-routes.ts):
 * the environment choice when a link asks to start a server and several environments are
 * allowed (it posts back to the same URL, keeping `next`), and a short "stopping" notice.
 */
import { html } from 'hono/html';
import type { Identity } from '../../auth/auth-service.ts';
import type { Profile } from '../../config/schema.ts';
import { layout } from '../layout.ts';
import { environmentCards } from './home.ts';

export interface SpawnChoiceView {
  readonly identity: Identity;
  readonly xsrf: string;
  /** Whose server: differs from the identity when an administrator starts it for someone. */
  readonly user: string;
  /** '' for the default server. */
  readonly server: string;
  /** The form's action: this same spawn URL, with its `next`. */
  readonly action: string;
  readonly profiles: readonly Profile[];
  readonly lastProfile: string | undefined;
  /** Why the start just pressed here was refused (a quota). */
  readonly problem?: string | undefined;
}

function whose(identity: Identity, user: string, server: string): string {
  const what = server === '' ? 'server' : `server ${server}`;
  return identity.user === user ? `your ${what}` : `${user}'s ${what}`;
}

export function spawnChoicePage(view: SpawnChoiceView) {
  const target = whose(view.identity, view.user, view.server);
  return layout(
    'Choose an environment',
    view.identity,
    html`<section class="card" aria-labelledby="spawn-title">
      <h1 id="spawn-title">Start ${target}</h1>
      <p class="muted">Choose the environment to start it in. The link you followed opens next.</p>
      ${
        view.problem === undefined
          ? ''
          : html`<p class="alert alert-error" role="alert" id="start-refused">${view.problem}</p>`
      }
      <form method="post" action="${view.action}" class="start-form">
        <input type="hidden" name="_xsrf" value="${view.xsrf}" />
        ${environmentCards({ profiles: view.profiles, lastProfile: view.lastProfile })}
        <button type="submit" class="primary" id="start">Start</button>
      </form>
      <p><a href="/hub/home">Back to your home page</a></p>
    </section>`,
    view.xsrf,
    { section: 'home' },
  );
}

export function stoppingPage(identity: Identity, xsrf: string, user: string, server: string) {
  const target = whose(identity, user, server);
  return layout(
    'Stopping',
    identity,
    html`<section class="card">
      <h1>${target.charAt(0).toUpperCase()}${target.slice(1)} is stopping</h1>
      <p>Reload this page in a moment to start it again and continue.</p>
      <p><a href="/hub/home">Back to your home page</a></p>
    </section>`,
    xsrf,
  );
}
