import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ansicDate } from './version.js';

test('ansicDate: RFC 3339 build times as the docker CLI prints them (Go time.ANSIC, in the string\'s zone); anything else unchanged', () => {
  assert.equal(ansicDate('2026-12-05T12:52:31.123Z'), 'Sat Dec  5 12:52:31 2026');
  assert.equal(ansicDate('2024-10-22T14:33:12.000000000+00:00'), 'Tue Oct 22 14:33:12 2024');
  assert.equal(ansicDate('2024-01-01T01:00:00+02:00'), 'Mon Jan  1 01:00:00 2024');
  assert.equal(ansicDate(''), '');
  assert.equal(ansicDate('Tue Oct 22 14:33:12 2024'), 'Tue Oct 22 14:33:12 2024');
});
