import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGanymedeError } from '../../errors/ganymede-error.ts';
import { parseBaseUrl, parseSettings } from './options.ts';

describe('parseBaseUrl', () => {
  it('accepts percent-encoded single-route paths', () => {
    for (const url of ['/user/alice/', '/user/zo%C3%AB/', '/user/a.b@c/gpu/', '/user/x%20y/']) {
      assert.equal(parseBaseUrl(url), url);
    }
  });

  it('refuses anything that could mean another route, naming the field', () => {
    const bad = [
      '',
      'user/a/',
      '/user/a',
      '//user/a/',
      '/user//a/',
      '/user/../a/',
      '/user/./a/',
      '/user/%2e%2e/',
      '/user/%2E/',
      '/user/a%2Fb/',
      '/user/a%5cb/',
      '/user/a b/',
      '/user/a?x/',
      '/user/a#x/',
      '/user/%zz/',
      '/user/%C3/',
      42,
      undefined,
    ];
    for (const url of bad) {
      assert.throws(
        () => parseBaseUrl(url),
        (e: unknown) => isGanymedeError(e) && e.field === 'baseUrl' && e.code === 'bad_request',
        String(url),
      );
    }
  });
});

describe('parseSettings', () => {
  it('fills in defaults', () => {
    assert.deepEqual(parseSettings({ dataDir: '/d', jupyter: '/j' }), {
      dataDir: '/d',
      jupyter: '/j',
      startTimeoutMs: 120_000,
      stopGraceMs: 10_000,
      checkIntervalMs: 5_000,
      probeTimeoutMs: 2_000,
    });
  });

  it('names the bad field', () => {
    assert.throws(
      () => parseSettings({ dataDir: '/d', jupyter: '/j', stopGraceMs: -1 }),
      (e: unknown) => isGanymedeError(e) && e.field === 'backend.local.stopGraceMs',
    );
    assert.throws(
      () => parseSettings({ dataDir: '', jupyter: '/j' }),
      (e: unknown) => isGanymedeError(e) && e.field === 'backend.local.dataDir',
    );
  });
});
