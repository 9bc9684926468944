/** The `auth.oidc` section of the configuration (src/config/schema.ts) and its secret. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../config/load.ts';
import { oidcClientSecret } from './oidc-sign-in.ts';

const minimal = {
  issuer: 'https://login.example.org/realms/staff',
  clientId: 'ganymede',
  redirectUrl: 'https://notebooks.example.org/hub/oauth/callback',
};

const oidcOf = (oidc: object) => parseConfig({ auth: { oidc } }).auth.oidc;

describe('auth.oidc configuration', () => {
  it('is off unless configured, and fills in defaults when it is', () => {
    assert.equal(parseConfig({}).auth.oidc, undefined);
    const oidc = oidcOf(minimal);
    assert.deepEqual(oidc, {
      ...minimal,
      displayName: 'your organisation',
      clientSecretEnv: 'GANYMEDE_OIDC_CLIENT_SECRET',
      scopes: ['openid', 'profile', 'email'],
      usernameClaim: 'preferred_username',
      allowedGroups: [],
      adminGroups: [],
    });
  });

  it('wants https, except on a loopback host', () => {
    assert.throws(() => oidcOf({ ...minimal, issuer: 'http://login.example.org' }), {
      message: /auth\.oidc\.issuer: must be an https:\/\/ URL.*\(example: https:\/\/login/,
    });
    assert.equal(
      oidcOf({ ...minimal, issuer: 'http://127.0.0.1:9000' })?.issuer,
      'http://127.0.0.1:9000',
    );
    assert.throws(
      () => oidcOf({ ...minimal, redirectUrl: 'http://hub.example.org/hub/oauth/callback' }),
      {
        message: /auth\.oidc\.redirectUrl/,
      },
    );
  });

  it('names the mistakes an operator is likely to make', () => {
    assert.throws(() => oidcOf({ ...minimal, redirectUrl: 'https://n.example.org/callback' }), {
      message: /auth\.oidc\.redirectUrl: must end with \/hub\/oauth\/callback/,
    });
    assert.throws(() => oidcOf({ ...minimal, scopes: ['profile'] }), {
      message: /auth\.oidc\.scopes: must include openid/,
    });
    assert.throws(() => oidcOf({ ...minimal, scopes: ['openid', 'two words'] }), {
      message: /auth\.oidc\.scopes\[1\]: must be one scope token/,
    });
    assert.throws(() => oidcOf({ ...minimal, clientSecret: 'in-the-file' }), {
      message: /unknown key "clientSecret"/,
    });
    assert.throws(() => oidcOf({ ...minimal, adminGroups: ['admins'] }), {
      message: /auth\.oidc\.adminGroups: needs groupsClaim to be set/,
    });
    assert.throws(() => oidcOf({ ...minimal, clientSecretEnv: 'not a name' }), {
      message: /auth\.oidc\.clientSecretEnv: must be an environment variable name/,
    });
  });

  it('reads the client secret from the named environment variable, and says how to fix it', () => {
    const oidc = oidcOf({ ...minimal, clientSecretEnv: 'MY_SECRET' });
    assert.ok(oidc);
    assert.equal(oidcClientSecret(oidc, { MY_SECRET: 's3cret' }), 's3cret');
    assert.throws(() => oidcClientSecret(oidc, {}), {
      code: 'bad_request',
      message: /set the environment variable MY_SECRET/,
    });
  });
});
