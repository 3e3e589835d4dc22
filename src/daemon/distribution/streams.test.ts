import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sha256 } from '../../oci/digest.js';
import { Tee, VerifyStream } from './streams.js';
import { DistributionService, serverDomain } from './service.js';

const collect = async (r: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

test('verify + tee: both consumers get every byte; a wrong digest fails before the end', async () => {
  const data = Buffer.alloc(3_000_000, 5);
  const tee = new Tee(2);
  const [a, b] = tee.outputs as unknown as [Readable, Readable];
  const [, ra, rb] = await Promise.all([pipeline(Readable.from([data.subarray(0, 1_000_000), data.subarray(1_000_000)]), new VerifyStream(sha256(data), data.length), tee), collect(a), collect(b)]);
  assert.equal(ra.length, data.length);
  assert.ok(rb.equals(data));

  const bad = new Tee(2, [true, false]);
  const [store, unpack] = bad.outputs as unknown as [Readable, Readable];
  const storeP = collect(store);
  const unpackP = collect(unpack);
  await assert.rejects(pipeline(Readable.from([data]), new VerifyStream(sha256('other'), data.length), bad), /filesystem layer verification failed for digest sha256:/);
  // the store's branch is ended (short or wrong: its own check fails), the other one destroyed
  assert.equal((await storeP).length, data.length);
  await assert.rejects(unpackP, /filesystem layer verification failed/);
});

test('verify: more bytes than the descriptor says fail at once', async () => {
  await assert.rejects(pipeline(Readable.from([Buffer.alloc(10)]), new VerifyStream(sha256(Buffer.alloc(10)), 5), new Tee(1)), /verification failed/);
});

test('pull references as moby postImagesCreate; login server addresses', () => {
  assert.equal(DistributionService.pullReference('busybox', 'latest').ref.toString(), 'docker.io/library/busybox:latest');
  assert.equal(DistributionService.pullReference('busybox', '').allTags, true);
  assert.equal(DistributionService.pullReference('busybox:1.36', undefined).ref.tag, '1.36');
  const d = `sha256:${'a'.repeat(64)}`;
  assert.equal(DistributionService.pullReference('127.0.0.1:5000/x', d).ref.toString(), `127.0.0.1:5000/x@${d}`);
  assert.throws(() => DistributionService.pullReference('in valid', 'latest'), /invalid reference format/);
  assert.equal(serverDomain(''), 'docker.io');
  assert.equal(serverDomain('https://index.docker.io/v1/'), 'docker.io');
  assert.equal(serverDomain('http://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
});

test('verify: result is the digest and size of what passed (for the content store), also when it does not match', async () => {
  const data = Buffer.alloc(600_000, 7);
  const ok = new VerifyStream(sha256(data), data.length);
  assert.equal(ok.result, undefined);
  await pipeline(Readable.from([data.subarray(0, 100), data.subarray(100)]), ok, async function* (src) {
    for await (const _ of src) void _;
  });
  assert.deepEqual(ok.result, { digest: sha256(data), size: data.length });
  const bad = new VerifyStream(sha256('other'), undefined);
  await assert.rejects(pipeline(Readable.from([data]), bad, async function* (src) {
    for await (const _ of src) void _;
  }));
  assert.deepEqual(bad.result, { digest: sha256(data), size: data.length });
});
