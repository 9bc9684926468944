import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  labelOfHost,
  notebookHost,
  notebookHostLabel,
  notebookIngressSpec,
} from './notebook-host.ts';

test('a readable user keeps its name as the host label', () => {
  assert.equal(
    notebookHost({ user: 'alice', server: '' }, 'nb.example.org'),
    'alice.nb.example.org',
  );
});

test('Unicode and upper-case names become distinct DNS-1035 labels', () => {
  const a = notebookHostLabel({ user: 'Ärger', server: '' });
  const b = notebookHostLabel({ user: 'ärger', server: '' });
  assert.notEqual(a, b);
  for (const label of [a, b]) assert.match(label, /^[a-z]([-a-z0-9]*[a-z0-9])?$/);
  assert.ok(a.length <= 58);
});

test('named servers get hosts of their own', () => {
  assert.notEqual(
    notebookHostLabel({ user: 'alice', server: '' }),
    notebookHostLabel({ user: 'alice', server: 'gpu' }),
  );
});

test('labelOfHost takes exactly one label under the base domain', () => {
  assert.equal(labelOfHost('alice.nb.example.org', 'nb.example.org'), 'alice');
  assert.equal(labelOfHost('Alice.NB.example.org:8443', 'nb.example.org'), 'alice');
  assert.equal(labelOfHost('alice.nb.example.org.', 'nb.example.org'), 'alice');
  assert.equal(labelOfHost('a.b.nb.example.org', 'nb.example.org'), undefined);
  assert.equal(labelOfHost('nb.example.org', 'nb.example.org'), undefined);
  assert.equal(labelOfHost('alice.nb.example.org.evil.test', 'nb.example.org'), undefined);
  assert.equal(labelOfHost('alicenb.example.org', 'nb.example.org'), undefined);
  assert.equal(labelOfHost('[::1]:80', 'nb.example.org'), undefined);
});

test('a start in ingress routing mode asks for an Ingress on the server’s own host', async () => {
  const { startRequest } = await import('../backends/kubernetes/notebook-request.ts');
  const { profileSchema } = await import('../config/schema.ts');
  const { notebookSpecSchema } = await import('../notebook-spec/schema.ts');
  const { buildIngress } = await import('../kubernetes/resources/ingress.ts');
  const ref = { user: 'Ärger', server: '' };
  const request = startRequest({
    ref,
    namespace: 'notebooks',
    profile: profileSchema.parse({ name: 'standard', displayName: 'Standard' }),
    baseUrl: '/user/%C3%84rger/',
    now: new Date(0),
    ingress: notebookIngressSpec(ref, {
      baseDomain: 'nb.example.org',
      className: 'nginx',
      tlsSecretName: 'wildcard',
    }),
  });
  const spec = notebookSpecSchema.parse(request.spec);
  assert.ok(spec.ingress);
  const host = spec.ingress.host;
  assert.equal(host, `${notebookHostLabel(ref)}.nb.example.org`);
  const ingress = buildIngress({
    apiVersion: request.apiVersion,
    kind: request.kind,
    metadata: request.metadata,
    spec,
  });
  assert.ok(ingress);
  const rendered = structuredClone(ingress) as unknown as {
    spec: { rules: { host: string }[]; ingressClassName: string; tls: unknown };
  };
  assert.equal(rendered.spec.rules[0]?.host, host);
  assert.equal(rendered.spec.ingressClassName, 'nginx');
  assert.deepEqual(rendered.spec.tls, [{ hosts: [host], secretName: 'wildcard' }]);
  // The hub's forward-auth endpoint maps the host back to this server's label.
  assert.equal(labelOfHost(host, 'nb.example.org'), notebookHostLabel(ref));
});
