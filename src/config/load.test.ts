import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { loadConfig, parseConfig } from './load.ts';

it('needs no file: every key has a default', () => {
  const config = loadConfig(undefined);
  assert.equal(config.hub.port, 8000);
  assert.equal(config.hub.host, '127.0.0.1');
  assert.equal(config.backend.type, 'local');
  assert.equal(config.profiles.filter((p) => p.default).length, 1);
});

it('names the key, the problem and an example of a right value', () => {
  assert.throws(
    () => parseConfig({ hub: { port: 'eighty' } }, 'ganymede.yaml'),
    (e: Error) =>
      e.message.includes('ganymede.yaml') &&
      e.message.includes('hub.port') &&
      e.message.includes('expected number') &&
      e.message.includes('(example: 8000)'),
  );
});

it('refuses unknown keys, so typos are not silently ignored', () => {
  assert.throws(() => parseConfig({ hub: { prot: 8000 } }), /hub: unknown key "prot"/);
});

it('validates profiles, with the index in the path', () => {
  assert.throws(
    () => parseConfig({ profiles: [{ name: 'ok', displayName: 'OK', memory: 'lots' }] }),
    (e: Error) =>
      e.message.includes('profiles[0].memory') && e.message.includes('Kubernetes quantity'),
  );
  assert.throws(
    () =>
      parseConfig({
        profiles: [
          { name: 'a', displayName: 'A' },
          { name: 'a', displayName: 'B' },
        ],
      }),
    /unique/,
  );
});

it('reports broken YAML with its line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ganymede-config-'));
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'hub:\n  port: [8000\n');
  assert.throws(() => loadConfig(file), /bad\.yaml line \d+: not valid YAML/);
  assert.throws(() => loadConfig(join(dir, 'missing.yaml')), /Cannot read the configuration file/);
});

it('takes the dummy authenticator only on loopback, or with auth.allowInsecure', () => {
  for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.53']) {
    assert.equal(parseConfig({ hub: { host }, auth: { type: 'dummy' } }).auth.type, 'dummy', host);
  }
  assert.throws(
    () => parseConfig({ hub: { host: '0.0.0.0' }, auth: { type: 'dummy' } }, 'ganymede.yaml'),
    (e: Error) =>
      e.message.includes('auth.allowInsecure') &&
      e.message.includes('0.0.0.0 is not a loopback address') &&
      e.message.includes('(example: true'),
  );
  const open = parseConfig({
    hub: { host: '0.0.0.0' },
    auth: { type: 'dummy', allowInsecure: true, dummy: { password: 'demo' } },
  });
  assert.equal(open.auth.dummy?.password, 'demo');
  assert.throws(() => parseConfig({ auth: { dummy: { password: 'x' } } }), /auth\.dummy: needs/);
  assert.throws(
    () =>
      parseConfig({
        auth: {
          type: 'dummy',
          oidc: {
            issuer: 'https://login.example.org',
            clientId: 'c',
            redirectUrl: 'https://nb.example.org/hub/oauth/callback',
          },
        },
      }),
    /auth\.oidc: cannot be combined with auth\.type: dummy/,
  );
  // A local hub is not concerned: allowInsecure means nothing without dummy.
  assert.equal(parseConfig({ hub: { host: '0.0.0.0' } }).auth.type, 'local');
});

it('reads quotas, and refuses hours for a profile that does not exist, naming the key', () => {
  const profiles = [
    { name: 'standard', displayName: 'Standard', default: true },
    { name: 'gpu', displayName: 'GPU', gpu: 1 },
  ];
  const config = parseConfig({
    profiles,
    quotas: {
      default: { maxServers: 2, cpu: '4', memory: '16Gi', gpu: 1, hoursPerMonth: { gpu: 20 } },
      groups: { physics: { cpu: '8', hoursPerMonth: { gpu: 60 } } },
      users: { alice: { maxServers: 3 } },
    },
  });
  assert.deepEqual(config.quotas?.groups, { physics: { cpu: '8', hoursPerMonth: { gpu: 60 } } });
  assert.deepEqual(config.quotas.users, { alice: { maxServers: 3 } });
  assert.throws(
    () =>
      parseConfig({ profiles, quotas: { groups: { physics: { hoursPerMonth: { gpus: 60 } } } } }),
    (e: Error) =>
      e.message.includes('quotas.groups.physics.hoursPerMonth.gpus') &&
      e.message.includes('names no profile (profiles: standard, gpu)'),
  );
  assert.throws(
    () => parseConfig({ quotas: { default: { memory: 'lots' } } }),
    (e: Error) =>
      e.message.includes('quotas.default.memory') && e.message.includes('(example: 16Gi)'),
  );
});
