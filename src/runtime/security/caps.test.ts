import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableCaps, capMask, CAPS_BY_NUMBER, DOCKER_DEFAULT_CAPS, effectiveCaps, normalizeCaps } from './caps.js';
import { isInvalidArgument } from '../../errdefs/index.js';

const ALL = new Set<string>(CAPS_BY_NUMBER);

test("Docker's default set is CapEff 00000000a80425fb", () => {
  assert.equal(capMask(DOCKER_DEFAULT_CAPS), '00000000a80425fb');
  assert.equal(capMask(effectiveCaps({}, ALL)), '00000000a80425fb');
});

test('add/drop: case, prefix, ALL', () => {
  assert.deepEqual(effectiveCaps({ capDrop: ['all'], capAdd: ['net_admin', 'Cap_Kill'] }, ALL), ['CAP_NET_ADMIN', 'CAP_KILL']);
  assert.deepEqual(effectiveCaps({ capAdd: ['ALL'], capDrop: ['chown'] }, ALL), CAPS_BY_NUMBER.filter((c) => c !== 'CAP_CHOWN'));
  assert.ok(!effectiveCaps({ capDrop: ['NET_RAW'] }, ALL).includes('CAP_NET_RAW'));
  assert.equal(effectiveCaps({ capAdd: ['chown'] }, ALL).filter((c) => c === 'CAP_CHOWN').length, 1, 'no duplicates');
});

test('privileged gets what the daemon has (its bounding set)', () => {
  const bnd = availableCaps('CapBnd:\t000001fffeffffff\n');
  assert.ok(!bnd.has('CAP_SYS_RESOURCE'));
  assert.equal(capMask(effectiveCaps({ privileged: true }, bnd)), '000001fffeffffff');
  assert.throws(() => effectiveCaps({ capAdd: ['SYS_RESOURCE'] }, bnd), (e: unknown) => isInvalidArgument(e) && (e as Error).message === 'capability not supported by your kernel or not available in the current environment: "CAP_SYS_RESOURCE"');
});

test('unknown capability: Docker message', () => {
  assert.throws(() => normalizeCaps(['foo'], ALL), { message: 'unknown capability: "CAP_FOO"' });
  assert.throws(() => normalizeCaps(['CAP_BAR'], ALL), { message: 'unknown capability: "CAP_BAR"' });
});
