// Security defaults as Docker's, checked from inside containers: capabilities (default 14,
// --cap-add/--cap-drop incl. ALL, any case, with or without CAP_), the default seccomp profile
// (mount, unshare, kernel modules refused; CAP_SYS_ADMIN opens mount), custom and unconfined
// profiles, --privileged, no-new-privileges, masked and read-only paths (systempaths=unconfined),
// --read-only, namespace modes (ipc, pid, uts, cgroupns), --sysctl, --group-add; bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, importBusybox, need, isRoot, hasDocker, type Daemon, type RunResult } from './harness.js';
import { availableCaps, capMask, CAPS_BY_NUMBER } from '../../src/runtime/security/caps.js';

let d: Daemon;
let tmp: string;
before(async () => {
  if (!isRoot()) return;
  d = await startDaemon();
  await importBusybox(d);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-sec-'));
});
after(async () => {
  await d?.cleanup();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function ok(r: RunResult, what: string): string {
  assert.equal(r.code, 0, `${what}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

async function inside(flags: string[], script: string): Promise<string> {
  return ok(await d.berth(['run', '--rm', ...flags, 'busybox', 'sh', '-c', script]), `run ${flags.join(' ')}`);
}

const status = (k: string): string => `grep '^${k}:' /proc/self/status | cut -f2`;

async function containerCount(): Promise<number> {
  return (await d.request('GET', '/containers/json?all=1')).json<unknown[]>().length;
}

test('default container: CapEff a80425fb, Seccomp 2, mount/unshare/modules refused, masked and read-only paths', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const out = await inside([], [
    status('CapEff'), status('CapBnd'), status('Seccomp'), status('NoNewPrivs'),
    'mount -t tmpfs none /tmp 2>&1 | grep -c "permission denied\\|not permitted"',
    'unshare -m true 2>&1 | grep -c "not permitted"',
    'echo x > /tmp/m.ko; insmod /tmp/m.ko 2>&1 | grep -c "not permitted"',
    // /proc/kcore is masked (this kernel may not have it: /proc/timer_list is masked the same way)
    'for f in /proc/kcore /proc/timer_list /proc/keys; do [ -e $f ] && wc -c < $f; done | sort -u',
    '(echo x > /proc/sys/kernel/domainname) 2>&1 | grep -c "Read-only file system"',
    'touch /sys/x 2>&1 | grep -c "Read-only file system"',
  ].join('; '));
  assert.deepEqual(out.trim().split('\n'), ['00000000a80425fb', '00000000a80425fb', '2', '0', '1', '1', '1', '0', '1', '1']);
});

test('capabilities: --cap-add/--cap-drop, ALL, case and prefix', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  assert.equal((await inside(['--cap-drop', 'ALL', '--cap-add', 'net_admin'], status('CapEff'))).trim(), '0000000000001000');
  assert.equal((await inside(['--cap-drop', 'all'], status('CapEff'))).trim(), '0000000000000000');
  const mask = capMask([...availableCaps()].filter((c) => c !== 'CAP_CHOWN'));
  assert.equal((await inside(['--cap-add', 'ALL', '--cap-drop', 'Cap_Chown'], status('CapEff'))).trim(), mask);
  assert.equal((await inside(['--cap-drop', 'CAP_NET_RAW', '--cap-drop', 'mknod'], status('CapEff'))).trim(), capMask(['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE']));
  // CAP_SYS_ADMIN also opens the seccomp rules that depend on it (mount, unshare)
  const admin = await inside(['--cap-add', 'SYS_ADMIN'], 'mount -t tmpfs none /tmp && echo mounted; unshare -m true && echo unshared');
  assert.deepEqual(admin.trim().split('\n'), ['mounted', 'unshared']);
  // a dropped capability is really gone: chown refused
  assert.match(await inside(['--cap-drop', 'chown', '--user', '0'], 'touch /tmp/f; chown 1 /tmp/f 2>&1; true'), /not permitted/);
});

test('--privileged: all capabilities, no seccomp, host devices, writable /sys, nothing masked', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const avail = capMask([...availableCaps()]);
  const out = await inside(['--privileged'], [
    status('CapEff'), status('Seccomp'),
    'ls /dev/loop0 >/dev/null 2>&1 && echo has-loop0',
    'grep " /sys sysfs" /proc/mounts | grep -c "rw,"',
    'head -c 4 /proc/timer_list | wc -c',
    'mount -t tmpfs none /tmp && echo mounted',
  ].join('; '));
  const lines = out.trim().split('\n');
  assert.equal(lines[0], avail);
  assert.equal(lines[1], '0');
  if (fs.existsSync('/dev/loop0')) assert.ok(lines.includes('has-loop0'), out);
  assert.ok(lines.includes('mounted'), out);
  assert.equal(lines.at(-3), '1', 'sysfs is rw');
  assert.equal(lines.at(-2), '4', '/proc/timer_list is not masked');
  // CAPS_BY_NUMBER is the kernel's list: the mask has every available one
  assert.ok(CAPS_BY_NUMBER.length >= 41);
});

test('seccomp: unconfined, a custom profile, malformed profiles (CLI and API), daemon default cached', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  assert.equal((await inside(['--security-opt', 'seccomp=unconfined'], status('Seccomp'))).trim(), '0');
  const prof = path.join(tmp, 'nomkdir.json');
  fs.writeFileSync(prof, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }, null, 2));
  const out = await inside(['--security-opt', `seccomp=${prof}`], `${status('Seccomp')}; mkdir /tmp/nope 2>&1; touch /tmp/yes && echo touched`);
  assert.match(out, /^2\n/);
  assert.match(out, /mkdir: can't create directory '\/tmp\/nope': Operation not permitted/);
  assert.match(out, /touched/);
  const before = await containerCount();
  const bad = path.join(tmp, 'bad.json');
  fs.writeFileSync(bad, '{"defaultAction": ');
  const r1 = await d.berth(['run', '--rm', '--security-opt', `seccomp=${bad}`, 'busybox', 'true']);
  assert.equal(r1.code, 125);
  assert.match(r1.stderr, new RegExp(`compacting json for seccomp profile \\(${bad}\\) failed`));
  const r2 = await d.request('POST', '/containers/create', { body: { Image: 'busybox', HostConfig: { SecurityOpt: ['seccomp={"defaultAction": 5}'] } } });
  assert.equal(r2.status, 400);
  assert.match(r2.json<{ message: string }>().message, /^Decoding seccomp profile failed: /);
  const r3 = await d.request('POST', '/containers/create', { body: { Image: 'busybox', HostConfig: { SecurityOpt: ['seccomp={"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOPE"}]}'] } } });
  assert.equal(r3.status, 400);
  assert.match(r3.json<{ message: string }>().message, /Decoding seccomp profile failed: invalid action "SCMP_ACT_NOPE"/);
  const r4 = await d.request('POST', '/containers/create', { body: { Image: 'busybox', HostConfig: { SecurityOpt: ['bogus=1'] } } });
  assert.equal(r4.status, 400);
  assert.equal(r4.json<{ message: string }>().message, 'invalid --security-opt 2: "bogus=1"');
  assert.equal(await containerCount(), before, 'nothing created');
  // the rendered default profile lands in config.json as OCI seccomp, for the container's caps
  const id = ok(await d.berth(['create', '--cap-add', 'SYS_PTRACE', 'busybox', 'true']), 'create').trim();
  ok(await d.berth(['start', '-a', id]), 'start');
  const cfg = JSON.parse(fs.readFileSync(path.join(d.dataRoot, 'containers', id, 'bundle', 'config.json'), 'utf8')) as { linux: { seccomp: { defaultAction: string; architectures: string[]; syscalls: { names: string[] }[] } } };
  assert.equal(cfg.linux.seccomp.defaultAction, 'SCMP_ACT_ERRNO');
  assert.deepEqual(cfg.linux.seccomp.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const names = new Set(cfg.linux.seccomp.syscalls.flatMap((s) => s.names));
  assert.ok(names.has('ptrace') && names.has('process_vm_readv'), 'CAP_SYS_PTRACE rules included');
  assert.ok(!names.has('mount') && !names.has('init_module'), 'CAP_SYS_ADMIN/CAP_SYS_MODULE rules excluded');
  ok(await d.berth(['rm', id]), 'rm');
});

test('no-new-privileges, systempaths=unconfined, --read-only', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  assert.equal((await inside(['--security-opt', 'no-new-privileges'], status('NoNewPrivs'))).trim(), '1');
  assert.equal((await inside(['--security-opt', 'no-new-privileges=true'], status('NoNewPrivs'))).trim(), '1');
  assert.equal((await inside(['--security-opt', 'no-new-privileges:false'], status('NoNewPrivs'))).trim(), '0');
  const sp = await inside(['--security-opt', 'systempaths=unconfined'], 'head -c 4 /proc/timer_list | wc -c; grep -c " /proc/sys proc ro" /proc/mounts; true');
  assert.deepEqual(sp.trim().split('\n'), ['4', '0']);
  const ro = await inside(['--read-only', '--tmpfs', '/scratch'], 'touch /x 2>&1 | grep -c "Read-only file system"; touch /scratch/y && echo tmpfs-ok');
  assert.deepEqual(ro.trim().split('\n'), ['1', 'tmpfs-ok']);
});

test('namespaces: --ipc host|shareable|container:, --pid host|container:, --uts host, --cgroupns private', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const hostIpc = fs.readlinkSync('/proc/self/ns/ipc');
  assert.equal((await inside(['--ipc', 'host'], 'readlink /proc/self/ns/ipc')).trim(), hostIpc);
  assert.notEqual((await inside([], 'readlink /proc/self/ns/ipc')).trim(), hostIpc);
  const donor = ok(await d.berth(['run', '-d', '--name', 'ipcdonor', '--ipc', 'shareable', 'busybox', 'sh', '-c', 'echo shared > /dev/shm/hello; sleep 300']), 'donor').trim();
  const donorIpc = ok(await d.berth(['exec', donor, 'readlink', '/proc/self/ns/ipc']), 'exec').trim();
  const joined = await inside(['--ipc', 'container:ipcdonor', '--pid', 'container:ipcdonor'], 'readlink /proc/self/ns/ipc; cat /dev/shm/hello; ps -o comm | grep -c "^sleep$"');
  assert.deepEqual(joined.trim().split('\n'), [donorIpc, 'shared', '1']);
  const priv = ok(await d.berth(['run', '-d', '--name', 'ipcpriv', 'busybox', 'sleep', '300']), 'private').trim();
  const refused = await d.berth(['run', '--rm', '--ipc', 'container:ipcpriv', 'busybox', 'true']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /non-shareable IPC/);
  ok(await d.berth(['rm', '-f', donor, priv]), 'rm');
  const stopped = ok(await d.berth(['create', '--name', 'pidstopped', 'busybox', 'true']), 'create').trim();
  const r = await d.berth(['run', '--rm', '--pid', 'container:pidstopped', 'busybox', 'true']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /cannot join PID of a non running container: pidstopped/);
  ok(await d.berth(['rm', stopped]), 'rm');
  const hostPid1 = fs.readFileSync('/proc/1/comm', 'utf8').trim();
  assert.equal((await inside(['--pid', 'host'], 'cat /proc/1/comm')).trim(), hostPid1);
  assert.equal((await inside(['--uts', 'host'], 'hostname')).trim(), os.hostname());
  const cg = await inside(['--cgroupns', 'private'], 'grep memory /proc/self/cgroup');
  assert.match(cg.trim(), /:memory:\/$/);
  const cgh = await inside(['--cgroupns', 'host'], 'grep memory /proc/self/cgroup');
  assert.match(cgh.trim(), /:memory:\/.+/);
});

test('--sysctl (namespaced only), --group-add', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const out = await inside(['--sysctl', 'net.ipv4.ip_unprivileged_port_start=80', '--sysctl', 'kernel.shmmax=123456789'], 'cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shmmax');
  assert.deepEqual(out.trim().split('\n'), ['80', '123456789']);
  const before = await containerCount();
  const cli = await d.berth(['run', '--rm', '--sysctl', 'kernel.hostname=x', 'busybox', 'true']);
  assert.equal(cli.code, 125);
  assert.match(cli.stderr, /invalid argument "kernel.hostname=x" for "--sysctl" flag: sysctl 'kernel.hostname=x' is not allowed/);
  const api = await d.request('POST', '/containers/create', { body: { Image: 'busybox', HostConfig: { Sysctls: { 'vm.swappiness': '10' } } } });
  assert.equal(api.status, 400);
  assert.equal(api.json<{ message: string }>().message, "sysctl 'vm.swappiness=10' is not allowed");
  const hostNet = await d.request('POST', '/containers/create', { body: { Image: 'busybox', HostConfig: { NetworkMode: 'host', Sysctls: { 'net.ipv4.ip_forward': '1' } } } });
  assert.equal(hostNet.status, 400);
  assert.equal(await containerCount(), before);
  const ids = await inside(['--group-add', '123', '--group-add', 'daemon', '--user', 'nobody'], 'id -G');
  assert.deepEqual(ids.trim().split(' ').sort(), ['1', '123', '65534'].sort());
});

test('bad capability and namespace modes: Docker\'s errors, nothing created; docker CLI', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const before = await containerCount();
  const r = await d.berth(['run', '--rm', '--cap-add', 'CAP_FOO', 'busybox', 'true']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /Error response from daemon: unknown capability: "CAP_FOO"/);
  for (const [hc, msg] of [
    [{ CapDrop: ['bogus'] }, 'unknown capability: "CAP_BOGUS"'],
    [{ IpcMode: 'weird' }, 'invalid IPC mode: weird'],
    [{ PidMode: 'weird' }, 'invalid PID mode: weird'],
    [{ UTSMode: 'weird' }, 'invalid UTS mode: weird'],
    [{ CgroupnsMode: 'weird' }, 'invalid cgroup namespace mode: weird'],
    [{ IpcMode: 'container:nosuch' }, 'No such container: nosuch'],
  ] as [Record<string, unknown>, string][]) {
    const res = await d.request('POST', '/containers/create', { body: { Image: 'busybox', HostConfig: hc } });
    assert.equal(res.status, 400, `${JSON.stringify(hc)} ${res.text}`);
    assert.equal(res.json<{ message: string }>().message, msg);
  }
  assert.equal(await containerCount(), before);
  if (!hasDocker()) return;
  const dr = await d.docker(['run', '--rm', '--cap-add', 'foo', 'busybox', 'true']);
  assert.equal(dr.code, 125);
  assert.match(dr.stderr, /unknown capability: "CAP_FOO"/);
  const caps = ok(await d.docker(['run', '--rm', '--cap-drop', 'ALL', '--cap-add', 'kill', 'busybox', 'grep', 'CapEff', '/proc/self/status']), 'docker run');
  assert.match(caps, /CapEff:\s+0000000000000020/);
});
