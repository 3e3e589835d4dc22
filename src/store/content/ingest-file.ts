// The file a blob is written into while it is ingested (tmp/ingest-*). A download arrives in
// socket-sized chunks (64 KiB); fs.WriteStream writes each one as it comes, one thread-pool round
// trip per chunk (~2200 for the pull bench's 143 MB), and those round trips were the largest item
// of the main thread's CPU during a pull. This stream keeps the chunks it is given (no copy) and
// writes them with one writev(2) per BATCH bytes, then fsyncs before it closes. Keeping a chunk
// after its write callback is safe for what the store is given: a Readable's chunks, which their
// producer must not change once pushed (a Readable may buffer them for as long as it likes).
import fs from 'node:fs';
import { Writable } from 'node:stream';

/** bytes collected before a writev */
export const BATCH = 1024 * 1024;

type Callback = (err?: Error | null) => void;

export class IngestFile extends Writable {
  readonly path: string;
  readonly mode: number;
  /** bytes written to the file so far */
  bytesWritten = 0;
  #fd: number | undefined;
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  /** Creates `path` (which must not exist) with `mode`. */
  constructor(path: string, mode = 0o644) {
    super({ highWaterMark: BATCH });
    this.path = path;
    this.mode = mode;
  }

  override _construct(cb: Callback): void {
    fs.open(this.path, 'wx', this.mode, (err, fd) => {
      if (!err) this.#fd = fd;
      cb(err);
    });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: Callback): void {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes >= BATCH) this.#flush(cb);
    else cb();
  }

  override _final(cb: Callback): void {
    this.#flush((err) => {
      if (err) cb(err);
      else fs.fsync(this.#fd as number, (e) => cb(e));
    });
  }

  override _destroy(err: Error | null, cb: Callback): void {
    this.#pending = [];
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd === undefined) cb(err);
    else fs.close(fd, (e) => cb(err ?? e));
  }

  /** Write what is pending (all of it: a short write continues where it stopped). */
  #flush(cb: Callback): void {
    let bufs = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    const next = (): void => {
      if (bufs.length === 0) {
        cb();
        return;
      }
      fs.writev(this.#fd as number, bufs, (err, n) => {
        if (err) {
          cb(err);
          return;
        }
        this.bytesWritten += n;
        bufs = rest(bufs, n);
        next();
      });
    };
    next();
  }
}

/** What remains of `bufs` after its first `n` bytes (what a short writev left). */
export function rest(bufs: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < bufs.length && n >= (bufs[i] as Buffer).length) n -= (bufs[i++] as Buffer).length;
  const out = bufs.slice(i);
  if (n > 0 && out.length > 0) out[0] = (out[0] as Buffer).subarray(n);
  return out;
}
