/**
 * The shapes the REST API reads and writes, as zod schemas: requests are parsed with them,
 * and the OpenAPI document (`openapi.ts`) is generated from them, so the two cannot drift.
 * Field names and meanings follow JupyterHub's rest-api.yml.
 */
import { z } from 'zod';

/** Named schemas become `#/components/schemas/<id>` in the OpenAPI document. */
export const schemaRegistry = z.registry<{ id: string; description?: string }>();

function named<S extends z.ZodType>(schema: S, id: string, description: string): S {
  schemaRegistry.add(schema, { id, description });
  return schema;
}

const timestamp = z.string().meta({ format: 'date-time', description: 'ISO 8601, UTC' });

export const errorSchema = named(
  z.object({
    status: z.int(),
    message: z.string(),
    field: z.string().optional().meta({ description: 'The request field at fault' }),
  }),
  'Error',
  'Every error: the HTTP status, a message for people, and the field at fault if any.',
);

export const versionSchema = named(
  z.object({
    version: z.string().meta({ description: 'The JupyterHub REST API version this hub follows' }),
    ganymede_version: z.string(),
  }),
  'Version',
  'Answered without authentication, so clients can check compatibility first.',
);

export const infoSchema = named(
  z.object({
    version: z.string(),
    ganymede_version: z.string(),
    python: z.null().meta({ description: 'Always null: the hub is not written in Python' }),
    sys_executable: z.string(),
    authenticator: z.object({ class: z.string(), version: z.string() }),
    spawner: z.object({ class: z.string(), version: z.string() }),
    profiles: z.array(z.string()).meta({ description: 'The environments users can start' }),
  }),
  'Info',
  'Details about the hub (requires read:hub).',
);

export const serverSchema = named(
  z.object({
    name: z.string().meta({ description: "'' is the default server" }),
    full_name: z.string(),
    ready: z.boolean(),
    stopped: z.boolean(),
    pending: z.enum(['spawn', 'stop']).nullable(),
    url: z.string(),
    full_url: z.null(),
    progress_url: z.string(),
    full_progress_url: z.null(),
    started: timestamp.nullable(),
    last_activity: timestamp.nullable(),
    state: z.null(),
    user_options: z.object({ profile: z.string() }),
  }),
  'Server',
  'One notebook server of a user.',
);

export const userSchema = named(
  z.object({
    kind: z.literal('user'),
    name: z.string(),
    admin: z.boolean().optional(),
    roles: z.array(z.string()).optional(),
    groups: z.array(z.string()).optional(),
    server: z.string().nullable().optional().meta({
      description: "The default server's URL when it is ready, otherwise null",
    }),
    pending: z.enum(['spawn', 'stop']).nullable().optional(),
    created: timestamp.optional(),
    last_activity: timestamp.nullable().optional(),
    servers: z.record(z.string(), serverSchema).optional().meta({
      description: 'Active servers (all with ?include_stopped_servers); needs read:servers',
    }),
  }),
  'User',
  'A user. Fields appear only when the caller holds the scope that reveals them.',
);

export const identitySchema = named(
  userSchema.extend({
    scopes: z.array(z.string()).meta({ description: 'The expanded scopes of this request' }),
    token_id: z.string().nullable(),
    session_id: z.null(),
  }),
  'RequestIdentity',
  'The caller, with the scopes their credentials hold now.',
);

export const tokenSchema = named(
  z.object({
    kind: z.literal('api_token'),
    id: z.string().meta({ description: "'a' followed by a number, as in JupyterHub" }),
    user: z.string(),
    note: z.string(),
    scopes: z.array(z.string()).meta({ description: 'The scopes the token was issued with' }),
    roles: z.array(z.string()).meta({ description: 'Always empty: roles resolve to scopes' }),
    created: timestamp,
    last_activity: timestamp.nullable(),
    expires_at: timestamp.nullable(),
    session_id: z.null(),
    oauth_client: z.string(),
  }),
  'Token',
  'An API token (never the secret itself, except once in the answer that creates it).',
);

export const newTokenSchema = named(
  tokenSchema.extend({ token: z.string().meta({ description: 'The secret; shown only once' }) }),
  'NewToken',
  'A token just created, with its secret.',
);

export const groupSchema = named(
  z.object({
    kind: z.literal('group'),
    name: z.string(),
    users: z.array(z.string()),
    roles: z.array(z.string()),
    properties: z.record(z.string(), z.unknown()),
  }),
  'Group',
  'A group of users.',
);

export function paginatedSchema<S extends z.ZodType>(item: S, id: string) {
  return named(
    z.object({
      items: z.array(item),
      _pagination: z.object({
        offset: z.int(),
        limit: z.int(),
        total: z.int(),
        next: z.object({ offset: z.int(), limit: z.int(), url: z.string() }).nullable(),
      }),
    }),
    id,
    'Sent instead of a plain list when the request accepts application/jupyterhub-pagination+json.',
  );
}

export const userPageSchema = paginatedSchema(userSchema, 'UserPage');
export const groupPageSchema = paginatedSchema(groupSchema, 'GroupPage');

// ---- requests -------------------------------------------------------------------------

const flag = z
  .string()
  .optional()
  .transform((v) => v !== undefined && v !== 'false' && v !== '0')
  .meta({ description: 'Present (with no value, or true/1) to turn on' });

export const pageQuery = z.object({
  offset: z.coerce.number().int('must be a whole number').min(0).default(0),
  limit: z.coerce.number().int('must be a whole number').min(1).optional(),
});

export const usersQuery = pageQuery.extend({
  state: z
    .enum(['active', 'inactive', 'ready'], 'must be active, inactive or ready')
    .optional()
    .meta({
      description:
        'active: any server starting, running or stopping; ready: any server running; inactive: no active server',
    }),
  name_filter: z
    .string()
    .max(255)
    .optional()
    .meta({ description: 'Only users whose name starts with this (JupyterHub 5.x)' }),
  include_stopped_servers: flag,
});

export const userQuery = z.object({ include_stopped_servers: flag });

export const groupsQuery = pageQuery.extend({
  name_filter: z
    .string()
    .max(255)
    .optional()
    .meta({ description: 'Only groups whose name starts with this' }),
});

export const createUsersBody = z.strictObject({
  usernames: z.array(z.string()).min(1, 'name at least one user to create'),
  admin: z.boolean().optional(),
});

export const createUserBody = z.strictObject({ admin: z.boolean().optional() }).optional();

export const patchUserBody = z
  .strictObject({ name: z.string().optional(), admin: z.boolean().optional() })
  .refine((b) => b.name !== undefined || b.admin !== undefined, 'send name or admin');

export const startServerBody = z
  .strictObject({
    profile: z.string().optional().meta({ description: 'The environment; default if omitted' }),
  })
  .optional()
  .meta({ description: 'Options for the server: which environment (profile) to start' });

export const stopServerBody = z.strictObject({ remove: z.boolean().optional() }).optional().meta({
  description:
    '{"remove": true} also removes a named server (its files are kept); the default server cannot be removed',
});

export const activityBody = z.strictObject({
  last_activity: z.iso.datetime({ offset: true, local: false }).optional(),
  servers: z
    .record(
      z.string(),
      z.strictObject({ last_activity: z.iso.datetime({ offset: true, local: false }) }),
    )
    .optional(),
});

export const createTokenBody = z
  .object({
    note: z.string().max(1000).nullish(),
    expires_in: z.int('must be a whole number of seconds').min(0).nullish().meta({
      description: 'Lifetime in seconds; omit, null or 0 for no expiry',
    }),
    roles: z.array(z.string()).nullish(),
    scopes: z.array(z.string()).nullish(),
  })
  .optional();
