import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MetadataDb } from './db.js';

test('migrations run once and transactions roll back', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-db-'));
  try {
    const m = new MetadataDb(path.join(dir, 'berth.db'));
    m.migrate('t', ['CREATE TABLE a (x INTEGER PRIMARY KEY)']);
    m.migrate('t', ['CREATE TABLE a (x INTEGER PRIMARY KEY)', 'CREATE TABLE b (y TEXT)']);
    m.run('INSERT INTO a (x) VALUES (?)', 1);
    assert.throws(() =>
      m.transaction(() => {
        m.run('INSERT INTO a (x) VALUES (?)', 2);
        throw new Error('boom');
      }),
    );
    assert.deepEqual(m.all<{ x: number }>('SELECT x FROM a').map((r) => r.x), [1]);
    m.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
