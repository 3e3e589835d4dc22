// The unpack pool: extraction in a worker thread gives what extractLayer gives on the calling
// thread (results, files, errors), paces its source, and cleans up on abort and on worker death.
// Files are owned by the test's own user, so no root is needed (except for the setgid case).
import { after, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { isInvalidArgument, kindOf } from '../../errdefs/index.js';
import { sha256 } from '../../oci/digest.js';
import { extractLayer } from './extract.js';
import { ExtractPool } from './extract-pool.js';
import { makeTar as makeTarAs, type TarEntry as E } from './test-tar.js';

const UID = process.getuid?.() ?? 0;
const GID = process.getgid?.() ?? 0;

/** Entries are owned by the user running the tests unless they say otherwise. */
const makeTar = (entries: readonly E[]): Promise<Buffer> => makeTarAs(entries, { uid: UID, gid: GID });

/** `bytes` in chunks of `size`, as a network download would deliver them. */
function chunked(bytes: Buffer, size = 16 * 1024): Readable {
  return Readable.from((function* () {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  })());
}

const roots: string[] = [];
function tmpRoot(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-pool-'));
  roots.push(d);
  return d;
}
function target(root: string, name: string): string {
  const d = path.join(root, name);
  fs.mkdirSync(d);
  return d;
}

/** Everything under `dir`: name -> type, mode, size, mtime, content or link target. */
function listing(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const p = path.join(dir, r);
      const st = fs.lstatSync(p);
      const what = st.isSymbolicLink() ? `link ${fs.readlinkSync(p)}` : st.isDirectory() ? 'dir' : `file ${sha256(fs.readFileSync(p))} nlink ${st.nlink}`;
      out[r] = `${what} mode ${(st.mode & 0o7777).toString(8)} uid ${st.uid} gid ${st.gid}${st.isDirectory() ? '' : ` mtime ${st.mtime.toISOString()}`}`;
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}

const pool = new ExtractPool({ size: 1, idleMs: 200 });
after(async () => {
  await pool.close();
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

describe('ExtractPool', () => {
  test('same results and files as extractLayer, for gzip, zstd and plain tars, several at once', async () => {
    const root = tmpRoot();
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 9)) & 0xff;
    const layer = await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/conf', body: 'a=1\n', mode: 0o600 },
      { name: 'bin/tool', body: big, mode: 0o755 },
      { name: 'bin/alias', type: 'symlink', linkname: 'tool' },
      { name: 'bin/hard', type: 'link', linkname: 'bin/tool' },
      { name: 'odd/mode', body: 'x', mode: 0o666 },
      ...Array.from({ length: 200 }, (_, i) => ({ name: `many/${i % 7}/f${i}`, body: `file ${i}`.repeat(i) })),
      { name: 'etc/conf', body: 'replaced\n' },
      { name: 'gone/.wh..wh..opq', body: '' },
    ]);
    const inputs = { plain: layer, gzip: zlib.gzipSync(layer), zstd: zlib.zstdCompressSync(layer) };
    const results = await Promise.all(
      Object.entries(inputs).map(async ([kind, bytes]) => {
        const here = await extractLayer(chunked(bytes), target(root, `${kind}-here`));
        const there = await pool.extract(chunked(bytes), target(root, `${kind}-pool`));
        return { kind, here, there };
      }),
    ).catch((err: unknown) => {
      // opaque markers need setfattr on a filesystem with trusted xattrs (root)
      if (UID !== 0) return undefined;
      throw err;
    });
    if (results === undefined) return;
    for (const { kind, here, there } of results) {
      assert.deepEqual(there, here, kind);
      assert.equal(there.diffId, sha256(layer), kind);
      assert.equal(there.compression, kind === 'plain' ? 'none' : kind);
      assert.deepEqual(listing(path.join(root, `${kind}-pool`)), listing(path.join(root, `${kind}-here`)), kind);
    }
    assert.equal(fs.readFileSync(path.join(root, 'gzip-pool', 'etc/conf'), 'utf8'), 'replaced\n');
  });

  test('without opaque markers (no root needed): same files as extractLayer', async () => {
    const root = tmpRoot();
    const layer = await makeTar([{ name: 'a/b', body: 'hello', mode: 0o640 }, { name: 'a/c', type: 'symlink', linkname: 'b' }, { name: 'x', body: Buffer.alloc(700_000, 7) }]);
    const bytes = zlib.gzipSync(layer);
    const here = await extractLayer(chunked(bytes), target(root, 'here'));
    const there = await pool.extract(chunked(bytes, 1000), target(root, 'pool'));
    assert.deepEqual(there, here);
    assert.deepEqual(listing(path.join(root, 'pool')), listing(path.join(root, 'here')));
  });

  test('a tiny source (fewer bytes than a magic number) and an empty one: as extractLayer', async () => {
    const root = tmpRoot();
    await assert.rejects(pool.extract(Readable.from([Buffer.from('ab')]), target(root, 'tiny')), isInvalidArgument);
    // an empty stream is an empty tar
    const here = await extractLayer(Readable.from([]), target(root, 'empty-here'));
    assert.deepEqual(await pool.extract(Readable.from([]), target(root, 'empty-pool')), here);
    assert.equal(here.entries, 0);
  });

  test('a hostile entry fails with extractLayer\'s error, and the source is destroyed', async () => {
    const root = tmpRoot();
    const layer = zlib.gzipSync(await makeTar([{ name: 'ok', body: 'fine' }, { name: '../escape', body: 'pwned' }, { name: 'after', body: Buffer.alloc(2_000_000, 1) }]));
    const here = await extractLayer(chunked(layer), target(root, 'here')).then(
      () => assert.fail('extractLayer accepted a hostile tar'),
      (err: unknown) => err as Error,
    );
    const src = chunked(layer);
    await assert.rejects(pool.extract(src, target(root, 'pool')), (err: unknown) => {
      assert.ok(isInvalidArgument(err));
      assert.equal((err as Error).message, here.message);
      return true;
    });
    assert.ok(src.destroyed);
    assert.ok(!fs.existsSync(path.join(root, 'escape')));
  });

  test('big files (written back early) keep their bytes and metadata; no descriptor is left open, also when a later entry fails', async () => {
    const root = tmpRoot();
    const openFds = (): number => fs.readdirSync('/proc/self/fd').length;
    const big = Array.from({ length: 40 }, (_, i) => ({ name: `big-${i}`, body: randomBytes(1_100_000 + i), mode: 0o750 }));
    const layer = zlib.gzipSync(await makeTar([...big, { name: 'small', body: 'x' }]));
    const before = openFds();
    const here = target(root, 'here');
    const there = target(root, 'there');
    const a = await extractLayer(chunked(layer, 256 * 1024), here);
    const b = await pool.extract(chunked(layer, 256 * 1024), there);
    assert.deepEqual(b, a);
    assert.deepEqual(listing(there), listing(here));
    assert.equal(fs.statSync(path.join(there, 'big-39')).mode & 0o777, 0o750);
    assert.equal(openFds(), before);
    const hostile = zlib.gzipSync(await makeTar([...big, { name: '../escape', body: 'pwned' }]));
    await assert.rejects(extractLayer(chunked(hostile, 256 * 1024), target(root, 'here-bad')), isInvalidArgument);
    await assert.rejects(pool.extract(chunked(hostile, 256 * 1024), target(root, 'there-bad')), isInvalidArgument);
    assert.equal(openFds(), before);
  });

  test('corrupt gzip and truncated tars are invalid-argument', async () => {
    const root = tmpRoot();
    const body = randomBytes(100_000);
    const layer = await makeTar([{ name: 'f', body }]);
    const gz = zlib.gzipSync(layer);
    const bad = Buffer.from(gz);
    bad.fill(0x55, 100, 2000);
    await assert.rejects(pool.extract(chunked(bad), target(root, 'corrupt')), isInvalidArgument);
    await assert.rejects(pool.extract(chunked(gz.subarray(0, gz.length - 100)), target(root, 'truncated-gz')), isInvalidArgument);
    await assert.rejects(pool.extract(chunked(layer.subarray(0, 5000)), target(root, 'truncated-tar')), isInvalidArgument);
  });

  test('a failing source fails the extraction with its error, once the worker has stopped', async () => {
    const root = tmpRoot();
    const layer = zlib.gzipSync(await makeTar([{ name: 'big', body: Buffer.alloc(4_000_000, 9) }]));
    const boom = new Error('the download broke');
    const src = Readable.from((async function* () {
      yield layer.subarray(0, 100_000);
      await new Promise((r) => setTimeout(r, 20));
      throw boom;
    })());
    const dir = target(root, 'broken');
    await assert.rejects(pool.extract(src, dir), (err: unknown) => err === boom);
    // nothing writes there any more: it can be removed for good
    fs.rmSync(dir, { recursive: true });
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!fs.existsSync(dir));
  });

  test('abort: an AbortError (canceled) once the worker has stopped; the source is destroyed', async () => {
    const root = tmpRoot();
    const layer = zlib.gzipSync(await makeTar(Array.from({ length: 50 }, (_, i) => ({ name: `d/f${i}`, body: Buffer.alloc(100_000, i) }))));
    let sent = 0;
    const src = new Readable({
      read() {
        // trickle: half the layer, then nothing more until aborted
        if (sent < layer.length / 2) {
          const c = layer.subarray(sent, sent + 64 * 1024);
          sent += c.length;
          setTimeout(() => this.push(c), 1);
        }
      },
    });
    const ac = new AbortController();
    const dir = target(root, 'aborted');
    const running = pool.extract(src, dir, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 150));
    ac.abort(new Error('client went away'));
    await assert.rejects(running, (err: unknown) => {
      assert.equal((err as Error).name, 'AbortError');
      assert.equal(kindOf(err), 'canceled');
      assert.equal(((err as Error).cause as Error).message, 'client went away');
      return true;
    });
    assert.ok(src.destroyed);
    fs.rmSync(dir, { recursive: true });
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!fs.existsSync(dir));
    // an already aborted signal fails at once
    await assert.rejects(pool.extract(chunked(layer), target(root, 'pre-aborted'), { signal: ac.signal }), { name: 'AbortError' });
  });

  test('the source is paced by the worker (a few slots in flight, not the whole layer)', async () => {
    const root = tmpRoot();
    const layer = await makeTar([{ name: 'big', body: Buffer.alloc(40 * 1024 * 1024, 5) }]);
    let read = 0;
    let maxAhead = 0;
    const src = new Readable({
      highWaterMark: 64 * 1024,
      read() {
        if (read >= layer.length) {
          this.push(null);
          return;
        }
        const c = layer.subarray(read, read + 64 * 1024);
        read += c.length;
        this.push(c);
      },
    });
    const dir = target(root, 'paced');
    const file = path.join(dir, 'big');
    const timer = setInterval(() => {
      const written = fs.existsSync(file) ? fs.statSync(file).size : 0;
      maxAhead = Math.max(maxAhead, read - written);
    }, 2);
    await pool.extract(src, dir);
    clearInterval(timer);
    assert.equal(fs.statSync(file).size, 40 * 1024 * 1024);
    // 4 slots of 256 KiB in flight plus stream buffers: far less than the 40 MB layer
    assert.ok(maxAhead < 8 * 1024 * 1024, `read ${maxAhead} bytes ahead of the writes`);
  });

  test('a worker that dies fails its jobs (internal), and the next job gets a new worker', async () => {
    const root = tmpRoot();
    const layer = zlib.gzipSync(await makeTar([{ name: 'f', body: Buffer.alloc(1_000_000, 2) }]));
    const src = new Readable({ read() {} });
    src.push(layer.subarray(0, 1000));
    const running = pool.extract(src, target(root, 'dying'));
    await new Promise((r) => setTimeout(r, 100));
    await pool.close();
    await assert.rejects(running, (err: unknown) => kindOf(err) === 'internal');
    const r = await pool.extract(chunked(layer), target(root, 'after'));
    assert.equal(r.entries, 1);
  });

  test('warm: one worker starts before any job, serves the next one, and stops when idle', async () => {
    const warmPool = new ExtractPool({ size: 1, idleMs: 300 });
    try {
      assert.equal(warmPool.workers, 0);
      warmPool.warm();
      warmPool.warm();
      assert.equal(warmPool.workers, 1);
      const root = tmpRoot();
      const r = await warmPool.extract(chunked(zlib.gzipSync(await makeTar([{ name: 'f', body: 'x' }]))), target(root, 'warm'));
      assert.equal(r.entries, 1);
      assert.equal(warmPool.workers, 1);
      const deadline = Date.now() + 5000;
      while (warmPool.workers > 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
      assert.equal(warmPool.workers, 0);
      const none = new ExtractPool({ size: 0 });
      none.warm();
      assert.equal(none.workers, 0);
    } finally {
      await warmPool.close();
    }
  });

  test('size 0 extracts on the calling thread', async () => {
    const root = tmpRoot();
    const inline = new ExtractPool({ size: 0 });
    const layer = await makeTar([{ name: 'f', body: 'x' }]);
    const r = await inline.extract(chunked(layer), target(root, 'inline'));
    assert.equal(r.diffId, sha256(layer));
  });

  test('setgid and foreign-group directories: files in them get the group of the tar entry', async (t: TestContext) => {
    if (UID !== 0) {
      t.skip('needs root (chown to another group)');
      return;
    }
    const root = tmpRoot();
    const layer = await makeTar([
      { name: 'shared/', type: 'directory', mode: 0o2775, gid: 4242 },
      { name: 'shared/mine', body: 'x', gid: 0 },
      { name: 'shared/sub/deeper', body: 'y', gid: 0 },
      { name: 'shared/link', type: 'symlink', linkname: 'mine', gid: 0 },
      { name: 'plain/mine', body: 'z', gid: 0 },
      { name: 'plain/suid', body: 's', gid: 0, mode: 0o4755 },
      { name: 'other/', type: 'directory', mode: 0o755, gid: 4242 },
      { name: 'other/mine', body: 'o', gid: 0 },
      { name: 'other/theirs', body: 't', gid: 4242 },
      { name: 'plain/open', body: 'o', gid: 0, mode: 0o666 },
    ]);
    const dir = target(root, 'sgid');
    await pool.extract(chunked(layer), dir);
    assert.equal(fs.statSync(path.join(dir, 'shared')).gid, 4242);
    assert.equal(fs.statSync(path.join(dir, 'shared/mine')).gid, 0);
    assert.equal(fs.statSync(path.join(dir, 'shared/sub/deeper')).gid, 0);
    assert.equal(fs.lstatSync(path.join(dir, 'shared/link')).gid, 0);
    assert.equal(fs.statSync(path.join(dir, 'plain/mine')).gid, 0);
    assert.equal(fs.statSync(path.join(dir, 'other/mine')).gid, 0);
    assert.equal(fs.statSync(path.join(dir, 'other/theirs')).gid, 4242);
    // modes the umask would cut, and setuid, are set exactly
    assert.equal(fs.statSync(path.join(dir, 'plain/suid')).mode & 0o7777, 0o4755);
    assert.equal(fs.statSync(path.join(dir, 'plain/open')).mode & 0o7777, 0o666);
  });
});
