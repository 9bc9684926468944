/**
 * Where notebook servers reach the hub's REST API (`JUPYTERHUB_API_URL`), as JupyterHub's
 * `hub_connect_url`. In order:
 * - `hub.connectUrl`, when set (on Kubernetes the Helm chart sets the hub Service's URL);
 * - local mode: the address the hub listens on, as seen from this machine (a wildcard address
 *   becomes loopback: the servers are processes here);
 * - Kubernetes without it: `hub.publicUrl` (pods usually reach the public address too);
 * - otherwise none: servers then get no API URL and no token (the hub logs why at start-up).
 */
import { isIP } from 'node:net';

export interface ConnectUrlInput {
  readonly connectUrl?: string | undefined;
  readonly publicUrl?: string | undefined;
  readonly backend: 'local' | 'kubernetes';
  /** The address and port the hub listens on (`server.address()`). */
  readonly listening: { readonly address: string; readonly port: number };
}

function hostFor(address: string): string {
  if (address === '0.0.0.0' || address === '') return '127.0.0.1';
  if (address === '::' || address === '::0') return '[::1]';
  return isIP(address) === 6 ? `[${address}]` : address;
}

/** The API URL, without a trailing slash, or undefined when servers cannot be told one. */
export function hubApiUrl(input: ConnectUrlInput): string | undefined {
  const api = (base: string) => `${base.replace(/\/+$/, '')}/hub/api`;
  if (input.connectUrl !== undefined) return api(input.connectUrl);
  if (input.backend === 'local') {
    return api(`http://${hostFor(input.listening.address)}:${String(input.listening.port)}`);
  }
  return input.publicUrl === undefined ? undefined : api(input.publicUrl);
}
