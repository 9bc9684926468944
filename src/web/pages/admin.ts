/** The admin console's pages: users, groups and environment access, servers, usage. */
import { html } from 'hono/html';
import type { Identity } from '../../auth/auth-service.ts';
import type { Profile } from '../../config/schema.ts';
import type { QuotaUseRow } from '../../servers/quotas.ts';
import type { ServerState } from '../../servers/server-service.ts';
import type { GroupWithMembers, User } from '../../store/types.ts';
import { colourOf, usageChart } from '../admin/usage-chart.ts';
import type { Usage } from '../admin/usage.ts';
import { filterQuery, withFilter, type UsersFilter } from '../admin/users-filter.ts';
import { layout, type Html } from '../layout.ts';
import { ago, formatDay, formatHours, formatTime } from './format.ts';

export type AdminTab = 'users' | 'groups' | 'servers' | 'usage' | 'links';

const tabs: { id: AdminTab; href: string; label: string }[] = [
  { id: 'users', href: '/hub/admin', label: 'Users' },
  { id: 'groups', href: '/hub/admin/groups', label: 'Groups and access' },
  { id: 'servers', href: '/hub/admin/servers', label: 'Servers' },
  { id: 'usage', href: '/hub/admin/usage', label: 'Usage' },
  { id: 'links', href: '/hub/admin/links', label: 'Content links' },
];

/** A notice after an action: plain text, or a one-time link shown once. */
export interface AdminNotice {
  readonly text: string;
  readonly link?: string;
}

function adminShell(
  identity: Identity,
  xsrf: string,
  tab: AdminTab,
  title: string,
  notice: AdminNotice | undefined,
  body: Html,
  scripts: readonly string[] = [],
) {
  return layout(
    title,
    identity,
    html`<div class="admin-head">
        <h1>${title}</h1>
        <nav aria-label="Admin console" class="tabs">
          ${tabs.map(
            (t) =>
              html`<a href="${t.href}" aria-current="${t.id === tab ? 'page' : 'false'}"
                >${t.label}</a
              >`,
          )}
        </nav>
      </div>
      ${
        notice
          ? html`<div class="alert alert-success" role="status">
              <p>${notice.text}</p>
              ${
                notice.link
                  ? html`<label for="one-time-link">One-time link (shown only now)</label>
                      <input
                        id="one-time-link"
                        class="token-value"
                        type="text"
                        readonly
                        value="${notice.link}"
                      />`
                  : ''
              }
            </div>`
          : ''
      }
      ${body}`,
    xsrf,
    { section: 'admin', wide: true, scripts },
  );
}

const hidden = (name: string, value: string) =>
  html`<input type="hidden" name="${name}" value="${value}" />`;

export interface UserRow {
  readonly user: User;
  readonly groups: readonly string[];
  /** The default server, as the server service tells it; undefined when never started. */
  readonly server: ServerState | undefined;
  /** The latest activity of any of the person's servers. */
  readonly lastActivity: Date | undefined;
}

export interface UsersPageView {
  readonly rows: readonly UserRow[];
  /** People matching the filter, on all pages. */
  readonly total: number;
  readonly filter: UsersFilter;
  readonly perPage: number;
  readonly now: Date;
  readonly notice?: AdminNotice;
}

const stateChoices: { value: UsersFilter['state']; label: string }[] = [
  { value: '', label: 'Anyone' },
  { value: 'ready', label: 'Server running' },
  { value: 'active', label: 'Server starting, running or stopping' },
  { value: 'inactive', label: 'No server running' },
];

function usersFilterForm(filter: UsersFilter) {
  return html`<form method="get" action="/hub/admin" class="filters" role="search">
    <div>
      <label for="filter-q">Name contains</label>
      <input id="filter-q" name="q" type="search" maxlength="100" value="${filter.q}" />
    </div>
    <div>
      <label for="filter-state">Server</label>
      <select id="filter-state" name="state">
        ${stateChoices.map(
          (s) =>
            html`<option value="${s.value}" ${s.value === filter.state ? 'selected' : ''}>
              ${s.label}
            </option>`,
        )}
      </select>
    </div>
    <div>
      <label for="filter-group">In group</label>
      <input id="filter-group" name="group" type="text" maxlength="100" value="${filter.group}" />
    </div>
    <div>
      <label for="filter-sort">Sort by</label>
      <select id="filter-sort" name="sort">
        <option value="name" ${filter.sort === 'name' ? 'selected' : ''}>Name</option>
        <option value="activity" ${filter.sort === 'activity' ? 'selected' : ''}>
          Last activity
        </option>
      </select>
    </div>
    <div><button type="submit" class="quiet">Show</button></div>
  </form>`;
}

/** Previous / next links that keep everything else the page was asked for. */
function pager(label: string, page: number, pages: number, href: (page: number) => string) {
  if (pages <= 1) return '';
  return html`<nav class="pager" aria-label="${label}">
    ${page > 1 ? html`<a class="button quiet small" href="${href(page - 1)}" rel="prev">Previous</a>` : ''}
    <span>Page ${page} of ${pages}</span>
    ${page < pages ? html`<a class="button quiet small" href="${href(page + 1)}" rel="next">Next</a>` : ''}
  </nav>`;
}

export function adminUsersPage(identity: Identity, xsrf: string, view: UsersPageView) {
  const { rows, total, filter, now } = view;
  const x = hidden('_xsrf', xsrf);
  // Row forms come back to this very page: filters and page ride on their action URLs.
  const back = filterQuery(filter);
  const action = (path: string) => (back ? `${path}?${back}` : path);
  const pages = Math.max(1, Math.ceil(total / view.perPage));
  const first = total === 0 ? 0 : (filter.page - 1) * view.perPage + 1;
  const last = Math.min(total, filter.page * view.perPage);
  const filtered = filter.q !== '' || filter.state !== '' || filter.group !== '';
  return adminShell(
    identity,
    xsrf,
    'users',
    'Users',
    view.notice,
    html`<section class="card" aria-labelledby="users-title">
        <h2 id="users-title">People (${total})</h2>
        ${usersFilterForm(filter)}
        <p class="muted" aria-live="polite">
          ${
            total === 0
              ? filtered
                ? 'Nobody matches these filters.'
                : 'Nobody yet.'
              : `Showing ${first}–${last} of ${total}${filtered ? ' matching' : ''}, by ${filter.sort === 'activity' ? 'last activity' : 'name'}.`
          }
        </p>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Groups</th>
                <th scope="col">Sign-in</th>
                <th scope="col">Server</th>
                <th scope="col">Last activity</th>
                <th scope="col"><span class="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              ${rows.map(({ user, groups, server, lastActivity }) => {
                const self = user.id === identity.userId;
                return html`<tr>
                  <th scope="row">
                    <a href="${userPageUrl(user.name)}">${user.name}</a
                    >${self ? html` <span class="muted">(you)</span>` : ''}
                  </th>
                  <td>${user.admin ? html`<span class="pill pill-admin">Admin</span>` : 'User'}</td>
                  <td>
                    ${groups.length ? groups.join(', ') : html`<span class="muted">none</span>`}
                  </td>
                  <td>
                    ${user.passwordHash ? 'Password' : html`<span class="muted">Link not used yet</span>`}
                  </td>
                  <td>
                    ${server ? html`<span class="pill pill-${server.phase}">${server.phase}</span>` : html`<span class="muted">never started</span>`}
                  </td>
                  <td>
                    ${lastActivity ? ago(lastActivity, now) : html`<span class="muted">never</span>`}
                  </td>
                  <td class="row-actions">
                    <form method="post" action="${action('/hub/admin/users/reset')}">
                      ${x}${hidden('user', user.name)}
                      <button
                        type="submit"
                        class="quiet small"
                        aria-label="Password link for ${user.name}"
                      >
                        Password link
                      </button>
                    </form>
                    ${
                      self
                        ? ''
                        : html`<form method="post" action="${action('/hub/admin/users/admin')}">
                              ${x}${hidden('user', user.name)}${hidden('admin', user.admin ? '0' : '1')}
                              <button
                                type="submit"
                                class="quiet small"
                                aria-label="${user.admin ? 'Remove admin from' : 'Make admin'} ${user.name}"
                              >
                                ${user.admin ? 'Remove admin' : 'Make admin'}
                              </button>
                            </form>
                            <a
                              class="button danger small"
                              href="/hub/admin/users/remove?user=${encodeURIComponent(user.name)}"
                              aria-label="Remove ${user.name}"
                              >Remove…</a
                            >`
                    }
                  </td>
                </tr>`;
              })}
            </tbody>
          </table>
        </div>
        ${pager('Pages of people', filter.page, pages, (page) => withFilter('/hub/admin', filter, { page }))}
      </section>
      <section class="card" aria-labelledby="add-title">
        <h2 id="add-title">Add a person</h2>
        <form method="post" action="/hub/admin/users" class="stack">
          ${x}
          <label for="new-name">User name</label>
          <input
            id="new-name"
            name="name"
            type="text"
            required
            maxlength="64"
            autocomplete="off"
            aria-describedby="new-name-hint"
          />
          <p class="hint" id="new-name-hint">Letters, digits and . _ - @; stored in lower case.</p>
          <fieldset>
            <legend>How will they get a password?</legend>
            <label class="choice"
              ><input type="radio" name="access" value="invite" checked /> Send them a one-time link
              to choose one</label
            >
            <label class="choice"
              ><input type="radio" name="access" value="password" /> I set it now</label
            >
          </fieldset>
          <label for="new-password">Password (only if you set it now; at least 8 characters)</label>
          <input
            id="new-password"
            name="password"
            type="password"
            minlength="8"
            autocomplete="new-password"
          />
          <label class="choice"
            ><input type="checkbox" name="admin" value="1" /> Administrator</label
          >
          <div><button type="submit" class="primary">Add person</button></div>
        </form>
      </section>`,
  );
}

/** The admin console's page for one user. */
export function userPageUrl(name: string): string {
  return `/hub/admin/users/view?${new URLSearchParams({ user: name }).toString()}`;
}

export interface UserPageView {
  readonly user: User;
  readonly groups: readonly string[];
  readonly servers: readonly ServerState[];
  /** Use against each quota that applies; empty when none does. */
  readonly quotas: readonly QuotaUseRow[];
}

/** One user: their groups, servers and use against each quota that applies to them. */
export function adminUserPage(identity: Identity, xsrf: string, view: UserPageView) {
  const { user } = view;
  return adminShell(
    identity,
    xsrf,
    'users',
    'Users',
    undefined,
    html`<section class="card" aria-labelledby="user-title">
      <h2 id="user-title">${user.name}</h2>
      <p>
        ${user.admin ? 'Administrator' : 'User'}. Groups:
        ${view.groups.length ? view.groups.join(', ') : html`<span class="muted">none</span>`}.
      </p>
      <h3 id="servers-title">Servers</h3>
      ${
        view.servers.length === 0
          ? html`<p class="muted">No servers yet.</p>`
          : html`<ul aria-labelledby="servers-title">
              ${view.servers.map(
                (s) =>
                  html`<li>
                    ${s.name === '' ? 'Default server' : s.name}
                    <span class="pill pill-${s.phase}">${s.phase}</span>
                    ${s.profile ? html`<span class="muted">${s.profile}</span>` : ''}
                  </li>`,
              )}
            </ul>`
      }
      <h3 id="quota-title">Quotas</h3>
      ${
        view.quotas.length === 0
          ? html`<p class="muted">No quota applies to ${user.name}.</p>`
          : html`<table aria-labelledby="quota-title" class="quota-use">
              <thead>
                <tr>
                  <th scope="col">Limit</th>
                  <th scope="col">In use</th>
                  <th scope="col">Allowed</th>
                </tr>
              </thead>
              <tbody>
                ${view.quotas.map(
                  (q) =>
                    html`<tr${q.full ? html` class="quota-full"` : ''}>
                    <th scope="row">${q.what}</th>
                    <td>${q.used}${q.full ? html` <span class="pill pill-failed">at the limit</span>` : ''}</td>
                    <td>${q.limit}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`
      }
      <p><a href="/hub/admin">Back to the users</a></p>
    </section>`,
  );
}

export function removeUserPage(identity: Identity, xsrf: string, user: User, running: boolean) {
  return adminShell(
    identity,
    xsrf,
    'users',
    'Users',
    undefined,
    html`<section class="card narrow" aria-labelledby="remove-title">
      <h2 id="remove-title">Remove ${user.name}?</h2>
      <p>
        ${user.name} will no longer be able to sign in, and their API tokens stop working.
        ${running ? 'Their running server will be stopped.' : ''}
      </p>
      <form method="post" action="/hub/admin/users/remove" class="stack">
        ${hidden('_xsrf', xsrf)}${hidden('user', user.name)}
        <fieldset>
          <legend>Their files</legend>
          <label class="choice">
            <input type="checkbox" name="delete_files" value="1" aria-describedby="files-hint" />
            Also delete ${user.name}'s files
          </label>
          <p class="hint" id="files-hint">
            Left unticked, the files are kept and come back if you add ${user.name} again. Deleting
            them cannot be undone.
          </p>
        </fieldset>
        <div class="actions">
          <button type="submit" class="danger">Remove ${user.name}</button>
          <a class="button quiet" href="/hub/admin">Keep ${user.name}</a>
        </div>
      </form>
    </section>`,
  );
}

export interface ProfileAccess {
  readonly profile: Profile;
  readonly groups: readonly string[];
}

/** One page of groups (`total` in all). */
export interface GroupsPageView {
  readonly groups: readonly GroupWithMembers[];
  readonly total: number;
  readonly page: number;
  readonly pages: number;
}

export function adminGroupsPage(
  identity: Identity,
  xsrf: string,
  view: GroupsPageView,
  access: readonly ProfileAccess[],
  notice?: AdminNotice,
) {
  const { groups } = view;
  const x = hidden('_xsrf', xsrf);
  // Each environment's boxes: this page's groups and those it allows already (on any page), so
  // saving from one page keeps what other pages hold.
  const choices = (allowed: readonly string[]) =>
    [...new Set([...groups.map((g) => g.name), ...allowed])].sort((a, b) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
  return adminShell(
    identity,
    xsrf,
    'groups',
    'Groups and access',
    notice,
    html`<section class="card" aria-labelledby="access-title">
        <h2 id="access-title">Who may use each environment</h2>
        <p class="muted">
          An environment with no group ticked is open to everyone. Administrators may use all.
        </p>
        ${view.total === 0 ? html`<p>Create a group below to limit an environment to it.</p>` : ''}
        <div class="access-list">
          ${access.map(
            ({ profile, groups: allowed }) =>
              html`<form method="post" action="/hub/admin/access" class="access">
                ${x}${hidden('profile', profile.name)}
                <fieldset>
                  <legend>
                    ${profile.displayName}
                    <span class="muted">(${allowed.length ? allowed.join(', ') : 'everyone'})</span>
                  </legend>
                  <div class="checks">
                    ${choices(allowed).map(
                      (g) =>
                        html`<label class="choice"
                          ><input
                            type="checkbox"
                            name="groups"
                            value="${g}"
                            ${allowed.includes(g) ? 'checked' : ''}
                          />
                          ${g}</label
                        >`,
                    )}
                  </div>
                  ${choices(allowed).length ? html`<button type="submit" class="quiet small">Save access to ${profile.displayName}</button>` : ''}
                </fieldset>
              </form>`,
          )}
        </div>
      </section>
      <section class="card" aria-labelledby="groups-title">
        <h2 id="groups-title">Groups</h2>
        ${view.total === 0 ? html`<p class="muted">There are no groups yet.</p>` : ''}
        ${groups.map(
          (g, i) =>
            html`<div class="group">
              <form method="post" action="/hub/admin/groups/members" class="stack">
                ${x}${hidden('group', g.name)}
                <label for="members-${i}">Members of ${g.name}</label>
                <textarea id="members-${i}" name="members" rows="2" aria-describedby="members-hint">
${g.members.join(', ')}</textarea>
                <div class="actions">
                  <button type="submit" class="quiet small">Save members of ${g.name}</button>
                </div>
              </form>
              <form method="post" action="/hub/admin/groups/delete">
                ${x}${hidden('group', g.name)}
                <button type="submit" class="danger small" aria-label="Delete group ${g.name}">
                  Delete group
                </button>
              </form>
            </div>`,
        )}
        ${pager('Pages of groups', view.page, view.pages, (page) => `/hub/admin/groups${page > 1 ? `?page=${String(page)}` : ''}`)}
        <p class="hint" id="members-hint">
          User names separated by commas or new lines. Memberships from your organisation's sign-in
          are kept as they are.
        </p>
      </section>
      <section class="card" aria-labelledby="new-group-title">
        <h2 id="new-group-title">Create a group</h2>
        <form method="post" action="/hub/admin/groups" class="stack">
          ${x}
          <label for="group-name">Group name</label>
          <input id="group-name" name="group" type="text" required maxlength="100" />
          <label for="group-members">Members (optional)</label>
          <textarea id="group-members" name="members" rows="2"></textarea>
          <div><button type="submit" class="primary">Create group</button></div>
        </form>
      </section>`,
  );
}

export interface ServerRow {
  readonly user: string;
  readonly state: ServerState;
  /** The environment's display name. */
  readonly profile: string;
}

export interface ServersPageView {
  /** This page's servers. */
  readonly rows: readonly ServerRow[];
  /** Servers starting or running, on all pages (what "Stop all" stops). */
  readonly active: number;
  readonly page: number;
  readonly pages: number;
  readonly notice?: AdminNotice;
}

export function adminServersPage(
  identity: Identity,
  xsrf: string,
  now: Date,
  view: ServersPageView,
) {
  const { rows, active } = view;
  const x = hidden('_xsrf', xsrf);
  const back = view.page > 1 ? `?page=${String(view.page)}` : '';
  return adminShell(
    identity,
    xsrf,
    'servers',
    'Servers',
    view.notice,
    html`<section class="card" aria-labelledby="servers-title">
      <div class="server-head">
        <h2 id="servers-title">All servers (${active} running or starting)</h2>
        ${
          active
            ? html`<details class="confirm">
                <summary class="button danger small">Stop all…</summary>
                <form method="post" action="/hub/admin/servers/stop-all">
                  ${x}
                  <p>Stop all ${active} servers? Everyone's files are kept.</p>
                  <button type="submit" class="danger small">Yes, stop all servers</button>
                </form>
              </details>`
            : ''
        }
      </div>
      ${
        rows.length === 0
          ? html`<p class="muted">No server is running.</p>`
          : html`<div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Environment</th>
                    <th scope="col">State</th>
                    <th scope="col">Started</th>
                    <th scope="col">Last activity</th>
                    <th scope="col"><span class="visually-hidden">Actions</span></th>
                  </tr>
                </thead>
                <tbody>
                  ${rows.map(
                    ({ user, state, profile }) =>
                      html`<tr>
                        <th scope="row">${user}${state.name ? html` / ${state.name}` : ''}</th>
                        <td>${profile}</td>
                        <td><span class="pill pill-${state.phase}">${state.phase}</span></td>
                        <td>${state.startedAt ? formatTime(state.startedAt) : ''}</td>
                        <td>${state.lastActivity ? ago(state.lastActivity, now) : ''}</td>
                        <td>
                          ${
                            state.phase === 'running' || state.phase === 'starting'
                              ? html`<form method="post" action="/hub/admin/stop${back}">
                                  ${x}${hidden('user', user)}${hidden('server', state.name)}
                                  <button
                                    type="submit"
                                    class="quiet small"
                                    aria-label="Stop ${user}'s server${state.name ? ` ${state.name}` : ''}"
                                  >
                                    Stop
                                  </button>
                                </form>`
                              : ''
                          }
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
      }
      ${pager('Pages of servers', view.page, view.pages, (page) => `/hub/admin/servers${page > 1 ? `?page=${String(page)}` : ''}`)}
    </section>`,
  );
}

export function adminUsagePage(
  identity: Identity,
  xsrf: string,
  usage: Usage,
  labels: ReadonlyMap<string, string>,
  days: number,
) {
  return adminShell(
    identity,
    xsrf,
    'usage',
    'Usage',
    undefined,
    html`<section class="card" aria-labelledby="usage-title">
        <div class="server-head">
          <h2 id="usage-title">Last ${days} days</h2>
          <nav aria-label="Period" class="tabs small">
            ${[7, 30, 90].map(
              (d) =>
                html`<a
                  href="/hub/admin/usage?days=${d}"
                  aria-current="${d === days ? 'page' : 'false'}"
                  >${d} days</a
                >`,
            )}
          </nav>
        </div>
        ${
          usage.profiles.length === 0
            ? html`<p class="muted">No server ran in this period.</p>`
            : html`<ul class="legend">
                  ${usage.profiles.map((p) => {
                    const total = usage.totals.get(p);
                    return html`<li>
                      <svg width="14" height="14" aria-hidden="true">
                        <rect width="14" height="14" rx="3" fill="${colourOf(usage.profiles, p)}" />
                      </svg>
                      ${labels.get(p) ?? p}: ${formatHours(total?.hours ?? 0)},
                      ${total?.servers ?? 0} server${total?.servers === 1 ? '' : 's'}
                    </li>`;
                  })}
                </ul>
                ${usageChart(usage, labels)}`
        }
      </section>
      <section class="card" aria-labelledby="usage-table-title">
        <h2 id="usage-table-title">By day</h2>
        <div class="table-wrap">
          <table class="numbers">
            <thead>
              <tr>
                <th scope="col">Day</th>
                ${usage.profiles.map((p) => html`<th scope="col">${labels.get(p) ?? p}<br /><span class="muted">servers · time</span></th>`)}
              </tr>
            </thead>
            <tbody>
              ${[...usage.days]
                .reverse()
                .filter((d) => d.byProfile.size > 0)
                .map(
                  (d) =>
                    html`<tr>
                      <th scope="row">${formatDay(d.day)}</th>
                      ${usage.profiles.map((p) => {
                        const c = d.byProfile.get(p);
                        return html`<td>${c ? `${c.servers} · ${formatHours(c.hours)}` : '–'}</td>`;
                      })}
                    </tr>`,
                )}
            </tbody>
          </table>
        </div>
      </section>`,
  );
}

export interface ContentLinkView {
  /** What the form was filled with (kept on the page after an error). */
  readonly values: { readonly repo: string; readonly branch: string; readonly file: string };
  /** The finished link, once the form was valid. */
  readonly link: string | undefined;
  readonly error: { readonly field: string; readonly message: string } | undefined;
}

/**
 * "Make a link that opens this repository" (src/web/admin/content-link.ts). A GET form: it
 * changes nothing, so the result is just this page again with the link. The Copy button is
 * added by /hub/static/copy.js; without scripts the link is still there to select.
 */
export function adminLinksPage(identity: Identity, xsrf: string, view: ContentLinkView) {
  const field = (
    name: 'repo' | 'branch' | 'file',
    label: string,
    hint: string,
    extra: { required?: boolean; placeholder?: string } = {},
  ) => {
    const invalid = view.error?.field === name;
    return html`<div class="stack">
      <label for="link-${name}">${label}</label>
      <input
        id="link-${name}"
        name="${name}"
        type="${name === 'repo' ? 'url' : 'text'}"
        value="${view.values[name]}"
        maxlength="2000"
        ${extra.required ? 'required' : ''}
        placeholder="${extra.placeholder ?? ''}"
        aria-describedby="link-${name}-hint${invalid ? ` link-${name}-error` : ''}"
        aria-invalid="${invalid ? 'true' : 'false'}"
      />
      <span id="link-${name}-hint" class="hint">${hint}</span>
      ${invalid ? html`<span id="link-${name}-error" class="field-error">${view.error.message}</span>` : ''}
    </div>`;
  };
  return adminShell(
    identity,
    xsrf,
    'links',
    'Content links',
    undefined,
    html`<section class="card" aria-labelledby="links-title">
        <h2 id="links-title">Make a link that opens this repository</h2>
        <p class="muted">
          Whoever follows the link signs in, gets their server started, receives a copy of the
          repository in their home folder (updated on later visits, their own changes kept) and sees
          the file open in JupyterLab. The link works for everyone: put it on a course page.
        </p>
        <form method="get" action="/hub/admin/links" class="stack" id="content-link-form">
          ${field('repo', 'Repository', 'The https:// address of a git repository.', {
            required: true,
            placeholder: 'https://github.com/org/course',
          })}
          ${field('branch', 'Branch', 'Leave empty for the repository’s default branch.', {
            placeholder: 'main',
          })}
          ${field('file', 'File to open', 'A path inside the repository; empty opens its folder.', {
            placeholder: 'week1/intro.ipynb',
          })}
          <div><button type="submit" class="primary" id="make-link">Make the link</button></div>
        </form>
      </section>
      ${
        view.link
          ? html`<section class="card" aria-labelledby="link-title">
              <h2 id="link-title">Your link</h2>
              <div class="copy-row">
                <input
                  id="content-link"
                  class="token-value"
                  type="text"
                  readonly
                  value="${view.link}"
                  aria-labelledby="link-title"
                />
                <button type="button" class="quiet" data-copy="content-link" hidden>Copy</button>
                <span class="muted" role="status" data-copied-for="content-link"></span>
              </div>
              <p><a href="${view.link}" id="try-link">Try it yourself</a></p>
            </section>`
          : ''
      }`,
    ['copy.js'],
  );
}
