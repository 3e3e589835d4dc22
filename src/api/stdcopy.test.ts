import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { frame, frameHeader, StdDemuxer, StdWriter, STDERR, STDOUT, MAX_FRAME } from './stdcopy.js';

test('frame header: stream byte, three zero bytes, big-endian length', () => {
  assert.deepEqual([...frameHeader(STDERR, 0x01020304)], [2, 0, 0, 0, 1, 2, 3, 4]);
  assert.deepEqual([...frame(STDOUT, Buffer.from('hi'))], [1, 0, 0, 0, 0, 0, 0, 2, 0x68, 0x69]);
});

test('StdWriter multiplexes; the demuxer gets the same chunks back across split reads', async () => {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (d: Buffer) => chunks.push(d));
  const w = new StdWriter(sink, true);
  await w.write(STDOUT, Buffer.from('out\n'));
  await w.write(STDERR, Buffer.from('err\n'));
  await w.write(STDOUT, Buffer.alloc(0)); // empty writes send nothing
  const all = Buffer.concat(chunks);
  assert.equal(all.length, 8 + 4 + 8 + 4);
  const d = new StdDemuxer();
  const frames = [...d.push(all.subarray(0, 5)), ...d.push(all.subarray(5, 13)), ...d.push(all.subarray(13))];
  assert.deepEqual(
    frames.map((f) => [f.stream, f.data.toString()]),
    [
      [1, 'out\n'],
      [2, 'err\n'],
    ],
  );
  assert.equal(d.pending, 0);
});

test('StdWriter raw mode (TTY) writes bytes without headers', async () => {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (d: Buffer) => chunks.push(d));
  const w = new StdWriter(sink, false);
  await w.write(STDERR, Buffer.from('x'));
  assert.equal(Buffer.concat(chunks).toString(), 'x');
});

test('StdWriter waits for drain (backpressure) and splits huge chunks', async () => {
  const seen: Buffer[] = [];
  let release: (() => void) | undefined;
  const slow = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _enc, cb) {
      seen.push(chunk);
      release = cb;
    },
  });
  const w = new StdWriter(slow, true);
  let resolved = false;
  const p = w.write(STDOUT, Buffer.alloc(100, 0x61)).then(() => (resolved = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(resolved, false, 'write waits while the destination is full');
  release?.();
  await p;
  assert.equal(resolved, true);
  assert.equal(seen[0]?.length, 108);

  const big = Buffer.alloc(MAX_FRAME + 10, 0x62);
  const sink = new PassThrough({ highWaterMark: 1 << 24 });
  const out: Buffer[] = [];
  sink.on('data', (d: Buffer) => out.push(d));
  await new StdWriter(sink, true).write(STDOUT, big);
  const frames = new StdDemuxer().push(Buffer.concat(out));
  assert.deepEqual(
    frames.map((f) => f.data.length),
    [MAX_FRAME, 10],
  );
});

test('StdWriter rejects when the destination is gone', async () => {
  const sink = new PassThrough();
  sink.destroy();
  await assert.rejects(new StdWriter(sink, true).write(STDOUT, Buffer.from('x')), /closed/);
  const slow = new Writable({ highWaterMark: 1, write(_c, _e, _cb) { /* never completes */ } });
  const p = new StdWriter(slow, true).write(STDOUT, Buffer.from('abc'));
  slow.destroy();
  await assert.rejects(p, /closed/);
});

test('writeMany: one write of many frames, the same bytes as frame-by-frame', async () => {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (d: Buffer) => chunks.push(d));
  await new StdWriter(sink, true).writeMany([
    { stream: STDOUT, data: Buffer.from('a\n') },
    { stream: STDERR, data: Buffer.from('') },
    { stream: STDERR, data: Buffer.from('b\n') },
  ]);
  assert.equal(chunks.length, 1);
  assert.deepEqual(Buffer.concat(chunks), Buffer.concat([frame(STDOUT, Buffer.from('a\n')), frame(STDERR, Buffer.from('b\n'))]));
  const raw = new PassThrough();
  const rc: Buffer[] = [];
  raw.on('data', (d: Buffer) => rc.push(d));
  await new StdWriter(raw, false).writeMany([{ stream: STDOUT, data: Buffer.from('x') }, { stream: STDERR, data: Buffer.from('y') }]);
  assert.equal(Buffer.concat(rc).toString(), 'xy');
});
