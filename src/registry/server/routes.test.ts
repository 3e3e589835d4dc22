import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRegistryError } from './errors.js';
import { paginate, parseRange } from './routes.js';

const q = (s: string): URLSearchParams => new URLSearchParams(s);

test('paginate: n, last, next marker', () => {
  const all = ['a', 'b', 'c', 'd'];
  assert.deepEqual(paginate(all, q('')), { items: all, n: 4 });
  assert.deepEqual(paginate(all, q('n=2')), { items: ['a', 'b'], n: 2, next: 'b' });
  assert.deepEqual(paginate(all, q('n=2&last=b')), { items: ['c', 'd'], n: 2 });
  assert.deepEqual(paginate(all, q('last=bb')), { items: ['c', 'd'], n: 2 });
  assert.deepEqual(paginate(all, q('n=0')), { items: [], n: 0 });
  for (const bad of ['n=-1', 'n=x', 'n=1.5']) assert.throws(() => paginate(all, q(bad)), (e) => isRegistryError(e, 'PAGINATION_NUMBER_INVALID'), bad);
});

test('parseRange: single byte ranges', () => {
  assert.equal(parseRange(undefined, 10), undefined);
  assert.deepEqual(parseRange('bytes=0-3', 10), { start: 0, end: 3 });
  assert.deepEqual(parseRange('bytes=5-', 10), { start: 5, end: 9 });
  assert.deepEqual(parseRange('bytes=-4', 10), { start: 6, end: 9 });
  assert.deepEqual(parseRange('bytes=8-100', 10), { start: 8, end: 9 });
  for (const bad of ['bytes=10-', 'bytes=5-2', 'bytes=-', 'bytes=-0', 'items=0-1', 'bytes=0-1,3-4']) assert.equal(parseRange(bad, 10), 'invalid', bad);
});
