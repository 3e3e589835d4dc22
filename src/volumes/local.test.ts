import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateLocalOptions, needsMount } from './local.js';
import { validateVolumeName } from './names.js';
import { resolveInRoot } from './copy.js';

const msg = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
};

test('local driver options as Docker validates them', () => {
  validateLocalOptions({});
  validateLocalOptions({ type: 'tmpfs', device: 'tmpfs', o: 'size=1m' });
  assert.equal(msg(() => validateLocalOptions({ foo: 'x' })), 'invalid option: "foo"');
  assert.equal(msg(() => validateLocalOptions({ type: 'nfs' })), 'missing required option: "device"');
  assert.equal(msg(() => validateLocalOptions({ o: 'addr=1.2.3.4', device: ':/x' })), 'missing required option: "type"');
  assert.equal(msg(() => validateLocalOptions({ size: '1g' })), 'quota size requested but no quota support');
  assert.equal(needsMount({}), false);
  assert.equal(needsMount({ type: 'none', device: '/x', o: 'bind' }), true);
});

test('volume names', () => {
  validateVolumeName('ok_name.1-2');
  assert.equal(msg(() => validateVolumeName('a')), 'volume name is too short, names should be at least two alphanumeric characters');
  assert.match(msg(() => validateVolumeName('-lead')), /^"-lead" includes invalid characters for a local volume name, only "\[a-zA-Z0-9\]\[a-zA-Z0-9_.-\]" are allowed/);
  assert.match(msg(() => validateVolumeName('a/b')), /includes invalid characters/);
});

test('resolveInRoot never leaves the root', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-rir-'));
  try {
    fs.mkdirSync(path.join(root, 'real/dir'), { recursive: true });
    fs.symlinkSync('/real', path.join(root, 'abs'));
    fs.symlinkSync('../../../../etc', path.join(root, 'real/up'));
    assert.equal(resolveInRoot(root, '/abs/dir'), path.join(root, 'real/dir'));
    assert.equal(resolveInRoot(root, '/real/up/passwd'), path.join(root, 'etc/passwd'));
    assert.equal(resolveInRoot(root, '/../../x'), path.join(root, 'x'));
    assert.equal(resolveInRoot(root, '/missing/a/b'), path.join(root, 'missing/a/b'));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
