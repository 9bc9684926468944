/**
 * Which host serves which notebook in ingress routing mode. The host's first label is the
 * notebook's object base name (src/kubernetes/object-names.ts), a DNS-1035 label of at most
 * 58 characters derived with the one naming module, so it is a valid host label
 * (RFC 1123 §2.1) and two users never share one. Pure.
 */
import type { ServerRef } from '../backends/types.ts';
import { notebookNameFor, notebookObjectNames } from '../kubernetes/object-names.ts';

export function notebookHostLabel(ref: ServerRef): string {
  return notebookObjectNames(notebookNameFor(ref.user, ref.server)).base;
}

/** `<label>.<baseDomain>`: the host of the notebook's Ingress. */
export function notebookHost(ref: ServerRef, baseDomain: string): string {
  return `${notebookHostLabel(ref)}.${baseDomain}`;
}

/**
 * The notebook label of a request's host (`Host` or `X-Forwarded-Host` value, maybe with a
 * port), or undefined when the host is not exactly one label under `baseDomain`. Host names
 * compare case-insensitively (RFC 4343); a trailing dot names the same host.
 */
export function labelOfHost(host: string, baseDomain: string): string | undefined {
  const name = stripPort(host.trim()).toLowerCase().replace(/\.$/, '');
  const suffix = `.${baseDomain}`;
  if (!name.endsWith(suffix)) return undefined;
  const label = name.slice(0, -suffix.length);
  return /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(label) && label.length <= 63 ? label : undefined;
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host; // an IPv6 literal is never a notebook host
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** The `spec.ingress` of a server's JupyterNotebook in ingress routing mode. */
export function notebookIngressSpec(
  ref: ServerRef,
  config: {
    readonly baseDomain: string;
    readonly className?: string | undefined;
    readonly tlsSecretName?: string | undefined;
  },
): { host: string; className?: string; tls?: { secretName: string } } {
  return {
    host: notebookHost(ref, config.baseDomain),
    ...(config.className === undefined ? {} : { className: config.className }),
    ...(config.tlsSecretName === undefined ? {} : { tls: { secretName: config.tlsSecretName } }),
  };
}
