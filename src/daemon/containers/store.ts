// Persistence of container records: one row per container in the metadata database, the
// record as JSON; every state change is written in a transaction.
import type { MetadataDb } from '../../store/metadata/db.js';
import type { ContainerRecord } from './types.js';

const MIGRATIONS = [
  `CREATE TABLE containers (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     created TEXT NOT NULL,
     data TEXT NOT NULL
   )`,
];

export class ContainerStore {
  readonly #db: MetadataDb;

  constructor(db: MetadataDb) {
    this.#db = db;
    db.migrate('containers', MIGRATIONS);
  }

  loadAll(): ContainerRecord[] {
    return this.#db.all<{ data: string }>('SELECT data FROM containers ORDER BY created').map((r) => JSON.parse(r.data) as ContainerRecord);
  }

  save(rec: ContainerRecord): void {
    this.#db.transaction(() => {
      this.#db.run(
        'INSERT INTO containers (id, name, created, data) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, data = excluded.data',
        rec.id,
        rec.name,
        rec.created,
        JSON.stringify(rec),
      );
    });
  }

  delete(id: string): void {
    this.#db.transaction(() => {
      this.#db.run('DELETE FROM containers WHERE id = ?', id);
    });
  }
}
