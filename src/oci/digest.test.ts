import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isInvalidArgument } from '../errdefs/index.js';
import { chainId, chainIds, childChainId, DigestStream, digestHex, isDigest, parseDigest, sha256, type Digest } from './digest.js';

const EMPTY = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

test('sha256 of a buffer and a string', () => {
  assert.equal(sha256(Buffer.alloc(0)), EMPTY);
  assert.equal(sha256('abc'), 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(digestHex(sha256('')), EMPTY.slice(7));
});

test('parseDigest validates like go-digest', () => {
  const cases: Array<[string, string | undefined]> = [
    [EMPTY, undefined],
    ['sha256:' + 'E'.repeat(64), 'invalid checksum digest format'],
    ['sha256:' + 'e'.repeat(63), 'invalid checksum digest length'],
    ['sha256:' + 'e'.repeat(65), 'invalid checksum digest length'],
    ['sha256:' + 'g'.repeat(64), 'invalid checksum digest format'],
    ['sha256:', 'invalid checksum digest format'],
    [':abc', 'invalid checksum digest format'],
    ['abc', 'invalid checksum digest format'],
    ['md5:' + 'a'.repeat(32), 'unsupported digest algorithm'],
    ['sha512:' + 'a'.repeat(128), 'unsupported digest algorithm'],
    ['foo bar:' + 'a'.repeat(32), 'invalid checksum digest format'],
  ];
  for (const [input, err] of cases) {
    assert.equal(isDigest(input), err === undefined, input);
    if (err === undefined) {
      assert.equal(parseDigest(input), input);
    } else {
      assert.throws(() => parseDigest(input), (e: unknown) => isInvalidArgument(e) && (e as Error).message === err, input);
    }
  }
});

test('DigestStream passes bytes through and exposes digest and size at the end', async () => {
  const chunks = [Buffer.from('hello '), Buffer.from('world'), Buffer.alloc(100_000, 7)];
  const h = new DigestStream();
  assert.throws(() => h.digest());
  const got: Buffer[] = [];
  await pipeline(Readable.from(chunks), h, new Writable({ write(c: Buffer, _e, cb) { got.push(c); cb(); } }));
  const all = Buffer.concat(chunks);
  assert.deepEqual(Buffer.concat(got), all);
  assert.equal(h.size, all.length);
  assert.equal(h.digest(), `sha256:${createHash('sha256').update(all).digest('hex')}`);
});

test('chain IDs follow the OCI image-spec', () => {
  const a = sha256('layer a');
  const b = sha256('layer b');
  const c = sha256('layer c');
  assert.equal(chainId([]), undefined);
  assert.equal(chainId([a]), a);
  const ab = sha256(`${a} ${b}`);
  assert.equal(chainId([a, b]), ab);
  const abc = sha256(`${ab} ${c}`);
  assert.deepEqual(chainIds([a, b, c]), [a, ab, abc]);
  assert.equal(childChainId(undefined, a), a);
  assert.equal(childChainId(ab, c), abc);
  // a known vector: busybox-like single layer chain is its diff ID; two layers by hand
  const d1 = 'sha256:0000000000000000000000000000000000000000000000000000000000000001' as Digest;
  const d2 = 'sha256:0000000000000000000000000000000000000000000000000000000000000002' as Digest;
  const expected = `sha256:${createHash('sha256').update(`${d1} ${d2}`).digest('hex')}`;
  assert.equal(chainId([d1, d2]), expected);
});
