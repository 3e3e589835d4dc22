import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { containerAbsPath, goBase, ScopedRoot, splitPath } from './scoped-root.js';

function tree(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'scoped-'));
  fs.mkdirSync(path.join(root, 'etc'));
  fs.writeFileSync(path.join(root, 'etc/passwd'), 'in');
  fs.symlinkSync('/', path.join(root, 'abs'));
  fs.symlinkSync('../../../../..', path.join(root, 'rel'));
  fs.symlinkSync('/etc/passwd', path.join(root, 'pw'));
  fs.symlinkSync('loop2', path.join(root, 'loop1'));
  fs.symlinkSync('loop1', path.join(root, 'loop2'));
  return root;
}

test('paths resolve inside the root: "..", absolute and relative symlinks are clamped', () => {
  const dir = tree();
  const root = new ScopedRoot(dir);
  try {
    for (const p of ['/../../etc/passwd', '/abs/etc/passwd', '/rel/etc/passwd', '/abs/../../etc/passwd', '/pw']) {
      const r = root.resolve(p, { followLast: true });
      assert.equal(ScopedRoot.containerPath(r.stack, r.last), '/etc/passwd', p);
      const top = r.stack.at(-1);
      assert.ok(top);
      assert.equal(fs.readFileSync(`/proc/self/fd/${top.fd}/${r.last}`, 'utf8'), 'in', p);
    }
    // the last symlink is kept when not followed
    const r = root.resolve('/pw', { followLast: false });
    assert.equal(r.last, 'pw');
    assert.throws(() => root.resolve('/loop1', { followLast: true }), { code: 'ELOOP' });
    assert.throws(() => root.resolve('/etc/passwd/x', { followLast: true }), { code: 'ENOTDIR' });
    assert.throws(() => root.resolve('/nope/x', { followLast: true }), { code: 'ENOENT' });
    // create makes missing parents inside the root only
    const made = root.resolveDir('/abs/new/deep', { create: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 } });
    assert.equal(ScopedRoot.containerPath(made), '/new/deep');
    assert.ok(fs.statSync(path.join(dir, 'new/deep')).isDirectory());
  } finally {
    root.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('removeAll never follows a symlink out of the tree', () => {
  const dir = tree();
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'outside-'));
  fs.writeFileSync(path.join(outside, 'keep'), 'x');
  fs.mkdirSync(path.join(dir, 'd'));
  fs.symlinkSync(outside, path.join(dir, 'd/link'));
  const root = new ScopedRoot(dir);
  try {
    root.removeAll(root.root.fd, 'd');
    assert.equal(fs.existsSync(path.join(dir, 'd')), false);
    assert.equal(fs.readFileSync(path.join(outside, 'keep'), 'utf8'), 'x');
  } finally {
    root.close();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  }
});

test('Docker path helpers: trailing "/." and "/" survive cleaning', () => {
  assert.equal(containerAbsPath('../../etc'), '/etc');
  assert.equal(containerAbsPath('data/.'), '/data/.');
  assert.equal(containerAbsPath('/data/'), '/data/');
  assert.equal(containerAbsPath('/'), '/');
  assert.deepEqual(splitPath('/a/b/.'), { dir: '/a/b/', base: '.' });
  assert.equal(goBase('/a/b/'), 'b');
  assert.equal(goBase('/'), '/');
});
