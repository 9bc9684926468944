/**
 * The `JupyterNotebook` custom resource: identifiers, the TypeScript shape, and parsing of
 * untrusted input (a YAML file, an object read from the API server) into a checked resource,
 * with errors that name the bad field (`spec.resources.cpu`).
 */
import { z } from 'zod';
import { formatPath } from '../config/load.ts';
import { GanymedeError } from '../errors/ganymede-error.ts';
import { dnsSubdomain, notebookSpecSchema, type NotebookSpec } from './schema.ts';
import type { NotebookStatus } from './status.ts';

export const NOTEBOOK_GROUP = 'ganymede.dev';
export const NOTEBOOK_VERSION = 'v1alpha1';
export const NOTEBOOK_API_VERSION = `${NOTEBOOK_GROUP}/${NOTEBOOK_VERSION}`;
export const NOTEBOOK_KIND = 'JupyterNotebook';
export const NOTEBOOK_PLURAL = 'jupyternotebooks';
export const NOTEBOOK_SINGULAR = 'jupyternotebook';
export const NOTEBOOK_SHORT_NAMES = ['jnb'] as const;

export interface NotebookMetadata {
  readonly name: string;
  readonly namespace?: string | undefined;
  readonly uid?: string | undefined;
  readonly generation?: number | undefined;
  readonly resourceVersion?: string | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  readonly creationTimestamp?: string | Date | undefined;
  readonly deletionTimestamp?: string | Date | undefined;
}

/** A checked resource: spec with every default applied. */
export interface JupyterNotebook {
  readonly apiVersion: typeof NOTEBOOK_API_VERSION;
  readonly kind: typeof NOTEBOOK_KIND;
  readonly metadata: NotebookMetadata;
  readonly spec: NotebookSpec;
  readonly status?: NotebookStatus | undefined;
}

const metadataSchema = z.looseObject({
  name: dnsSubdomain,
  namespace: dnsSubdomain.optional(),
  uid: z.string().optional(),
  generation: z.int().optional(),
  resourceVersion: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  creationTimestamp: z.union([z.string(), z.date()]).optional(),
  deletionTimestamp: z.union([z.string(), z.date()]).optional(),
});

const resourceSchema = z.looseObject({
  apiVersion: z.literal(NOTEBOOK_API_VERSION, {
    error: `must be ${NOTEBOOK_API_VERSION}`,
  }),
  kind: z.literal(NOTEBOOK_KIND, { error: `must be ${NOTEBOOK_KIND}` }),
  metadata: metadataSchema,
  spec: notebookSpecSchema,
  // Status is written by the operator; it is kept as read, not validated, because an older
  // operator's status must never make the resource unreadable.
  status: z.unknown().optional(),
});

/** Formats zod issues as `spec.resources.cpu: must be a Kubernetes quantity`, one a line. */
export function describeSpecIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const where = formatPath(issue.path) || '(top level)';
      const what =
        issue.code === 'unrecognized_keys'
          ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
          : issue.message;
      return `${where}: ${what}`;
    })
    .join('\n');
}

/** Parses a `JupyterNotebook` from untrusted input; throws `bad_request` naming the field. */
export function parseNotebookResource(input: unknown, source = 'input'): JupyterNotebook {
  const result = resourceSchema.safeParse(input);
  if (!result.success) {
    const first = result.error.issues[0];
    throw new GanymedeError(
      'bad_request',
      `${source} is not a valid ${NOTEBOOK_KIND}:\n${describeSpecIssues(result.error.issues)}`,
      first ? { field: formatPath(first.path) } : {},
    );
  }
  const { status, ...rest } = result.data;
  return { ...rest, status: status as NotebookStatus | undefined };
}

/** Parses just a spec (REST API, profiles); field paths start at the spec. */
export function parseNotebookSpec(input: unknown, prefix = 'spec'): NotebookSpec {
  const result = notebookSpecSchema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ ...i, path: [prefix, ...i.path] }));
    const first = issues[0];
    throw new GanymedeError(
      'bad_request',
      `Invalid notebook settings:\n${describeSpecIssues(issues)}`,
      first ? { field: formatPath(first.path) } : {},
    );
  }
  return result.data;
}
