// The metadata database: one SQLite file (node:sqlite, WAL) under the data root. Each component
// owns its tables and brings its own ordered migrations; nothing else writes the file.
import { DatabaseSync, type StatementSync } from 'node:sqlite';

export type SqlValue = null | number | bigint | string | Uint8Array;

export class MetadataDb {
  readonly db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  #depth = 0;

  constructor(path: string) {
    this.db = new DatabaseSync(path);
    this.db.exec('PRAGMA journal_mode = WAL');
    this.db.exec('PRAGMA synchronous = FULL');
    this.db.exec('PRAGMA foreign_keys = ON');
    this.db.exec('PRAGMA busy_timeout = 5000');
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  }

  /** Apply the component's migrations that have not run yet, each in its own transaction. */
  migrate(component: string, migrations: readonly string[]): void {
    const row = this.get<{ version: number }>('SELECT version FROM schema_versions WHERE component = ?', component);
    const current = row?.version ?? 0;
    for (let i = current; i < migrations.length; i++) {
      this.transaction(() => {
        this.db.exec(migrations[i] ?? '');
        this.run('INSERT INTO schema_versions (component, version) VALUES (?, ?) ON CONFLICT(component) DO UPDATE SET version = excluded.version', component, i + 1);
      });
    }
  }

  /** A cached prepared statement. */
  prepare(sql: string): StatementSync {
    let st = this.#statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.#statements.set(sql, st);
    }
    return st;
  }

  run(sql: string, ...params: SqlValue[]): { changes: number | bigint; lastInsertRowid: number | bigint } {
    return this.prepare(sql).run(...params);
  }

  get<T>(sql: string, ...params: SqlValue[]): T | undefined {
    return this.prepare(sql).get(...params) as T | undefined;
  }

  all<T>(sql: string, ...params: SqlValue[]): T[] {
    return this.prepare(sql).all(...params) as T[];
  }

  /** Run fn in a transaction (nested calls join the outer one). fn must be synchronous. */
  transaction<T>(fn: () => T): T {
    if (this.#depth > 0) return fn();
    this.db.exec('BEGIN IMMEDIATE');
    this.#depth++;
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    } finally {
      this.#depth--;
    }
  }

  close(): void {
    this.#statements.clear();
    if (this.db.isOpen) this.db.close();
  }
}
