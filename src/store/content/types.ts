// Content store contract (after containerd's core/content): blobs by digest, written through an
// ingest that verifies size and digest before the blob becomes visible under its name.
import type { Readable } from 'node:stream';

/** "sha256:<64 hex>" */
export type Digest = string & { readonly __brand: 'Digest' };

export interface BlobInfo {
  digest: Digest;
  size: number;
}

export interface ContentProvider {
  /** Size and digest, or undefined when absent. */
  info(digest: Digest): Promise<BlobInfo | undefined>;
  /** Stream a blob (optionally a byte range); not-found error when absent. */
  read(digest: Digest, range?: { start: number; end?: number }): Readable;
  /** Whole small blob (manifests, configs) into memory; refuses blobs over `limit` bytes. */
  readBytes(digest: Digest, limit?: number): Promise<Buffer>;
  /** Filesystem path of a committed blob (for tools that need a file). */
  path(digest: Digest): string;
}

export interface ContentIngester {
  /**
   * Stream bytes into the store. The blob is hashed while written to tmp/, fsynced, checked
   * against `expected` (digest and/or size) and renamed into place. A mismatch deletes the temp
   * file and throws invalid-argument; nothing becomes visible. Returns the verified info.
   */
  write(source: Readable, expected?: { digest?: Digest; size?: number }, signal?: AbortSignal): Promise<BlobInfo>;
  writeBytes(bytes: Buffer | string, expected?: { digest?: Digest }): Promise<BlobInfo>;
}

export interface ContentDeleter {
  delete(digest: Digest): Promise<void>;
  list(): AsyncIterable<BlobInfo>;
}

export interface ContentStore extends ContentProvider, ContentIngester, ContentDeleter {}
