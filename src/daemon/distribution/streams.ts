// Byte plumbing of a pull: a verifying passthrough (size and digest of a blob as it streams),
// a tee with backpressure (one download feeding the content store and the unpacker at once), and
// a resumable blob reader (Range requests after a dropped connection).
import { createHash, type Hash } from 'node:crypto';
import { PassThrough, Transform, Writable, type TransformCallback } from 'node:stream';
import { invalidArgument } from '../../errdefs/index.js';
import type { Digest } from '../../oci/digest.js';

/** stream buffer per stage */
const HWM = 256 * 1024;

/** Docker's message when a layer's bytes do not hash to its digest. */
export function verificationError(digest: Digest): Error {
  return invalidArgument(`filesystem layer verification failed for digest ${digest}`);
}

/**
 * Hashes what passes; more bytes than `size` fail at once, a wrong digest or a short blob fails
 * in flush, i.e. before any consumer sees the end of the stream (so nothing gets committed).
 */
export class VerifyStream extends Transform {
  readonly #hash: Hash = createHash('sha256');
  readonly #digest: Digest;
  readonly #size: number | undefined;
  #seen = 0;
  #result: { digest: Digest; size: number } | undefined;
  onBytes: ((n: number) => void) | undefined;

  constructor(digest: Digest, size: number | undefined) {
    super({ highWaterMark: HWM });
    this.#digest = digest;
    this.#size = size;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#size !== undefined && this.#seen > this.#size) {
      cb(verificationError(this.#digest));
      return;
    }
    this.#hash.update(chunk);
    this.onBytes?.(this.#seen);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const got = `sha256:${this.#hash.digest('hex')}` as Digest;
    this.#result = { digest: got, size: this.#seen };
    if (got !== this.#digest || (this.#size !== undefined && this.#seen !== this.#size)) cb(verificationError(this.#digest));
    else cb();
  }

  get bytes(): number {
    return this.#seen;
  }

  /**
   * The digest and size of everything that passed, once it all has (whether or not it matched):
   * the content store's UpstreamDigest, so the blob is not hashed twice.
   */
  get result(): { digest: Digest; size: number } | undefined {
    return this.#result;
  }
}

/**
 * A Writable that copies every chunk to each output, waiting until all have room (the slowest
 * consumer paces the download). An output that fails or closes early fails the tee, and the
 * tee's failure destroys every output, except those marked `endOnError`: they are ended (short),
 * so a consumer that verifies size and digest (the content store) fails by itself after it has
 * closed its files, instead of being torn down while it may still be opening them.
 */
export class Tee extends Writable {
  readonly outputs: PassThrough[];
  readonly #endOnError: boolean[];

  constructor(n: number, endOnError: boolean[] = []) {
    super({ highWaterMark: HWM });
    this.#endOnError = endOnError;
    this.outputs = Array.from({ length: n }, () => new PassThrough({ highWaterMark: HWM }));
    for (const o of this.outputs) {
      o.on('error', (err) => this.destroy(err));
      o.on('close', () => {
        if (!o.writableFinished && !this.destroyed) this.destroy(new Error('a consumer of the layer stream went away'));
      });
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    let waiting = 0;
    const done = (): void => {
      if (--waiting === 0) cb();
    };
    waiting = 1;
    for (const o of this.outputs) {
      if (!o.write(chunk)) {
        waiting++;
        o.once('drain', done);
      }
    }
    done();
  }

  override _final(cb: (err?: Error | null) => void): void {
    for (const o of this.outputs) o.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (err) {
      for (const [i, o] of this.outputs.entries()) {
        if (o.destroyed) continue;
        if (this.#endOnError[i]) {
          if (!o.writableEnded) o.end();
        } else o.destroy(err);
      }
    }
    cb(err);
  }
}
