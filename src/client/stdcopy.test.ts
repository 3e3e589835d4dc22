import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { StdcopyDemuxer, demuxStream, encodeFrame, STREAM_STDERR, STREAM_STDOUT, STREAM_SYSTEMERR } from './stdcopy.js';
import { isDaemonError, kindForStatus, daemonError } from './errors.js';
import { parseHost } from './host.js';
import { encodeQuery } from './transport.js';

test('demuxer splits frames across arbitrary chunk boundaries', () => {
  const all = Buffer.concat([encodeFrame(STREAM_STDOUT, 'hello\n'), encodeFrame(STREAM_STDERR, 'oops\n'), encodeFrame(STREAM_STDOUT, '')]);
  for (let step = 1; step <= all.length; step++) {
    const d = new StdcopyDemuxer();
    const frames = [];
    for (let i = 0; i < all.length; i += step) frames.push(...d.push(all.subarray(i, i + step)));
    assert.deepEqual(frames.map((f) => [f.stream, f.payload.toString()]), [[1, 'hello\n'], [2, 'oops\n'], [1, '']]);
    assert.equal(d.pending, 0);
  }
});

test('demuxer rejects an unknown stream byte', () => {
  const d = new StdcopyDemuxer();
  assert.throws(() => d.push(Buffer.from([9, 0, 0, 0, 0, 0, 0, 1, 65])), /Unrecognized input header: 9/);
});

test('demuxStream routes stdout and stderr; a system error frame fails', async () => {
  const out = new PassThrough();
  const err = new PassThrough();
  const o: Buffer[] = [];
  const e: Buffer[] = [];
  out.on('data', (c: Buffer) => o.push(c));
  err.on('data', (c: Buffer) => e.push(c));
  await demuxStream(Readable.from([encodeFrame(1, 'a'), encodeFrame(2, 'b'), encodeFrame(1, 'c')]), out, err);
  assert.equal(Buffer.concat(o).toString(), 'ac');
  assert.equal(Buffer.concat(e).toString(), 'b');
  await assert.rejects(demuxStream(Readable.from([encodeFrame(STREAM_SYSTEMERR, 'boom')]), out, err), /boom/);
});

test('status codes map back to error kinds; daemon messages are kept', () => {
  assert.equal(kindForStatus(404), 'not-found');
  assert.equal(kindForStatus(409), 'conflict');
  assert.equal(kindForStatus(400), 'invalid-argument');
  assert.equal(kindForStatus(500), 'system');
  const e = daemonError(404, '{"message":"No such image: nope:latest"}');
  assert.equal(e.message, 'No such image: nope:latest');
  assert.equal(e.kind, 'not-found');
  assert.ok(isDaemonError(e));
  assert.equal(daemonError(500, 'plain text\n').message, 'plain text');
});

test('host addresses and query strings', () => {
  assert.deepEqual(parseHost('unix:///run/x.sock'), { kind: 'unix', path: '/run/x.sock', url: 'unix:///run/x.sock' });
  assert.deepEqual(parseHost('tcp://127.0.0.1:2375'), { kind: 'tcp', host: '127.0.0.1', port: 2375, url: 'tcp://127.0.0.1:2375' });
  assert.throws(() => parseHost('ssh://x'), /unsupported protocol: 'ssh'/);
  assert.equal(encodeQuery({ all: true, filters: '{"a":["b"]}', x: undefined, n: 3 }), '?all=1&filters=%7B%22a%22%3A%5B%22b%22%5D%7D&n=3');
});
