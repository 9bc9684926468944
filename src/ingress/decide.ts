/**
 * The forward-auth decision, as data: may this identity use the notebook served on this
 * host? Mirrors the hub proxy's rules (src/proxy/request-policy.ts) so both data paths admit
 * exactly the same requests: the owner or an admin; cross-site state changes and WebSocket
 * handshakes refused, the notebook host's own origin standing in for the hub's. Pure.
 */
import type { ServerRef } from '../backends/types.ts';
import {
  crossSiteRejection,
  decideAccess,
  isStateChanging,
  type CrossSiteRejection,
} from '../proxy/request-policy.ts';
import type { Identity } from '../proxy/types.ts';
import type { OriginalRequest } from './original-request.ts';

export type ForwardAuthDecision =
  | { readonly kind: 'allow'; readonly ref: ServerRef; readonly identity: Identity }
  | { readonly kind: 'unauthenticated' }
  /** `no-server`: no notebook has this host, or it is someone else's; told apart only in logs. */
  | { readonly kind: 'forbidden'; readonly reason: 'not-owner' | 'no-server' | CrossSiteRejection }
  | { readonly kind: 'bad-request'; readonly reason: string };

export interface DecisionInput {
  readonly request: OriginalRequest | undefined;
  /** The notebook label of the request's host, or undefined when it is no notebook host. */
  readonly label: string | undefined;
  readonly identity: Identity | undefined;
  /** The server this host belongs to, when one does. */
  readonly server: ServerRef | undefined;
  /** Whether the hub's session cookie came along (a browser, open to cross-site forgery). */
  readonly hasSessionCookie: boolean;
}

export function decideForwardAuth(input: DecisionInput): ForwardAuthDecision {
  const { request, label, identity, server } = input;
  if (request === undefined) {
    return { kind: 'bad-request', reason: 'no X-Original-URL or X-Forwarded-Host/-Uri header' };
  }
  if (label === undefined) {
    return { kind: 'bad-request', reason: `${request.url.host} is not a notebook host` };
  }
  if (identity === undefined) return { kind: 'unauthenticated' };
  if (isStateChanging(request.method) || request.upgrade) {
    const rejection = crossSiteRejection({
      origin: request.origin,
      secFetchSite: request.secFetchSite,
      hubOrigin: request.url.origin,
      hasSessionCookie: input.hasSessionCookie,
    });
    if (rejection !== undefined) return { kind: 'forbidden', reason: rejection };
  }
  if (server === undefined) return { kind: 'forbidden', reason: 'no-server' };
  return decideAccess(identity, server) === 'allow'
    ? { kind: 'allow', ref: server, identity }
    : { kind: 'forbidden', reason: 'not-owner' };
}
