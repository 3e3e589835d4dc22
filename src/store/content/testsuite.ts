// Conformance suite for ContentStore implementations (after containerd's core/content/testsuite).
// Each implementation's test file calls contentStoreSuite() with a factory.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { isCanceled, isInvalidArgument, isNotFound, kindOf } from '../../errdefs/index.js';
import { sha256, type Digest } from '../../oci/digest.js';
import type { ContentStore } from './types.js';

export interface ContentStoreFixture {
  store: ContentStore;
  /** Leftover in-progress ingests (must be empty after every write, failed or not). */
  pendingIngests(): Promise<string[]>;
  cleanup(): Promise<void>;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function chunked(buf: Buffer, size: number): Readable {
  return Readable.from((function* () {
    for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
  })());
}

export function contentStoreSuite(name: string, make: () => Promise<ContentStoreFixture>): void {
  describe(`ContentStore conformance: ${name}`, () => {
    async function withStore(fn: (f: ContentStoreFixture) => Promise<void>): Promise<void> {
      const f = await make();
      try {
        await fn(f);
      } finally {
        await f.cleanup();
      }
    }

    test('write, info, read, readBytes', () =>
      withStore(async ({ store, pendingIngests }) => {
        const data = Buffer.from('{"hello":"world"}');
        const want = sha256(data);
        assert.equal(await store.info(want), undefined);
        const info = await store.write(Readable.from([data]));
        assert.deepEqual(info, { digest: want, size: data.length });
        assert.deepEqual(await store.info(want), info);
        assert.equal(await text(store.read(want)), data.toString());
        assert.deepEqual(await store.readBytes(want), data);
        assert.ok(store.path(want).endsWith(want.slice(7)));
        assert.deepEqual(await pendingIngests(), []);
      }));

    test('write verifies the expected digest and size', () =>
      withStore(async ({ store }) => {
        const data = Buffer.from('layer bytes');
        const d = sha256(data);
        assert.deepEqual(await store.write(Readable.from([data]), { digest: d, size: data.length }), { digest: d, size: data.length });
        const wb = await store.writeBytes('other', { digest: sha256('other') });
        assert.equal(wb.digest, sha256('other'));
      }));

    test('a digest mismatch leaves nothing behind', () =>
      withStore(async ({ store, pendingIngests }) => {
        const data = Buffer.from('actual bytes');
        const claimed = sha256('claimed bytes');
        await assert.rejects(store.write(Readable.from([data]), { digest: claimed }), (err: unknown) => {
          assert.ok(isInvalidArgument(err));
          assert.equal((err as Error).message, `digest mismatch: expected ${claimed}, got ${sha256(data)}`);
          return true;
        });
        assert.equal(await store.info(claimed), undefined);
        assert.equal(await store.info(sha256(data)), undefined);
        assert.deepEqual(await collect(store.list()), []);
        assert.deepEqual(await pendingIngests(), []);
      }));

    test('a size mismatch leaves nothing behind', () =>
      withStore(async ({ store, pendingIngests }) => {
        const data = Buffer.from('12345');
        await assert.rejects(store.write(Readable.from([data]), { size: 4 }), (err: unknown) => isInvalidArgument(err) && /size mismatch/.test((err as Error).message));
        await assert.rejects(store.write(Readable.from([data]), { digest: sha256(data), size: 6 }), isInvalidArgument);
        assert.equal(await store.info(sha256(data)), undefined);
        assert.deepEqual(await pendingIngests(), []);
      }));

    test('a digest hashed upstream is used, and checked against the bytes received', () =>
      withStore(async ({ store, pendingIngests }) => {
        const data = Buffer.from('hashed by the caller');
        const d = sha256(data);
        const whole = { result: { digest: d, size: data.length } };
        assert.deepEqual(await store.write(chunked(data, 4), { digest: d, size: data.length }, undefined, { hashed: whole }), { digest: d, size: data.length });
        assert.deepEqual(await store.readBytes(d), data);
        await store.delete(d);
        // a wrong upstream digest, a stream that never finished, a short source: nothing stored
        const wrong = sha256('something else');
        await assert.rejects(store.write(Readable.from([data]), { digest: wrong }, undefined, { hashed: whole }), (e: unknown) => isInvalidArgument(e) && /digest mismatch/.test((e as Error).message));
        await assert.rejects(store.write(Readable.from([data]), { digest: d }, undefined, { hashed: { result: undefined } }), (e: unknown) => isInvalidArgument(e) && /size mismatch/.test((e as Error).message));
        await assert.rejects(store.write(Readable.from([data.subarray(0, 5)]), { digest: d }, undefined, { hashed: whole }), (e: unknown) => isInvalidArgument(e) && /size mismatch/.test((e as Error).message));
        await assert.rejects(store.write(Readable.from([data.subarray(0, 5)]), {}, undefined, { hashed: whole }), isInvalidArgument);
        assert.deepEqual(await collect(store.list()), []);
        assert.deepEqual(await pendingIngests(), []);
      }));

    test('a failing source leaves nothing behind', () =>
      withStore(async ({ store, pendingIngests }) => {
        const src = new Readable({ read() {} });
        src.push(Buffer.alloc(1000, 1));
        setTimeout(() => src.destroy(new Error('connection reset')), 5);
        await assert.rejects(store.write(src), /connection reset/);
        assert.deepEqual(await collect(store.list()), []);
        assert.deepEqual(await pendingIngests(), []);
      }));

    test('a source that fails at once (before the ingest file is open) leaves nothing behind', () =>
      withStore(async ({ store, pendingIngests }) => {
        for (let i = 0; i < 20; i++) {
          // already destroyed, and destroyed on the first read: both fail before any open completes
          const dead = new Readable({ read() {} });
          dead.destroy(new Error('connection refused'));
          await assert.rejects(store.write(dead), /connection refused/);
          const failing = new Readable({
            read() {
              this.destroy(new Error('connection reset'));
            },
          });
          await assert.rejects(store.write(failing, { digest: sha256('x'), size: 1 }), /connection reset/);
          const ac = new AbortController();
          ac.abort();
          await assert.rejects(store.write(Readable.from([Buffer.from('x')]), {}, ac.signal), (err: unknown) => isCanceled(err) || (err as Error).name === 'AbortError');
          assert.deepEqual(await pendingIngests(), [], `round ${i}`);
        }
        assert.deepEqual(await collect(store.list()), []);
      }));

    test('an aborted write is canceled and leaves nothing behind', () =>
      withStore(async ({ store, pendingIngests }) => {
        const ac = new AbortController();
        const src = new Readable({ read() {} });
        src.push(Buffer.alloc(1000, 2));
        setTimeout(() => ac.abort(), 5);
        await assert.rejects(store.write(src, {}, ac.signal), (err: unknown) => isCanceled(err));
        assert.deepEqual(await collect(store.list()), []);
        assert.deepEqual(await pendingIngests(), []);
      }));

    test('concurrent writes of the same digest are safe', () =>
      withStore(async ({ store, pendingIngests }) => {
        const data = Buffer.alloc(3 * 1024 * 1024 + 17);
        for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
        const d = sha256(data);
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.write(chunked(data, 4096 + i * 100), i % 2 ? { digest: d } : {})));
        for (const r of results) assert.deepEqual(r, { digest: d, size: data.length });
        assert.deepEqual(await collect(store.list()), [{ digest: d, size: data.length }]);
        assert.equal(sha256(await store.readBytes(d)), d);
        assert.deepEqual(await pendingIngests(), []);
      }));

    test('writing a blob that is present drains the source', () =>
      withStore(async ({ store }) => {
        const data = Buffer.from('present');
        const d = sha256(data);
        await store.writeBytes(data);
        let consumed = false;
        const src = Readable.from((async function* () {
          yield data;
          consumed = true;
        })());
        assert.deepEqual(await store.write(src, { digest: d }), { digest: d, size: data.length });
        assert.ok(consumed);
      }));

    test('range reads (end inclusive)', () =>
      withStore(async ({ store }) => {
        const { digest } = await store.writeBytes('0123456789');
        assert.equal(await text(store.read(digest, { start: 3 })), '3456789');
        assert.equal(await text(store.read(digest, { start: 2, end: 4 })), '234');
        assert.equal(await text(store.read(digest, { start: 0, end: 0 })), '0');
      }));

    test('absent blobs are not-found; readBytes enforces its limit', () =>
      withStore(async ({ store }) => {
        const absent = sha256('absent');
        assert.throws(() => store.read(absent), (e: unknown) => isNotFound(e));
        await assert.rejects(store.readBytes(absent), (e: unknown) => isNotFound(e));
        await assert.rejects(store.delete(absent), (e: unknown) => isNotFound(e));
        const { digest } = await store.writeBytes(Buffer.alloc(2048));
        await assert.rejects(store.readBytes(digest, 1024), (e: unknown) => kindOf(e) === 'invalid-argument' && /too large/.test((e as Error).message));
        assert.equal((await store.readBytes(digest, 2048)).length, 2048);
      }));

    test('invalid digests are refused', () =>
      withStore(async ({ store }) => {
        await assert.rejects(store.info('sha256:xyz' as Digest), isInvalidArgument);
        await assert.rejects(store.write(Readable.from([Buffer.from('x')]), { digest: 'md5:abc' as Digest }), isInvalidArgument);
        assert.throws(() => store.path('../../etc/passwd' as Digest), isInvalidArgument);
      }));

    test('delete and list', () =>
      withStore(async ({ store }) => {
        const a = await store.writeBytes('a');
        const b = await store.writeBytes('b');
        const c = await store.writeBytes('cc');
        const listed = await collect(store.list());
        assert.deepEqual(listed.map((x) => x.digest).sort(), [a.digest, b.digest, c.digest].sort());
        await store.delete(b.digest);
        assert.equal(await store.info(b.digest), undefined);
        assert.deepEqual((await collect(store.list())).map((x) => x.digest).sort(), [a.digest, c.digest].sort());
      }));

    test('a large blob streams through', () =>
      withStore(async ({ store }) => {
        const chunk = Buffer.alloc(1024 * 1024, 0x5a);
        const n = 32;
        const src = Readable.from((function* () {
          for (let i = 0; i < n; i++) yield chunk;
        })());
        const info = await store.write(src);
        assert.equal(info.size, n * chunk.length);
        let total = 0;
        for await (const c of store.read(info.digest)) total += (c as Buffer).length;
        assert.equal(total, info.size);
      }));
  });
}
