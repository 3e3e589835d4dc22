import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { isInvalidArgument } from '../../errdefs/index.js';
import { sha256 } from '../../oci/digest.js';
import { LocalContentStore } from '../../store/content/local.js';
import { detectCompression, peek } from './compression.js';
import { extractArchive, safeName } from './extract.js';
import { claimedDigest, readArchive } from './read.js';
import { writeArchive } from './write.js';

type Entry = { name: string; data?: string | Buffer; type?: 'file' | 'directory' | 'symlink' | 'link'; linkname?: string };

async function tar(entries: Entry[]): Promise<Buffer> {
  const p = pack();
  for (const e of entries) {
    if (e.type === 'directory') p.entry({ name: e.name, type: 'directory' });
    else if (e.type === 'symlink' || e.type === 'link') p.entry({ name: e.name, type: e.type, linkname: e.linkname ?? '' });
    else p.entry({ name: e.name }, typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0)));
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

function tmp(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-archive-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => isInvalidArgument(e) && re.test((e as Error).message));
}

test('detectCompression and peek (bytes are put back)', async () => {
  assert.equal(detectCompression(zlib.gzipSync('x')), 'gzip');
  assert.equal(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0])), 'zstd');
  assert.equal(detectCompression(Buffer.from('BZh91AY')), 'bzip2');
  assert.equal(detectCompression(Buffer.from('plain tar')), 'none');
  const s = Readable.from([Buffer.from('ab'), Buffer.from('cdef')]);
  assert.equal((await peek(s, 3)).toString(), 'abc');
  const rest: Buffer[] = [];
  for await (const c of s) rest.push(c as Buffer);
  assert.equal(Buffer.concat(rest).toString(), 'abcdef');
});

test('safeName refuses absolute names and .. components', () => {
  assert.equal(safeName('./manifest.json'), 'manifest.json');
  assert.equal(safeName('a//b/'), 'a/b');
  assert.throws(() => safeName('/etc/passwd'), /outside of the archive root/);
  assert.throws(() => safeName('a/../../b'), /outside of the archive root/);
});

test('extractArchive: plain and gzip; links that leave the directory and truncated input are refused', async (t) => {
  const dir = tmp(t);
  const ok = await tar([{ name: 'a/', type: 'directory' }, { name: 'a/f', data: 'hi' }, { name: 'l', type: 'symlink', linkname: 'a/f' }]);
  fs.mkdirSync(path.join(dir, '1'));
  await extractArchive(Readable.from([zlib.gzipSync(ok)]), path.join(dir, '1'));
  assert.equal(fs.readFileSync(path.join(dir, '1/l'), 'utf8'), 'hi');
  const bad: [Entry[], RegExp][] = [
    [[{ name: '../x', data: 'x' }], /outside of the archive root/],
    [[{ name: 'l', type: 'symlink', linkname: '../../etc/passwd' }], /points outside/],
    [[{ name: 'l', type: 'symlink', linkname: '/etc/passwd' }], /points outside/],
    [[{ name: 'h', type: 'link', linkname: '../x' }], /outside of the archive root/],
  ];
  for (const [i, [entries, re]] of bad.entries()) {
    const d = path.join(dir, `bad${i}`);
    fs.mkdirSync(d);
    await rejects(extractArchive(Readable.from([await tar(entries)]), d), re);
  }
  fs.mkdirSync(path.join(dir, 'trunc'));
  const big = await tar([{ name: 'big', data: Buffer.alloc(100_000, 1) }]);
  await rejects(extractArchive(Readable.from([big.subarray(0, 50_000)]), path.join(dir, 'trunc')), /unexpected EOF/);
  fs.mkdirSync(path.join(dir, 'gz'));
  const gz = zlib.gzipSync(big);
  await rejects(extractArchive(Readable.from([gz.subarray(0, gz.length - 20)]), path.join(dir, 'gz')), /unexpected EOF/);
  fs.mkdirSync(path.join(dir, 'empty'));
  await rejects(extractArchive(Readable.from([Buffer.alloc(1024)]), path.join(dir, 'empty')), /empty/);
});

test('claimedDigest: blobs/sha256/<hex> and <hex>.json claim a digest, other names do not', () => {
  const hex = 'a'.repeat(64);
  assert.equal(claimedDigest(`blobs/sha256/${hex}`), `sha256:${hex}`);
  assert.equal(claimedDigest(`${hex}.json`), `sha256:${hex}`);
  assert.equal(claimedDigest(`${hex}/layer.tar`), undefined);
});

test('write then read: a saved archive reads back as docker-archive with the manifest kept as received', async (t) => {
  const root = tmp(t);
  const store = new LocalContentStore(path.join(root, 'data'));
  const layer = await tar([{ name: 'hello', data: 'world' }]);
  const layerInfo = await store.writeBytes(layer);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
  const cfg = await store.writeBytes(config);
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cfg.digest, size: cfg.size }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerInfo.digest, size: layerInfo.size }] }));
  const m = await store.writeBytes(manifest);
  const images = [{ id: cfg.digest, configSize: cfg.size, manifest: { digest: m.digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: m.size }, layers: [{ blob: layerInfo.digest, size: layerInfo.size, diffId: sha256(layer) }], tags: [{ full: 'docker.io/library/x', familiar: 'x', tag: '1' }], platform: { architecture: 'amd64', os: 'linux' } }];
  const chunks: Buffer[] = [];
  for await (const c of writeArchive(images, store)) chunks.push(c as Buffer);
  const out = path.join(root, 'out');
  fs.mkdirSync(out);
  await extractArchive(Readable.from([Buffer.concat(chunks)]), out);
  const read = await readArchive(out);
  assert.equal(read.length, 1);
  assert.equal(read[0]?.format, 'docker-archive');
  assert.equal(read[0]?.config.digest, cfg.digest);
  assert.deepEqual(read[0]?.names, ['x:1']);
  assert.equal(read[0]?.manifest?.digest, m.digest);
  // without manifest.json the same files are an OCI layout, named by the containerd annotation
  fs.rmSync(path.join(out, 'manifest.json'));
  const oci = await readArchive(out);
  assert.equal(oci[0]?.format, 'oci-layout');
  assert.deepEqual(oci[0]?.names, ['docker.io/library/x:1']);
  // a config that does not match its name
  fs.writeFileSync(path.join(out, 'blobs/sha256', cfg.digest.slice(7)), Buffer.concat([config, Buffer.from(' ')]));
  await rejects(readArchive(out), /digest mismatch/);
});
