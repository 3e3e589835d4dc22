// Compression detection by magic bytes (moby's archive.DetectCompression) and a decompressing
// stream that sniffs its input first, as `docker load` and `docker import` accept .tar, .tar.gz,
// .tar.zst.
import fs from 'node:fs/promises';
import zlib from 'node:zlib';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidArgument } from '../../errdefs/index.js';

export type Compression = 'none' | 'gzip' | 'zstd' | 'bzip2' | 'xz';

export function detectCompression(head: Uint8Array): Compression {
  const starts = (magic: number[]): boolean => magic.every((b, i) => head[i] === b);
  if (starts([0x1f, 0x8b, 0x08])) return 'gzip';
  if (starts([0x28, 0xb5, 0x2f, 0xfd])) return 'zstd';
  if (starts([0x42, 0x5a, 0x68])) return 'bzip2';
  if (starts([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  return 'none';
}

/** The compression of a file, from its first bytes. */
export async function fileCompression(file: string): Promise<Compression> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(8);
    const { bytesRead } = await fh.read(buf, 0, 8, 0);
    return detectCompression(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** Read up to n bytes from the front of a stream and put them back. */
export async function peek(src: Readable, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let len = 0;
  while (len < n) {
    const chunk = src.read() as Buffer | string | null;
    if (chunk !== null) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(b);
      len += b.length;
      continue;
    }
    if (src.readableEnded || src.destroyed) break;
    const ended = await new Promise<boolean>((resolve, reject) => {
      const done = (v: boolean) => () => {
        src.off('readable', onReadable);
        src.off('end', onEnd);
        src.off('error', onError);
        resolve(v);
      };
      const onReadable = done(false);
      const onEnd = done(true);
      const onError = (e: Error): void => {
        src.off('readable', onReadable);
        src.off('end', onEnd);
        reject(e);
      };
      src.once('readable', onReadable);
      src.once('end', onEnd);
      src.once('error', onError);
    });
    if (ended) break;
  }
  const head = Buffer.concat(chunks);
  if (head.length > 0) src.unshift(head);
  return head.subarray(0, n);
}

/**
 * The decompressed bytes of `src` (gzip and zstd; plain tar passes through). bzip2 and xz are
 * refused with an invalid-argument error, as nothing here can read them.
 */
export async function decompressed(src: Readable): Promise<{ stream: Readable; compression: Compression }> {
  const head = await peek(src, 8);
  const compression = detectCompression(head);
  switch (compression) {
    case 'none': {
      return { stream: src, compression };
    }
    case 'gzip':
    case 'zstd': {
      const z = compression === 'gzip' ? zlib.createGunzip() : zlib.createZstdDecompress();
      // z is the consumer's stream: an error on either side surfaces there (see decompressError).
      pipeline(src, z).catch(() => undefined);
      return { stream: z, compression };
    }
    default:
      throw invalidArgument(`unsupported compression format ${compression}`);
  }
}

/**
 * zlib's errors as invalid-argument errors worded as Docker's (Go's compress/gzip: "unexpected
 * EOF", "gzip: invalid header"); anything else is returned unchanged.
 */
export function decompressError(e: unknown): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('Z_') && !code.startsWith('ERR_ZSTD') && code !== 'ERR__ZSTD') return e;
  const msg = (e as Error).message;
  if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(msg)) return invalidArgument('unexpected EOF', { cause: e });
  return invalidArgument(`invalid compressed data: ${msg}`, { cause: e });
}
