/**
 * One REST API operation, described once: the Hono app registers it and the OpenAPI document
 * is generated from it, so what is served and what is documented are the same list.
 */
import type { z } from 'zod';
import type { ApiContext, ApiDeps } from './context.ts';

export interface ResponseDoc {
  readonly description: string;
  /** JSON body schema; absent for an empty body. */
  readonly schema?: z.ZodType;
  /** Default `application/json` when there is a schema. */
  readonly contentType?: 'application/json' | 'text/event-stream';
}

export interface ApiRoute {
  readonly method: 'get' | 'post' | 'patch' | 'delete';
  /** OpenAPI path relative to `/hub/api`, with `{param}` segments. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  /** Any one of these scopes permits the operation; empty: no credentials needed. */
  readonly scopes: readonly string[];
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  /** Success and operation-specific answers; the shared error answers are added for all. */
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  readonly handler: (c: ApiContext, deps: ApiDeps) => Promise<Response> | Response;
}

/** `/users/{name}` → `/users/:name`. */
export function honoPath(path: string): string {
  return path.replace(/\{([a-z_]+)\}/g, ':$1');
}

export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1] ?? '');
}
