// Content store contract (after containerd's core/content): blobs by digest, written through an
// ingest that verifies size and digest before the blob becomes visible under its name.
import type { Readable } from 'node:stream';
import type { Digest } from '../../oci/digest.js';

/** "sha256:<64 hex>" (defined in src/oci/digest.ts, re-exported here for existing importers) */
export type { Digest };

export interface BlobInfo {
  digest: Digest;
  size: number;
}

export interface ContentProvider {
  /** Size and digest, or undefined when absent. */
  info(digest: Digest): Promise<BlobInfo | undefined>;
  /**
   * Stream a blob (optionally a byte range; `end` is inclusive, like HTTP Range and
   * fs.createReadStream); throws not-found synchronously when absent.
   */
  read(digest: Digest, range?: { start: number; end?: number }): Readable;
  /**
   * Whole small blob (manifests, configs) into memory, verified against its digest; refuses
   * (invalid-argument) blobs over `limit` bytes (default 16 MiB); not-found when absent.
   */
  readBytes(digest: Digest, limit?: number): Promise<Buffer>;
  /** Filesystem path of a committed blob (for tools that need a file). */
  path(digest: Digest): string;
}

/**
 * The digest of a write's bytes, computed upstream as they streamed by (a pull's verifying
 * stream, which hashes the download anyway): the store then counts the bytes it got instead of
 * hashing them a second time. `result` is the digest and byte count of the whole stream once it
 * has passed, undefined before. The store must receive exactly that stream, in order (a tee
 * does): it accepts the blob only if it got as many bytes as were hashed, so a short source, a
 * stream that has not ended or a digest that does not match fails as usual.
 */
export interface UpstreamDigest {
  readonly result: { digest: Digest; size: number } | undefined;
}

export interface ContentIngester {
  /**
   * Stream bytes into the store. The blob is hashed while written to tmp/, fsynced, checked
   * against `expected` (digest and/or size) and renamed into place. A mismatch deletes the temp
   * file and throws invalid-argument "digest mismatch: expected X, got Y" (or "size mismatch: ...");
   * nothing becomes visible. Writing a digest that is already present is safe (also concurrently):
   * when `expected.digest` is present already, the source is drained without being stored again.
   * Returns the verified info. With `opts.hashed` the bytes are not hashed again (see
   * UpstreamDigest).
   */
  write(source: Readable, expected?: { digest?: Digest; size?: number }, signal?: AbortSignal, opts?: { hashed?: UpstreamDigest }): Promise<BlobInfo>;
  writeBytes(bytes: Buffer | string, expected?: { digest?: Digest }): Promise<BlobInfo>;
}

export interface ContentDeleter {
  /** not-found when absent. */
  delete(digest: Digest): Promise<void>;
  list(): AsyncIterable<BlobInfo>;
}

export interface ContentStore extends ContentProvider, ContentIngester, ContentDeleter {}
