import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalContentStore } from './local.js';
import { contentStoreSuite } from './testsuite.js';

function tmpRoot(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'berth-content-'));
}

contentStoreSuite('LocalContentStore', async () => {
  const root = tmpRoot();
  const store = new LocalContentStore(root);
  return {
    store,
    pendingIngests: async () => fs.readdirSync(path.join(root, 'tmp')).filter((n) => n.startsWith('ingest-')),
    cleanup: async () => fs.rmSync(root, { recursive: true, force: true }),
  };
});

test('LocalContentStore: layout and start-up cleanup of interrupted ingests', async () => {
  const root = tmpRoot();
  try {
    const store = new LocalContentStore(root);
    const info = await store.writeBytes('hello');
    assert.equal(store.path(info.digest), path.join(root, 'content', 'sha256', info.digest.slice(7)));
    assert.equal(fs.readFileSync(store.path(info.digest), 'utf8'), 'hello');
    // an ingest interrupted by a crash
    fs.writeFileSync(path.join(root, 'tmp', 'ingest-deadbeef'), 'partial');
    fs.writeFileSync(path.join(root, 'tmp', 'unpack-other'), 'not ours');
    const removed = await store.cleanupTemp();
    assert.deepEqual(removed, [path.join(root, 'tmp', 'ingest-deadbeef')]);
    assert.deepEqual(fs.readdirSync(path.join(root, 'tmp')), ['unpack-other']);
    // a corrupted blob is detected on readBytes (data-loss), never returned
    fs.writeFileSync(store.path(info.digest), 'jello');
    await assert.rejects(store.readBytes(info.digest), (e: unknown) => (e as { kind?: string }).kind === 'data-loss');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
