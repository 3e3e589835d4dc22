import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBind, parseMountSpec, parseVolumesFrom, sortByDepth, validMountMode } from './parse.js';

const msg = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
};

test('parseBind: binds, named and anonymous volumes, modes', () => {
  assert.deepEqual(parseBind('/host/dir:/ctr:ro,z', ''), {
    type: 'bind', destination: '/ctr', source: '/host/dir', name: '', driver: '', rw: false, mode: 'ro,z', propagation: 'rprivate', copyData: false, anonymous: false, createSource: true,
  });
  assert.equal(parseBind('/h:/c:rshared', '').propagation, 'rshared');
  const v = parseBind('data:/var/lib/x/:nocopy', 'drv');
  assert.equal(v.type, 'volume');
  assert.equal(v.name, 'data');
  assert.equal(v.driver, 'drv');
  assert.equal(v.destination, '/var/lib/x');
  assert.equal(v.copyData, false);
  assert.equal(parseBind('/only/target', '').anonymous, true);
});

test('parseBind: Docker errors', () => {
  assert.equal(msg(() => parseBind('', '')), "invalid volume specification: ''");
  assert.equal(msg(() => parseBind('/x:rw', '')), "invalid volume specification: '/x:rw'");
  assert.equal(msg(() => parseBind('a:b:c:d', '')), "invalid volume specification: 'a:b:c:d'");
  assert.equal(msg(() => parseBind('/a:/b:bogus', '')), 'invalid mode: bogus');
  assert.equal(msg(() => parseBind('/a:/b:ro,rw', '')), 'invalid mode: ro,rw');
  assert.equal(msg(() => parseBind('/a:/', '')), `invalid volume specification: '/a:/': invalid mount config for type "bind": invalid specification: destination can't be '/'`);
  assert.equal(msg(() => parseBind('v:rel', '')), `invalid volume specification: 'v:rel': invalid mount config for type "volume": invalid mount path: 'rel' mount path must be absolute`);
  assert.equal(msg(() => parseBind('v:/x:rshared', '')), `invalid volume specification: 'v:/x:rshared': invalid mount config for type "volume": field BindOptions must not be specified`);
  assert.equal(msg(() => parseBind('/a:/x:nocopy', '')), `invalid volume specification: '/a:/x:nocopy': invalid mount config for type "bind": field VolumeOptions must not be specified`);
});

test('parseMountSpec: keys and Docker errors', () => {
  const t = parseMountSpec({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 3 * 1024 * 1024, Mode: 0o1770 }, ReadOnly: true });
  assert.equal(t.tmpfsData, 'ro,mode=1770,size=3m');
  const v = parseMountSpec({ Type: 'volume', Source: 'n', Target: '/v', VolumeOptions: { NoCopy: true, DriverConfig: { Name: 'p' }, Subpath: 'a/b' } });
  assert.equal(v.copyData, false);
  assert.equal(v.driver, 'p');
  assert.equal(v.subpath, 'a/b');
  const b = parseMountSpec({ Type: 'bind', Source: '/', Target: '/h', BindOptions: { Propagation: 'rslave', NonRecursive: true } });
  assert.equal(b.propagation, 'rslave');
  assert.equal(b.bindRecursive, 'disabled');
  assert.equal(b.createSource, false);
  assert.equal(msg(() => parseMountSpec({ Type: 'bind', Source: 'rel', Target: '/x' })), `invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`);
  assert.equal(msg(() => parseMountSpec({ Type: 'bind', Source: '/no/such/dir/x', Target: '/x' })), 'invalid mount config for type "bind": bind source path does not exist: /no/such/dir/x');
  assert.equal(msg(() => parseMountSpec({ Type: 'volume', Target: '/' })), `invalid mount config for type "volume": invalid specification: destination can't be '/'`);
  assert.equal(msg(() => parseMountSpec({ Type: 'volume', Target: '' })), 'invalid mount config for type "volume": field Target must not be empty');
  assert.equal(msg(() => parseMountSpec({ Type: 'tmpfs', Source: 'x', Target: '/t' })), 'invalid mount config for type "tmpfs": field Source must not be specified');
  assert.equal(msg(() => parseMountSpec({ Type: 'volume', Target: '/t', BindOptions: {} })), 'invalid mount config for type "volume": field BindOptions must not be specified');
  assert.equal(msg(() => parseMountSpec({ Type: 'volume', Target: '/t', VolumeOptions: { Subpath: 'x' } })), 'invalid mount config for type "volume": must not set Subpath when using anonymous volumes');
  assert.equal(msg(() => parseMountSpec({ Type: 'volume', Source: 'n', Target: '/t', VolumeOptions: { Subpath: '../x' } })), 'invalid mount config for type "volume": subpath must be a relative path within the volume');
  assert.equal(msg(() => parseMountSpec({ Type: 'bind', Source: '/', Target: '/t', BindOptions: { Propagation: 'weird' } })), 'invalid mount config for type "bind": invalid propagation mode: weird');
  assert.equal(msg(() => parseMountSpec({ Type: 'foo', Target: '/t' })), 'invalid mount config for type "foo": mount type unknown');
});

test('volumes-from, modes, mount order', () => {
  assert.deepEqual(parseVolumesFrom('c1'), { id: 'c1', mode: 'rw' });
  assert.deepEqual(parseVolumesFrom('c1:ro'), { id: 'c1', mode: 'ro' });
  assert.equal(msg(() => parseVolumesFrom('c1:rshared')), 'invalid mode: rshared');
  assert.equal(msg(() => parseVolumesFrom('c1:nocopy')), 'invalid mode: nocopy');
  assert.equal(validMountMode('ro,Z,rslave,nocopy,cached'), true);
  assert.equal(validMountMode('z,Z'), false);
  assert.deepEqual(sortByDepth([{ destination: '/a/b/c' }, { destination: '/a' }, { destination: '/x/y' }, { destination: '/b' }]).map((m) => m.destination), ['/a', '/b', '/x/y', '/a/b/c']);
});
