import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareVersions, negotiateVersion, splitVersionPrefix } from './version.js';

test('splitVersionPrefix', () => {
  assert.deepEqual(splitVersionPrefix('/v1.43/containers/json?all=1'), { version: '1.43', path: '/containers/json?all=1' });
  assert.deepEqual(splitVersionPrefix('/_ping'), { version: undefined, path: '/_ping' });
  assert.deepEqual(splitVersionPrefix('/v1.50'), { version: '1.50', path: '/' });
  assert.deepEqual(splitVersionPrefix('/version'), { version: undefined, path: '/version' });
});

test('negotiateVersion accepts 1.24..1.50 and rejects others with Docker text', () => {
  assert.equal(negotiateVersion(undefined), '1.50');
  assert.equal(negotiateVersion('1.24'), '1.24');
  assert.equal(negotiateVersion('1.50'), '1.50');
  assert.throws(() => negotiateVersion('1.51'), /client version 1.51 is too new. Maximum supported API version is 1.50/);
  assert.throws(() => negotiateVersion('1.23'), /client version 1.23 is too old. Minimum supported API version is 1.24/);
  assert.ok(compareVersions('1.9', '1.10') < 0);
});
