// Pure parts of layer extraction (no root needed): name normalisation, compression detection,
// device numbers. The extraction itself is tested as root in overlay.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { normalizeEntryName } from './extract.js';
import { decompressStage, detectCompression } from './decompress.js';
import { major, minor } from './diff.js';

test('normalizeEntryName: relative to the layer, escapes refused, absolute made relative', () => {
  const cases: Array<[string, string | undefined]> = [
    ['a', 'a'],
    ['./a', 'a'],
    ['a/', 'a'],
    ['./', ''],
    ['.', ''],
    ['/', ''],
    ['a//b/./c/', 'a/b/c'],
    ['a/b/../c', 'a/c'],
    ['a/..', ''],
    ['/abs/path', 'abs/path'],
    ['/../etc/passwd', 'etc/passwd'],
    ['//x/../../y', 'y'],
    ['../etc/passwd', undefined],
    ['..', undefined],
    ['a/../../b', undefined],
    ['./../x', undefined],
    ['a/../..', undefined],
    ['..foo', '..foo'],
    ['a/..b', 'a/..b'],
    ['nul\0byte', undefined],
  ];
  for (const [input, want] of cases) assert.equal(normalizeEntryName(input), want, JSON.stringify(input));
});

test('detectCompression by magic number', () => {
  assert.equal(detectCompression(zlib.gzipSync('x')), 'gzip');
  assert.equal(detectCompression(zlib.zstdCompressSync(Buffer.from('x'))), 'zstd');
  assert.equal(detectCompression(Buffer.from('plain tar bytes')), 'none');
  assert.equal(detectCompression(Buffer.alloc(0)), 'none');
  assert.equal(detectCompression(Buffer.from([0x1f])), 'none');
});

async function run(input: Buffer, chunk: number): Promise<{ out: Buffer; kind: string }> {
  let kind = '';
  const out: Buffer[] = [];
  const src = Readable.from((function* () {
    for (let i = 0; i < input.length; i += chunk) yield input.subarray(i, i + chunk);
  })());
  await pipeline(src, decompressStage((k) => (kind = k)), async function (s: AsyncIterable<Buffer>) {
    for await (const c of s) out.push(c);
  });
  return { out: Buffer.concat(out), kind };
}

test('decompressStage: plain, gzip and zstd, even when the magic is split across chunks', async () => {
  const data = Buffer.alloc(300_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
  for (const chunk of [1, 3, 4096]) {
    assert.deepEqual(await run(data, chunk), { out: data, kind: 'none' });
    assert.deepEqual(await run(zlib.gzipSync(data), chunk), { out: data, kind: 'gzip' });
    assert.deepEqual(await run(zlib.zstdCompressSync(data), chunk), { out: data, kind: 'zstd' });
  }
  assert.deepEqual(await run(Buffer.alloc(0), 1), { out: Buffer.alloc(0), kind: 'none' });
  await assert.rejects(run(zlib.gzipSync(data).subarray(0, 100), 4096));
});

test('dev_t major/minor', () => {
  assert.deepEqual([major(0x0103), minor(0x0103)], [1, 3]);
  assert.deepEqual([major(0), minor(0)], [0, 0]);
  // major 259, minor 65536 (glibc makedev encoding)
  const rdev = Number((((259n & 0xfffn) << 8n) | ((259n & ~0xfffn) << 32n)) | ((65536n & 0xffn) | ((65536n & ~0xffn) << 12n)));
  assert.deepEqual([major(rdev), minor(rdev)], [259, 65536]);
});
