import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseProxyPath, type PathRejection } from './parse-path.ts';

describe('parseProxyPath', () => {
  it('routes /user/<name>/… to the user default server, path unchanged', () => {
    assert.deepEqual(parseProxyPath('/user/alice/api/status?x=1'), {
      kind: 'route',
      ref: { user: 'alice', server: '' },
      upstreamPath: '/user/alice/api/status?x=1',
    });
    assert.deepEqual(parseProxyPath('/user/alice/'), {
      kind: 'route',
      ref: { user: 'alice', server: '' },
      upstreamPath: '/user/alice/',
    });
  });

  it('decodes the user segment and re-encodes it canonically for upstream', () => {
    const encoded = encodeURIComponent('jérôme@lab');
    const decision = parseProxyPath(`/user/${encoded}/lab`);
    assert.deepEqual(decision, {
      kind: 'route',
      ref: { user: 'jérôme@lab', server: '' },
      upstreamPath: `/user/${encoded}/lab`,
    });
    // Lower-case hex and a raw '@' are the same user; upstream gets Jupyter's base_url form.
    assert.deepEqual(parseProxyPath('/user/j%c3%a9r%c3%b4me@lab/lab?a=%2F'), {
      kind: 'route',
      ref: { user: 'jérôme@lab', server: '' },
      upstreamPath: `/user/${encoded}/lab?a=%2F`,
    });
  });

  it('redirects /user/<name> to /user/<name>/ keeping the query', () => {
    assert.deepEqual(parseProxyPath('/user/alice?next=1'), {
      kind: 'redirect',
      location: '/user/alice/?next=1',
    });
  });

  it('names a possible named server when the segment after the user passes the name rule', () => {
    assert.deepEqual(parseProxyPath('/user/alice/gpu/lab?x=1'), {
      kind: 'route',
      ref: { user: 'alice', server: '' },
      upstreamPath: '/user/alice/gpu/lab?x=1',
      named: { server: 'gpu' },
    });
    assert.deepEqual(parseProxyPath('/user/alice/gpu/'), {
      kind: 'route',
      ref: { user: 'alice', server: '' },
      upstreamPath: '/user/alice/gpu/',
      named: { server: 'gpu' },
    });
    // Without the trailing slash: the redirect the proxy sends if alice has that server.
    assert.deepEqual(parseProxyPath('/user/alice/gpu?a=1'), {
      kind: 'route',
      ref: { user: 'alice', server: '' },
      upstreamPath: '/user/alice/gpu?a=1',
      named: { server: 'gpu', redirect: '/user/alice/gpu/?a=1' },
    });
    const encoded = encodeURIComponent('jérôme@lab');
    assert.deepEqual(parseProxyPath(`/user/j%c3%a9r%c3%b4me@lab/train-2/api`), {
      kind: 'route',
      ref: { user: 'jérôme@lab', server: '' },
      upstreamPath: `/user/${encoded}/train-2/api`,
      named: { server: 'train-2' },
    });
  });

  it("never names Jupyter's own paths, other shapes or encoded segments as servers", () => {
    for (const path of [
      '/user/alice/',
      '/user/alice/lab',
      '/user/alice/lab/tree/x.ipynb',
      '/user/alice/api/kernels',
      '/user/alice/static/x.js',
      '/user/alice/files/a.txt',
      '/user/alice/tree',
      '/user/alice/GPU/',
      '/user/alice/g%70u/',
      '/user/alice/gpu_1/',
      '/user/alice/favicon.ico',
      `/user/alice/${'x'.repeat(33)}/`,
    ]) {
      const decision = parseProxyPath(path);
      assert.equal(decision.kind, 'route', path);
      assert.equal('named' in decision, false, path);
    }
  });

  it('passes an ordinary encoded % (a file named 100%.txt) and dots inside names', () => {
    assert.equal(parseProxyPath('/user/alice/files/100%25.txt').kind, 'route');
    assert.equal(parseProxyPath('/user/alice/files/100%25').kind, 'route');
    assert.equal(parseProxyPath('/user/alice/files/.ipynb_checkpoints/a...b').kind, 'route');
    assert.equal(parseProxyPath('/user/alice/files/...').kind, 'route');
    assert.equal(parseProxyPath('/user/alice/files/a%2e').kind, 'route');
    assert.equal(parseProxyPath('/user/alice/files/%E2%82%AC').kind, 'route');
  });

  const hostile: [string, PathRejection][] = [
    ['/hub/home', 'not-user-path'],
    ['/user', 'not-user-path'],
    ['/users/alice/', 'not-user-path'],
    ['/user/', 'invalid-user'],
    ['/user//', 'empty-segment'],
    ['/user/Alice/', 'invalid-user'],
    ['/user/%41lice/', 'invalid-user'],
    ['/user/al%20ice/', 'invalid-user'],
    ['/user/.alice/', 'invalid-user'],
    ['/user/alice%2F..%2Fbob/', 'encoded-slash'],
    ['/user/alice%2f..%2fbob/', 'encoded-slash'],
    ['/user/alice/..%2F..%2Fbob/api', 'encoded-slash'],
    ['/user/alice/%2F', 'encoded-slash'],
    ['/user/alice%5C..%5Cbob/', 'backslash'],
    ['/user/alice/%5c', 'backslash'],
    ['/user/alice\\..\\bob/', 'backslash'],
    ['/user/alice/../bob/', 'dot-segment'],
    ['/user/alice/..', 'dot-segment'],
    ['/user/alice/./api', 'dot-segment'],
    ['/user/alice/%2e%2e/bob/', 'dot-segment'],
    ['/user/alice/%2E%2E/bob/', 'dot-segment'],
    ['/user/alice/.%2e/bob/', 'dot-segment'],
    ['/user/alice/%2e./bob/', 'dot-segment'],
    ['/user/alice/%2e/api', 'dot-segment'],
    ['/user/alice/%2E', 'dot-segment'],
    ['/user/../hub/admin', 'dot-segment'],
    ['/user/%2e%2e/hub/admin', 'dot-segment'],
    ['/user/alice//api', 'empty-segment'],
    ['/user/alice///bob', 'empty-segment'],
    ['/user/alice/%252F..%252Fbob', 'double-encoding'],
    ['/user/alice/%252e%252e/bob', 'double-encoding'],
    ['/user/alice%252Fbob/', 'double-encoding'],
    ['/user/alice/%2525', 'double-encoding'],
    ['/user/alice/%00', 'nul'],
    ['/user/alice\u0000/', 'nul'],
    ['/user/alice/a\u0001b', 'control-character'],
    ['/user/alice/a\u007fb', 'control-character'],
    ['/user/alice/%zz', 'malformed-encoding'],
    ['/user/alice/%', 'malformed-encoding'],
    ['/user/alice/%2', 'malformed-encoding'],
    ['/user/alice%/', 'malformed-encoding'],
    ['/user/%C3%28/', 'invalid-user'],
    ['/user/%FF/', 'invalid-user'],
  ];
  for (const [path, reason] of hostile) {
    it(`rejects ${JSON.stringify(path)} as ${reason}`, () => {
      assert.deepEqual(parseProxyPath(path), { kind: 'reject', reason });
    });
  }

  it('rejects a 1 MB user segment without trouble', () => {
    assert.deepEqual(parseProxyPath(`/user/${'a'.repeat(1 << 20)}/`), {
      kind: 'reject',
      reason: 'invalid-user',
    });
  });

  // Whatever an attacker sends, an accepted path, fully decoded and then normalised the way
  // RFC 3986 §5.2.4 and slash-collapsing servers do, still lies under the decided user's prefix.
  it('never accepts a path that normalises into another route (property)', () => {
    // prettier-ignore
    const pieces = [
      'alice',
      'bob',
      '.',
      '..',
      '/',
      '//',
      '%2F',
      '%2f',
      '%2e',
      '%2E',
      '%25',
      '%252F',
      '%5C',
      '\\',
      '%00',
      'api',
      '?',
      '%41',
      '%',
      'x',
      '%3F',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 12 }), (parts) => {
        const raw = `/user/${parts.join('')}`;
        const decision = parseProxyPath(raw);
        if (decision.kind !== 'route') return;
        const path = decision.upstreamPath.split('?')[0] ?? '';
        const prefix = `/user/${encodeURIComponent(decision.ref.user)}/`;
        assert.ok(path.startsWith(prefix), raw);
        if (decision.named) {
          assert.ok(path.startsWith(`${prefix}${decision.named.server}`), raw);
        }
        let decoded = path;
        // Decode repeatedly: any layer of decoding must stay under the prefix.
        for (let layer = 0; layer < 3; layer++) {
          const normalised = removeDotSegments(decoded.replaceAll('\\', '/')).replace(/\/+/g, '/');
          assert.ok(
            normalised.startsWith(`/user/${decision.ref.user}/`) || normalised.startsWith(prefix),
            `${raw} → ${normalised}`,
          );
          try {
            decoded = decodeURIComponent(decoded);
          } catch {
            break;
          }
        }
      }),
      { numRuns: 5000 },
    );
  });
});

/** RFC 3986 §5.2.4, on a decoded path. */
function removeDotSegments(path: string): string {
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '..') out.pop();
    else if (segment !== '.') out.push(segment);
  }
  return out.join('/');
}
