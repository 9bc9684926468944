import { html } from 'hono/html';
import type { Identity } from '../../auth/auth-service.ts';
import type { ServerRecord, User } from '../../store/types.ts';
import { layout } from '../layout.ts';

export interface AdminRow {
  readonly user: User;
  readonly server: ServerRecord | undefined;
}

export function adminPage(
  identity: Identity,
  xsrf: string,
  rows: readonly AdminRow[],
  notice?: string,
) {
  return layout(
    'Admin',
    identity,
    html`<div class="card">
        <h1>Users and servers</h1>
        ${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
        <table>
          <thead>
            <tr>
              <th>User</th>
              <th>Role</th>
              <th>Server</th>
              <th>Last activity</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            ${rows.map(
              ({ user, server }) =>
                html`<tr>
                  <td>${user.name}</td>
                  <td>${user.admin ? 'admin' : 'user'}</td>
                  <td>${server ? `${server.state} (${server.profile})` : 'never started'}</td>
                  <td>${server?.lastActivity ? server.lastActivity.toISOString() : ''}</td>
                  <td>
                    ${
                      server && server.state !== 'stopped'
                        ? html`<form method="post" action="/hub/admin/stop">
                            <input type="hidden" name="_xsrf" value="${xsrf}" />
                            <input type="hidden" name="user" value="${user.name}" />
                            <button type="submit" class="secondary">Stop</button>
                          </form>`
                        : ''
                    }
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <div class="card">
        <h2>Add a user</h2>
        <form method="post" action="/hub/admin/users">
          <input type="hidden" name="_xsrf" value="${xsrf}" />
          <label for="new-name">User name</label>
          <input id="new-name" name="name" type="text" required />
          <label for="new-password">Password (at least 8 characters)</label>
          <input id="new-password" name="password" type="password" required minlength="8" />
          <label><input type="checkbox" name="admin" value="1" /> Administrator</label>
          <button type="submit">Add user</button>
        </form>
      </div>`,
    xsrf,
  );
}
