// Resource limits as Docker checks and applies them (moby daemon/daemon_unix.go
// verifyPlatformContainerResources, adaptContainerSettings, container.UpdateContainer): the
// checks with Docker's messages and warnings, the OCI linux.resources parts spec.ts does not
// build (block I/O throttling, device cgroup rules, realtime CPU), and what `update` sends to
// the runtime. cgroup v1 and v2 are detected the same way: by the files that exist.
import fs from 'node:fs';
import os from 'node:os';
import { conflict, invalidArgument } from '../../errdefs/index.js';
import type { HostConfig } from '../../engine-api/container.js';

export const MIN_MEMORY = 6 * 1024 * 1024;

export interface ThrottleDevice {
  Path: string;
  Rate: number;
}
export interface WeightDevice {
  Path: string;
  Weight: number;
}

/** HostConfig fields of the Engine API's Resources that engine-api/container.ts does not list (yet). */
export type ResourcesConfig = HostConfig & {
  KernelMemory?: number;
  KernelMemoryTCP?: number;
  BlkioWeightDevice?: WeightDevice[] | null;
  BlkioDeviceReadBps?: ThrottleDevice[] | null;
  BlkioDeviceWriteBps?: ThrottleDevice[] | null;
  BlkioDeviceReadIOps?: ThrottleDevice[] | null;
  BlkioDeviceWriteIOps?: ThrottleDevice[] | null;
  CpuPercent?: number;
  CpuCount?: number;
  IOMaximumIOps?: number;
  IOMaximumBandwidth?: number;
};

/** What the host's cgroups support (moby pkg/sysinfo), read once. */
export interface CgroupInfo {
  version: 1 | 2;
  swapLimit: boolean;
  memoryReservation: boolean;
  swappiness: boolean;
  oomKillDisable: boolean;
  kernelMemory: boolean;
  pids: boolean;
  cpuCfs: boolean;
  cpuShares: boolean;
  cpuRealtime: boolean;
  cpuset: boolean;
  blkioWeight: boolean;
  blkioWeightDevice: boolean;
  blkioThrottle: boolean;
  cpus: string;
  mems: string;
  ncpu: number;
}

const exists = (p: string): boolean => fs.existsSync(p);
const read = (p: string, d = ''): string => {
  try {
    return fs.readFileSync(p, 'utf8').trim();
  } catch {
    return d;
  }
};

let info: CgroupInfo | undefined;
export function cgroupInfo(): CgroupInfo {
  if (info) return info;
  const v2 = exists('/sys/fs/cgroup/cgroup.controllers');
  const ncpu = os.availableParallelism();
  if (v2) {
    const ctrls = read('/sys/fs/cgroup/cgroup.controllers').split(/\s+/);
    const has = (c: string): boolean => ctrls.includes(c);
    info = {
      version: 2, swapLimit: has('memory'), memoryReservation: has('memory'), swappiness: false, oomKillDisable: false, kernelMemory: false,
      pids: has('pids'), cpuCfs: has('cpu'), cpuShares: has('cpu'), cpuRealtime: false, cpuset: has('cpuset'),
      blkioWeight: has('io'), blkioWeightDevice: has('io'), blkioThrottle: has('io'),
      cpus: read('/sys/fs/cgroup/cpuset.cpus.effective', `0-${ncpu - 1}`), mems: read('/sys/fs/cgroup/cpuset.mems.effective', '0'), ncpu,
    };
  } else {
    const m = '/sys/fs/cgroup/memory';
    const b = '/sys/fs/cgroup/blkio';
    info = {
      version: 1,
      swapLimit: exists(`${m}/memory.memsw.limit_in_bytes`),
      memoryReservation: exists(`${m}/memory.soft_limit_in_bytes`),
      swappiness: exists(`${m}/memory.swappiness`),
      oomKillDisable: exists(`${m}/memory.oom_control`),
      // kmem.limit_in_bytes is deprecated since 5.4 and runtimes no longer set it (as Docker's sysinfo)
      kernelMemory: false,
      pids: exists('/sys/fs/cgroup/pids'),
      cpuCfs: exists('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'),
      cpuShares: exists('/sys/fs/cgroup/cpu/cpu.shares'),
      cpuRealtime: exists('/sys/fs/cgroup/cpu/cpu.rt_period_us'),
      cpuset: exists('/sys/fs/cgroup/cpuset/cpuset.cpus'),
      blkioWeight: exists(`${b}/blkio.weight`) || exists(`${b}/blkio.bfq.weight`),
      blkioWeightDevice: exists(`${b}/blkio.weight_device`) || exists(`${b}/blkio.bfq.weight_device`),
      blkioThrottle: exists(`${b}/blkio.throttle.read_bps_device`),
      cpus: read('/sys/fs/cgroup/cpuset/cpuset.effective_cpus', read('/sys/fs/cgroup/cpuset/cpuset.cpus', `0-${ncpu - 1}`)),
      mems: read('/sys/fs/cgroup/cpuset/cpuset.effective_mems', read('/sys/fs/cgroup/cpuset/cpuset.mems', '0')),
      ncpu,
    };
  }
  return info;
}

/** parsers.ParseUintList: "0-3,5" -> {0,1,2,3,5}. */
export function parseUintList(v: string): Set<number> {
  const out = new Set<number>();
  if (v === '') return out;
  for (const part of v.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`invalid format: ${v}`);
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    if (b < a) throw new Error(`invalid format: ${v}`);
    for (let i = a; i <= b; i++) out.add(i);
  }
  return out;
}

function checkCpuset(requested: string | undefined, available: string, what: 'cpus' | 'mems'): void {
  if (!requested) return;
  let want: Set<number>;
  try {
    want = parseUintList(requested);
  } catch (err) {
    throw invalidArgument(`Invalid value ${requested} for cpuset ${what}: ${(err as Error).message}`);
  }
  const have = parseUintList(available);
  for (const c of want) {
    if (!have.has(c)) {
      throw invalidArgument(what === 'cpus' ? `Requested CPUs are not available - requested ${requested}, available: ${available}` : `Requested memory nodes are not available - requested ${requested}, available: ${available}`);
    }
  }
}

const DEVICE_RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** Docker's device cgroup rule format: "c 1:3 rwm", "a *:* m". */
export function parseDeviceCgroupRule(rule: string): { allow: true; type: string; major?: number; minor?: number; access: string } {
  const m = DEVICE_RULE.exec(rule.trim());
  if (!m) throw invalidArgument(`invalid device cgroup format '${rule}'`);
  const r: { allow: true; type: string; major?: number; minor?: number; access: string } = { allow: true, type: m[1] as string, access: m[4] as string };
  if (m[2] !== '*') r.major = Number(m[2]);
  if (m[3] !== '*') r.minor = Number(m[3]);
  return r;
}

/** major:minor of a device node (Linux dev_t encoding). */
export function deviceNumbers(p: string): { type: 'c' | 'b'; major: number; minor: number; mode: number; uid: number; gid: number } {
  const st = fs.statSync(p, { bigint: true });
  const rdev = st.rdev;
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  const isChar = (Number(st.mode) & 0o170000) === 0o020000;
  const isBlock = (Number(st.mode) & 0o170000) === 0o060000;
  if (!isChar && !isBlock) throw new Error(`${p}: not a device node`);
  return { type: isChar ? 'c' : 'b', major, minor, mode: Number(st.mode) & 0o777, uid: Number(st.uid), gid: Number(st.gid) };
}

function throttle(list: ThrottleDevice[] | null | undefined, what: string): { major: number; minor: number; rate: number }[] {
  const out: { major: number; minor: number; rate: number }[] = [];
  for (const d of list ?? []) {
    if (!Number.isInteger(d.Rate) || d.Rate < 0) throw invalidArgument(`invalid ${what} rate ${d.Rate} for ${d.Path}`);
    let n;
    try {
      n = deviceNumbers(d.Path);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw invalidArgument(e.code === 'ENOENT' ? `stat ${d.Path}: no such file or directory` : e.message);
    }
    out.push({ major: n.major, minor: n.minor, rate: d.Rate });
  }
  return out;
}

/**
 * Docker's checks for create (update=false) and update (update=true). Returns the warnings and
 * adjusts `hc` as Docker does (discarded settings set to 0, MemorySwap defaulting to 2x Memory).
 */
export function verifyResources(hc: ResourcesConfig, o: { update: boolean; ci?: CgroupInfo }): string[] {
  const ci = o.ci ?? cgroupInfo();
  const w: string[] = [];
  const mem = hc.Memory ?? 0;
  const swap = hc.MemorySwap ?? 0;
  if (mem !== 0 && mem < MIN_MEMORY) throw invalidArgument('Minimum memory limit allowed is 6MB');
  if (mem > 0 && swap !== -1 && !ci.swapLimit) {
    w.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
    hc.MemorySwap = -1;
  }
  if (mem > 0 && swap > 0 && swap < mem) throw invalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (mem === 0 && swap > 0 && !o.update) throw invalidArgument('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (hc.MemorySwappiness !== undefined && hc.MemorySwappiness !== null && hc.MemorySwappiness !== -1) {
    if (!ci.swappiness) {
      w.push('Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.');
      hc.MemorySwappiness = null;
    } else if (hc.MemorySwappiness < 0 || hc.MemorySwappiness > 100) {
      throw invalidArgument(`Invalid value: ${hc.MemorySwappiness}, valid memory swappiness range is 0-100`);
    }
  }
  const resv = hc.MemoryReservation ?? 0;
  if (resv > 0 && resv < MIN_MEMORY) throw invalidArgument('Minimum memory reservation allowed is 6MB');
  if (mem > 0 && resv > 0 && mem < resv) throw invalidArgument('Minimum memory limit can not be less than memory reservation limit, see usage');
  if (hc.KernelMemory !== undefined && hc.KernelMemory !== 0) {
    if (!ci.kernelMemory) {
      w.push('Your kernel does not support kernel memory limit capabilities or the cgroup is not mounted. Limitation discarded.');
      delete hc.KernelMemory;
    }
  }
  if (hc.OomKillDisable === true && !ci.oomKillDisable) {
    w.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
    hc.OomKillDisable = false;
  }
  if (hc.OomKillDisable === true && mem === 0) w.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  if (hc.PidsLimit !== undefined && hc.PidsLimit !== null && hc.PidsLimit !== 0 && !ci.pids) {
    w.push('Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. PIDs limit discarded.');
    hc.PidsLimit = null;
  }
  // cpu
  const nano = hc.NanoCpus ?? 0;
  if (nano > 0 && (hc.CpuPeriod ?? 0) > 0) throw invalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && (hc.CpuQuota ?? 0) > 0) throw invalidArgument('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (nano > 0 && !ci.cpuCfs) throw invalidArgument('NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted');
  if (nano < 0 || nano > ci.ncpu * 1e9) throw invalidArgument(`Range of CPUs is from 0.01 to ${ci.ncpu}.00, as there are only ${ci.ncpu} CPUs available`);
  if ((hc.CpuShares ?? 0) < 0) throw invalidArgument(`invalid CPU shares (${hc.CpuShares}): value must be a positive integer`);
  if ((hc.CpuShares ?? 0) > 0 && !ci.cpuShares) {
    w.push('Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.');
    hc.CpuShares = 0;
  }
  const period = hc.CpuPeriod ?? 0;
  const quota = hc.CpuQuota ?? 0;
  if ((period !== 0 || quota !== 0) && !ci.cpuCfs) {
    w.push('Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.');
    hc.CpuPeriod = 0;
    hc.CpuQuota = 0;
  }
  if (period !== 0 && (period < 1000 || period > 1000000)) throw invalidArgument('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  if (quota > 0 && quota < 1000) throw invalidArgument('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if ((hc.CpuPercent ?? 0) > 0) {
    w.push('linux does not support CPU percent. Percent discarded.');
    hc.CpuPercent = 0;
  }
  if ((hc.CpuRealtimePeriod ?? 0) !== 0 || (hc.CpuRealtimeRuntime ?? 0) !== 0) {
    if (!ci.cpuRealtime) throw invalidArgument('Your kernel does not support CPU real-time scheduler');
    if ((hc.CpuRealtimeRuntime ?? 0) > (hc.CpuRealtimePeriod ?? 0) && (hc.CpuRealtimePeriod ?? 0) !== 0) throw invalidArgument('cpu-rt-runtime cannot be higher than cpu-rt-period');
  }
  // cpuset
  if ((hc.CpusetCpus || hc.CpusetMems) && !ci.cpuset) {
    w.push('Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.');
    hc.CpusetCpus = '';
    hc.CpusetMems = '';
  }
  checkCpuset(hc.CpusetCpus, ci.cpus, 'cpus');
  checkCpuset(hc.CpusetMems, ci.mems, 'mems');
  // blkio
  if ((hc.BlkioWeight ?? 0) > 0 && !ci.blkioWeight) {
    w.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
    hc.BlkioWeight = 0;
  }
  if ((hc.BlkioWeight ?? 0) > 0 && ((hc.BlkioWeight ?? 0) < 10 || (hc.BlkioWeight ?? 0) > 1000)) throw invalidArgument('Range of blkio weight is from 10 to 1000');
  if ((hc.IOMaximumBandwidth ?? 0) !== 0 || (hc.IOMaximumIOps ?? 0) !== 0) throw invalidArgument('Invalid QoS settings: linux does not support Maximum IO Bandwidth or Maximum IO IOps');
  if ((hc.BlkioWeightDevice?.length ?? 0) > 0 && !ci.blkioWeightDevice) {
    w.push('Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.');
    hc.BlkioWeightDevice = [];
  }
  const thr: [keyof ResourcesConfig, string][] = [
    ['BlkioDeviceReadBps', 'Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit discarded.'],
    ['BlkioDeviceWriteBps', 'Your kernel does not support BPS Block I/O write limit or the cgroup is not mounted. Block I/O BPS write limit discarded.'],
    ['BlkioDeviceReadIOps', 'Your kernel does not support IOPS Block read limit or the cgroup is not mounted. Block I/O IOPS read limit discarded.'],
    ['BlkioDeviceWriteIOps', 'Your kernel does not support IOPS Block write limit or the cgroup is not mounted. Block I/O IOPS write limit discarded.'],
  ];
  for (const [k, msg] of thr) {
    const list = hc[k] as ThrottleDevice[] | null | undefined;
    if ((list?.length ?? 0) > 0 && !ci.blkioThrottle) {
      w.push(msg);
      (hc as Record<string, unknown>)[k] = [];
    } else throttle(list, k);
  }
  for (const r of hc.DeviceCgroupRules ?? []) parseDeviceCgroupRule(r);
  return w;
}

/** adaptContainerSettings: what Docker stores in HostConfig at create. */
export function adaptResources(hc: ResourcesConfig): void {
  if ((hc.Memory ?? 0) > 0 && (hc.MemorySwap ?? 0) === 0) hc.MemorySwap = (hc.Memory ?? 0) * 2;
  if (hc.PidsLimit !== undefined && hc.PidsLimit !== null && hc.PidsLimit <= 0) hc.PidsLimit = hc.PidsLimit < 0 ? -1 : null;
}

/** Add what spec.ts does not build to linux.resources (block I/O throttling, rules, realtime). */
export function applyResources(resources: Record<string, unknown>, hc: ResourcesConfig, privileged: boolean): void {
  const blk = (resources['blockIO'] as Record<string, unknown> | undefined) ?? {};
  if (!hc.BlkioWeight) delete blk['weight'];
  const set = (k: string, v: { major: number; minor: number; rate: number }[]): void => {
    if (v.length > 0) blk[k] = v;
  };
  // --blkio-weight-device (kept only where the kernel has weight_device: verifyResources)
  const weights = throttle((hc.BlkioWeightDevice ?? []).map((d) => ({ Path: d.Path, Rate: d.Weight })), 'BlkioWeightDevice').map(({ major, minor, rate }) => ({ major, minor, weight: rate }));
  if (weights.length > 0) blk['weightDevice'] = weights;
  set('throttleReadBpsDevice', throttle(hc.BlkioDeviceReadBps, 'BlkioDeviceReadBps'));
  set('throttleWriteBpsDevice', throttle(hc.BlkioDeviceWriteBps, 'BlkioDeviceWriteBps'));
  set('throttleReadIOPSDevice', throttle(hc.BlkioDeviceReadIOps, 'BlkioDeviceReadIOps'));
  set('throttleWriteIOPSDevice', throttle(hc.BlkioDeviceWriteIOps, 'BlkioDeviceWriteIOps'));
  if (Object.keys(blk).length > 0) resources['blockIO'] = blk;
  else delete resources['blockIO'];
  if (!privileged && (hc.DeviceCgroupRules?.length ?? 0) > 0) {
    const devs = (resources['devices'] as unknown[] | undefined) ?? [];
    for (const r of hc.DeviceCgroupRules ?? []) devs.push(parseDeviceCgroupRule(r));
    resources['devices'] = devs;
  }
  if (hc.PidsLimit === -1) resources['pids'] = { limit: -1 };
  const cpu = (resources['cpu'] as Record<string, unknown> | undefined) ?? {};
  if ((hc.CpuRealtimePeriod ?? 0) > 0) cpu['realtimePeriod'] = hc.CpuRealtimePeriod;
  if ((hc.CpuRealtimeRuntime ?? 0) !== 0) cpu['realtimeRuntime'] = hc.CpuRealtimeRuntime;
  if (Object.keys(cpu).length > 0) resources['cpu'] = cpu;
}

/** Every device node under /dev for --privileged (moby devices.HostDevices), as OCI linux.devices. */
export function hostDevices(root = '/dev'): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory()) {
        if (['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev'].includes(e.name)) continue;
        walk(p);
      } else if ((e.isCharacterDevice() || e.isBlockDevice()) && e.name !== 'console') {
        try {
          const n = deviceNumbers(p);
          out.push({ path: p, type: n.type, major: n.major, minor: n.minor, fileMode: n.mode, uid: n.uid, gid: n.gid });
        } catch {
          /* gone */
        }
      }
    }
  };
  walk(root);
  return out;
}

/** The Resources part of POST /containers/{id}/update. */
export type UpdateConfig = ResourcesConfig & { RestartPolicy?: HostConfig['RestartPolicy'] };

const UPDATE_KEYS = ['BlkioWeight', 'CpuShares', 'NanoCpus', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems', 'MemoryReservation', 'KernelMemory', 'CpuRealtimePeriod', 'CpuRealtimeRuntime'] as const;

/**
 * container.UpdateContainer: merge an update into the stored HostConfig (a copy is returned).
 * Conflicts are Docker's (409); the caller wraps them as "Cannot update container <id>: ...".
 */
export function mergeUpdate(current: ResourcesConfig, u: UpdateConfig): ResourcesConfig {
  const c: ResourcesConfig = structuredClone(current);
  if ((u.NanoCpus ?? 0) > 0 && (c.CpuPeriod ?? 0) > 0) throw conflict('Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set');
  if ((u.NanoCpus ?? 0) > 0 && (c.CpuQuota ?? 0) > 0) throw conflict('Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set');
  if ((u.CpuPeriod ?? 0) > 0 && (c.NanoCpus ?? 0) > 0) throw conflict('Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
  if ((u.CpuQuota ?? 0) > 0 && (c.NanoCpus ?? 0) > 0) throw conflict('Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
  const cr = c as Record<string, unknown>;
  for (const k of UPDATE_KEYS) {
    const v = u[k];
    if (v !== undefined && v !== null && v !== 0 && v !== '') cr[k] = v;
  }
  if ((u.Memory ?? 0) !== 0) {
    if ((u.Memory ?? 0) > (c.MemorySwap ?? 0) && (u.MemorySwap ?? 0) === 0) {
      throw conflict('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    }
    c.Memory = u.Memory ?? 0;
  }
  if ((u.MemorySwap ?? 0) !== 0) c.MemorySwap = u.MemorySwap ?? 0;
  if (u.PidsLimit !== undefined && u.PidsLimit !== null) c.PidsLimit = u.PidsLimit <= 0 ? -1 : u.PidsLimit;
  if (u.RestartPolicy?.Name) {
    if (u.RestartPolicy.Name !== 'no' && c.AutoRemove) throw conflict('Restart policy cannot be updated because AutoRemove is enabled for the container');
    c.RestartPolicy = { Name: u.RestartPolicy.Name, MaximumRetryCount: u.RestartPolicy.MaximumRetryCount ?? 0 };
  }
  return c;
}

/** The OCI resources document for `runtime update --resources` from a merged HostConfig. */
export function updateResources(hc: ResourcesConfig): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  const mem: Record<string, number> = {};
  if ((hc.Memory ?? 0) > 0) mem['limit'] = hc.Memory ?? 0;
  if ((hc.MemorySwap ?? 0) !== 0) mem['swap'] = hc.MemorySwap ?? 0;
  if ((hc.MemoryReservation ?? 0) > 0) mem['reservation'] = hc.MemoryReservation ?? 0;
  if (Object.keys(mem).length > 0) r['memory'] = mem;
  const cpu: Record<string, unknown> = {};
  if ((hc.CpuShares ?? 0) > 0) cpu['shares'] = hc.CpuShares;
  if ((hc.NanoCpus ?? 0) > 0) {
    cpu['period'] = 100000;
    cpu['quota'] = Math.round(((hc.NanoCpus ?? 0) * 100000) / 1e9);
  }
  if ((hc.CpuPeriod ?? 0) > 0) cpu['period'] = hc.CpuPeriod;
  if ((hc.CpuQuota ?? 0) !== 0) cpu['quota'] = hc.CpuQuota;
  if (hc.CpusetCpus) cpu['cpus'] = hc.CpusetCpus;
  if (hc.CpusetMems) cpu['mems'] = hc.CpusetMems;
  if ((hc.CpuRealtimePeriod ?? 0) > 0) cpu['realtimePeriod'] = hc.CpuRealtimePeriod;
  if ((hc.CpuRealtimeRuntime ?? 0) !== 0) cpu['realtimeRuntime'] = hc.CpuRealtimeRuntime;
  if (Object.keys(cpu).length > 0) r['cpu'] = cpu;
  if (hc.PidsLimit !== undefined && hc.PidsLimit !== null && hc.PidsLimit !== 0) r['pids'] = { limit: hc.PidsLimit };
  if ((hc.BlkioWeight ?? 0) > 0) r['blockIO'] = { weight: hc.BlkioWeight };
  return r;
}
