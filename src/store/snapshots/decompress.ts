// Layer decompression by magic number: gzip (1f 8b), zstd (28 b5 2f fd) or a plain tar.
import zlib from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';

export type Compression = 'none' | 'gzip' | 'zstd';

/**
 * Output chunk of the decompressor. zlib's default (16 KiB) means one thread-pool round trip and
 * one JS callback per 16 KiB: measured here, inflating a 74 MB layer takes 630 ms with 16 KiB
 * chunks and 200 ms with 256 KiB.
 */
export const DECOMPRESS_CHUNK = 256 * 1024;

export function detectCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/** A decompressing transform for a detected compression. */
export function decompressor(kind: 'gzip' | 'zstd'): zlib.Gunzip | zlib.ZstdDecompress {
  return kind === 'gzip' ? zlib.createGunzip({ chunkSize: DECOMPRESS_CHUNK }) : zlib.createZstdDecompress({ chunkSize: DECOMPRESS_CHUNK });
}

/**
 * A pipeline stage (async generator) that yields the decompressed bytes of its input, detecting
 * the compression from the first bytes. `onDetect` reports what was found.
 */
export function decompressStage(onDetect?: (c: Compression) => void): (src: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  return async function* decompress(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const it = src[Symbol.asyncIterator]();
    let head = Buffer.alloc(0);
    let done = false;
    while (head.length < 4) {
      const r = await it.next();
      if (r.done) {
        done = true;
        break;
      }
      head = head.length === 0 ? Buffer.from(r.value) : Buffer.concat([head, r.value]);
    }
    const kind = detectCompression(head);
    onDetect?.(kind);
    async function* rest(): AsyncGenerator<Buffer> {
      if (head.length > 0) yield head;
      if (done) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    }
    if (kind === 'none') {
      yield* rest();
      return;
    }
    const z = decompressor(kind);
    const feeding = pipeline(Readable.from(rest(), { objectMode: false }), z);
    feeding.catch(() => undefined); // surfaced through z's iteration below, awaited after
    try {
      for await (const chunk of z) yield chunk as Buffer;
    } finally {
      if (!z.destroyed) z.destroy();
    }
    await feeding;
  };
}
