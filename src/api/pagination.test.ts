import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acceptsPagination, paginate, pageRequest } from './pagination.ts';

describe('pagination', () => {
  it('recognises the JupyterHub pagination media type among others', () => {
    assert.ok(acceptsPagination('application/jupyterhub-pagination+json'));
    assert.ok(acceptsPagination('application/json, application/jupyterhub-pagination+json;q=0.9'));
    assert.ok(!acceptsPagination('application/json'));
    assert.ok(!acceptsPagination(undefined));
  });

  it('lowers a limit above the maximum and uses the default when none is given', () => {
    const limits = { defaultLimit: 10, maxLimit: 50 };
    assert.deepEqual(pageRequest({ offset: 3, limit: 500 }, limits), { offset: 3, limit: 50 });
    assert.deepEqual(pageRequest({ offset: 0 }, limits), { offset: 0, limit: 10 });
  });

  it('links to the next page, keeping the other query parameters, until the last', () => {
    const items = ['a', 'b', 'c', 'd', 'e'];
    const first = paginate(items, { offset: 0, limit: 2 }, 'http://h/hub/api/users?state=ready');
    assert.deepEqual(first.items, ['a', 'b']);
    assert.equal(first._pagination.total, 5);
    const next = first._pagination.next;
    assert.ok(next);
    assert.equal(next.offset, 2);
    const url = new URL(next.url);
    assert.equal(url.searchParams.get('state'), 'ready');
    assert.equal(url.searchParams.get('offset'), '2');
    assert.equal(url.searchParams.get('limit'), '2');
    const last = paginate(items, { offset: 4, limit: 2 }, next.url);
    assert.deepEqual(last.items, ['e']);
    assert.equal(last._pagination.next, null);
    assert.deepEqual(paginate(items, { offset: 9, limit: 2 }, next.url).items, []);
  });
});
