import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lockDataRoot } from './lock.js';

test('a held lock refuses a second owner; a stale one is taken over', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-lock-'));
  try {
    fs.writeFileSync(path.join(dir, 'berthd.lock'), '1\n'); // pid 1 is alive
    assert.throws(() => lockDataRoot(dir), /in use by another berthd \(pid 1\)/);
    fs.writeFileSync(path.join(dir, 'berthd.lock'), '999999999\n');
    const lock = lockDataRoot(dir);
    assert.equal(fs.readFileSync(path.join(dir, 'berthd.lock'), 'utf8').trim(), String(process.pid));
    lock.release();
    assert.ok(!fs.existsSync(path.join(dir, 'berthd.lock')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
