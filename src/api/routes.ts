/**
 * Every REST API operation under /hub/api, in JupyterHub's paths and shapes. The Hono app and
 * the OpenAPI document are both made from this list.
 */
import { z } from 'zod';
import { getVersion, getInfo } from './handlers/hub.ts';
import { postActivity } from './handlers/activity.ts';
import { listGroups } from './handlers/groups.ts';
import { getNamedProgress, getProgress } from './handlers/progress.ts';
import { getSelf } from './handlers/self.ts';
import { startNamedServer, startServer, stopNamedServer, stopServer } from './handlers/servers.ts';
import { createToken, deleteToken, getToken, listTokens } from './handlers/tokens.ts';
import {
  createUser,
  createUsers,
  deleteUser,
  getUser,
  listUsers,
  patchUser,
  READ_USER_SCOPES,
} from './handlers/users.ts';
import { buildOpenApi } from './openapi.ts';
import type { ApiRoute } from './route.ts';
import {
  activityBody,
  createTokenBody,
  createUserBody,
  createUsersBody,
  groupPageSchema,
  groupSchema,
  identitySchema,
  infoSchema,
  newTokenSchema,
  groupsQuery,
  patchUserBody,
  startServerBody,
  stopServerBody,
  tokenSchema,
  userPageSchema,
  userQuery,
  userSchema,
  usersQuery,
  versionSchema,
} from './schemas.ts';

const userList = z.union([z.array(userSchema), userPageSchema]);
const groupList = z.union([z.array(groupSchema), groupPageSchema]);
const hiddenNote =
  'A request outside the caller’s rights on this user gets the same 404 as a missing user.';

/** As JupyterHub answers a spawn its limits refuse (active_server_limit: 429). */
const QUOTA_REFUSED =
  'Refused by a quota (config `quotas`): the message names the limit and what to stop';

export const apiRoutes: readonly ApiRoute[] = [
  {
    method: 'get',
    path: '/',
    operationId: 'get-version',
    summary: 'The JupyterHub API version this hub follows (no credentials needed)',
    scopes: [],
    responses: { 200: { description: 'The version', schema: versionSchema } },
    handler: getVersion,
  },
  {
    method: 'get',
    path: '/info',
    operationId: 'get-info',
    summary: 'Details about the hub',
    scopes: ['read:hub'],
    responses: { 200: { description: 'Details', schema: infoSchema } },
    handler: getInfo,
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'get-openapi',
    summary: 'This document (no credentials needed)',
    scopes: [],
    responses: { 200: { description: 'The OpenAPI 3.1 document', schema: z.looseObject({}) } },
    handler: (c) => c.json(openApiDocument()),
  },
  {
    method: 'get',
    path: '/user',
    operationId: 'get-self',
    summary: 'Who the credentials belong to, with the scopes they hold',
    description: 'Any valid credentials may call this, whatever their scopes.',
    scopes: [],
    responses: { 200: { description: 'The caller', schema: identitySchema } },
    handler: getSelf,
  },
  {
    method: 'get',
    path: '/users',
    operationId: 'get-users',
    summary: 'List users',
    description:
      'Send `Accept: application/jupyterhub-pagination+json` for `{items, _pagination}`; otherwise a plain list of one page. A filtered list:users scope lists only the users it names.',
    scopes: ['list:users'],
    query: usersQuery,
    responses: { 200: { description: 'Users', schema: userList } },
    handler: listUsers,
  },
  {
    method: 'post',
    path: '/users',
    operationId: 'post-users',
    summary: 'Create several users (without passwords)',
    scopes: ['admin:users'],
    body: createUsersBody,
    responses: {
      201: { description: 'The users created', schema: z.array(userSchema) },
      409: { description: 'All the users already exist' },
    },
    handler: createUsers,
  },
  {
    method: 'get',
    path: '/users/{name}',
    operationId: 'get-user',
    summary: 'One user',
    description: hiddenNote,
    scopes: READ_USER_SCOPES,
    query: userQuery,
    responses: { 200: { description: 'The user', schema: userSchema } },
    handler: getUser,
  },
  {
    method: 'post',
    path: '/users/{name}',
    operationId: 'post-user',
    summary: 'Create one user (without a password)',
    scopes: ['admin:users'],
    body: createUserBody,
    responses: {
      201: { description: 'The user created', schema: userSchema },
      409: { description: 'The user already exists' },
    },
    handler: createUser,
  },
  {
    method: 'patch',
    path: '/users/{name}',
    operationId: 'patch-user',
    summary: 'Make a user an administrator or not (renaming is not supported)',
    description: hiddenNote,
    scopes: ['admin:users'],
    body: patchUserBody,
    responses: { 200: { description: 'The user changed', schema: userSchema } },
    handler: patchUser,
  },
  {
    method: 'delete',
    path: '/users/{name}',
    operationId: 'delete-user',
    summary: 'Delete a user, stopping their servers; their files are kept',
    description: hiddenNote,
    scopes: ['delete:users'],
    responses: { 204: { description: 'Deleted' } },
    handler: deleteUser,
  },
  {
    method: 'post',
    path: '/users/{name}/activity',
    operationId: 'post-user-activity',
    summary: 'Report when the user’s servers were last used',
    description:
      'Times only move forward; more than an hour in the future is refused. The user-level last_activity is checked but not stored: a user’s last_activity is the latest of their servers’.',
    scopes: ['users:activity'],
    body: activityBody,
    responses: { 204: { description: 'Recorded' } },
    handler: postActivity,
  },
  {
    method: 'post',
    path: '/users/{name}/server',
    operationId: 'post-user-server',
    summary: "Start the user's default server",
    description:
      'Also answered at /users/{name}/servers/ (an empty server name), as JupyterHub does.',
    scopes: ['servers'],
    body: startServerBody,
    responses: {
      201: { description: 'Started and ready' },
      202: { description: 'Starting; follow progress_url' },
      429: { description: QUOTA_REFUSED },
    },
    handler: startServer,
  },
  {
    method: 'delete',
    path: '/users/{name}/server',
    operationId: 'delete-user-server',
    summary: "Stop the user's default server (cancels a start in progress); files are kept",
    description:
      'Also answered at /users/{name}/servers/ (an empty server name), as JupyterHub does.',
    scopes: ['delete:servers'],
    body: stopServerBody,
    responses: {
      202: { description: 'Still stopping' },
      204: { description: 'Stopped (or was not running)' },
    },
    handler: stopServer,
  },
  {
    method: 'get',
    path: '/users/{name}/server/progress',
    operationId: 'get-user-server-progress',
    summary: 'Start-up progress as server-sent events',
    description:
      'Each event is `data: {"progress": 0-100, "message": "...", "ready"?: true, "failed"?: true, "url"?: "..."}`; the stream ends after ready or failed. Also answered at /users/{name}/servers//progress (an empty server name), as JupyterHub does.',
    scopes: ['read:servers'],
    responses: {
      200: { description: 'An event stream', contentType: 'text/event-stream' },
    },
    handler: getProgress,
  },
  {
    method: 'post',
    path: '/users/{name}/servers/{server_name}',
    operationId: 'post-user-named-server',
    summary: 'Create and start a named server, or start it again',
    description:
      'A server name is 1-32 lower-case letters, digits or -, and not one of the path names Jupyter uses (lab, api, tree, …). A new server past the configured servers per user (servers.maxPerUser, the default server included) is refused with 400. Starting it again uses the environment it was created with unless `profile` is given.',
    scopes: ['servers'],
    body: startServerBody,
    responses: {
      201: { description: 'Started and ready' },
      202: { description: 'Starting; follow progress_url' },
      429: { description: QUOTA_REFUSED },
    },
    handler: startNamedServer,
  },
  {
    method: 'delete',
    path: '/users/{name}/servers/{server_name}',
    operationId: 'delete-user-named-server',
    summary: 'Stop a named server; with {"remove": true} also remove it (files are kept)',
    description: 'A server the user does not have is a 404.',
    scopes: ['delete:servers'],
    body: stopServerBody,
    responses: {
      202: { description: 'Still stopping' },
      204: { description: 'Stopped (or was not running), or removed' },
    },
    handler: stopNamedServer,
  },
  {
    method: 'get',
    path: '/users/{name}/servers/{server_name}/progress',
    operationId: 'get-user-named-server-progress',
    summary: 'Start-up progress of a named server as server-sent events',
    description:
      'The same events as /users/{name}/server/progress; a server the user does not have is a 404.',
    scopes: ['read:servers'],
    responses: {
      200: { description: 'An event stream', contentType: 'text/event-stream' },
    },
    handler: getNamedProgress,
  },
  {
    method: 'get',
    path: '/users/{name}/tokens',
    operationId: 'get-user-tokens',
    summary: "The user's API tokens (not expired)",
    scopes: ['read:tokens'],
    responses: {
      200: {
        description: 'Tokens',
        schema: z.object({ api_tokens: z.array(tokenSchema) }),
      },
    },
    handler: listTokens,
  },
  {
    method: 'post',
    path: '/users/{name}/tokens',
    operationId: 'post-user-tokens',
    summary: 'Create an API token',
    description:
      'Scopes and roles (user, admin, server-management) must lie within the owner’s rights and the caller’s; nothing asked for means `inherit`. The token’s rights are intersected with its owner’s at every use.',
    scopes: ['tokens'],
    body: createTokenBody,
    responses: { 201: { description: 'The token, with its secret', schema: newTokenSchema } },
    handler: createToken,
  },
  {
    method: 'get',
    path: '/users/{name}/tokens/{token_id}',
    operationId: 'get-user-token',
    summary: 'One API token',
    scopes: ['read:tokens'],
    responses: { 200: { description: 'The token', schema: tokenSchema } },
    handler: getToken,
  },
  {
    method: 'delete',
    path: '/users/{name}/tokens/{token_id}',
    operationId: 'delete-user-token',
    summary: 'Revoke an API token',
    scopes: ['tokens'],
    responses: { 204: { description: 'Revoked' } },
    handler: deleteToken,
  },
  {
    method: 'get',
    path: '/groups',
    operationId: 'get-groups',
    summary: 'List groups that have members',
    scopes: ['list:groups'],
    query: groupsQuery,
    responses: { 200: { description: 'Groups', schema: groupList } },
    handler: listGroups,
  },
];

let document: object | undefined;

export function openApiDocument(): object {
  document ??= buildOpenApi(apiRoutes);
  return document;
}
