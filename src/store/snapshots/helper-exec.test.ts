import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runHelper, setHelperExec } from './helper-exec.js';
import { spreadSubdirs } from './spread.js';

test('helper commands go through the exec berthd hands in, and back to the default without it', async () => {
  const calls: string[][] = [];
  setHelperExec(async (cmd, args) => {
    calls.push([cmd, ...args]);
    return cmd === 'chattr' ? { code: 0, stderr: '' } : { code: 1, stderr: 'refused' };
  });
  try {
    assert.equal(await spreadSubdirs('/some/dir'), true);
    assert.deepEqual(await runHelper('sync', ['-f', '/x']), { code: 1, stderr: 'refused' });
    assert.deepEqual(calls, [['chattr', '+T', '/some/dir'], ['sync', '-f', '/x']]);
  } finally {
    setHelperExec(undefined);
  }
  // the default runs the command from this thread: exit code and stderr
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-helper-'));
  try {
    assert.deepEqual(await runHelper('sync', ['-f', dir]), { code: 0, stderr: '' });
    const missing = await runHelper('sync', ['-f', path.join(dir, 'missing')]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /missing/);
    assert.notEqual((await runHelper('berth-no-such-command', [])).code, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
