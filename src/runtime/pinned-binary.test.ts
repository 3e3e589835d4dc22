import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLONED_BINARY_ENV, clearPins, execEnv, execPath, pinBinary } from './pinned-binary.js';

const IS_ROOT = process.getuid?.() === 0;
// see overlay.test.ts: a failure here must say so under CI rather than skip
const rootOnly = IS_ROOT ? {} : process.env['CI'] === 'true' ? {} : { skip: 'needs root (mount --bind)' };

function mountsAt(target: string): number {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.split(' ')[4] === target).length;
}

test('pinBinary: a read-only bind mount of the binary, made once, made again for a replaced binary', rootOnly, (t) => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-pin-')));
  const targets = new Set<string>();
  t.after(() => {
    clearPins();
    for (const tg of targets) for (let i = 0; i < 4 && mountsAt(tg) > 0; i++) spawnSync('umount', ['-l', tg]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const bin = path.join(dir, 'crun');
  fs.copyFileSync('/bin/true', bin);
  fs.chmodSync(bin, 0o755);
  assert.equal(execPath(bin), bin, 'not pinned yet: the binary itself');
  assert.deepEqual(execEnv(bin), {});

  const pinned = pinBinary(bin, path.join(dir, 'pins'));
  assert.ok(pinned);
  targets.add(pinned);
  assert.equal(path.basename(pinned), 'crun', 'the same name (runtimes may look at argv[0])');
  assert.equal(execPath(bin), pinned);
  assert.deepEqual(execEnv(bin), { [CLONED_BINARY_ENV]: '1' });
  assert.equal(fs.statSync(pinned).ino, fs.statSync(bin).ino);
  assert.throws(() => fs.writeFileSync(pinned, 'x'), /EROFS/, 'read-only');
  assert.equal(spawnSync(pinned).status, 0, 'and it runs');
  assert.equal(mountsAt(pinned), 1);

  // a second daemon start finds it: no second mount
  clearPins();
  assert.equal(pinBinary(bin, path.join(dir, 'pins')), pinned);
  assert.equal(mountsAt(pinned), 1);

  // the binary is replaced (a package upgrade: new inode): the pin follows
  fs.rmSync(bin);
  fs.copyFileSync('/bin/false', bin);
  fs.chmodSync(bin, 0o755);
  assert.equal(pinBinary(bin, path.join(dir, 'pins')), pinned);
  assert.equal(fs.statSync(pinned).ino, fs.statSync(bin).ino);
  assert.equal(mountsAt(pinned), 1);
  assert.equal(spawnSync(pinned).status, 1, 'runs the new binary');

  // another binary with the same name gets its own mount point
  const other = path.join(dir, 'sub', 'crun');
  fs.mkdirSync(path.dirname(other));
  fs.copyFileSync('/bin/true', other);
  const otherPin = pinBinary(other, path.join(dir, 'pins'));
  assert.ok(otherPin);
  targets.add(otherPin);
  assert.notEqual(otherPin, pinned);
  assert.equal(execPath(bin), pinned);

  // a binary that is not there is not pinned
  assert.equal(pinBinary(path.join(dir, 'missing'), path.join(dir, 'pins')), undefined);
  assert.equal(execPath(path.join(dir, 'missing')), path.join(dir, 'missing'));
});
