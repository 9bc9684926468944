/**
 * The rule for a named server's name (the `<server>` in `/user/<name>/<server>/`), in one
 * place for the portal, the REST API, the proxy and the configuration.
 *
 * A name is 1–32 lower-case ASCII letters, digits and `-`. That keeps it one URL path segment
 * with nothing to encode or normalise, and a valid piece of a Kubernetes or folder name.
 *
 * It must also never be one of the path names a Jupyter server serves directly under its
 * base URL (`/user/alice/lab`, `/user/alice/api/…`): the proxy decides that
 * `/user/alice/<x>/…` is the named server `<x>` only when `<x>` passes this rule, so a
 * server called `lab` or `api` would take over (or be shadowed by) the default server's own
 * pages. The list is Jupyter Server's and JupyterLab's handlers, Notebook 7 / nbclassic's,
 * and the common extensions' (voila, jupyter-lsp, jupyter-server-proxy, resource usage).
 */
import { z } from 'zod';

export const MAX_SERVER_NAME_LENGTH = 32;

/** Top-level paths of a Jupyter server; never server names (see the header). */
export const RESERVED_SERVER_NAMES: ReadonlySet<string> = new Set([
  'api',
  'apps',
  'consoles',
  'custom',
  'doc',
  'edit',
  'extensions',
  'files',
  'hub',
  'kernels',
  'kernelspecs',
  'lab',
  'login',
  'logout',
  'lsp',
  'metrics',
  'nbclassic',
  'nbconvert',
  'nbextensions',
  'notebooks',
  'proxy',
  'retro',
  'static',
  'terminals',
  'tree',
  'view',
  'voila',
]);

const SHAPE = /^[a-z0-9-]{1,32}$/;

/** A named server's name; '' (the default server) is not one. */
export const serverNameSchema = z
  .string()
  .regex(
    SHAPE,
    `A server name is 1 to ${String(MAX_SERVER_NAME_LENGTH)} lower-case letters, digits or -.`,
  )
  .refine(
    (name) => !RESERVED_SERVER_NAMES.has(name),
    'This name is one Jupyter uses for its own pages; choose another.',
  );

export function isServerName(value: string): boolean {
  return SHAPE.test(value) && !RESERVED_SERVER_NAMES.has(value);
}
