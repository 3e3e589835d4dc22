import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readLogs, tailOffset } from './reader.js';
import { formatTimestamp } from './k8s-file.js';
import type { LogMessage } from './k8s-file.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-logs-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (): string => path.join(dir, `ctr-${n++}.log`);

const T0 = 1_700_000_000_000_000_000n;
const sec = (s: number): bigint => T0 + BigInt(s) * 1_000_000_000n;
const rec = (s: number, stream: 'stdout' | 'stderr', tag: 'F' | 'P', text: string): string =>
  `${formatTimestamp(sec(s)).replace('Z', '+00:00')} ${stream} ${tag} ${text}\n`;

async function collect(it: AsyncIterable<LogMessage>): Promise<string[]> {
  const out: string[] = [];
  for await (const m of it) out.push(`${m.stream}:${m.line.toString()}`);
  return out;
}

const SAMPLE = [rec(1, 'stdout', 'F', 'one'), rec(2, 'stderr', 'F', 'two'), rec(3, 'stdout', 'P', 'thr'), rec(3, 'stdout', 'F', 'ee'), rec(4, 'stdout', 'F', 'four')].join('');

test('all messages, joined partials, streams apart', async () => {
  const f = file();
  fs.writeFileSync(f, SAMPLE);
  assert.deepEqual(await collect(readLogs(f)), ['stdout:one\n', 'stderr:two\n', 'stdout:three\n', 'stdout:four\n']);
});

test('tail counts messages from the end; 0 gives none; more than there are gives all', async () => {
  const f = file();
  fs.writeFileSync(f, SAMPLE);
  assert.deepEqual(await collect(readLogs(f, { tail: 2 })), ['stdout:three\n', 'stdout:four\n']);
  assert.deepEqual(await collect(readLogs(f, { tail: 1 })), ['stdout:four\n']);
  assert.deepEqual(await collect(readLogs(f, { tail: 3 })), ['stderr:two\n', 'stdout:three\n', 'stdout:four\n']);
  assert.deepEqual(await collect(readLogs(f, { tail: 0 })), []);
  assert.equal((await collect(readLogs(f, { tail: 99 }))).length, 4);
});

test('tail on a large file scans backwards across chunks', async () => {
  const f = file();
  const lines: string[] = [];
  for (let i = 0; i < 5000; i++) lines.push(rec(i, i % 2 ? 'stderr' : 'stdout', 'F', `line ${i} ${'x'.repeat(40)}`));
  fs.writeFileSync(f, lines.join('') + '2023-11-14T22:13:20.000000000+00:00 stdout F incompl'); // last line not finished yet
  const fh = await fsp.open(f, 'r');
  const size = (await fh.stat()).size;
  assert.equal(await tailOffset(fh, size, 5000), 0);
  assert.equal(await tailOffset(fh, size, 6000), 0);
  await fh.close();
  const got = await collect(readLogs(f, { tail: 3 }));
  assert.deepEqual(got.map((l) => l.split(' ')[1]), ['4997', '4998', '4999']);
});

test('since and until filter by time (since inclusive)', async () => {
  const f = file();
  fs.writeFileSync(f, SAMPLE);
  assert.deepEqual(await collect(readLogs(f, { since: sec(2) })), ['stderr:two\n', 'stdout:three\n', 'stdout:four\n']);
  assert.deepEqual(await collect(readLogs(f, { until: sec(2) })), ['stdout:one\n', 'stderr:two\n']);
  assert.deepEqual(await collect(readLogs(f, { since: sec(2), until: sec(3), tail: 3 })), ['stderr:two\n', 'stdout:three\n']);
});

test('a missing file is an empty log unless following', async () => {
  assert.deepEqual(await collect(readLogs(path.join(dir, 'nope.log'))), []);
});

test('follow: new lines, rotation, truncation, the end when the container stops', async () => {
  const f = file();
  fs.writeFileSync(f, rec(1, 'stdout', 'F', 'before'));
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  const got: string[] = [];
  const done = (async () => {
    for await (const m of readLogs(f, { follow: true, stopped, pollMs: 50 })) got.push(m.line.toString().trim());
  })();
  const until = async (k: number): Promise<void> => {
    for (let i = 0; i < 200 && got.length < k; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(got.length >= k, `expected ${k} messages, got ${JSON.stringify(got)}`);
  };
  await until(1);
  fs.appendFileSync(f, rec(2, 'stdout', 'P', 'par'));
  await new Promise((r) => setTimeout(r, 60));
  fs.appendFileSync(f, rec(2, 'stdout', 'F', 'tial') + rec(3, 'stderr', 'F', 'x'));
  await until(3);
  // conmon's rotation: a new file renamed over the path
  fs.writeFileSync(`${f}.tmp`, rec(4, 'stdout', 'F', 'rotated'));
  fs.renameSync(`${f}.tmp`, f);
  await until(4);
  // truncation in place
  fs.truncateSync(f, 0);
  await new Promise((r) => setTimeout(r, 120));
  fs.appendFileSync(f, rec(5, 'stdout', 'F', 'after truncate'));
  await until(5);
  fs.appendFileSync(f, rec(6, 'stdout', 'F', 'last words'));
  stop();
  await done;
  assert.deepEqual(got, ['before', 'partial', 'x', 'rotated', 'after truncate', 'last words']);
});

test('follow waits for the file to appear and stops on abort', async () => {
  const f = file();
  const ctl = new AbortController();
  const got: string[] = [];
  const done = (async () => {
    for await (const m of readLogs(f, { follow: true, signal: ctl.signal, pollMs: 20 })) {
      got.push(m.line.toString());
      ctl.abort();
    }
  })();
  await new Promise((r) => setTimeout(r, 50));
  fs.writeFileSync(f, rec(1, 'stdout', 'F', 'hello'));
  await done;
  assert.deepEqual(got, ['hello\n']);
});

test('follow with until ends when until has passed', async () => {
  const f = file();
  fs.writeFileSync(f, rec(0, 'stdout', 'F', 'old'));
  const until = BigInt(Date.now() + 100) * 1_000_000n;
  const t = Date.now();
  const got = await collect(readLogs(f, { follow: true, until, pollMs: 20 }));
  assert.deepEqual(got, ['stdout:old\n']);
  assert.ok(Date.now() - t < 2000);
});
