import assert from 'node:assert/strict';
import { it } from 'node:test';
import { filterQuery, usersFilter, withFilter } from './users-filter.ts';

const read = (query: string) => {
  const params = new URLSearchParams(query);
  return usersFilter((k) => params.get(k) ?? undefined);
};

it('reads the admin users page’s filters, falling back to the defaults on anything odd', () => {
  assert.deepEqual(read(''), { q: '', state: '', group: '', sort: 'name', page: 1 });
  assert.deepEqual(read('q=%20Ann%20&state=ready&group=physics&sort=activity&page=3'), {
    q: 'Ann',
    state: 'ready',
    group: 'physics',
    sort: 'activity',
    page: 3,
  });
  assert.deepEqual(read('state=sleeping&sort=age&page=-2'), read(''));
  assert.equal(read('page=1.5').page, 1);
  assert.equal(read(`q=${'x'.repeat(500)}`).q.length, 100);
});

it('writes the filters back without the defaults, so links keep them', () => {
  const filter = read('q=ann&state=inactive&sort=activity&page=2');
  assert.equal(filterQuery(filter), 'q=ann&state=inactive&sort=activity&page=2');
  assert.equal(
    withFilter('/hub/admin', filter, { page: 1 }),
    '/hub/admin?q=ann&state=inactive&sort=activity',
  );
  assert.equal(withFilter('/hub/admin', read('')), '/hub/admin');
  assert.equal(filterQuery(read('q=a%26b')), 'q=a%26b', 'escaped');
});
