import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RuntimeTable, parseRuntimeVersion } from './probe.js';

const unshare = ['/usr/bin/unshare', '/bin/unshare'].find((p) => fs.existsSync(p));

test('crun behind crun-unshare: conmon runs unshare + sh itself, the same command as the script', (t) => {
  if (!unshare) return t.skip('no unshare here');
  const table = new RuntimeTable('/run/x', [{ name: 'crun', path: '/usr/bin/crun', runtimeArgs: ['--debug'], wrapper: '/opt/berth/libexec/crun-unshare', notes: [] }], 'crun', { busybox: false });
  const h = table.handle(undefined);
  assert.equal(h.path, '/usr/bin/crun');
  assert.deepEqual(h.args, ['--debug', '--root', '/run/x/runtimes/crun']);
  assert.match(h.createPath, /\/unshare$/);
  const i = h.createArgs.indexOf('/bin/sh');
  assert.deepEqual(h.createArgs.slice(0, i), ['-m', '--propagation', 'private']);
  assert.equal(h.createArgs[i + 1], '-c');
  assert.deepEqual(h.createArgs.slice(i + 3), ['crun-unshare', '/usr/bin/crun', '--debug', '--root', '/run/x/runtimes/crun']);
  // the script's own command line is the same
  const script = fs.readFileSync(new URL('../../../libexec/crun-unshare', import.meta.url), 'utf8');
  assert.ok(script.includes(`/bin/sh -c '${h.createArgs[i + 2]}' crun-unshare "$@"`), 'libexec/crun-unshare and probe.ts CRUN_UNSHARE differ');
});

test('crun behind crun-unshare with busybox: busybox unshare + busybox sh, the script of the util-linux command', (t) => {
  const bb = ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p));
  if (!bb || spawnSync(bb, ['sh', '-c', 'type mount'], { encoding: 'utf8' }).stdout.trim() !== 'mount is mount') return t.skip('no busybox with a standalone shell here');
  const entry = { name: 'crun', path: '/usr/bin/crun', runtimeArgs: [], wrapper: '/opt/berth/libexec/crun-unshare', notes: [] };
  const h = new RuntimeTable('/run/x', [entry], 'crun').handle(undefined);
  assert.match(h.createPath, /\/busybox$/);
  assert.deepEqual(h.createArgs.slice(0, 7), ['unshare', '-m', '--propagation', 'private', h.createPath, 'sh', '-c']);
  assert.deepEqual(h.createArgs.slice(8), ['crun-unshare', '/usr/bin/crun', '--root', '/run/x/runtimes/crun']);
  const plain = new RuntimeTable('/run/x', [entry], 'crun', { busybox: false }).handle(undefined);
  assert.equal(h.createArgs[7], plain.createArgs[plain.createArgs.indexOf('-c') + 1]);
  // it really hides the cgroup2 mount and runs the command (a new mount namespace needs root)
  if (process.getuid?.() !== 0) return;
  const r = spawnSync(h.createPath, [...h.createArgs.slice(0, 9), 'sh', '-c', 'test "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null || echo none)" != cgroup2fs && echo ok'], { encoding: 'utf8' });
  assert.equal(r.stdout.trim(), 'ok', r.stderr);
});

test('other wrappers and plain runtimes are run as given', () => {
  const table = new RuntimeTable('/run/x', [
    { name: 'runc', path: '/usr/bin/runc', runtimeArgs: [], wrapper: undefined, notes: [] },
    { name: 'odd', path: '/usr/bin/crun', runtimeArgs: [], wrapper: '/opt/wrap', notes: [] },
  ], 'runc');
  const runc = table.handle('runc');
  assert.equal(runc.createPath, '/usr/bin/runc');
  assert.deepEqual(runc.createArgs, ['--root', '/run/x/runtimes/runc']);
  const odd = table.handle('odd');
  assert.equal(odd.createPath, '/opt/wrap');
  assert.deepEqual(odd.createArgs, ['/usr/bin/crun', '--root', '/run/x/runtimes/odd']);
});

test('parseRuntimeVersion: crun and runc --version output, as /version shows the runtime component', () => {
  assert.deepEqual(parseRuntimeVersion('crun version 1.8.1\ncommit: f8a096be060b22ccd3d5f3ebe44108517fbf6c30\nrundir: /run/crun\n'), { version: '1.8.1', commit: 'f8a096be060b22ccd3d5f3ebe44108517fbf6c30' });
  assert.deepEqual(parseRuntimeVersion('runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\n'), { version: '1.1.5+ds1', commit: '1.1.5+ds1-1+deb12u1' });
  assert.deepEqual(parseRuntimeVersion('something else'), {});
});

test('loadVersions: asks `<runtime> --version` once, then reads the exec root cache while the binary is unchanged', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-rtv-'));
  try {
    const bin = path.join(dir, 'fakert');
    const count = path.join(dir, 'count');
    fs.writeFileSync(bin, `#!/bin/sh\necho x >> ${count}\necho "fakert version 9.9.9"\necho "commit: abc123"\n`, { mode: 0o755 });
    const entry = { name: 'fakert', path: bin, runtimeArgs: [], wrapper: undefined, notes: [] };
    const first = new RuntimeTable(dir, [entry], 'fakert', { busybox: false });
    await first.loadVersions();
    assert.deepEqual(first.info().runtimes[0], { name: 'fakert', path: bin, version: '9.9.9', commit: 'abc123' });
    const second = new RuntimeTable(dir, [entry], 'fakert', { busybox: false });
    await second.loadVersions();
    assert.equal(second.info().runtimes[0]?.version, '9.9.9');
    assert.equal(fs.readFileSync(count, 'utf8'), 'x\n', 'asked once');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
