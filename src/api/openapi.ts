/**
 * Generates the OpenAPI 3.1 document from the route list and the zod schemas (OpenAPI 3.1's
 * schema dialect is JSON Schema 2020-12, which is what zod emits). Served at
 * /hub/api/openapi.json and written to docs/api/openapi.yaml by `write-openapi.ts`.
 */
import { z } from 'zod';
import { schemaRegistry } from './schemas.ts';
import { pathParams, type ApiRoute } from './route.ts';
import { GANYMEDE_VERSION, JUPYTERHUB_API_VERSION } from './handlers/hub.ts';
import { scopeDefinitions } from './scopes.ts';
import { PAGINATION_MEDIA_TYPE } from './pagination.ts';

type Json = Record<string, unknown>;

const ref = (id: string) => `#/components/schemas/${id}`;

/** A zod schema as JSON Schema, with named schemas as references into components. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const out = z.toJSONSchema(schema, {
    metadata: schemaRegistry,
    io,
    unrepresentable: 'any',
  }) as Json;
  delete out['$schema'];
  const defs = out['$defs'];
  delete out['$defs'];
  for (const id of Object.keys(defs ?? {})) {
    // Only registered schemas are pulled out as definitions, and those are all components.
    if (!componentIds().has(id)) throw new Error(`schema ${id} is not a component`);
  }
  return JSON.parse(JSON.stringify(out).replaceAll('"#/$defs/', `"${ref('')}`)) as Json;
}

let ids: Set<string> | undefined;
function componentIds(): Set<string> {
  ids ??= new Set(Object.keys(components()));
  return ids;
}

function components(): Record<string, Json> {
  const all = z.toJSONSchema(schemaRegistry, { uri: ref, io: 'output', unrepresentable: 'any' });
  const out: Record<string, Json> = {};
  for (const [id, schema] of Object.entries(all.schemas)) {
    const copy = { ...(schema as Json) };
    delete copy['$schema'];
    delete copy['$id'];
    out[id] = copy;
  }
  return out;
}

function unwrapOptional(schema: z.ZodType): { schema: z.ZodType; required: boolean } {
  if (schema instanceof z.ZodOptional)
    return { schema: schema.unwrap() as z.ZodType, required: false };
  return { schema, required: true };
}

function parameters(route: ApiRoute): Json[] {
  const params: Json[] = pathParams(route.path).map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  if (route.query) {
    const q = jsonSchema(route.query, 'input');
    const props = (q['properties'] ?? {}) as Record<string, Json>;
    for (const [name, schema] of Object.entries(props)) {
      const { description, ...rest } = schema;
      params.push({
        name,
        in: 'query',
        required: false,
        ...(description ? { description } : {}),
        schema: rest,
      });
    }
  }
  return params;
}

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: ref('Error') } } },
});

function responses(route: ApiRoute): Json {
  const out: Json = {};
  for (const [status, doc] of Object.entries(route.responses)) {
    if (Number(status) >= 400) {
      out[status] = errorResponse(doc.description);
      continue;
    }
    const type = doc.contentType ?? 'application/json';
    out[status] = {
      description: doc.description,
      ...(doc.schema
        ? { content: { [type]: { schema: jsonSchema(doc.schema, 'output') } } }
        : doc.contentType
          ? { content: { [type]: { schema: { type: 'string' } } } }
          : {}),
    };
  }
  const hasInput = route.body !== undefined || route.query !== undefined;
  const namesUser = route.path.startsWith('/users/{name}');
  if (hasInput || route.method !== 'get') {
    out['400'] ??= errorResponse('A bad request; `field` names the input at fault');
  }
  if (route.scopes.length > 0 || route.path === '/user') {
    out['403'] = errorResponse(
      namesUser
        ? 'Missing or invalid credentials, or a cookie-authenticated change without X-XSRFToken'
        : 'Missing or invalid credentials, or the caller lacks the scope',
    );
  }
  if (namesUser) {
    out['404'] = errorResponse(
      'No such user, or the caller has no right to this action on them (the same answer)',
    );
  }
  return out;
}

function operation(route: ApiRoute): Json {
  const op: Json = {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    parameters: parameters(route),
    responses: responses(route),
    security: route.scopes.length ? [{ token: [] }, { cookie: [] }] : [],
    ...(route.scopes.length ? { 'x-scopes-any-of': route.scopes } : {}),
  };
  if (route.body) {
    const { schema, required } = unwrapOptional(route.body);
    op['requestBody'] = {
      required,
      content: { 'application/json': { schema: jsonSchema(schema, 'input') } },
    };
  }
  return op;
}

export function buildOpenApi(routes: readonly ApiRoute[]): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    paths[route.path] = { ...paths[route.path], [route.method]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Ganymede hub REST API',
      version: GANYMEDE_VERSION,
      description: [
        `Compatible with JupyterHub's REST API ${JUPYTERHUB_API_VERSION} for the operations listed.`,
        'Authenticate with `Authorization: token <token>` (or `Bearer`), or with the session cookie;',
        'cookie-authenticated POST, PATCH and DELETE requests must send the `X-XSRFToken` header.',
        `List endpoints accept \`Accept: ${PAGINATION_MEDIA_TYPE}\`.`,
      ].join(' '),
    },
    servers: [{ url: '/hub/api' }],
    paths,
    components: {
      schemas: components(),
      securitySchemes: {
        token: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: '`token <secret>` or `Bearer <secret>`',
        },
        cookie: { type: 'apiKey', in: 'cookie', name: 'ganymede-session' },
      },
    },
    'x-scopes': Object.fromEntries(
      Object.entries(scopeDefinitions).map(([name, d]) => [name, d.description]),
    ),
  };
}
