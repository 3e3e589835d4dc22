// Public surface of src/store: the content store, the overlay snapshotter, the metadata database.
export type { BlobInfo, ContentDeleter, ContentIngester, ContentProvider, ContentStore, Digest } from './content/types.js';
export { LocalContentStore, DEFAULT_READ_LIMIT } from './content/local.js';
export type { ApplyResult, ChainId, LayerInfo, Snapshotter, RootfsMounter } from './snapshots/types.js';
export { OverlaySnapshotter, type OverlaySnapshotterOptions } from './snapshots/overlay.js';
export { MetadataDb, type SqlValue } from './metadata/db.js';
