// Docker's stdcopy framing for non-TTY attach/logs/exec streams: an 8-byte header per frame
// ([stream, 0, 0, 0, size as uint32 big-endian]) followed by `size` payload bytes.
import type { Writable } from 'node:stream';
import { BerthError } from '../errdefs/index.js';

export const STREAM_STDIN = 0;
export const STREAM_STDOUT = 1;
export const STREAM_STDERR = 2;
export const STREAM_SYSTEMERR = 3;

export interface Frame {
  stream: number;
  payload: Buffer;
}

/** Incremental demultiplexer: feed it chunks as they arrive, take whole frames out. */
export class StdcopyDemuxer {
  #buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const frames: Frame[] = [];
    while (this.#buf.length >= 8) {
      const stream = this.#buf[0] ?? 0;
      if (stream > STREAM_SYSTEMERR) throw new BerthError('data-loss', `Unrecognized input header: ${stream}`);
      const size = this.#buf.readUInt32BE(4);
      if (this.#buf.length < 8 + size) break;
      frames.push({ stream, payload: this.#buf.subarray(8, 8 + size) });
      this.#buf = this.#buf.subarray(8 + size);
    }
    return frames;
  }

  /** Bytes of an incomplete frame still held. */
  get pending(): number {
    return this.#buf.length;
  }
}

/** Encode one frame (for tests and for servers). */
export function encodeFrame(stream: number, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

async function writeTo(w: Writable, data: Buffer): Promise<void> {
  if (!w.write(data)) await new Promise<void>((resolve) => w.once('drain', resolve));
}

/**
 * Copy a multiplexed stream to stdout and stderr (docker's stdcopy.StdCopy). A system-error
 * frame ends the copy with that message as an error.
 */
export async function demuxStream(src: AsyncIterable<Buffer | string>, stdout: Writable, stderr: Writable): Promise<void> {
  const d = new StdcopyDemuxer();
  for await (const chunk of src) {
    for (const f of d.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) {
      if (f.stream === STREAM_SYSTEMERR) throw new BerthError('system', f.payload.toString('utf8'));
      await writeTo(f.stream === STREAM_STDERR ? stderr : stdout, f.payload);
    }
  }
}

/** Copy a raw (TTY) stream to stdout. */
export async function copyRaw(src: AsyncIterable<Buffer | string>, stdout: Writable): Promise<void> {
  for await (const chunk of src) await writeTo(stdout, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
}
