/**
 * `ingressRouting`: the optional mode in which each notebook is served on a host of its own
 * (`<kube-name>.<baseDomain>`) by the cluster's ingress controller, which asks the hub's
 * forward-auth endpoint (forward-auth-route.ts) about every request. Off unless configured.
 * docs/ingress-routing.md explains the set-up and the security trade-off of the shared cookie.
 */
import { z } from 'zod';

/** A lower-case DNS name with at least two labels (RFC 1123 §2.1 host names). */
const domainName = z
  .string()
  .max(200)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/,
    'must be a lower-case domain such as notebooks.example.org',
  );

export const ingressRoutingSchema = z.strictObject({
  /** Notebooks are served at `<kube-name>.<baseDomain>`; a wildcard DNS record points here. */
  baseDomain: domainName,
  /**
   * The session cookie's `Domain` attribute (RFC 6265 §5.2.3), so the browser sends it to
   * the notebook hosts. Must be `baseDomain` or a parent of it, and the hub's public host
   * must lie under it. Default: `baseDomain`.
   */
  cookieDomain: domainName.optional(),
  /** Scheme of the notebook hosts, used in sign-in redirects. Default `https`. */
  scheme: z.enum(['https', 'http']).default('https'),
  /** IngressClass of the notebooks' Ingresses; unset: the cluster's default class. */
  className: z.string().min(1).optional(),
  /** TLS Secret (usually a wildcard certificate for `*.<baseDomain>`); unset: no TLS section. */
  tlsSecretName: z.string().min(1).optional(),
});
export type IngressRoutingConfig = z.infer<typeof ingressRoutingSchema>;

/** The cookie domain in force, or an explanation of why the configuration cannot work. */
export function effectiveCookieDomain(
  config: IngressRoutingConfig,
  publicUrl: string | undefined,
): { domain: string } | { problem: string } {
  const domain = config.cookieDomain ?? config.baseDomain;
  if (!domainMatches(config.baseDomain, domain)) {
    return { problem: `cookieDomain "${domain}" must be baseDomain or a parent of it` };
  }
  if (publicUrl === undefined) {
    return { problem: 'hub.publicUrl must be set: notebook hosts send browsers to it to sign in' };
  }
  const hubHost = new URL(publicUrl).hostname;
  if (!domainMatches(hubHost, domain)) {
    return { problem: `the hub's host "${hubHost}" must lie under cookieDomain "${domain}"` };
  }
  return { domain };
}

/** RFC 6265 §5.1.3 domain-match: equal, or `host` ends with `.domain`. */
export function domainMatches(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}
