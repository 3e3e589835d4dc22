import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConflist, supportsCheck } from './cni.js';

test('parseConflist: a conflist, a single-plugin .conf, and bad input with the file named', () => {
  const list = parseConflist(JSON.stringify({ cniVersion: '1.0.0', name: 'n', plugins: [{ type: 'bridge' }, { type: 'portmap', capabilities: { portMappings: true } }] }), 'a.conflist');
  assert.equal(list.plugins.length, 2);
  const single = parseConflist(JSON.stringify({ cniVersion: '0.3.1', name: 's', type: 'bridge', bridge: 'b0' }), 's.conf');
  assert.deepEqual(single, { cniVersion: '0.3.1', name: 's', plugins: [{ type: 'bridge', bridge: 'b0' }] });
  assert.throws(() => parseConflist('{', 'x.conflist'), /invalid CNI config x\.conflist/);
  assert.throws(() => parseConflist(JSON.stringify({ name: 'n', plugins: [{}] }), 'y.conflist'), /every plugin needs a "type"/);
  assert.throws(() => parseConflist(JSON.stringify({ plugins: [] }), 'z.conflist'), /no "name"/);
});

test('supportsCheck: CHECK from CNI 0.4.0 on, unless disableCheck', () => {
  const conf = (cniVersion: string, disableCheck = false) => parseConflist(JSON.stringify({ cniVersion, name: 'n', disableCheck, plugins: [{ type: 'bridge' }] }), 'c');
  assert.equal(supportsCheck(conf('0.3.1')), false);
  assert.equal(supportsCheck(conf('0.4.0')), true);
  assert.equal(supportsCheck(conf('1.0.0')), true);
  assert.equal(supportsCheck(conf('1.0.0', true)), false);
});
