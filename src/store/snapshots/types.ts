// Snapshot contract: one unpacked overlayfs layer directory per chain ID, shared by every image
// that has that chain; a container's rootfs is an overlay of a chain plus its own upper dir.
import type { Readable } from 'node:stream';
import type { Digest } from '../content/types.js';

/** sha256 chain ID (OCI image-spec: ChainID(L1..Ln) = sha256(ChainID(L1..Ln-1) + " " + DiffID(Ln))) */
export type ChainId = Digest;

export interface LayerInfo {
  chainId: ChainId;
  diffId: Digest;
  parent: ChainId | undefined;
  /** bytes unpacked on disk */
  size: number;
}

export interface ApplyResult {
  diffId: Digest; // sha256 of the uncompressed tar stream
  size: number;
}

/**
 * A layer unpacked into a temp dir by Snapshotter.prepare, not yet visible under any chain ID.
 * Opaque: only the snapshotter that made it can commit or discard it.
 */
export interface PreparedLayer {
  /** sha256 of the uncompressed tar stream */
  readonly diffId: Digest;
  /** bytes unpacked on disk */
  readonly size: number;
}

export interface PrepareOptions {
  /** must match the computed diff ID, or prepare fails and nothing is kept */
  expectedDiffId?: Digest;
  /**
   * The parent the layer will be committed on (need not exist yet). With `expectedDiffId` it
   * names the chain in advance: a chain that exists already is not unpacked again (the source
   * is drained), and two prepares of one chain at once unpack it once.
   */
  parent?: ChainId | undefined;
  signal?: AbortSignal;
}

export interface Snapshotter {
  get(chainId: ChainId): LayerInfo | undefined;
  /**
   * Unpack a layer tar (plain, gzip or zstd) into a temp dir, safely (see apply), computing its
   * diff ID, without needing its parent: extraction of a layer never reads the layers below it.
   * Layers of one image can be prepared in any order and in parallel, then committed in chain
   * order. A failed prepare leaves nothing behind.
   */
  prepare(tar: Readable, opts?: PrepareOptions): Promise<PreparedLayer>;
  /** A hint that prepares are about to come: start what they need (optional). */
  warmUp?(): void;
  /**
   * Make a prepared layer visible as the child of `parent` (which must be committed), i.e. under
   * childChainId(parent, diffId): synced, renamed into place and recorded in one step. If that
   * chain exists already the prepared copy is dropped and the existing layer returned.
   * Committing the same prepared layer again returns the committed layer.
   */
  commit(parent: ChainId | undefined, prepared: PreparedLayer): Promise<LayerInfo>;
  /** Drop a prepared layer that will not be committed (a no-op after commit or a second discard). */
  discard(prepared: PreparedLayer): Promise<void>;
  /**
   * Unpack an uncompressed (or gzip/zstd: detected) layer tar on top of `parent`, safely (no
   * entry escapes the layer directory; whiteouts converted to overlay form), into a temp dir,
   * then commit it under its chain ID. If the chain already exists the stream is drained and
   * the existing layer returned. The diffId is computed from the bytes; `expectedDiffId`, when
   * given, must match or nothing is committed.
   */
  apply(parent: ChainId | undefined, tar: Readable, opts?: { expectedDiffId?: Digest; signal?: AbortSignal }): Promise<LayerInfo>;
  /** Remove a layer that nothing references (the caller checks references). */
  remove(chainId: ChainId): Promise<void>;
  /** lowerdir list for overlay mounts, topmost first */
  lowerDirs(chainId: ChainId): string[];
  /** Stream the layer back as an OCI tar (whiteouts in .wh. form), for save/push/export. */
  diff(chainId: ChainId): Readable;
  list(): LayerInfo[];
}

/** What the container service needs: a container's rootfs as an overlay of a chain + its own upper dir. */
export interface RootfsMounter {
  /**
   * Create containerDir/{upper,work,merged} and mount overlay on merged (lowerdirs = the chain,
   * topmost first; an image with no layers gets an empty lower dir). Idempotent: an already
   * mounted merged dir is returned as is. Returns the merged dir.
   */
  mountRootfs(chainId: ChainId | undefined, containerDir: string): Promise<string>;
  /** Unmount containerDir/merged (idempotent; falls back to a lazy unmount when busy). */
  unmountRootfs(containerDir: string): Promise<void>;
}
