import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChallenges } from './challenge.js';
import { errorFromResponse } from './errors.js';

test('bearer and basic challenges', () => {
  assert.deepEqual(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
  ]);
  assert.deepEqual(parseChallenges('Basic realm="basic-realm"'), [{ scheme: 'basic', params: { realm: 'basic-realm' } }]);
  assert.deepEqual(parseChallenges(['Basic realm="a, b"', 'Bearer realm=x']), [
    { scheme: 'basic', params: { realm: 'a, b' } },
    { scheme: 'bearer', params: { realm: 'x' } },
  ]);
  assert.deepEqual(parseChallenges(undefined), []);
});

test('registry error bodies read like distribution errcode', () => {
  const e = errorFromResponse(404, '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}');
  assert.equal(e.message, 'manifest unknown: manifest unknown');
  assert.equal(e.kind, 'not-found');
  assert.equal(errorFromResponse(401, '').message, 'unauthorized: authentication required');
  assert.equal(errorFromResponse(401, '{"details":"incorrect username or password"}').message, 'unauthorized: incorrect username or password');
  assert.equal(errorFromResponse(401, '', 'Bearer realm="x",error="insufficient_scope"').kind, 'forbidden');
  assert.equal(errorFromResponse(500, 'boom').message, 'unexpected status code 500 Internal Server Error: boom');
});
