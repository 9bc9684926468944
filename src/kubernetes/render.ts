/**
 * `ganymede render`'s core, without I/O: YAML text with one or more `JupyterNotebook`
 * documents in, the objects the operator would create out, as YAML or JSON text.
 */
import type { KubeObject } from './plain.ts';
import { parseAllDocuments, stringify } from 'yaml';
import { GanymedeError } from '../errors/ganymede-error.ts';
import { parseNotebookResource, type JupyterNotebook } from '../notebook-spec/resource.ts';
import { buildNotebookObjects } from './resources/notebook-objects.ts';
import type { BuildSettings } from './resources/settings.ts';

export interface RenderOptions {
  /** Overrides (or supplies) the namespace of every notebook. */
  readonly namespace?: string | undefined;
  readonly output: 'yaml' | 'json';
  readonly settings: BuildSettings;
  /**
   * Each notebook's token Secret: left out (default; the output is then the same on every
   * run, as GitOps tools need, and the Secret is made by hand or by a secrets tool), or
   * included with the token this function gives (a fresh random one, or a fixed one).
   */
  readonly tokenSecret?: { readonly token: () => string } | undefined;
}

/** Parses every YAML document of `text`; errors name the document and the field. */
export function parseNotebookDocuments(text: string, source: string): JupyterNotebook[] {
  const docs = parseAllDocuments(text);
  const notebooks: JupyterNotebook[] = [];
  for (const [index, doc] of docs.entries()) {
    const where = docs.length > 1 ? `${source} (document ${index + 1})` : source;
    const first = doc.errors[0];
    if (first) {
      const line = first.linePos ? ` line ${first.linePos[0].line}` : '';
      throw new GanymedeError('bad_request', `${where}${line}: not valid YAML`, {
        detail: first.message,
      });
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    notebooks.push(parseNotebookResource(value, where));
  }
  if (notebooks.length === 0) {
    throw new GanymedeError('bad_request', `${source} holds no JupyterNotebook.`);
  }
  return notebooks;
}

export function renderObjects(
  notebooks: readonly JupyterNotebook[],
  options: Omit<RenderOptions, 'output'>,
): KubeObject[] {
  return notebooks.flatMap((nb) => {
    const namespace = options.namespace ?? nb.metadata.namespace;
    const placed: JupyterNotebook =
      namespace === undefined ? nb : { ...nb, metadata: { ...nb.metadata, namespace } };
    const secret = options.tokenSecret;
    if (secret !== undefined) return buildNotebookObjects(placed, options.settings, secret.token());
    // The builders need a token for the Secret only, which is dropped here.
    return buildNotebookObjects(placed, options.settings, '').filter((o) => o.kind !== 'Secret');
  });
}

export function formatObjects(objects: readonly KubeObject[], output: 'yaml' | 'json'): string {
  if (output === 'json') {
    // A `List` is what `kubectl get -o json` prints and `kubectl apply -f` accepts.
    return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`;
  }
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

export function render(text: string, source: string, options: RenderOptions): string {
  return formatObjects(
    renderObjects(parseNotebookDocuments(text, source), options),
    options.output,
  );
}
