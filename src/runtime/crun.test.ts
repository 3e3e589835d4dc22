/* eslint-disable @typescript-eslint/no-explicit-any */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CrunSeccompCache, SECCOMP_BPF_ANNOTATION, deleteExited, isCrun, killDirect, startNeedsRuntime, startThroughFifo } from './crun.js';
import { fifoStartAllowed } from './oci.js';
import type { RuntimeHandle } from '../daemon/containers/types.js';

function tmp(t: { after: (fn: () => void) => void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-crun-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A runtime handle whose binary is a real file (the cache keys on its identity). */
function handle(dir: string, name = 'crun'): RuntimeHandle {
  const bin = path.join(dir, name);
  fs.writeFileSync(bin, '#!/bin/sh\n', { mode: 0o755 });
  const root = path.join(dir, 'state');
  fs.mkdirSync(root, { recursive: true });
  return { name, path: bin, args: ['--root', root], createPath: bin, createArgs: ['--root', root], root };
}

const profile = (action = 'SCMP_ACT_ERRNO') => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: action, errnoRet: 1 }] });

function compiled(h: RuntimeHandle, id: string, bytes: Buffer): void {
  fs.mkdirSync(path.join(h.root, id), { recursive: true });
  fs.writeFileSync(path.join(h.root, id, 'seccomp.bpf'), bytes);
}

test('isCrun goes by the binary name; runc is left alone', (t) => {
  const d = tmp(t);
  assert.equal(isCrun(handle(d, 'crun')), true);
  assert.equal(isCrun({ ...handle(d, 'runc') }), false);
});

test('startNeedsRuntime: poststart hooks or a NOTIFY_SOCKET keep `crun start`', () => {
  assert.equal(startNeedsRuntime(undefined), true);
  assert.equal(startNeedsRuntime({ process: {} }), process.env['NOTIFY_SOCKET'] !== undefined);
  assert.equal(startNeedsRuntime({ hooks: { poststart: [{ path: '/bin/true' }] } }), true);
  assert.equal(startNeedsRuntime({ hooks: { prestart: [{ path: '/bin/true' }], poststart: [] } }), process.env['NOTIFY_SOCKET'] !== undefined);
});

test('seccomp filters: the first create compiles, later ones with the same profile get the annotation', (t) => {
  const d = tmp(t);
  const h = handle(d);
  const cache = new CrunSeccompCache();
  const spec1 = { linux: { seccomp: profile() } };
  const key = cache.apply(h, spec1);
  assert.ok(key, 'nothing cached yet: a key to learn with');
  assert.equal((spec1 as { annotations?: unknown }).annotations, undefined);
  const bpf = Buffer.alloc(64, 7);
  compiled(h, 'c1', bpf);
  cache.learn(h, 'c1', key);
  const spec2: Record<string, any> = { linux: { seccomp: profile() }, annotations: { keep: 'me' } };
  assert.equal(cache.apply(h, spec2), undefined);
  assert.equal(spec2['annotations'][SECCOMP_BPF_ANNOTATION], bpf.toString('base64'));
  assert.equal(spec2['annotations']['keep'], 'me');
  // another profile is compiled on its own
  const spec3: Record<string, any> = { linux: { seccomp: profile('SCMP_ACT_KILL') } };
  assert.ok(cache.apply(h, spec3));
  assert.equal(spec3['annotations'], undefined);
});

test('seccomp filters: concurrent creates of one profile wait for the first compile; a failed first lets the next compile', async (t) => {
  const d = tmp(t);
  const h = handle(d);
  const cache = new CrunSeccompCache();
  const key = await cache.applyShared(h, { linux: { seccomp: profile() } });
  assert.ok(key, 'the first compiles');
  const waiting: Record<string, any>[] = [{ linux: { seccomp: profile() } }, { linux: { seccomp: profile() } }];
  const others = waiting.map((spec) => cache.applyShared(h, spec));
  const bpf = Buffer.alloc(24, 3);
  compiled(h, 'first', bpf);
  cache.learn(h, 'first', key);
  assert.deepEqual(await Promise.all(others), [undefined, undefined], 'the others compile nothing');
  for (const spec of waiting) assert.equal(spec['annotations'][SECCOMP_BPF_ANNOTATION], bpf.toString('base64'));

  // a failed first create: the waiting one gets the key and compiles itself
  const key2 = await cache.applyShared(h, { linux: { seccomp: profile('SCMP_ACT_KILL') } });
  assert.ok(key2);
  const next = cache.applyShared(h, { linux: { seccomp: profile('SCMP_ACT_KILL') } });
  cache.settle(key2);
  assert.equal(await next, key2);
  // a first create that hangs delays the others only until the wait is over
  const key3 = await cache.applyShared(h, { linux: { seccomp: profile('SCMP_ACT_TRAP') } });
  assert.ok(key3);
  assert.equal(await cache.applyShared(h, { linux: { seccomp: profile('SCMP_ACT_TRAP') } }, 20), key3);
});

test('seccomp filters: nothing for runc, unconfined, notify listeners or a given annotation; bad filters are not kept', (t) => {
  const d = tmp(t);
  const h = handle(d);
  const cache = new CrunSeccompCache();
  assert.equal(cache.apply(handle(d, 'runc'), { linux: { seccomp: profile() } }), undefined);
  assert.equal(cache.apply(h, { linux: {} }), undefined);
  assert.equal(cache.apply(h, { linux: { seccomp: { ...profile(), listenerPath: '/run/x.sock' } } }), undefined);
  assert.equal(cache.apply(h, { linux: { seccomp: profile('SCMP_ACT_NOTIFY') } }), undefined);
  assert.equal(cache.apply(h, { linux: { seccomp: profile() }, annotations: { [SECCOMP_BPF_ANNOTATION]: 'AAAA' } }), undefined);
  const key = cache.apply(h, { linux: { seccomp: profile() } });
  assert.ok(key);
  compiled(h, 'short', Buffer.alloc(12));
  cache.learn(h, 'short', key);
  cache.learn(h, 'missing', key);
  const spec: Record<string, any> = { linux: { seccomp: profile() } };
  assert.equal(cache.apply(h, spec), key);
  assert.equal(spec['annotations'], undefined);
});

test('seccomp filters survive a restart in their directory and follow the crun binary', (t) => {
  const d = tmp(t);
  const h = handle(d);
  const dir = path.join(d, 'cache');
  const first = new CrunSeccompCache(dir);
  const key = first.apply(h, { linux: { seccomp: profile() } });
  assert.ok(key);
  compiled(h, 'c1', Buffer.alloc(16, 1));
  first.learn(h, 'c1', key);
  const second = new CrunSeccompCache(dir);
  const spec: Record<string, any> = { linux: { seccomp: profile() } };
  assert.equal(second.apply(h, spec), undefined);
  assert.equal(spec['annotations'][SECCOMP_BPF_ANNOTATION], Buffer.alloc(16, 1).toString('base64'));
  // a replaced crun binary compiles again
  fs.rmSync(h.path);
  fs.writeFileSync(h.path, '#!/bin/sh\n# new version\n', { mode: 0o755 });
  const third = new CrunSeccompCache(dir);
  assert.ok(third.apply(h, { linux: { seccomp: profile() } }));
});

test('startThroughFifo releases a waiting reader once and removes the FIFO; no reader or no FIFO: false', async (t) => {
  const d = tmp(t);
  const h = handle(d);
  const dir = path.join(h.root, 'c1');
  fs.mkdirSync(dir);
  const fifo = path.join(dir, 'exec.fifo');
  if (spawnSync('mkfifo', [fifo]).status !== 0) return t.skip('no mkfifo');
  assert.equal(await startThroughFifo(h, 'c1'), false, 'nobody reads: the init is gone');
  assert.ok(fs.existsSync(fifo));
  const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  t.after(() => fs.closeSync(reader));
  assert.equal(await startThroughFifo(h, 'c1'), true);
  assert.equal(fs.existsSync(fifo), false, 'crun tells running from created by the FIFO');
  const buf = Buffer.alloc(4);
  assert.equal(fs.readSync(reader, buf), 1);
  assert.equal(await startThroughFifo(h, 'c1'), false, 'already started');
  assert.equal(await startThroughFifo(h, 'nope'), false);
});

test('deleteExited removes the state dir when the cgroups are gone; nothing to do without state', async (t) => {
  const d = tmp(t);
  const h = handle(d);
  fs.mkdirSync(path.join(h.root, 'c1'));
  fs.writeFileSync(path.join(h.root, 'c1', 'status'), '{}');
  assert.equal(await deleteExited(h, 'c1', `/berth-test-absent-${process.pid}/c1`), true);
  assert.equal(fs.existsSync(path.join(h.root, 'c1')), false);
  assert.equal(await deleteExited(h, 'c1', `/berth-test-absent-${process.pid}/c1`), true);
});

test('fifoStartAllowed: only without a TTY and an open stdin by default; BERTH_CRUN_FIFO_START=1 for all, 0 for none', () => {
  assert.equal(fifoStartAllowed({ tty: false, openStdin: false }, undefined), true);
  assert.equal(fifoStartAllowed({ tty: true, openStdin: false }, undefined), false);
  assert.equal(fifoStartAllowed({ tty: false, openStdin: true }, undefined), false);
  assert.equal(fifoStartAllowed({ tty: true, openStdin: true }, undefined), false);
  assert.equal(fifoStartAllowed({ tty: true, openStdin: true }, '1'), true);
  assert.equal(fifoStartAllowed({ tty: false, openStdin: false }, '0'), false);
});

test('killDirect signals the init only while it is in the container cgroup; otherwise false (crun kill runs)', async (t) => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await new Promise((r) => child.once('spawn', r));
  const pid = child.pid ?? 0;
  // the cgroup the child is in (first hierarchy listed), as a container's cgroupsPath would be
  const line = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')[0] ?? '';
  const own = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
  assert.equal(killDirect({ pid, cgroupsPath: `${own === '/' ? '' : own}/berth-not-this-one` }, 'TERM'), false);
  assert.equal(killDirect({ pid, cgroupsPath: own }, 'NOSUCHSIGNAL'), false);
  assert.equal(killDirect({ pid: 0, cgroupsPath: own }, 'KILL'), false);
  assert.equal(child.exitCode, null);
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, s) => r(s)));
  assert.equal(killDirect({ pid, cgroupsPath: own }, 'TERM'), true);
  assert.equal(await exited, 'SIGTERM');
  assert.equal(killDirect({ pid: 2 ** 22 + 7, cgroupsPath: own }, 9), false, 'no such process');
});
