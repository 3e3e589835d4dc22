import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adaptResources, applyResources, mergeUpdate, parseDeviceCgroupRule, parseUintList, updateResources, verifyResources, type CgroupInfo, type ResourcesConfig } from './resources.js';

const V1: CgroupInfo = {
  version: 1, swapLimit: true, memoryReservation: true, swappiness: true, oomKillDisable: true, kernelMemory: false, pids: true, cpuCfs: true, cpuShares: true,
  cpuRealtime: true, cpuset: true, blkioWeight: false, blkioWeightDevice: false, blkioThrottle: true, cpus: '0-1', mems: '0', ncpu: 2,
};
const verify = (hc: ResourcesConfig, update = false): string[] => verifyResources(hc, { update, ci: V1 });

test("Docker's create-time messages", () => {
  assert.throws(() => verify({ Memory: 1024 }), { message: 'Minimum memory limit allowed is 6MB' });
  assert.throws(() => verify({ Memory: 64 << 20, MemorySwap: 32 << 20 }), { message: 'Minimum memoryswap limit should be larger than memory limit, see usage' });
  assert.throws(() => verify({ MemorySwap: 64 << 20 }), { message: 'You should always set the Memory limit when using Memoryswap limit, see usage' });
  assert.doesNotThrow(() => verify({ MemorySwap: 64 << 20 }, true));
  assert.throws(() => verify({ NanoCpus: 3e9 }), { message: 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available' });
  assert.throws(() => verify({ NanoCpus: 1e9, CpuPeriod: 100000 }), { message: 'Conflicting options: Nano CPUs and CPU Period cannot both be set' });
  assert.throws(() => verify({ CpuQuota: 500 }), { message: 'CPU cfs quota can not be less than 1ms (i.e. 1000)' });
  assert.throws(() => verify({ CpusetCpus: '0-3' }), { message: 'Requested CPUs are not available - requested 0-3, available: 0-1' });
  assert.throws(() => verify({ CpusetMems: '1' }), { message: 'Requested memory nodes are not available - requested 1, available: 0' });
  assert.throws(() => verify({ DeviceCgroupRules: ['c 1:3'] }), { message: "invalid device cgroup format 'c 1:3'" });
});

test('warnings and discarded settings', () => {
  const hc: ResourcesConfig = { BlkioWeight: 300, KernelMemory: 1 << 26, OomKillDisable: true };
  assert.deepEqual(verify(hc), [
    'Your kernel does not support kernel memory limit capabilities or the cgroup is not mounted. Limitation discarded.',
    'OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.',
    'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.',
  ]);
  assert.equal(hc.BlkioWeight, 0);
  assert.equal(hc.KernelMemory, undefined);
});

test('adapt: swap defaults to twice the memory; negative pids limit is unlimited', () => {
  const hc: ResourcesConfig = { Memory: 64 << 20, PidsLimit: -5 };
  adaptResources(hc);
  assert.equal(hc.MemorySwap, 128 << 20);
  assert.equal(hc.PidsLimit, -1);
});

test('update merge: Docker conflicts and what changes', () => {
  const cur: ResourcesConfig = { Memory: 64 << 20, MemorySwap: 128 << 20, NanoCpus: 5e8 };
  assert.throws(() => mergeUpdate(cur, { Memory: 200 << 20 }), { message: 'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time' });
  assert.throws(() => mergeUpdate(cur, { CpuQuota: 20000 }), { message: 'Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set' });
  assert.throws(() => mergeUpdate({ AutoRemove: true }, { RestartPolicy: { Name: 'always' } }), { message: 'Restart policy cannot be updated because AutoRemove is enabled for the container' });
  const m = mergeUpdate(cur, { Memory: 100 << 20, MemorySwap: 300 << 20, PidsLimit: 0, CpusetCpus: '1' });
  assert.deepEqual([m.Memory, m.MemorySwap, m.PidsLimit, m.CpusetCpus, m.NanoCpus], [100 << 20, 300 << 20, -1, '1', 5e8]);
  assert.equal(cur.Memory, 64 << 20, 'the current config is not changed');
  assert.deepEqual(updateResources(m), { memory: { limit: 100 << 20, swap: 300 << 20 }, cpu: { period: 100000, quota: 50000, cpus: '1' }, pids: { limit: -1 } });
});

test('lists and device rules', () => {
  assert.deepEqual([...parseUintList('0-2,5')], [0, 1, 2, 5]);
  assert.throws(() => parseUintList('2-1'), /invalid format/);
  assert.deepEqual(parseDeviceCgroupRule('c *:* m'), { allow: true, type: 'c', access: 'm' });
  assert.deepEqual(parseDeviceCgroupRule('b 7:1 rw'), { allow: true, type: 'b', major: 7, minor: 1, access: 'rw' });
});

test('applyResources: --blkio-weight-device and throttles become blockIO entries with device numbers', () => {
  const resources: Record<string, unknown> = { blockIO: { weight: 0 } };
  applyResources(resources, { BlkioWeightDevice: [{ Path: '/dev/null', Weight: 300 }], BlkioDeviceReadBps: [{ Path: '/dev/zero', Rate: 1048576 }] }, false);
  assert.deepEqual(resources['blockIO'], {
    weightDevice: [{ major: 1, minor: 3, weight: 300 }],
    throttleReadBpsDevice: [{ major: 1, minor: 5, rate: 1048576 }],
  });
  const none: Record<string, unknown> = { blockIO: { weight: 0 } };
  applyResources(none, {}, false);
  assert.equal(none['blockIO'], undefined);
});
