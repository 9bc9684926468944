/** The authenticating proxy for `/user/<name>/…`: see create-proxy.ts for the request flow. */
export { createProxy } from './create-proxy.ts';
export type { Identity, Proxy, ProxyOptions } from './types.ts';
export { parseProxyPath } from './parse-path.ts';
export type { PathRejection, ProxyPathDecision } from './parse-path.ts';
