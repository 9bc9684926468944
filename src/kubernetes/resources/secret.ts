import { randomBytes } from 'node:crypto';
import type { Secret } from '../plain.ts';
import type { JupyterNotebook } from '../../notebook-spec/resource.ts';
import { notebookObjectNames } from '../object-names.ts';
import { objectMeta } from './metadata.ts';
import { TOKEN_KEY } from './settings.ts';

/** 32 random bytes, hex: the server's token. Kept at the edge so builders stay pure. */
export function newToken(): string {
  return randomBytes(32).toString('hex');
}

/** The Secret holding the server's token (key `token`); the pod reads it as `JUPYTER_TOKEN`. */
export function buildSecret(notebook: JupyterNotebook, token: string): Secret {
  const { secret } = notebookObjectNames(notebook.metadata.name);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: objectMeta(notebook, secret),
    type: 'Opaque',
    stringData: { [TOKEN_KEY]: token },
  };
}

/**
 * The Secret the hub writes a server's JupyterHub API token into (key `token`), which the pod
 * reads as `JUPYTERHUB_API_TOKEN` (`spec.hub.apiTokenSecret`). The hub writes it at each start,
 * before the pod can start; owned by the notebook once the notebook exists, so it goes with it.
 */
export function buildHubTokenSecret(
  notebook: Pick<JupyterNotebook, 'metadata'>,
  token: string,
  name: string = notebookObjectNames(notebook.metadata.name).hubSecret,
): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: objectMeta(notebook, name),
    type: 'Opaque',
    stringData: { [TOKEN_KEY]: token },
  };
}
