// OverlaySnapshotter: work in progress.
import type { Readable } from 'node:stream';
import { notImplemented } from '../../errdefs/index.js';
import type { MetadataDb } from '../metadata/db.js';
import type { Digest } from '../content/types.js';
import type { ChainId, LayerInfo, RootfsMounter, Snapshotter } from './types.js';

export interface OverlaySnapshotterOptions {
  dataRoot: string;
  db: MetadataDb;
}

export class OverlaySnapshotter implements Snapshotter, RootfsMounter {
  readonly dataRoot: string;
  readonly db: MetadataDb;
  constructor(opts: OverlaySnapshotterOptions) {
    this.dataRoot = opts.dataRoot;
    this.db = opts.db;
  }
  get(_chainId: ChainId): LayerInfo | undefined {
    return undefined;
  }
  apply(_parent: ChainId | undefined, _tar: Readable, _opts?: { expectedDiffId?: Digest; signal?: AbortSignal }): Promise<LayerInfo> {
    return Promise.reject(notImplemented('snapshotter apply'));
  }
  remove(_chainId: ChainId): Promise<void> {
    return Promise.reject(notImplemented('snapshotter remove'));
  }
  lowerDirs(_chainId: ChainId): string[] {
    throw notImplemented('snapshotter lowerDirs');
  }
  diff(_chainId: ChainId): Readable {
    throw notImplemented('snapshotter diff');
  }
  list(): LayerInfo[] {
    return [];
  }
  usage(_chainId: ChainId): Promise<number> {
    return Promise.reject(notImplemented('snapshotter usage'));
  }
  verify(): Promise<string[]> {
    return Promise.resolve([]);
  }
  mountRootfs(_chainId: ChainId | undefined, _containerDir: string): Promise<string> {
    return Promise.reject(notImplemented('mountRootfs'));
  }
  unmountRootfs(_containerDir: string): Promise<void> {
    return Promise.reject(notImplemented('unmountRootfs'));
  }
}
