import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRegistryError } from './errors.js';
import { validateManifest } from './manifest.js';

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const oci = 'application/vnd.oci.image.manifest.v1+json';
const buf = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const invalid = (e: unknown): boolean => isRegistryError(e, 'MANIFEST_INVALID');

test('image manifest: config and layers are required blobs; foreign layers are not', () => {
  const m = validateManifest(
    buf({
      schemaVersion: 2,
      mediaType: oci,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('a'), size: 2 },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: d('b'), size: 3 },
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: d('c'), size: 3, urls: ['https://x'] },
      ],
      subject: { mediaType: oci, digest: d('e'), size: 9 },
      annotations: { k: 'v' },
    }),
    oci,
  );
  assert.equal(m.mediaType, oci);
  assert.deepEqual(m.blobs, [{ digest: d('a'), size: 2 }, { digest: d('b'), size: 3 }]);
  assert.equal(m.subject, d('e'));
  assert.equal(m.artifactType, 'application/vnd.oci.image.config.v1+json');
  assert.deepEqual(m.annotations, { k: 'v' });
});

test('index: referenced manifests; media type from Content-Type when the body has none', () => {
  const m = validateManifest(buf({ schemaVersion: 2, manifests: [{ mediaType: oci, digest: d('a'), size: 1 }] }), 'application/vnd.oci.image.index.v1+json');
  assert.equal(m.mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.deepEqual(m.manifests, [d('a')]);
});

test('bad manifests are MANIFEST_INVALID', () => {
  assert.throws(() => validateManifest(Buffer.from('{'), oci), invalid);
  assert.throws(() => validateManifest(buf([]), oci), invalid);
  assert.throws(() => validateManifest(buf({ schemaVersion: 1 }), 'application/json'), invalid);
  assert.throws(() => validateManifest(buf({ schemaVersion: 2, mediaType: oci, config: { mediaType: 'x', digest: 'nope', size: 1 }, layers: [] }), oci), invalid);
  assert.throws(() => validateManifest(buf({ schemaVersion: 2, mediaType: oci, config: { mediaType: 'x', digest: d('a'), size: 1 }, layers: [] }), 'application/vnd.oci.image.index.v1+json'), invalid);
  assert.throws(() => validateManifest(buf({ schemaVersion: 2, mediaType: 'application/x-unknown', config: {} }), undefined), invalid);
});
