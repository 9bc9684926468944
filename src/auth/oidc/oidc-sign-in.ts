/**
 * Sign-in with an organisation's OpenID Connect provider: the authorization code flow with
 * PKCE (OIDC Core 1.0 §3.1, RFC 7636 with S256), `state` and `nonce` sealed into a short-lived
 * cookie (pending-sign-in.ts). `openid-client` does discovery and every check on the way back:
 * state, issuer (RFC 9207 when the provider sends `iss`), the code exchange with the verifier,
 * and the ID token's signature, `iss`, `aud`, `exp`, `iat` and `nonce` (OIDC Core §3.1.3.7).
 *
 * Lifecycle: `begin` may be called any number of times; each call starts an independent
 * attempt (the newest cookie wins, so an older tab's attempt then fails with "try again").
 * `finish` accepts one pending sign-in once: the provider refuses a second use of a code
 * (RFC 6749 §4.1.2), and the web layer deletes the cookie on the first use. Discovery runs on
 * first use, not at hub start, so a provider that is down never stops local sign-in; a
 * failed discovery is retried on the next attempt.
 *
 * Accounts: the provider's (`iss`, `sub`) pair is the only stable identifier of a person
 * (OIDC Core §5.7), so it is linked to a hub user on first sign-in and used from then on. A
 * new person is given the name from `usernameClaim`; a name already taken by a local
 * account with a password, or linked to another person, is refused rather than merged,
 * because names at a provider get reused and must not hand over someone else's files.
 */
import * as client from 'openid-client';
import type { AuthService, Identity } from '../auth-service.ts';
import type { OidcConfig } from '../../config/schema.ts';
import { GanymedeError, isGanymedeError } from '../../errors/ganymede-error.ts';
import { normalizeUserName } from '../../names/user-names.ts';
import type { Store, User } from '../../store/types.ts';
import { decideSignIn, type SignInDecision } from './claims.ts';
import {
  deriveSealKey,
  openPendingSignIn,
  sealPendingSignIn,
  type PendingSignIn,
} from './pending-sign-in.ts';

export interface OidcSignInOptions {
  readonly config: OidcConfig;
  readonly clientSecret: string;
  readonly store: Store;
  readonly auth: AuthService;
  /** The configured first administrator (`auth.adminUser`): never demoted by group sync. */
  readonly bootstrapAdmin: string;
  /** How long a person has to finish at the provider. Default 10 minutes. */
  readonly pendingMinutes?: number;
  readonly now?: () => number;
}

export interface SignInStart {
  /** The provider's authorization URL to redirect the browser to. */
  readonly location: string;
  /** The sealed pending sign-in for the short-lived cookie. */
  readonly cookie: string;
  readonly cookieMaxAgeSeconds: number;
}

export interface SignInResult {
  readonly sessionId: string;
  readonly identity: Identity;
  readonly next: string;
}

export type OidcSignIn = ReturnType<typeof createOidcSignIn>;

/** Reads the client secret from the environment variable the config names. */
export function oidcClientSecret(config: OidcConfig, env: NodeJS.ProcessEnv): string {
  const secret = env[config.clientSecretEnv];
  if (!secret) {
    throw new GanymedeError(
      'bad_request',
      `auth.oidc: set the environment variable ${config.clientSecretEnv} to the client secret from your identity provider.`,
      { field: 'auth.oidc.clientSecretEnv' },
    );
  }
  return secret;
}

export function createOidcSignIn(options: OidcSignInOptions) {
  const { config, store, auth } = options;
  const now = options.now ?? Date.now;
  const pendingMs = (options.pendingMinutes ?? 10) * 60_000;
  const sealKey = deriveSealKey(options.clientSecret);
  const issuer = new URL(config.issuer);
  const unavailable = (cause: unknown) =>
    new GanymedeError(
      'unavailable',
      `${config.displayName} cannot be reached right now. Try again in a few minutes.`,
      { detail: `OpenID Connect discovery at ${config.issuer} failed: ${describe(cause)}`, cause },
    );

  let discovered: Promise<client.Configuration> | undefined;
  function configuration(): Promise<client.Configuration> {
    discovered ??= discover().catch((e: unknown) => {
      discovered = undefined;
      throw unavailable(e);
    });
    return discovered;
  }

  async function discover(): Promise<client.Configuration> {
    const insecure = issuer.protocol === 'http:';
    const found = await client.discovery(issuer, config.clientId, undefined, undefined, {
      // openid-client recognises this option by identity, so it is passed as is (see allowHttp).
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- loopback-only, see allowHttp
      execute: insecure ? [client.allowInsecureRequests] : [],
      timeout: 10,
    });
    // OIDC Discovery 1.0 §3: when the provider lists no methods, client_secret_basic is the
    // default; prefer it, and fall back to client_secret_post where that is all it takes.
    const metadata = found.serverMetadata();
    const methods = metadata.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
    const authMethod =
      !methods.includes('client_secret_basic') && methods.includes('client_secret_post')
        ? client.ClientSecretPost(options.clientSecret)
        : client.ClientSecretBasic(options.clientSecret);
    const configured = new client.Configuration(
      metadata,
      config.clientId,
      options.clientSecret,
      authMethod,
    );
    if (insecure) allowHttp(configured);
    configured.timeout = 10;
    return configured;
  }

  async function begin(next: string): Promise<SignInStart> {
    const oidc = await configuration();
    const pending: PendingSignIn = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier: client.randomPKCECodeVerifier(),
      next,
      expiresAt: now() + pendingMs,
    };
    const location = client.buildAuthorizationUrl(oidc, {
      redirect_uri: config.redirectUrl,
      scope: config.scopes.join(' '),
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
    });
    return {
      location: location.href,
      cookie: sealPendingSignIn(sealKey, pending),
      cookieMaxAgeSeconds: Math.ceil(pendingMs / 1000),
    };
  }

  const refused = (message: string, detail: string, cause?: unknown) =>
    new GanymedeError('forbidden', message, { detail, cause });

  /** `query` is the callback's query string; `sealed` the pending-sign-in cookie. */
  async function finish(query: URLSearchParams, sealed: string | undefined): Promise<SignInResult> {
    const pending = openPendingSignIn(sealKey, sealed, now());
    if (!pending) {
      throw refused(
        'This sign-in has expired or was started in another window. Please sign in again.',
        'pending sign-in cookie missing, altered or expired',
      );
    }
    const error = query.get('error');
    if (error !== null) {
      throw refused(
        error === 'access_denied'
          ? `The sign-in at ${config.displayName} was cancelled or refused.`
          : `${config.displayName} could not sign you in. Please try again.`,
        `authorization error ${error}: ${query.get('error_description') ?? ''}`,
      );
    }
    const oidc = await configuration();
    // The URL the provider redirected to: redirect_uri for the token request comes from it.
    const callback = new URL(config.redirectUrl);
    callback.search = query.toString();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(oidc, callback, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (e) {
      throw refused(
        `We could not complete your sign-in with ${config.displayName}. Please try again.`,
        `authorization code grant failed: ${describe(e)}`,
        e,
      );
    }
    const idClaims = tokens.claims();
    if (!idClaims) throw refused('The identity provider sent no identity.', 'no ID token');
    const claims = await withUserInfo(oidc, tokens.access_token, idClaims);
    const decision = decideSignIn(claims, {
      displayName: config.displayName,
      usernameClaim: config.usernameClaim,
      groupsClaim: config.groupsClaim,
      allowedGroups: config.allowedGroups,
      adminGroups: config.adminGroups,
    });
    const user = await syncUser(await resolveUser(idClaims.iss, idClaims.sub, decision), decision);
    const session = await auth.openSession(user);
    return { sessionId: session.sessionId, identity: session.user, next: pending.next };
  }

  /**
   * Providers often put groups (and sometimes the user name) only in the UserInfo response
   * (OIDC Core §5.3); it is asked only when a configured claim is missing from the ID token.
   * The library checks that UserInfo's `sub` is the ID token's (§5.3.4). ID token values win.
   */
  async function withUserInfo(
    oidc: client.Configuration,
    accessToken: string,
    idClaims: client.IDToken,
  ): Promise<Record<string, unknown>> {
    const wanted = [config.usernameClaim, ...(config.groupsClaim ? [config.groupsClaim] : [])];
    if (wanted.every((c) => c in idClaims) || !oidc.serverMetadata().userinfo_endpoint) {
      return idClaims;
    }
    try {
      const info = await client.fetchUserInfo(oidc, accessToken, idClaims.sub);
      return { ...info, ...idClaims };
    } catch (e) {
      throw refused(
        `We could not read your account details from ${config.displayName}. Please try again.`,
        `UserInfo request failed: ${describe(e)}`,
        e,
      );
    }
  }

  async function resolveUser(iss: string, sub: string, decision: SignInDecision): Promise<User> {
    // Two attempts: a concurrent first sign-in of the same person (two tabs) may create the
    // user or the link between our read and our write; the second attempt then finds it.
    for (let attempt = 0; ; attempt++) {
      try {
        return await resolveOnce(iss, sub, decision);
      } catch (e) {
        if (attempt > 0 || !isGanymedeError(e) || e.code !== 'conflict') throw e;
      }
    }
  }

  async function resolveOnce(iss: string, sub: string, decision: SignInDecision): Promise<User> {
    const linked = await store.getUserByExternalIdentity(iss, sub);
    if (linked) return linked;
    let user = await store.getUser(decision.name);
    if (user) {
      const links = await store.listExternalIdentities(user.id);
      if (user.passwordHash !== null || links.length > 0) {
        throw refused(
          `The user name "${decision.name}" already belongs to another account on this service. Please contact your administrator.`,
          `name "${decision.name}" taken by ${user.passwordHash !== null ? 'a local account' : 'another external identity'}; ${iss} ${sub} not linked`,
        );
      }
    } else {
      user = await store.createUser({
        name: decision.name,
        admin: decision.admin,
        passwordHash: null,
      });
    }
    await store.linkExternalIdentity(iss, sub, user.id, new Date(now()));
    return user;
  }

  /** Groups from the provider replace the provider's earlier ones; admin follows adminGroups. */
  async function syncUser(user: User, decision: SignInDecision): Promise<User> {
    if (config.groupsClaim) await store.setUserGroups(user.id, 'oidc', decision.groups);
    const demotable = user.name !== normalizeUserName(options.bootstrapAdmin);
    const admin =
      config.adminGroups.length === 0 ? user.admin : decision.admin || (user.admin && !demotable);
    if (admin === user.admin) return user;
    await store.setAdmin(user.id, admin);
    return { ...user, admin };
  }

  return { displayName: config.displayName, begin, finish };
}

/**
 * The schema allows an `http:` issuer only on a loopback host (a provider on this machine, as
 * in the integration tests); everywhere else openid-client's HTTPS-only default holds.
 */
function allowHttp(configuration: client.Configuration): void {
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- deprecated only as a warning sign; loopback-only here (see above)
  client.allowInsecureRequests(configuration);
}

function describe(e: unknown): string {
  if (e instanceof client.ResponseBodyError) return `${e.error}: ${e.error_description ?? ''}`;
  if (e instanceof client.AuthorizationResponseError) {
    return `${e.error}: ${e.error_description ?? ''}`;
  }
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return `${typeof code === 'string' ? `${code}: ` : ''}${e.message}`;
  }
  return String(e);
}
