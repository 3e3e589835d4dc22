// Volume metadata in the metadata database: volumes (driver, labels, options), references
// (which containers use a volume: it cannot be removed while any does) and active mounts
// (which containers have it mounted: local volumes with mount options are unmounted when the
// last one goes). All of it survives a daemon kill -9.
import type { MetadataDb } from '../../store/metadata/db.js';

const MIGRATIONS = [
  `CREATE TABLE volumes (
     name TEXT PRIMARY KEY,
     driver TEXT NOT NULL,
     labels TEXT NOT NULL,
     options TEXT NOT NULL,
     created TEXT NOT NULL,
     anonymous INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE volume_refs (
     volume TEXT NOT NULL,
     ref TEXT NOT NULL,
     PRIMARY KEY (volume, ref)
   );
   CREATE TABLE volume_mounts (
     volume TEXT NOT NULL,
     ref TEXT NOT NULL,
     PRIMARY KEY (volume, ref)
   )`,
];

export interface VolumeRecord {
  name: string;
  driver: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  /** RFC 3339, seconds */
  createdAt: string;
  anonymous: boolean;
}

interface Row {
  name: string;
  driver: string;
  labels: string;
  options: string;
  created: string;
  anonymous: number;
}

const fromRow = (r: Row): VolumeRecord => ({
  name: r.name,
  driver: r.driver,
  labels: JSON.parse(r.labels) as Record<string, string>,
  options: JSON.parse(r.options) as Record<string, string>,
  createdAt: r.created,
  anonymous: r.anonymous === 1,
});

export class VolumeStore {
  readonly #db: MetadataDb;

  constructor(db: MetadataDb) {
    this.#db = db;
    db.migrate('volumes', MIGRATIONS);
  }

  get(name: string): VolumeRecord | undefined {
    const r = this.#db.get<Row>('SELECT * FROM volumes WHERE name = ?', name);
    return r ? fromRow(r) : undefined;
  }

  all(): VolumeRecord[] {
    return this.#db.all<Row>('SELECT * FROM volumes ORDER BY name').map(fromRow);
  }

  insert(v: VolumeRecord, ref?: string): void {
    this.#db.transaction(() => {
      this.#db.run(
        'INSERT INTO volumes (name, driver, labels, options, created, anonymous) VALUES (?, ?, ?, ?, ?, ?)',
        v.name,
        v.driver,
        JSON.stringify(v.labels),
        JSON.stringify(v.options),
        v.createdAt,
        v.anonymous ? 1 : 0,
      );
      if (ref) this.#db.run('INSERT OR IGNORE INTO volume_refs (volume, ref) VALUES (?, ?)', v.name, ref);
    });
  }

  delete(name: string): void {
    this.#db.transaction(() => {
      this.#db.run('DELETE FROM volumes WHERE name = ?', name);
      this.#db.run('DELETE FROM volume_refs WHERE volume = ?', name);
      this.#db.run('DELETE FROM volume_mounts WHERE volume = ?', name);
    });
  }

  refs(name: string): string[] {
    return this.#db.all<{ ref: string }>('SELECT ref FROM volume_refs WHERE volume = ? ORDER BY ref', name).map((r) => r.ref);
  }

  refCounts(): Map<string, number> {
    return new Map(this.#db.all<{ volume: string; n: number }>('SELECT volume, COUNT(*) AS n FROM volume_refs GROUP BY volume').map((r) => [r.volume, r.n]));
  }

  addRef(name: string, ref: string): void {
    this.#db.run('INSERT OR IGNORE INTO volume_refs (volume, ref) VALUES (?, ?)', name, ref);
  }

  releaseRef(name: string, ref: string): void {
    this.#db.run('DELETE FROM volume_refs WHERE volume = ? AND ref = ?', name, ref);
  }

  /** Drop references held by users that no longer exist (containers removed while we were down). */
  pruneRefs(live: ReadonlySet<string>): number {
    let n = 0;
    this.#db.transaction(() => {
      for (const r of this.#db.all<{ volume: string; ref: string }>('SELECT volume, ref FROM volume_refs')) {
        if (live.has(r.ref)) continue;
        this.#db.run('DELETE FROM volume_refs WHERE volume = ? AND ref = ?', r.volume, r.ref);
        n++;
      }
    });
    return n;
  }

  addMount(name: string, ref: string): void {
    this.#db.run('INSERT OR IGNORE INTO volume_mounts (volume, ref) VALUES (?, ?)', name, ref);
  }

  hasMount(name: string, ref: string): boolean {
    return this.#db.get('SELECT 1 AS x FROM volume_mounts WHERE volume = ? AND ref = ?', name, ref) !== undefined;
  }

  /** Remove one active mount; returns how many remain for the volume. */
  removeMount(name: string, ref: string): number {
    return this.#db.transaction(() => {
      this.#db.run('DELETE FROM volume_mounts WHERE volume = ? AND ref = ?', name, ref);
      return this.#db.get<{ n: number }>('SELECT COUNT(*) AS n FROM volume_mounts WHERE volume = ?', name)?.n ?? 0;
    });
  }
}
