import type { CliCommand } from '../command.ts';

/**
 * The commands, each loaded only when it runs: `serve` in local mode must not load the
 * Kubernetes client (with its OIDC, WebSocket and YAML libraries, ~900 modules and ~17 MB of
 * source), which `operator` and `render` need. What a module costs stays in the process's
 * memory for its whole life, so a hub pays only for what its configuration uses.
 */
export interface CommandEntry {
  readonly name: string;
  /** One line for `ganymede --help`. */
  readonly summary: string;
  load(): Promise<CliCommand>;
}

export const commands: readonly CommandEntry[] = [
  {
    name: 'serve',
    summary: 'run the hub (local mode with no configuration)',
    load: async () => (await import('./serve.ts')).serveCommand,
  },
  {
    name: 'render',
    summary: 'print the Kubernetes objects for a JupyterNotebook (or the CRD)',
    load: async () => (await import('./render.ts')).renderCommand,
  },
  {
    name: 'crd',
    summary: 'print the JupyterNotebook CRD, or install/upgrade it on a cluster',
    load: async () => (await import('./crd.ts')).crdCommand,
  },
  {
    name: 'store',
    summary: 'copy a SQLite store into PostgreSQL (store migrate)',
    load: async () => (await import('./store.ts')).storeCommand,
  },
  {
    name: 'operator',
    summary: 'run the JupyterNotebook operator against a cluster',
    load: async () => (await import('./operator.ts')).operatorCommand,
  },
];
