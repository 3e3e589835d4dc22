import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthError, conflict, kindOf, notFound, wrap, isNotFound } from './index.js';

test('kindOf walks causes and wrap keeps the kind', () => {
  const inner = notFound('No such image: busybox:latest');
  const outer = wrap(inner, 'resolving');
  assert.equal(outer.kind, 'not-found');
  assert.equal(outer.message, 'resolving: No such image: busybox:latest');
  assert.ok(isNotFound(new Error('x', { cause: outer })));
  assert.equal(kindOf(new Error('plain')), 'internal');
  assert.ok(conflict('x') instanceof BerthError);
});
