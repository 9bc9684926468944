/**
 * The portal's home: the user's server with one obvious action (Start, Open, or follow a
 * start), environments as cards chosen with radio inputs, and a failure told in plain words
 * with what to try and the technical detail folded away. Also the start-progress page and the
 * page the proxy shows for a stopped server.
 */
import { html } from 'hono/html';
import type { Identity } from '../../auth/auth-service.ts';
import type { ServerPhase, ServerRef } from '../../backends/types.ts';
import type { Profile } from '../../config/schema.ts';
import { layout } from '../layout.ts';
import { spawnUrl } from '../portal/hub-urls.ts';
import { aboutDuration, ago, formatTime, profileSize } from './format.ts';

export interface ServerView {
  readonly phase: ServerPhase;
  readonly profile: Profile | undefined;
  /** `/user/<name>/`. */
  readonly url: string;
  readonly startedAt: Date | undefined;
  readonly lastActivity: Date | undefined;
  /** Why it stopped or failed, in plain words. */
  readonly message: string | undefined;
  readonly detail: string | undefined;
}

/** One of the user's named servers, as the home page lists it. */
export interface NamedServerView extends ServerView {
  readonly name: string;
}

export interface HomeView {
  readonly identity: Identity;
  readonly xsrf: string;
  readonly now: Date;
  readonly server: ServerView;
  /** The user's named servers, by name. */
  readonly named: readonly NamedServerView[];
  /** `servers.maxPerUser`: 1 hides named servers altogether. */
  readonly maxPerUser: number;
  /** The environments this user may start. */
  readonly profiles: readonly Profile[];
  readonly lastProfile: string | undefined;
  readonly notice: string | undefined;
  /** Why the start just pressed was refused (a quota), shown where Start was pressed. */
  readonly problem?: string | undefined;
}

const phaseLabel: Record<ServerPhase, string> = {
  stopped: 'Stopped',
  starting: 'Starting',
  running: 'Running',
  stopping: 'Stopping',
  failed: 'Could not start',
};

/** What to try after a failed start, most useful first. */
export function adviceAfterFailure(profileCount: number): string[] {
  return [
    'Start it again: many problems go away on a second try.',
    ...(profileCount > 1 ? ['If it fails again, choose another environment.'] : []),
    'If it keeps failing, ask your administrator for help and send them the technical details.',
  ];
}

/** The environments as radio cards; the last used (or the default) is preselected. */
export function environmentCards(view: {
  readonly profiles: readonly Profile[];
  readonly lastProfile: string | undefined;
}) {
  const chosen =
    view.profiles.find((p) => p.name === view.lastProfile) ??
    view.profiles.find((p) => p.default) ??
    view.profiles[0];
  return html`<fieldset class="environments">
    <legend>Choose an environment</legend>
    <div class="cards">
      ${view.profiles.map((p) => {
        const id = `profile-${p.name}`;
        const size = profileSize(p);
        return html`<label class="env-card" for="${id}">
          <input
            type="radio"
            name="profile"
            id="${id}"
            value="${p.name}"
            ${p.name === chosen?.name ? 'checked' : ''}
            aria-describedby="${id}-about"
          />
          <span class="env-name">${p.displayName}</span>
          <span class="env-about" id="${id}-about">
            ${p.description ? html`<span class="env-description">${p.description}</span>` : ''}
            <span class="env-meta">
              ${size ? html`<span class="tag">${size}</span>` : ''}
              ${
                p.gpu > 0
                  ? html`<span class="tag tag-gpu">GPU included (${p.gpu})</span>`
                  : html`<span class="tag">No GPU</span>`
              }
            </span>
          </span>
        </label>`;
      })}
    </div>
  </fieldset>`;
}

function failure(view: HomeView) {
  const { server } = view;
  return html`<section class="alert alert-error" role="alert" aria-labelledby="failure-title">
    <h2 id="failure-title">Your server could not start</h2>
    <p>${server.message ?? 'Something went wrong while starting it.'} Your files are safe.</p>
    <h3>What you can try</h3>
    <ul>
      ${adviceAfterFailure(view.profiles.length).map((a) => html`<li>${a}</li>`)}
    </ul>
    ${
      server.detail
        ? html`<details>
            <summary>Technical details</summary>
            <pre>${server.detail}</pre>
          </details>`
        : ''
    }
  </section>`;
}

function action(view: HomeView) {
  const { server, xsrf } = view;
  switch (server.phase) {
    case 'running':
      return html`<div class="actions">
        <a class="button primary" href="${server.url}lab" id="open">Open JupyterLab</a>
        <form method="post" action="/hub/stop">
          <input type="hidden" name="_xsrf" value="${xsrf}" />
          <button type="submit" class="quiet" id="stop">Stop server</button>
        </form>
      </div>`;
    case 'starting':
      return html`<div class="actions">
        <a class="button primary" href="${pendingUrl('')}">Follow the start</a>
      </div>`;
    case 'stopping':
      return html`<p>Your server is stopping. Reload this page in a moment.</p>`;
    default:
      return view.profiles.length === 0
        ? html`<p class="alert">
            No environment is available to you yet. Ask your administrator to give you access.
          </p>`
        : html`<form method="post" action="/hub/spawn" class="start-form">
            <input type="hidden" name="_xsrf" value="${xsrf}" />
            ${environmentCards(view)}
            <button type="submit" class="primary" id="start">
              ${server.phase === 'failed' ? 'Try again' : 'Start my server'}
            </button>
          </form>`;
  }
}

function noRoom(maxPerUser: number): string {
  if (maxPerUser <= 1)
    return 'Named servers are not enabled here: you can use your default server.';
  return `You have ${String(maxPerUser)} servers, the most allowed here. Delete one to create another.`;
}

export interface NewServerView {
  readonly identity: Identity;
  readonly xsrf: string;
  readonly profiles: readonly Profile[];
  /** Whether one more server is allowed (servers.maxPerUser). */
  readonly room: boolean;
  readonly maxPerUser: number;
  /** Why the start just pressed was refused (a quota). */
  readonly problem?: string | undefined;
}

/** The form that creates a named server: its name and its environment. */
export function newServerPage(view: NewServerView) {
  const form = !view.room
    ? html`<p class="alert alert-info">${noRoom(view.maxPerUser)}</p>`
    : view.profiles.length === 0
      ? html`<p class="alert">
          No environment is available to you yet. Ask your administrator to give you access.
        </p>`
      : html`<form method="post" action="/hub/spawn" class="start-form">
          <input type="hidden" name="_xsrf" value="${view.xsrf}" />
          <div class="stack new-server">
            <label for="new-server-name">Server name</label>
            <input
              type="text"
              id="new-server-name"
              name="server"
              required
              maxlength="32"
              pattern="[a-z0-9-]{1,32}"
              autocomplete="off"
              aria-describedby="new-server-hint"
            />
            <span id="new-server-hint" class="hint"
              >Lower-case letters, digits and -, up to 32. It becomes part of the server's
              address.</span
            >
          </div>
          ${environmentCards({ profiles: view.profiles, lastProfile: undefined })}
          <button type="submit" class="primary" id="create-server">Create and start</button>
        </form>`;
  return layout(
    'New server',
    view.identity,
    html`<section class="card" aria-labelledby="new-title">
      <h1 id="new-title">Create a server</h1>
      <p class="muted">
        A server of its own, with its own environment and its own files, next to your default one.
        You may have up to ${view.maxPerUser} servers, your default one included.
      </p>
      ${problem(view.problem)} ${form}
      <p><a href="/hub/home">Back to your home page</a></p>
    </section>`,
    view.xsrf,
    { section: 'home' },
  );
}

/** Where a server's start is followed; `server` '' is the default server. */
export function pendingUrl(server: string): string {
  return server === '' ? '/hub/spawn-pending' : `/hub/spawn-pending?server=${server}`;
}

/** A named server's one obvious action, plus Stop or Delete beside it. */
function namedActions(view: HomeView, server: NamedServerView) {
  const { xsrf } = view;
  const name = server.name;
  const hidden = html`<input type="hidden" name="_xsrf" value="${xsrf}" />
    <input type="hidden" name="server" value="${name}" />`;
  switch (server.phase) {
    case 'running':
      return html`<a class="button primary" href="${server.url}lab" aria-label="Open ${name}"
          >Open</a
        >
        <form method="post" action="/hub/stop">
          ${hidden}
          <button type="submit" class="quiet" aria-label="Stop ${name}">Stop</button>
        </form>`;
    case 'starting':
      return html`<a class="button primary" href="${pendingUrl(name)}"
        >Follow the start of ${name}</a
      >`;
    case 'stopping':
      return html`<span class="muted">Stopping…</span>`;
    default:
      return html`<form method="post" action="/hub/spawn">
          ${hidden}
          <button type="submit" class="primary" aria-label="Start ${name}">
            ${server.phase === 'failed' ? 'Try again' : 'Start'}
          </button>
        </form>
        <details class="delete-server">
          <summary aria-label="Delete ${name}…">Delete…</summary>
          <form method="post" action="/hub/delete">
            ${hidden}
            <label class="choice">
              <input type="checkbox" name="delete_files" value="1" />
              Also delete the files of ${name} (they cannot be recovered)
            </label>
            <button type="submit" class="danger">Delete ${name}</button>
          </form>
        </details>`;
  }
}

function namedServers(view: HomeView) {
  if (view.maxPerUser <= 1) return '';
  const room = 1 + view.named.length < view.maxPerUser;
  const newServer = room
    ? html`<p><a class="button" href="/hub/servers/new" id="new-server">Create a server…</a></p>`
    : html`<p class="muted" id="no-room">${noRoom(view.maxPerUser)}</p>`;
  return html`<section class="card named-servers" aria-labelledby="named-title">
    <h2 id="named-title">Your other servers</h2>
    <p class="muted">
      Each has its own environment and its own files, at its own address. You may have up to
      ${view.maxPerUser} servers, your default one included.
    </p>
    ${
      view.named.length > 0
        ? html`<ul class="server-list">
            ${view.named.map(
              (s) =>
                html`<li class="named-server" id="server-${s.name}">
                  <div class="server-head">
                    <h3>${s.name}</h3>
                    <span class="pill pill-${s.phase}">${phaseLabel[s.phase]}</span>
                  </div>
                  <p class="muted">
                    ${s.profile?.displayName ?? ''}
                    ${s.message && s.phase !== 'running' ? html` · ${s.message}` : ''}
                  </p>
                  <div class="actions">${namedActions(view, s)}</div>
                </li>`,
            )}
          </ul>`
        : ''
    }
    ${newServer}
  </section>`;
}

/** A refused start's message, where the person pressed Start. */
function problem(message: string | undefined) {
  return message === undefined
    ? ''
    : html`<p class="alert alert-error" role="alert" id="start-refused">${message}</p>`;
}

export function homePage(view: HomeView) {
  const { server } = view;
  const facts = [
    server.profile
      ? html`<div>
          <dt>Environment</dt>
          <dd>${server.profile.displayName}</dd>
        </div>`
      : '',
    server.phase === 'running' && server.startedAt
      ? html`<div>
          <dt>Started</dt>
          <dd>${formatTime(server.startedAt)}</dd>
        </div>`
      : '',
    server.phase === 'running' && server.lastActivity
      ? html`<div>
          <dt>Last used</dt>
          <dd>${ago(server.lastActivity, view.now)}</dd>
        </div>`
      : '',
  ];
  const body = html`<h1>Hello, ${view.identity.user}</h1>
    ${view.notice ? html`<p class="alert alert-info" role="status">${view.notice}</p>` : ''}
    ${problem(view.problem)} ${server.phase === 'failed' ? failure(view) : ''}
    ${
      server.phase === 'stopped' && server.message
        ? html`<p class="alert alert-info">${server.message}</p>`
        : ''
    }
    <section class="card server" aria-labelledby="server-title">
      <div class="server-head">
        <h2 id="server-title">Your notebook server</h2>
        <span class="pill pill-${server.phase}">${phaseLabel[server.phase]}</span>
      </div>
      ${facts.some((f) => f !== '') ? html`<dl class="facts">${facts}</dl>` : ''}
      ${
        server.phase === 'running'
          ? html`<p class="muted">Your files are kept when the server stops.</p>`
          : ''
      }
      ${action(view)}
    </section>
    ${namedServers(view)}`;
  return layout('Home', view.identity, body, view.xsrf, { section: 'home' });
}

export interface PendingView {
  readonly identity: Identity;
  readonly xsrf: string;
  /** '' for the default server. */
  readonly server: string;
  readonly eventsUrl: string;
  readonly next: string;
  readonly profile: Profile | undefined;
  /** Median of past start times of this profile, ms. */
  readonly estimateMs: number | undefined;
  readonly profileCount: number;
  /** Whether the person follows their own start (Cancel is offered only then). */
  readonly own?: boolean;
  /** Whose server, when an administrator follows someone else's start. */
  readonly user?: string;
}

export function pendingPage(view: PendingView) {
  const estimate =
    view.estimateMs === undefined
      ? 'This is the first start of this environment here, so there is no estimate yet.'
      : `This usually takes ${aboutDuration(view.estimateMs)}.`;
  return layout(
    'Starting',
    view.identity,
    html`<section
      class="card progress-card"
      id="progress"
      data-events="${view.eventsUrl}"
      data-next="${view.next}"
      data-estimate="${view.estimateMs ?? ''}"
      aria-labelledby="progress-title"
    >
      <h1 id="progress-title">
        ${
          view.own === false
            ? `Starting ${view.user ?? ''}'s server${view.server === '' ? '' : ` ${view.server}`}`
            : view.server === ''
              ? 'Starting your server'
              : html`Starting your server ${view.server}`
        }
      </h1>
      ${
        view.profile
          ? html`<p class="muted">Environment: <strong>${view.profile.displayName}</strong></p>`
          : ''
      }
      <div class="progress-block">
        <progress id="bar" max="100" value="0" aria-labelledby="progress-title"></progress>
        <p class="estimate">
          <span id="estimate">${estimate}</span>
          <span id="elapsed" class="muted" aria-hidden="true"></span>
        </p>
      </div>
      <ol class="steps" id="steps" aria-live="polite" aria-label="Steps">
        <li class="step current">Getting ready</li>
      </ol>
      <noscript>
        <p class="alert">
          This page needs JavaScript to follow the start.
          <a href="/hub/home">Check your home page</a> in a moment instead.
        </p>
      </noscript>
      <section class="alert alert-error" id="failure" role="alert" hidden>
        <h2>Your server could not start</h2>
        <p><span id="failure-message"></span> Your files are safe.</p>
        <h3>What you can try</h3>
        <ul>
          ${adviceAfterFailure(view.profileCount).map((a) => html`<li>${a}</li>`)}
        </ul>
        <details id="failure-detail" hidden>
          <summary>Technical details</summary>
          <pre></pre>
        </details>
        <p><a class="button primary" href="/hub/home">Back to the start page</a></p>
      </section>
      ${
        view.own === false
          ? ''
          : html`<form method="post" action="/hub/stop" id="cancel-form">
              <input type="hidden" name="_xsrf" value="${view.xsrf}" />
              <input type="hidden" name="cancel" value="1" />
              <input type="hidden" name="server" value="${view.server}" />
              <button type="submit" class="quiet" id="cancel">Cancel the start</button>
            </form>`
      }
    </section>`,
    view.xsrf,
    { section: 'home', scripts: ['progress.js'] },
  );
}

/**
 * The page for a stopped server's URL (the proxy's `onNoServer`; also `/hub/spawn-pending/…`
 * for a stopped server). As JupyterHub 5's not_running page: a link to
 * `/hub/spawn/<user>[/<server>]?next=<this URL>`, so after the start the person lands on the
 * very page they asked for. Administrators get the same link for someone else's server.
 */
export function notRunningPage(identity: Identity, xsrf: string, ref: ServerRef, next: string) {
  const own = identity.user === ref.user;
  const what = ref.server === '' ? 'server' : `server ${ref.server}`;
  const label = own
    ? ref.server === ''
      ? 'Start my server'
      : `Start ${ref.server}`
    : `Start ${ref.user}'s ${what}`;
  return layout(
    'Server not running',
    identity,
    html`<section class="card">
      <h1>${own ? `Your ${what} is not running` : `${ref.user}'s ${what} is not running`}</h1>
      <p>
        ${own ? 'Your files are safe.' : 'Its files are safe.'} Start the server to continue where
        you left off.
      </p>
      ${
        own || identity.admin
          ? html`<p>
              <a class="button primary" id="start" href="${spawnUrl(ref.user, ref.server, next)}"
                >${label}</a
              >
            </p>`
          : ''
      }
      ${own ? '' : html`<a class="button" href="/hub/admin/servers">Back to the admin console</a>`}
    </section>`,
    xsrf,
  );
}
