import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ShellSpawner } from '../runtime/shell-spawner.js';
import { Spawner } from './spawner.js';

test('Spawner with a shell: one-shot runs go through it, runs with their own environment through the worker', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-netspawn-'));
  const shell = new ShellSpawner(['/bin/sh'], path.join(dir, 'spawn'));
  const sp = new Spawner(50);
  sp.useShell(shell);
  t.after(() => {
    shell.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  // the parent of a shell-run command is the shell's job, not this process
  const viaShell = await sp.run('sh', ['-c', 'cat; echo " $PPID"'], { input: 'in' });
  assert.equal(viaShell.code, 0);
  const [out, ppid] = viaShell.stdout.trim().split(' ');
  assert.equal(out, 'in');
  assert.notEqual(Number(ppid), process.pid);
  // a whole environment of its own (CNI plugins): the worker, as before
  const own = await sp.run('sh', ['-c', 'echo "$CNI_COMMAND $PPID"'], { env: { CNI_COMMAND: 'ADD', PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
  assert.equal(own.stdout.trim(), `ADD ${process.pid}`);
  const failed = await sp.run('sh', ['-c', 'echo oops >&2; exit 4']);
  assert.deepEqual([failed.code, failed.stderr], [4, 'oops\n']);
});
