import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  isApiPath,
  isPageView,
  queryToken,
  withoutQueryToken,
  type RequestKindInput,
} from './request-policy.ts';

const page: RequestKindInput = {
  method: 'GET',
  upgrade: false,
  apiPath: false,
  accept: 'text/html,application/xhtml+xml',
  requestedWith: undefined,
  fetchMode: undefined,
};

describe('isPageView', () => {
  it('takes a browser navigation for a page view', () => {
    assert.equal(isPageView(page), true);
    assert.equal(isPageView({ ...page, fetchMode: 'navigate' }), true);
    assert.equal(isPageView({ ...page, method: 'HEAD' }), true);
  });

  it('takes WebSockets, api/ paths, other methods, XHR and fetches for API calls', () => {
    assert.equal(isPageView({ ...page, upgrade: true }), false);
    assert.equal(isPageView({ ...page, apiPath: true }), false);
    assert.equal(isPageView({ ...page, method: 'POST' }), false);
    assert.equal(isPageView({ ...page, requestedWith: 'XMLHttpRequest' }), false);
    assert.equal(isPageView({ ...page, fetchMode: 'cors' }), false);
    assert.equal(isPageView({ ...page, fetchMode: 'websocket' }), false);
    assert.equal(isPageView({ ...page, accept: 'application/json' }), false);
    assert.equal(isPageView({ ...page, accept: undefined }), false);
  });
});

describe('isApiPath', () => {
  const prefix = '/user/alice/'.length;
  it('finds jupyter_server’s api/ under the default or a named server', () => {
    assert.equal(isApiPath('/user/alice/api/kernels?x=1', prefix, false), true);
    assert.equal(isApiPath('/user/alice/api', prefix, false), true);
    assert.equal(isApiPath('/user/alice/gpu/api/contents', prefix, true), true);
    assert.equal(isApiPath('/user/alice/gpu/api/contents', prefix, false), false);
    assert.equal(isApiPath('/user/alice/lab/tree/api.ipynb', prefix, true), false);
    assert.equal(isApiPath('/user/alice/apis/x', prefix, false), false);
  });
});

describe('query tokens', () => {
  it('reads ?token=', () => {
    assert.equal(queryToken('/user/alice/api/kernels/k/channels?session_id=s&token=abc'), 'abc');
    assert.equal(queryToken('/user/alice/api/x?token='), undefined);
    assert.equal(queryToken('/user/alice/api/x'), undefined);
  });

  it('removes every token parameter and nothing else', () => {
    assert.equal(
      withoutQueryToken('/user/alice/api/k/channels?session_id=s&token=abc&b=%20'),
      '/user/alice/api/k/channels?session_id=s&b=%20',
    );
    assert.equal(withoutQueryToken('/user/alice/lab?token=abc'), '/user/alice/lab');
    assert.equal(withoutQueryToken('/user/alice/lab?%74oken=abc&token=x'), '/user/alice/lab');
    assert.equal(withoutQueryToken('/user/alice/lab?tokens=1'), '/user/alice/lab?tokens=1');
    assert.equal(withoutQueryToken('/user/al%20ice/x'), '/user/al%20ice/x');
  });
});
