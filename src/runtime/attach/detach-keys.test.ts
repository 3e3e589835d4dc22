import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DetachWatcher, parseDetachKeys, DEFAULT_DETACH_KEYS } from './detach-keys.js';

test('parse: Docker key names', () => {
  assert.deepEqual([...parseDetachKeys(DEFAULT_DETACH_KEYS)], [16, 17]);
  assert.deepEqual([...parseDetachKeys('ctrl-a,x,ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')], [1, 0x78, 0, 27, 28, 29, 30, 31]);
  assert.equal(parseDetachKeys('').length, 0);
  assert.throws(() => parseDetachKeys('ctrl-1'), /Invalid detach keys \(ctrl-1\) provided/);
  assert.throws(() => parseDetachKeys('abc'), /Invalid detach keys/);
});

test('watcher: whole sequence detaches, split across chunks too; broken prefixes pass on', () => {
  const w = new DetachWatcher(parseDetachKeys(DEFAULT_DETACH_KEYS));
  let r = w.push(Buffer.from('ab\x10'));
  assert.deepEqual([r.forward.toString(), r.detach], ['ab', false]);
  r = w.push(Buffer.from('\x11zz'));
  assert.deepEqual([r.forward.toString(), r.detach], ['', true]);
  r = w.push(Buffer.from('\x10x\x10\x10\x11'));
  assert.deepEqual([r.forward.toString(), r.detach], ['\x10x\x10', true]);
  const none = new DetachWatcher(Buffer.alloc(0));
  assert.deepEqual(none.push(Buffer.from('\x10\x11')).detach, false);
});
