// Resource limits checked from INSIDE containers (cgroup v1 files under /sys/fs/cgroup, ulimit,
// behaviour under load): memory/swap/reservation/OOM, CPU quota/shares/cpuset, pids (a fork
// bomb hits the limit), block I/O throttling, devices and device cgroup rules, ulimits clamped
// to the daemon's own hard limit (with a create warning), /dev/shm size; `update` on a running
// and a stopped container with berth and the real docker CLI; bad input gets Docker's errors
// and creates nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startDaemon, importBusybox, need, isRoot, hasDocker, sleep, type Daemon, type RunResult } from './harness.js';

let d: Daemon;
const V1 = fs.existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes') || fs.existsSync('/sys/fs/cgroup/memory');
const CG = {
  mem: '/sys/fs/cgroup/memory/memory.limit_in_bytes',
  memsw: '/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes',
  soft: '/sys/fs/cgroup/memory/memory.soft_limit_in_bytes',
  oom: '/sys/fs/cgroup/memory/memory.oom_control',
  quota: '/sys/fs/cgroup/cpu/cpu.cfs_quota_us',
  period: '/sys/fs/cgroup/cpu/cpu.cfs_period_us',
  shares: '/sys/fs/cgroup/cpu/cpu.shares',
  cpus: '/sys/fs/cgroup/cpuset/cpuset.cpus',
  mems: '/sys/fs/cgroup/cpuset/cpuset.mems',
  pids: '/sys/fs/cgroup/pids/pids.max',
  rbps: '/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device',
  wiops: '/sys/fs/cgroup/blkio/blkio.throttle.write_iops_device',
  devices: '/sys/fs/cgroup/devices/devices.list',
};
const UNLIMITED = '9223372036854771712';

before(async () => {
  if (!isRoot()) return;
  d = await startDaemon();
  await importBusybox(d);
});
after(async () => d?.cleanup());

function ready(t: import('node:test').TestContext): boolean {
  return need(t, isRoot(), 'root') && need(t, V1, 'cgroup v1 controllers at /sys/fs/cgroup/<ctrl>');
}

function ok(r: RunResult, what: string): string {
  assert.equal(r.code, 0, `${what}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** `berth run --rm [flags] busybox sh -c script` -> stdout lines */
async function inside(flags: string[], script: string): Promise<string[]> {
  const r = await d.berth(['run', '--rm', ...flags, 'busybox', 'sh', '-c', script]);
  return ok(r, `run ${flags.join(' ')}`).trim().split('\n');
}

const cat = (...files: string[]): string => files.map((f) => `cat ${f}`).join('; ');

async function containerCount(): Promise<number> {
  const r = await d.request('GET', '/containers/json?all=1');
  return r.json<unknown[]>().length;
}

async function inspectHc(id: string): Promise<Record<string, unknown>> {
  const r = await d.request('GET', `/containers/${id}/json`);
  assert.equal(r.status, 200, r.text);
  return r.json<{ HostConfig: Record<string, unknown> }>().HostConfig;
}

test('memory, swap, reservation, oom-kill-disable from inside', async (t) => {
  if (!ready(t)) return;
  const lines = await inside(['-m', '64m', '--memory-swap', '100m', '--memory-reservation', '32m'], cat(CG.mem, CG.memsw, CG.soft));
  assert.deepEqual(lines, [String(64 << 20), String(100 << 20), String(32 << 20)]);
  // swap defaults to twice the memory (Docker), -1 is unlimited
  assert.deepEqual(await inside(['-m', '50m'], cat(CG.mem, CG.memsw)), [String(50 << 20), String(100 << 20)]);
  assert.deepEqual(await inside(['-m', '50m', '--memory-swap', '-1'], cat(CG.mem, CG.memsw)), [String(50 << 20), UNLIMITED]);
  const oom = await inside(['-m', '50m', '--oom-kill-disable'], cat(CG.oom));
  assert.ok(oom.includes('oom_kill_disable 1'), oom.join('\n'));
  // the default: no limit
  assert.deepEqual(await inside([], cat(CG.mem)), [UNLIMITED]);
});

test('cpu: --cpus, --cpu-period/--cpu-quota, --cpu-shares, --cpuset-cpus/--cpuset-mems', async (t) => {
  if (!ready(t)) return;
  assert.deepEqual(await inside(['--cpus', '0.5'], cat(CG.quota, CG.period)), ['50000', '100000']);
  assert.deepEqual(await inside(['--cpu-period', '50000', '--cpu-quota', '25000', '--cpu-shares', '512'], cat(CG.quota, CG.period, CG.shares)), ['25000', '50000', '512']);
  assert.deepEqual(await inside(['--cpuset-cpus', '0', '--cpuset-mems', '0'], cat(CG.cpus, CG.mems)), ['0', '0']);
  // behaviour: a busy loop under --cpus 0.2 gets about 20% of one CPU
  const out = await inside(['--cpus', '0.2'], `(while :; do :; done) & p=$!; sleep 2; kill $p; cat /sys/fs/cgroup/cpu/cpu.stat`);
  const throttled = Number(/nr_throttled (\d+)/.exec(out.join('\n'))?.[1] ?? 0);
  assert.ok(throttled > 5, `throttled ${throttled} times: ${out.join(' ')}`);
});

test('pids limit: a fork bomb hits it', async (t) => {
  if (!ready(t)) return;
  // the forking subshell dies at the first refused fork; the rest uses shell builtins only
  const script = `read m < ${CG.pids}; echo max=$m; (i=0; while [ $i -lt 100 ]; do sleep 30 & i=$((i+1)); done) 2>/tmp/err; read c < /sys/fs/cgroup/pids/pids.current; echo current=$c; while read l; do case "$l" in *"can't fork"*|*"Resource temporarily unavailable"*) echo refused; break;; esac; done < /tmp/err`;
  const out = await inside(['--pids-limit', '20'], script);
  assert.equal(out[0], 'max=20');
  // 20 at the refusal; the subshell that hit it has exited since
  const cur = Number(/current=(\d+)/.exec(out[1] ?? '')?.[1]);
  assert.ok(cur >= 18 && cur <= 20, out.join(' '));
  assert.equal(out[2], 'refused', out.join(' '));
});

test('OOM: killed by the memory cgroup -> OOMKilled, exit 137, an oom event', async (t) => {
  if (!ready(t)) return;
  const since = Math.floor(Date.now() / 1000) - 1;
  const r = await d.berth(['run', '-d', '--name', 'hog', '-m', '16m', '--memory-swap', '16m', 'busybox', 'sh', '-c', 'x=aaaaaaaa; while true; do x=$x$x; done']);
  const id = ok(r, 'run hog').trim();
  const w = await d.request('POST', `/containers/${id}/wait`, { timeoutMs: 60_000 });
  assert.equal(w.json<{ StatusCode: number }>().StatusCode, 137);
  const st = (await d.request('GET', `/containers/${id}/json`)).json<{ State: { OOMKilled: boolean; ExitCode: number } }>().State;
  assert.equal(st.OOMKilled, true);
  assert.equal(st.ExitCode, 137);
  const ev = await d.request('GET', `/events?since=${since}&until=${Math.floor(Date.now() / 1000) + 1}&filters=${encodeURIComponent(JSON.stringify({ container: [id] }))}`);
  const actions = ev.text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { Action: string }).Action);
  assert.ok(actions.includes('oom'), actions.join(','));
  assert.ok(actions.indexOf('oom') < actions.indexOf('die'), actions.join(','));
  ok(await d.berth(['rm', id]), 'rm');
});

test('ulimits: set inside, clamped to the daemon hard limit with a create warning', async (t) => {
  if (!ready(t)) return;
  assert.deepEqual(await inside(['--ulimit', 'nofile=1000:2000', '--ulimit', 'nproc=300'], 'ulimit -n; ulimit -Hn; ulimit -u'), ['1000', '2000', '300']);
  const hard = Number(/^Max open files\s+\S+\s+(\S+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))?.[1]);
  const c = await d.request('POST', '/containers/create', { body: { Image: 'busybox', Cmd: ['sh', '-c', 'ulimit -n; ulimit -Hn'], HostConfig: { Ulimits: [{ Name: 'nofile', Soft: 1048576, Hard: 1048576 }] } } });
  assert.equal(c.status, 201, c.text);
  const { Id, Warnings } = c.json<{ Id: string; Warnings: string[] }>();
  if (Number.isFinite(hard) && hard < 1048576) {
    assert.ok(Warnings.some((x) => x.includes('nofile') && x.includes(String(hard))), JSON.stringify(Warnings));
  }
  const r = await d.berth(['start', '-a', Id]);
  assert.deepEqual(ok(r, 'start').trim().split('\n'), Number.isFinite(hard) && hard < 1048576 ? [String(hard), String(hard)] : ['1048576', '1048576']);
  ok(await d.berth(['rm', Id]), 'rm');
  // the CLI prints the warning
  const cli = await d.berth(['run', '--rm', '--ulimit', 'nofile=1048576', 'busybox', 'true']);
  ok(cli, 'run');
  if (Number.isFinite(hard) && hard < 1048576) assert.match(cli.stderr, /WARNING: Ulimit nofile/);
});

test('--shm-size, --kernel-memory (ignored with a warning), --blkio-weight', async (t) => {
  if (!ready(t)) return;
  const shm = await inside(['--shm-size', '16m'], "df -k /dev/shm | tail -1 | awk '{print $2}'");
  assert.deepEqual(shm, ['16384']);
  const r = await d.berth(['run', '--rm', '--kernel-memory', '64m', 'busybox', 'true']);
  ok(r, 'kernel-memory');
  assert.match(r.stderr, /WARNING: .*kernel memory limit/);
  const c = await d.request('POST', '/containers/create', { body: { Image: 'busybox', HostConfig: { BlkioWeight: 300 } } });
  assert.equal(c.status, 201, c.text);
  const { Id, Warnings } = c.json<{ Id: string; Warnings: string[] }>();
  const weight = fs.existsSync('/sys/fs/cgroup/blkio/blkio.weight') || fs.existsSync('/sys/fs/cgroup/blkio/blkio.bfq.weight');
  if (!weight) {
    assert.deepEqual(Warnings, ['Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.']);
    assert.equal((await inspectHc(Id))['BlkioWeight'], 0);
  }
  await d.request('DELETE', `/containers/${Id}`);
});

test('block I/O throttling, --device with permissions, --device-cgroup-rule', async (t) => {
  if (!ready(t)) return;
  need(t, fs.existsSync('/dev/vda') || fs.existsSync('/dev/loop0'), 'a block device');
  const blk = fs.existsSync('/dev/vda') ? '/dev/vda' : '/dev/loop0';
  const st = fs.statSync(blk);
  const mm = `${Math.floor(st.rdev / 256)}:${st.rdev % 256}`;
  const out = await inside(['--device-read-bps', `${blk}:1mb`, '--device-write-iops', `${blk}:100`], cat(CG.rbps, CG.wiops));
  assert.deepEqual(out, [`${mm} 1048576`, `${mm} 100`]);
  // a device node created in the container, read-only in the devices cgroup
  need(t, fs.existsSync('/dev/loop0'), '/dev/loop0');
  const dev = await inside(['--device', '/dev/loop0:/dev/xloop:r'], `ls -l /dev/xloop | cut -c1; grep '^b 7:0' ${CG.devices}; head -c 1 /dev/xloop >/dev/null && echo read-ok; (echo x > /dev/xloop) 2>&1 | grep -c 'not permitted'`);
  assert.deepEqual(dev, ['b', 'b 7:0 r', 'read-ok', '1']);
  // a rule allows mknod+use of 7:1 but 7:2 stays denied
  const rule = await inside(['--device-cgroup-rule', 'b 7:1 rw'], "mknod /tmp/l1 b 7 1; mknod /tmp/l2 b 7 2; head -c 1 /tmp/l1 >/dev/null && echo l1-ok; head -c 1 /tmp/l2 2>&1 | grep -c 'not permitted'");
  assert.deepEqual(rule, ['l1-ok', '1']);
});

test('update: a running container changes limits in place (memsw before memory) and keeps them', async (t) => {
  if (!ready(t)) return;
  const id = ok(await d.berth(['run', '-d', '-m', '64m', '--cpus', '0.5', '--pids-limit', '50', 'busybox', 'sleep', '300']), 'run').trim();
  const read = async (): Promise<string[]> => ok(await d.berth(['exec', id, 'sh', '-c', cat(CG.mem, CG.memsw, CG.quota, CG.pids, CG.shares)]), 'exec').trim().split('\n');
  assert.deepEqual(await read(), [String(64 << 20), String(128 << 20), '50000', '50', '1024']);
  // raise memory above the current memsw: needs memsw first on cgroup v1
  const u = await d.berth(['update', '-m', '200m', '--memory-swap', '300m', '--cpus', '1', '--pids-limit', '80', '--cpu-shares', '256', id]);
  assert.equal(ok(u, 'update').trim(), id);
  assert.deepEqual(await read(), [String(200 << 20), String(300 << 20), '100000', '80', '256']);
  // lower again
  ok(await d.berth(['update', '-m', '32m', '--memory-swap', '40m', id]), 'update down');
  assert.deepEqual((await read()).slice(0, 2), [String(32 << 20), String(40 << 20)]);
  const hc = await inspectHc(id);
  assert.equal(hc['Memory'], 32 << 20);
  assert.equal(hc['MemorySwap'], 40 << 20);
  assert.equal(hc['NanoCpus'], 1e9);
  assert.equal(hc['PidsLimit'], 80);
  // Docker's conflicts: 409 with "Cannot update container <id>: ..."
  const c1 = await d.request('POST', `/containers/${id}/update`, { body: { Memory: 100 << 20 } });
  assert.equal(c1.status, 409, c1.text);
  assert.equal(c1.json<{ message: string }>().message, `Cannot update container ${id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time`);
  const c2 = await d.request('POST', `/containers/${id}/update`, { body: { CpuQuota: 20000 } });
  assert.equal(c2.status, 409);
  assert.match(c2.json<{ message: string }>().message, /CPU Quota cannot be updated as NanoCPUs has already been set/);
  const c3 = await d.request('POST', `/containers/${id}/update`, { body: { Memory: 1024 } });
  assert.equal(c3.status, 400);
  assert.equal(c3.json<{ message: string }>().message, 'Minimum memory limit allowed is 6MB');
  assert.deepEqual((await read()).slice(0, 2), [String(32 << 20), String(40 << 20)], 'a refused update changes nothing');
  // the update persists over a restart
  ok(await d.berth(['restart', '-t', '0', id]), 'restart');
  assert.deepEqual(await read(), [String(32 << 20), String(40 << 20), '100000', '80', '256']);
  const nf = await d.berth(['update', '-m', '64m', 'nosuchcontainer']);
  assert.equal(nf.code, 1);
  assert.match(nf.stderr, /No such container: nosuchcontainer/);
  ok(await d.berth(['rm', '-f', id]), 'rm');
});

test('update: a stopped container gets the new limits at its next start; restart policy', async (t) => {
  if (!ready(t)) return;
  const id = ok(await d.berth(['create', 'busybox', 'sh', '-c', cat(CG.mem, CG.pids)]), 'create').trim();
  ok(await d.berth(['update', '-m', '48m', '--memory-swap', '96m', '--pids-limit', '33', '--restart', 'on-failure:3', id]), 'update');
  const hc = await inspectHc(id);
  assert.deepEqual(hc['RestartPolicy'], { Name: 'on-failure', MaximumRetryCount: 3 });
  const r = await d.berth(['start', '-a', id]);
  assert.deepEqual(ok(r, 'start').trim().split('\n'), [String(48 << 20), '33']);
  const none = await d.berth(['update', id]);
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /you must provide one or more flags when using this command/);
  ok(await d.berth(['rm', id]), 'rm');
});

test('docker CLI: run -m, update', async (t) => {
  if (!ready(t) || !need(t, hasDocker(), 'docker CLI')) return;
  const id = ok(await d.docker(['run', '-d', '-m', '64m', '--memory-swap', '64m', 'busybox', 'sleep', '300']), 'docker run').trim();
  const read = async (): Promise<string[]> => ok(await d.docker(['exec', id, 'sh', '-c', cat(CG.mem, CG.memsw, CG.quota)]), 'exec').trim().split('\n');
  assert.deepEqual(await read(), [String(64 << 20), String(64 << 20), '-1']);
  ok(await d.docker(['update', '--memory', '128m', '--memory-swap', '256m', '--cpus', '1.5', id]), 'docker update');
  assert.deepEqual(await read(), [String(128 << 20), String(256 << 20), '150000']);
  const f = ok(await d.docker(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}}', id]), 'inspect').trim();
  assert.equal(f, `${128 << 20} ${256 << 20} 1500000000`);
  const bad = await d.docker(['update', '-m', '1k', id]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Minimum memory limit allowed is 6MB/);
  ok(await d.docker(['rm', '-f', id]), 'rm');
  const small = await d.docker(['run', '--rm', '-m', '1k', 'busybox', 'true']);
  assert.equal(small.code, 125);
  assert.match(small.stderr, /Error response from daemon: Minimum memory limit allowed is 6MB/);
});

test('bad input: Docker\'s errors, nothing created', async (t) => {
  if (!ready(t)) return;
  const before = await containerCount();
  const cases: [string[], RegExp][] = [
    [['-m', '1k'], /Minimum memory limit allowed is 6MB/],
    [['-m', '-5m'], /invalid argument "-5m" for "-m, --memory" flag: invalid size: '-5m'/],
    [['-m', '10x'], /invalid argument "10x" for "-m, --memory" flag: invalid size: '10x'/],
    [['--cpus', '3'], new RegExp(`Range of CPUs is from 0.01 to ${(await import('node:os')).availableParallelism()}.00, as there are only ${(await import('node:os')).availableParallelism()} CPUs available`)],
    [['--cpuset-cpus', '7'], /Requested CPUs are not available - requested 7, available: /],
    [['--cpuset-cpus', '0-x'], /Invalid value 0-x for cpuset cpus: invalid format: 0-x/],
    [['--cpu-period', '10'], /CPU cfs period can not be less than 1ms/],
    [['--cpus', '1', '--cpu-quota', '50000'], /Conflicting options: Nano CPUs and CPU Quota cannot both be set/],
    [['--memory-reservation', '1k'], /Minimum memory reservation allowed is 6MB/],
    [['-m', '10m', '--memory-reservation', '20m'], /Minimum memory limit can not be less than memory reservation limit, see usage/],
    [['--memory-swap', '100m'], /You should always set the Memory limit when using Memoryswap limit, see usage/],
    [['--device-cgroup-rule', 'x 1:2 rwm'], /invalid device cgroup format 'x 1:2 rwm'/],
    [['--device', '/dev/nonexistent'], /error gathering device information while adding custom device "\/dev\/nonexistent": no such file or directory/],
    [['--device-read-bps', '/dev/vda:abc'], /invalid rate for device: \/dev\/vda:abc/],
  ];
  for (const [flags, re] of cases) {
    const r = await d.berth(['run', '--rm', ...flags, 'busybox', 'true']);
    assert.equal(r.code, 125, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, flags.join(' '));
  }
  // the API itself: 400 with the message
  for (const [hc, msg] of [
    [{ Memory: 1024 }, 'Minimum memory limit allowed is 6MB'],
    [{ Memory: -1 }, 'Minimum memory limit allowed is 6MB'],
    [{ NanoCpus: -1 }, 'Range of CPUs is from 0.01'],
    [{ BlkioDeviceReadBps: [{ Path: '/dev/nosuch', Rate: 1 }] }, 'stat /dev/nosuch: no such file or directory'],
    [{ MemorySwappiness: 200 }, 'Invalid value: 200, valid memory swappiness range is 0-100'],
  ] as [Record<string, unknown>, string][]) {
    const r = await d.request('POST', '/containers/create', { body: { Image: 'busybox', HostConfig: hc } });
    assert.equal(r.status, 400, `${JSON.stringify(hc)}: ${r.text}`);
    assert.ok(r.json<{ message: string }>().message.startsWith(msg), r.text);
  }
  assert.equal(await containerCount(), before, 'nothing was created');
});

test('OOM-killed container restarts with its state reset (no stale oom flag)', async (t) => {
  if (!ready(t)) return;
  const id = ok(await d.berth(['create', '-m', '16m', '--memory-swap', '16m', 'busybox', 'sh', '-c', 'if [ -e /ran ]; then exit 3; fi; touch /ran; x=aaaaaaaa; while true; do x=$x$x; done']), 'create').trim();
  await d.berth(['start', '-a', id]);
  let st = (await d.request('GET', `/containers/${id}/json`)).json<{ State: { OOMKilled: boolean; ExitCode: number } }>().State;
  assert.deepEqual([st.OOMKilled, st.ExitCode], [true, 137]);
  await d.berth(['start', '-a', id]);
  await sleep(100);
  st = (await d.request('GET', `/containers/${id}/json`)).json<{ State: { OOMKilled: boolean; ExitCode: number } }>().State;
  assert.deepEqual([st.OOMKilled, st.ExitCode], [false, 3]);
  ok(await d.berth(['rm', id]), 'rm');
});
