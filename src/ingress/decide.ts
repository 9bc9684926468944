/**
 * The forward-auth decision, as data: may this credential use the notebook served on this
 * host? The same rules as the hub's proxy, from the same modules, so both data paths admit
 * exactly the same requests: the cross-site rule (src/security/cross-site.ts, the notebook
 * host's own origin standing in for the hub's, Jupyter's `_xsrf` pair as the XSRF token) and
 * `access:servers` covering the server (src/api/scopes.ts). Pure.
 */
import type { ServerRef } from '../backends/types.ts';
import { mayAccessServer } from '../api/scopes.ts';
import type { Identity } from '../proxy/types.ts';
import { judgeCrossSite, type CrossSiteRefusal } from '../security/cross-site.ts';
import { jupyterXsrfStatus } from '../security/xsrf.ts';
import type { OriginalRequest } from './original-request.ts';

export type ForwardAuthDecision =
  | { readonly kind: 'allow'; readonly ref: ServerRef; readonly identity: Identity }
  | { readonly kind: 'unauthenticated' }
  /**
   * `no-server`: no notebook has this host (or none the credential could look up);
   * `no-access`: the credential lacks `access:servers` for it. One 403 to the client either
   * way; told apart only in logs.
   */
  | {
      readonly kind: 'forbidden';
      readonly reason: 'no-access' | 'no-server' | CrossSiteRefusal;
    }
  | { readonly kind: 'bad-request'; readonly reason: string };

export interface DecisionInput {
  readonly request: OriginalRequest | undefined;
  /** The notebook label of the request's host, or undefined when it is no notebook host. */
  readonly label: string | undefined;
  readonly identity: Identity | undefined;
  /** The server this host belongs to, when one does. */
  readonly server: ServerRef | undefined;
  /** The server owner's groups, when the credential holds `access:servers!group=…`. */
  readonly ownerGroups?: readonly string[];
  /** Jupyter's XSRF token as the request sent it, and its `_xsrf` cookies. */
  readonly xsrf: { readonly sent: string | undefined; readonly cookies: readonly string[] };
}

export function decideForwardAuth(input: DecisionInput): ForwardAuthDecision {
  const { request, label, identity, server } = input;
  if (request === undefined) {
    return { kind: 'bad-request', reason: 'no X-Original-URL or X-Forwarded-Host/-Uri header' };
  }
  if (label === undefined) {
    return { kind: 'bad-request', reason: `${request.url.host} is not a notebook host` };
  }
  const refusal = judgeCrossSite({
    method: request.method,
    upgrade: request.upgrade,
    origin: request.origin,
    secFetchSite: request.secFetchSite,
    ownOrigin: request.url.origin,
    credential: identity?.credential ?? 'none',
    xsrf: () => jupyterXsrfStatus(input.xsrf.sent, input.xsrf.cookies),
    // Forward-auth never sees the body: our Origin stands in for a form field, as at the proxy.
    originSuffices: true,
  });
  if (refusal !== undefined) return { kind: 'forbidden', reason: refusal };
  if (identity === undefined) return { kind: 'unauthenticated' };
  if (server === undefined) return { kind: 'forbidden', reason: 'no-server' };
  return mayAccessServer(identity.scopes, server, input.ownerGroups)
    ? { kind: 'allow', ref: server, identity }
    : { kind: 'forbidden', reason: 'no-access' };
}
