import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizePlatform, parsePlatformParam, parsePlatformSpec, selectPlatform } from './platform.js';
import type { Descriptor } from '../../oci/types.js';
import type { Digest } from '../../oci/digest.js';

const d = (n: string, os: string, architecture: string, variant?: string): Descriptor => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${n.repeat(64)}` as Digest, size: 1, platform: { os, architecture, ...(variant ? { variant } : {}) } });

test('platform normalisation as containerd', () => {
  assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'aarch64', variant: 'v8' }), { os: 'linux', architecture: 'arm64', variant: '' });
  assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'arm' }), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.deepEqual(parsePlatformSpec('linux/x86_64'), { os: 'linux', architecture: 'amd64', variant: '' });
  assert.throws(() => parsePlatformSpec('linux//'), /unknown operating system or architecture/);
});

test('manifest list selection', () => {
  const list = [d('a', 'linux', 'amd64'), d('b', 'linux', 'arm', 'v6'), d('c', 'linux', 'arm', 'v7'), d('e', 'linux', 'arm64', 'v8'), d('f', 'unknown', 'unknown')];
  assert.equal(selectPlatform(list, parsePlatformSpec('linux/amd64')).digest[7], 'a');
  assert.equal(selectPlatform(list, parsePlatformSpec('linux/arm64')).digest[7], 'e');
  assert.equal(selectPlatform(list, parsePlatformSpec('linux/arm/v7')).digest[7], 'c');
  assert.equal(selectPlatform(list, parsePlatformSpec('linux/arm/v6')).digest[7], 'b');
  assert.throws(() => selectPlatform(list, parsePlatformSpec('linux/s390x')), { message: 'no matching manifest for linux/s390x in the manifest list entries' });
});

test('parsePlatformParam: "os/arch[/variant]" and the OCI platform JSON the docker CLI sends for push', () => {
  assert.deepEqual(parsePlatformParam('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: '' });
  assert.deepEqual(parsePlatformParam('{"architecture":"arm","os":"linux","variant":"v7"}'), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.deepEqual(parsePlatformParam('{"architecture":"amd64","os":"linux"}'), { os: 'linux', architecture: 'amd64', variant: '' });
  assert.throws(() => parsePlatformParam('{"os":"linux"}'), /needs "os" and "architecture"/);
  assert.throws(() => parsePlatformParam('{oops'), /invalid platform/);
});
