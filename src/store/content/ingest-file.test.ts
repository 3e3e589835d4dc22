import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BATCH, IngestFile, rest } from './ingest-file.js';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'berth-ingest-'));
}

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

test('IngestFile: socket-sized chunks end up in the file in order, batched or not', async () => {
  const dir = tmpDir();
  try {
    // 2.5 batches of 64 KiB chunks, a few odd sizes, and an empty chunk
    const chunks = [...Array.from({ length: Math.ceil((BATCH * 2.5) / 65536) }, () => randomBytes(65536)), randomBytes(7), Buffer.alloc(0), randomBytes(1000)];
    const f = new IngestFile(path.join(dir, 'blob'), 0o640);
    await pipeline(Readable.from(chunks), f);
    const want = Buffer.concat(chunks);
    assert.equal(f.bytesWritten, want.length);
    assert.ok(fs.readFileSync(path.join(dir, 'blob')).equals(want));
    assert.equal(fs.statSync(path.join(dir, 'blob')).mode & 0o777, 0o640);
    // smaller than one batch: written at the end
    const small = new IngestFile(path.join(dir, 'small'));
    await pipeline(Readable.from([Buffer.from('abc')]), small);
    assert.equal(fs.readFileSync(path.join(dir, 'small'), 'utf8'), 'abc');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('IngestFile: an existing file is an error (EEXIST), left as it was; no descriptor leaks', async () => {
  const dir = tmpDir();
  try {
    const p = path.join(dir, 'taken');
    fs.writeFileSync(p, 'keep');
    const before = openFds();
    await assert.rejects(pipeline(Readable.from([Buffer.from('x')]), new IngestFile(p)), (e: NodeJS.ErrnoException) => e.code === 'EEXIST');
    assert.equal(fs.readFileSync(p, 'utf8'), 'keep');
    assert.equal(openFds(), before);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('IngestFile: a source that fails midway closes the file (what was batched may be missing)', async () => {
  const dir = tmpDir();
  try {
    const before = openFds();
    const f = new IngestFile(path.join(dir, 'partial'));
    const source = Readable.from(
      (async function* () {
        yield randomBytes(BATCH + 10);
        yield randomBytes(100);
        throw new Error('connection reset');
      })(),
    );
    await assert.rejects(pipeline(source, f), /connection reset/);
    await new Promise((r) => setImmediate(r));
    assert.ok(f.destroyed);
    assert.equal(openFds(), before);
    assert.ok(fs.statSync(path.join(dir, 'partial')).size <= BATCH + 110);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('rest: what a short writev leaves, from any byte count', () => {
  const bufs = [Buffer.from('abc'), Buffer.from('de'), Buffer.from('fgh')];
  const all = 'abcdefgh';
  for (let n = 0; n <= all.length; n++) assert.equal(Buffer.concat(rest(bufs, n)).toString(), all.slice(n));
  assert.deepEqual(rest(bufs, 8), []);
});
