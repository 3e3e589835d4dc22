import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SpawnPool } from './spawn-pool.js';

test('SpawnPool.run: input, output and exit code; a cwd for the child (mount(8) with relative lowerdirs)', async (t) => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-pool-')));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pool = new SpawnPool(1, 50);
  try {
    const { code, stdout, stderr } = await pool.run({ cmd: 'sh', args: ['-c', 'cat; echo err >&2; exit 3'], input: 'hi' });
    assert.deepEqual({ code, stdout, stderr }, { code: 3, stdout: 'hi', stderr: 'err\n' });
    const r = await pool.run({ cmd: 'pwd', args: [], cwd: dir });
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), dir);
    assert.equal((await pool.run({ cmd: 'pwd', args: [], cwd: path.join(dir, 'missing') })).code, -1);
  } finally {
    await pool.close();
  }
});
