import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boolFilter, globToRegExp, labelsMatch, parseUntil } from './filters.js';
import { ImageService } from './service.js';

test('globToRegExp follows Go path.Match: * and ? stop at /', () => {
  assert.ok(globToRegExp('busy*').test('busybox:latest'));
  assert.ok(!globToRegExp('*').test('library/busybox'));
  assert.ok(globToRegExp('localhost:5000/*/b?x:[0-9]*').test('localhost:5000/tools/box:1.0'));
  assert.ok(!globToRegExp('a.c').test('abc'));
});

test('boolFilter, labelsMatch, parseUntil', () => {
  assert.equal(boolFilter({ dangling: ['true'] }, 'dangling'), true);
  assert.equal(boolFilter({ dangling: ['0'] }, 'dangling'), false);
  assert.equal(boolFilter({}, 'dangling'), undefined);
  assert.throws(() => boolFilter({ dangling: ['maybe'] }, 'dangling'), /invalid filter 'dangling=maybe'/);
  assert.ok(labelsMatch({ label: ['a', 'b=2'] }, { a: '1', b: '2' }));
  assert.ok(!labelsMatch({ label: ['b=3'] }, { b: '2' }));
  assert.ok(!labelsMatch({ 'label!': ['a'] }, { a: '1' }));
  assert.equal(parseUntil('1700000000.5'), 1_700_000_000_500);
  assert.equal(parseUntil('10m', 1_000_000), 1_000_000 - 600_000);
  assert.equal(parseUntil('2024-01-01T00:00:00Z'), Date.UTC(2024, 0, 1));
  assert.throws(() => parseUntil('soon'), /failed to parse value as time or duration/);
});

test('repoTag: normalised like docker import/tag, with Docker\'s errors', () => {
  assert.equal(ImageService.repoTag('busybox', undefined)?.toString(), 'docker.io/library/busybox:latest');
  assert.equal(ImageService.repoTag('localhost:5000/a/b', 'v1')?.toString(), 'localhost:5000/a/b:v1');
  assert.equal(ImageService.repoTag('', 'x'), undefined);
  assert.throws(() => ImageService.repoTag('UPPER', undefined), /^BerthError: invalid reference format: repository name \(library\/UPPER\) must be lowercase$/);
  assert.throws(() => ImageService.repoTag(`busybox@sha256:${'a'.repeat(64)}`, undefined), /cannot import digest reference/);
  assert.throws(() => ImageService.repoTag('sha256', 'x'), /refusing to create an ambiguous tag using digest algorithm as name/);
  assert.throws(() => ImageService.repoTag('ok', '-bad'), /invalid tag format/);
});
