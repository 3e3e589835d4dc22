import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { locateCgroup, parseBlkioV1, parseIoStatV2, parseNetDev, parseProcCgroup, readCgroupStats } from './cgroups.js';

test('/proc/<pid>/cgroup lines map controllers to paths', () => {
  const m = parseProcCgroup('9:name=systemd:/\n4:memory:/bt/abc\n2:cpu,cpuacct:/bt/abc\n0::/bt/abc\n');
  assert.equal(m.get('memory'), '/bt/abc');
  assert.equal(m.get('cpuacct'), '/bt/abc');
  assert.equal(m.get(''), '/bt/abc');
});

test('blkio v1 and io.stat v2', () => {
  assert.deepEqual(parseBlkioV1('8:0 Read 4096\n8:0 Write 0\nTotal 4096\n'), [
    { major: 8, minor: 0, op: 'Read', value: 4096 },
    { major: 8, minor: 0, op: 'Write', value: 0 },
  ]);
  const v2 = parseIoStatV2('254:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n');
  assert.deepEqual(v2.bytes.map((e) => [e.op, e.value]), [['read', 10], ['write', 20]]);
});

test('net/dev without loopback', () => {
  const text = 'Inter-|   Receive\n face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls carrier compressed\n    lo: 10 1 0 0 0 0 0 0 10 1 0 0 0 0 0 0\n  eth0: 646 7 0 1 0 0 0 0 266 3 0 0 0 0 0 0\n';
  assert.deepEqual(parseNetDev(text), { eth0: { rxBytes: 646, rxPackets: 7, rxErrors: 0, rxDropped: 1, txBytes: 266, txPackets: 3, txErrors: 0, txDropped: 0 } });
});

test('v2 and v1 trees read into the same shape', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-'));
  try {
    // v2
    const v2 = path.join(root, 'v2');
    fs.mkdirSync(path.join(v2, 'x'), { recursive: true });
    fs.writeFileSync(path.join(v2, 'cgroup.controllers'), 'cpu memory pids io');
    fs.writeFileSync(path.join(v2, 'x/cpu.stat'), 'usage_usec 2000\nuser_usec 1500\nsystem_usec 500\nnr_periods 3\nnr_throttled 1\nthrottled_usec 7\n');
    fs.writeFileSync(path.join(v2, 'x/memory.current'), '4096\n');
    fs.writeFileSync(path.join(v2, 'x/memory.max'), 'max\n');
    fs.writeFileSync(path.join(v2, 'x/memory.stat'), 'anon 100\ninactive_file 50\n');
    fs.writeFileSync(path.join(v2, 'x/pids.current'), '2\n');
    fs.writeFileSync(path.join(v2, 'x/pids.max'), '50\n');
    const s2 = readCgroupStats(locateCgroup({ cgroupsPath: '/x', root: v2 }));
    assert.equal(s2.cpu.total, 2_000_000);
    assert.equal(s2.cpu.kernel, 500_000);
    assert.equal(s2.cpu.throttling.throttledTime, 7000);
    assert.equal(s2.memory.usage, 4096);
    assert.equal(s2.memory.limit, undefined);
    assert.equal(s2.memory.stats['inactive_file'], 50);
    assert.deepEqual(s2.pids, { current: 2, limit: 50 });
    // v1
    const v1 = path.join(root, 'v1');
    for (const c of ['cpu', 'cpuacct', 'memory', 'pids', 'blkio']) fs.mkdirSync(path.join(v1, c, 'x'), { recursive: true });
    fs.writeFileSync(path.join(v1, 'cpuacct/x/cpuacct.usage'), '123456\n');
    fs.writeFileSync(path.join(v1, 'cpuacct/x/cpuacct.usage_percpu'), '100000 23456 \n');
    fs.writeFileSync(path.join(v1, 'cpuacct/x/cpuacct.stat'), 'user 3\nsystem 1\n');
    fs.writeFileSync(path.join(v1, 'memory/x/memory.usage_in_bytes'), '8192\n');
    fs.writeFileSync(path.join(v1, 'memory/x/memory.limit_in_bytes'), '9223372036854771712\n');
    fs.writeFileSync(path.join(v1, 'pids/x/pids.max'), 'max\n');
    fs.writeFileSync(path.join(v1, 'blkio/x/blkio.throttle.io_service_bytes_recursive'), '8:0 Read 512\n8:0 Write 1024\nTotal 1536\n');
    const s1 = readCgroupStats(locateCgroup({ cgroupsPath: '/x', root: v1 }));
    assert.equal(s1.cpu.total, 123456);
    assert.deepEqual(s1.cpu.perCpu, [100000, 23456]);
    assert.equal(s1.cpu.user, 30_000_000);
    assert.equal(s1.memory.limit, undefined, 'unlimited');
    assert.equal(s1.pids.limit, undefined);
    assert.deepEqual(s1.blkio.serviceBytes.map((e) => e.value), [512, 1024]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
