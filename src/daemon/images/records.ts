// The image service's tables in the metadata database: images, their layers (blob as received +
// chain ID of the unpacked snapshot) and references (tags and digests, with the time they were set).
import type { MetadataDb } from '../../store/metadata/db.js';
import type { Digest } from '../../store/content/types.js';
import type { ChainId } from '../../store/snapshots/types.js';

export const IMAGE_MIGRATIONS = [
  `CREATE TABLE images (
     id TEXT PRIMARY KEY,
     manifest_digest TEXT NOT NULL,
     manifest_media_type TEXT NOT NULL,
     manifest_size INTEGER NOT NULL,
     config_size INTEGER NOT NULL,
     chain_id TEXT,
     size INTEGER NOT NULL,
     created INTEGER NOT NULL,
     added INTEGER NOT NULL,
     last_tag_time INTEGER
   );
   CREATE TABLE image_layers (
     image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
     idx INTEGER NOT NULL,
     chain_id TEXT NOT NULL,
     diff_id TEXT NOT NULL,
     blob TEXT NOT NULL,
     blob_size INTEGER NOT NULL,
     media_type TEXT NOT NULL,
     PRIMARY KEY (image_id, idx)
   );
   CREATE INDEX image_layers_chain ON image_layers(chain_id);
   CREATE INDEX image_layers_blob ON image_layers(blob);
   CREATE TABLE image_refs (
     name TEXT PRIMARY KEY,
     image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
     kind TEXT NOT NULL CHECK (kind IN ('tag', 'digest')),
     created INTEGER NOT NULL
   );
   CREATE INDEX image_refs_image ON image_refs(image_id);`,
] as const;

export interface ImageRow {
  id: Digest;
  manifest_digest: Digest;
  manifest_media_type: string;
  manifest_size: number;
  config_size: number;
  chain_id: ChainId | null;
  /** unpacked bytes of all layers */
  size: number;
  /** ms since epoch, from the config's `created` (0 when absent) */
  created: number;
  /** ms since epoch, when the image was stored here */
  added: number;
  /** ms since epoch */
  last_tag_time: number | null;
}

export interface LayerRow {
  image_id: Digest;
  idx: number;
  chain_id: ChainId;
  diff_id: Digest;
  blob: Digest;
  blob_size: number;
  media_type: string;
}

export interface RefRow {
  /** normalised full reference: "docker.io/library/busybox:latest" or "...@sha256:..." */
  name: string;
  image_id: Digest;
  kind: 'tag' | 'digest';
  /** ms since epoch */
  created: number;
}

export interface NewImage {
  image: Omit<ImageRow, 'last_tag_time'>;
  layers: Omit<LayerRow, 'image_id'>[];
}

export class ImageRecords {
  readonly #db: MetadataDb;

  constructor(db: MetadataDb) {
    this.#db = db;
    db.migrate('images', IMAGE_MIGRATIONS);
  }

  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn);
  }

  get(id: string): ImageRow | undefined {
    return this.#db.get<ImageRow>('SELECT * FROM images WHERE id = ?', id);
  }

  all(): ImageRow[] {
    return this.#db.all<ImageRow>('SELECT * FROM images ORDER BY created DESC, added DESC');
  }

  count(): number {
    return this.#db.get<{ n: number }>('SELECT count(*) AS n FROM images')?.n ?? 0;
  }

  /** IDs whose hex starts with `hexPrefix`. */
  byPrefix(hexPrefix: string): Digest[] {
    return this.#db.all<{ id: Digest }>("SELECT id FROM images WHERE substr(id, 8, ?) = ? LIMIT 2", hexPrefix.length, hexPrefix).map((r) => r.id);
  }

  /** Insert an image (no-op for the image row when it exists already). */
  add(n: NewImage): boolean {
    return this.#db.transaction(() => {
      if (this.get(n.image.id)) return false;
      const i = n.image;
      this.#db.run(
        'INSERT INTO images (id, manifest_digest, manifest_media_type, manifest_size, config_size, chain_id, size, created, added, last_tag_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)',
        i.id, i.manifest_digest, i.manifest_media_type, i.manifest_size, i.config_size, i.chain_id, i.size, i.created, i.added,
      );
      for (const l of n.layers) {
        this.#db.run('INSERT INTO image_layers (image_id, idx, chain_id, diff_id, blob, blob_size, media_type) VALUES (?, ?, ?, ?, ?, ?, ?)', i.id, l.idx, l.chain_id, l.diff_id, l.blob, l.blob_size, l.media_type);
      }
      return true;
    });
  }

  layers(id: string): LayerRow[] {
    return this.#db.all<LayerRow>('SELECT * FROM image_layers WHERE image_id = ? ORDER BY idx', id);
  }

  allLayers(): LayerRow[] {
    return this.#db.all<LayerRow>('SELECT * FROM image_layers ORDER BY image_id, idx');
  }

  refs(id: string): RefRow[] {
    return this.#db.all<RefRow>('SELECT * FROM image_refs WHERE image_id = ? ORDER BY created, name', id);
  }

  allRefs(): RefRow[] {
    return this.#db.all<RefRow>('SELECT * FROM image_refs ORDER BY created, name');
  }

  ref(name: string): RefRow | undefined {
    return this.#db.get<RefRow>('SELECT * FROM image_refs WHERE name = ?', name);
  }

  /** Point `name` at the image (moving it from another image); returns the image it pointed at before. */
  setRef(name: string, id: Digest, kind: 'tag' | 'digest', nowMs: number): Digest | undefined {
    return this.#db.transaction(() => {
      const before = this.ref(name);
      if (before?.image_id === id) return id;
      this.#db.run('INSERT INTO image_refs (name, image_id, kind, created) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id, kind = excluded.kind, created = excluded.created', name, id, kind, nowMs);
      if (kind === 'tag') this.#db.run('UPDATE images SET last_tag_time = ? WHERE id = ?', nowMs, id);
      return before?.image_id;
    });
  }

  deleteRef(name: string): boolean {
    return Number(this.#db.run('DELETE FROM image_refs WHERE name = ?', name).changes) > 0;
  }

  delete(id: string): void {
    this.#db.transaction(() => {
      this.#db.run('DELETE FROM image_refs WHERE image_id = ?', id);
      this.#db.run('DELETE FROM image_layers WHERE image_id = ?', id);
      this.#db.run('DELETE FROM images WHERE id = ?', id);
    });
  }

  /** How many images use a blob (as config, manifest or layer). */
  blobUsers(blob: string): number {
    const a = this.#db.get<{ n: number }>('SELECT count(*) AS n FROM images WHERE id = ? OR manifest_digest = ?', blob, blob)?.n ?? 0;
    const b = this.#db.get<{ n: number }>('SELECT count(DISTINCT image_id) AS n FROM image_layers WHERE blob = ?', blob)?.n ?? 0;
    return a + b;
  }

  /** How many images have this chain ID among their layers. */
  chainUsers(chainId: string): number {
    return this.#db.get<{ n: number }>('SELECT count(DISTINCT image_id) AS n FROM image_layers WHERE chain_id = ?', chainId)?.n ?? 0;
  }
}
