// Docker's multiplexed stream framing (moby stdcopy): every chunk of a non-TTY attach, exec
// or logs stream is preceded by an 8-byte header [stream, 0, 0, 0, uint32 BE length].
// A TTY stream is raw bytes with no header. The writer respects backpressure: write()
// resolves once the destination can take more.
import type { Writable } from 'node:stream';

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
/** Docker's "systemErr" stream: an error the daemon reports inside an upgraded stream. */
export const SYSTEMERR = 3;

export type StdStream = typeof STDIN | typeof STDOUT | typeof STDERR | typeof SYSTEMERR;

/** Frames larger than this are split (Docker never sends more than 32 KiB in one frame in practice). */
export const MAX_FRAME = 1 << 20;

export function frameHeader(stream: StdStream, length: number): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(length, 4);
  return h;
}

/** One frame: header and payload in one buffer (a single write keeps frames whole). */
export function frame(stream: StdStream, data: Buffer): Buffer {
  return Buffer.concat([frameHeader(stream, data.length), data]);
}

export function streamNumber(name: 'stdout' | 'stderr'): StdStream {
  return name === 'stderr' ? STDERR : STDOUT;
}

/**
 * Writes stream chunks to a destination, framed (multiplexed) or raw (TTY), awaiting 'drain'
 * when the destination's buffer is full. Rejects once the destination is closed or errored.
 */
export class StdWriter {
  readonly #out: Writable;
  readonly #mux: boolean;

  constructor(out: Writable, mux: boolean) {
    this.#out = out;
    this.#mux = mux;
  }

  get multiplexed(): boolean {
    return this.#mux;
  }

  /** True while the destination can be written to. */
  get writable(): boolean {
    return this.#out.writable && !this.#out.destroyed;
  }

  async write(stream: StdStream, data: Buffer): Promise<void> {
    if (data.length === 0) return;
    if (!this.#mux) {
      await this.#put(data);
      return;
    }
    for (let off = 0; off < data.length; off += MAX_FRAME) {
      const part = data.subarray(off, Math.min(off + MAX_FRAME, data.length));
      await this.#put(frame(stream, part));
    }
  }

  /** Several chunks in one write (one frame each when multiplexed). */
  async writeMany(chunks: readonly { stream: StdStream; data: Buffer }[]): Promise<void> {
    const parts: Buffer[] = [];
    let size = 0;
    for (const c of chunks) {
      if (c.data.length === 0) continue;
      if (this.#mux && c.data.length > MAX_FRAME) {
        if (parts.length) await this.#put(Buffer.concat(parts, size));
        parts.length = 0;
        size = 0;
        await this.write(c.stream, c.data);
        continue;
      }
      if (this.#mux) {
        const h = frameHeader(c.stream, c.data.length);
        parts.push(h);
        size += 8;
      }
      parts.push(c.data);
      size += c.data.length;
    }
    if (parts.length) await this.#put(Buffer.concat(parts, size));
  }

  #put(buf: Buffer): Promise<void> {
    const out = this.#out;
    if (!out.writable || out.destroyed) return Promise.reject(closedError());
    if (out.write(buf)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        out.off('drain', onDrain);
        out.off('close', onClose);
        out.off('error', onError);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = (): void => done();
      const onClose = (): void => done(closedError());
      const onError = (e: Error): void => done(e);
      out.on('drain', onDrain);
      out.on('close', onClose);
      out.on('error', onError);
    });
  }
}

function closedError(): Error {
  const e = new Error('the client closed the stream');
  (e as Error & { code: string }).code = 'ERR_STREAM_DESTROYED';
  return e;
}

/** Decode a multiplexed byte stream into frames (used by tests and the in-process client). */
export class StdDemuxer {
  #buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): { stream: number; data: Buffer }[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const out: { stream: number; data: Buffer }[] = [];
    while (this.#buf.length >= 8) {
      const len = this.#buf.readUInt32BE(4);
      if (this.#buf.length < 8 + len) break;
      out.push({ stream: this.#buf[0] ?? 0, data: this.#buf.subarray(8, 8 + len) });
      this.#buf = this.#buf.subarray(8 + len);
    }
    return out;
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get pending(): number {
    return this.#buf.length;
  }
}
