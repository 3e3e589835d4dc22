import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRegistryError } from './errors.js';
import { checkDigest, isValidRepositoryName, isValidTag } from './names.js';

test('repository names follow the spec grammar', () => {
  for (const ok of ['a', 'library/busybox', 'a.b_c__d-e--f/g0', 'x/y/z/w']) assert.ok(isValidRepositoryName(ok), ok);
  for (const bad of ['', 'A', 'a/', '/a', 'a//b', 'a..b', 'a___b', '-a', 'a-', 'a/_b', 'a:b', 'a'.repeat(256)]) assert.ok(!isValidRepositoryName(bad), bad);
});

test('tags', () => {
  for (const ok of ['latest', 'v1.0', '_x', 'A-b.c_d', 'a'.repeat(128)]) assert.ok(isValidTag(ok), ok);
  for (const bad of ['', '.x', '-x', 'a/b', 'a:b', 'a'.repeat(129)]) assert.ok(!isValidTag(bad), bad);
});

test('digests: sha256 only, DIGEST_INVALID otherwise', () => {
  const d = `sha256:${'a'.repeat(64)}`;
  assert.equal(checkDigest(d), d);
  for (const bad of [undefined, '', 'sha256:abc', `sha512:${'a'.repeat(128)}`, `sha256:${'A'.repeat(64)}`, 'nope']) {
    assert.throws(() => checkDigest(bad), (e) => isRegistryError(e, 'DIGEST_INVALID'), String(bad));
  }
});
