// LocalContentStore: blobs as files under <dataRoot>/content/sha256/<hex>. Bytes are hashed while
// they are written to <dataRoot>/tmp/ingest-*, fsynced, verified and renamed into place, so a blob
// is visible under a name only once its digest was checked (containerd's local store, simplified).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { dataLoss, errnoCode, invalidArgument, notFound } from '../../errdefs/index.js';
import { DigestStream, digestHex, isDigest, parseDigest, sha256 } from '../../oci/digest.js';
import { IngestFile } from './ingest-file.js';
import type { BlobInfo, ContentStore, Digest, UpstreamDigest } from './types.js';

export const DEFAULT_READ_LIMIT = 16 * 1024 * 1024;
const INGEST_PREFIX = 'ingest-';

export class LocalContentStore implements ContentStore {
  readonly root: string;
  readonly #blobDir: string;
  readonly #tmpDir: string;

  /** `dataRoot` is the daemon's data root; the store uses content/ and tmp/ below it. */
  constructor(dataRoot: string) {
    this.root = dataRoot;
    this.#blobDir = path.join(dataRoot, 'content', 'sha256');
    this.#tmpDir = path.join(dataRoot, 'tmp');
    fs.mkdirSync(this.#blobDir, { recursive: true, mode: 0o700 });
    fs.mkdirSync(this.#tmpDir, { recursive: true, mode: 0o700 });
  }

  path(digest: Digest): string {
    return path.join(this.#blobDir, digestHex(checkDigest(digest)));
  }

  async info(digest: Digest): Promise<BlobInfo | undefined> {
    try {
      const st = await fsp.stat(this.path(digest));
      return { digest, size: st.size };
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  read(digest: Digest, range?: { start: number; end?: number }): Readable {
    const p = this.path(digest);
    let fd: number;
    try {
      fd = fs.openSync(p, 'r');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw notFound(`content digest ${digest}: not found`);
      throw err;
    }
    if (range && (range.start < 0 || (range.end !== undefined && range.end < range.start))) {
      fs.closeSync(fd);
      throw invalidArgument(`invalid range ${range.start}-${range.end ?? ''} for ${digest}`);
    }
    const opts: { fd: number; start?: number; end?: number } = { fd };
    if (range) {
      opts.start = range.start;
      if (range.end !== undefined) opts.end = range.end;
    }
    return fs.createReadStream(p, opts);
  }

  async readBytes(digest: Digest, limit = DEFAULT_READ_LIMIT): Promise<Buffer> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(this.path(digest), 'r');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw notFound(`content digest ${digest}: not found`);
      throw err;
    }
    try {
      const st = await fh.stat();
      if (st.size > limit) throw invalidArgument(`content ${digest} is too large: ${st.size} bytes, limit ${limit}`);
      const buf = await fh.readFile();
      const got = sha256(buf);
      if (got !== digest) throw dataLoss(`content ${digest} is corrupt: its bytes hash to ${got}`);
      return buf;
    } finally {
      await fh.close();
    }
  }

  async write(source: Readable, expected: { digest?: Digest; size?: number } = {}, signal?: AbortSignal, opts: { hashed?: UpstreamDigest } = {}): Promise<BlobInfo> {
    if (expected.digest !== undefined) {
      checkDigest(expected.digest);
      const have = await this.info(expected.digest);
      if (have && (expected.size === undefined || expected.size === have.size)) {
        // Already committed (by an earlier or a concurrent write): drain the source, store nothing.
        await pipeline(source, new DiscardStream(), signal ? { signal } : {});
        return have;
      }
    }
    const tmp = path.join(this.#tmpDir, `${INGEST_PREFIX}${randomBytes(12).toString('hex')}`);
    const { hashed } = opts;
    // hashed upstream: the bytes are only counted (the file stream counts what it wrote)
    const hasher = hashed ? undefined : new DigestStream();
    // fsynced before close, so the rename below never publishes unsynced bytes
    const out = new IngestFile(tmp, 0o644);
    try {
      await (hasher ? pipeline(source, hasher, out, signal ? { signal } : {}) : pipeline(source, out, signal ? { signal } : {}));
      let got: Digest;
      let size: number;
      if (hasher) {
        got = hasher.digest();
        size = hasher.size;
      } else {
        size = out.bytesWritten;
        const r = hashed?.result;
        // the source ended before the stream that was hashed did, or short of it
        if (r === undefined || r.size !== size) throw invalidArgument(`size mismatch: got ${size} bytes${r ? ` of ${r.size}` : ' of an unfinished stream'}${expected.digest ? ` (${expected.digest})` : ''}`);
        got = r.digest;
      }
      if (expected.size !== undefined && size !== expected.size) {
        throw invalidArgument(`size mismatch: expected ${expected.size} bytes, got ${size}${expected.digest ? ` (${expected.digest})` : ''}`);
      }
      if (expected.digest !== undefined && got !== expected.digest) {
        throw invalidArgument(`digest mismatch: expected ${expected.digest}, got ${got}`);
      }
      const target = this.path(got);
      // rename is atomic: a concurrent writer of the same digest either wins or is replaced by
      // identical bytes; readers never see a partial file.
      await fsp.rename(tmp, target);
      await syncDir(this.#blobDir);
      return { digest: got, size };
    } catch (err) {
      // The temp file is opened asynchronously: when the source fails (or the signal fires) before
      // that open completed, removing it now would run before it exists and the open would then
      // leave it behind. Wait until the stream has closed its file (or given up opening it).
      await closed(out);
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  }

  async writeBytes(bytes: Buffer | string, expected: { digest?: Digest } = {}): Promise<BlobInfo> {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    return this.write(Readable.from([buf]), expected.digest !== undefined ? { digest: expected.digest, size: buf.length } : { size: buf.length });
  }

  async delete(digest: Digest): Promise<void> {
    try {
      await fsp.unlink(this.path(digest));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw notFound(`content digest ${digest}: not found`);
      throw err;
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    const names = await fsp.readdir(this.#blobDir);
    names.sort();
    for (const name of names) {
      const digest = `sha256:${name}`;
      if (!isDigest(digest)) continue;
      try {
        const st = await fsp.stat(path.join(this.#blobDir, name));
        if (st.isFile()) yield { digest, size: st.size };
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err; // deleted while listing
      }
    }
  }

  /**
   * Start-up recovery: remove interrupted ingests (tmp/ingest-*). Call before the daemon accepts
   * requests. Returns the paths removed.
   */
  async cleanupTemp(): Promise<string[]> {
    const removed: string[] = [];
    for (const name of await fsp.readdir(this.#tmpDir)) {
      if (!name.startsWith(INGEST_PREFIX)) continue;
      const p = path.join(this.#tmpDir, name);
      await fsp.rm(p, { recursive: true, force: true });
      removed.push(p);
    }
    return removed;
  }
}

/** Resolves once a file stream has released its descriptor (or will never open one). */
function closed(s: IngestFile): Promise<void> {
  if (s.closed) return Promise.resolve();
  if (!s.destroyed) s.destroy();
  return new Promise((resolve) => s.once('close', () => resolve()));
}

function checkDigest(d: string): Digest {
  return isDigest(d) ? d : parseDigest(d);
}

async function syncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A Writable that throws the bytes away (drains a source we do not need). */
class DiscardStream extends Writable {
  override _write(_chunk: unknown, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    cb();
  }
}
