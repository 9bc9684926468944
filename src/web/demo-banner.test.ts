import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEMO_BANNER_TEXT, withDemoBanner } from './demo-banner.ts';

describe('withDemoBanner', () => {
  it('puts the banner first in the body, after the skip link', () => {
    const page =
      '<html><body><a class="skip" href="#main">Skip to content</a><header>x</header></body></html>';
    const out = withDemoBanner(page);
    assert.ok(
      out.includes(`Skip to content</a><p class="demo-banner" role="note">${DEMO_BANNER_TEXT}</p>`),
    );
    assert.equal(out.replace(/<p class="demo-banner"[^]*?<\/p>/, ''), page, 'nothing else moves');
  });

  it('uses the body tag of a page without the skip link, and leaves non-pages alone', () => {
    assert.match(withDemoBanner('<body class="x"><h1>a</h1>'), /^<body class="x"><p class="demo/);
    assert.equal(withDemoBanner('{"json": true}'), '{"json": true}');
  });
});
