// Reading a container's resource counters from its cgroup, v1 (one hierarchy per controller:
// cpu, cpuacct, memory, pids, blkio) or v2 (the unified hierarchy at /sys/fs/cgroup), with the
// same result shape either way. Missing files read as absent values, never as errors: a cgroup
// can disappear while a container exits.
import fs from 'node:fs';
import path from 'node:path';

export type CgroupVersion = 'v1' | 'v2';

/** v2 when /sys/fs/cgroup itself is the unified hierarchy (a hybrid host's /unified is not). */
export function cgroupVersion(root = '/sys/fs/cgroup'): CgroupVersion {
  return fs.existsSync(path.join(root, 'cgroup.controllers')) ? 'v2' : 'v1';
}

export interface CgroupDirs {
  version: CgroupVersion;
  /** v2: the one directory; v1: per controller */
  unified?: string;
  cpu?: string;
  cpuacct?: string;
  memory?: string;
  pids?: string;
  blkio?: string;
}

/** Controller -> path from /proc/<pid>/cgroup ("4:memory:/x/y", "0::/x/y"). */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const ctrls = m[2] ?? '';
    if (ctrls === '') out.set('', m[3] ?? '/');
    for (const c of ctrls.split(',')) if (c) out.set(c, m[3] ?? '/');
  }
  return out;
}

/**
 * The container's cgroup directories: from the running process (/proc/<pid>/cgroup, what the
 * kernel says) when there is one, else from the spec's cgroupsPath.
 */
export function locateCgroup(o: { pid?: number; cgroupsPath?: string; root?: string }): CgroupDirs {
  const root = o.root ?? '/sys/fs/cgroup';
  const version = cgroupVersion(root);
  let byCtrl = new Map<string, string>();
  if (o.pid && o.pid > 0) {
    try {
      byCtrl = parseProcCgroup(fs.readFileSync(`/proc/${o.pid}/cgroup`, 'utf8'));
    } catch {
      byCtrl = new Map();
    }
  }
  const rel = (ctrl: string): string | undefined => byCtrl.get(ctrl) ?? o.cgroupsPath;
  if (version === 'v2') {
    const p = rel('');
    return p === undefined ? { version } : { version, unified: path.join(root, p) };
  }
  const dirs: CgroupDirs = { version };
  for (const ctrl of ['cpu', 'cpuacct', 'memory', 'pids', 'blkio'] as const) {
    const p = rel(ctrl);
    if (p !== undefined) dirs[ctrl] = path.join(root, ctrl, p);
  }
  return dirs;
}

function read(dir: string | undefined, file: string): string | undefined {
  if (dir === undefined) return undefined;
  try {
    return fs.readFileSync(path.join(dir, file), 'utf8');
  } catch {
    return undefined;
  }
}

function num(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  if (t === '' || t === 'max') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** "key value" lines (memory.stat, cpu.stat, cpuacct.stat). */
export function parseKeyValues(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

/** v1 blkio files: "8:0 Read 1234" lines (the "Total" line has no device and is skipped). */
export function parseBlkioV1(text: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const m = /^(\d+):(\d+) (\S+) (\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3] ?? '', value: Number(m[4]) });
  }
  return out;
}

/** v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0". */
export function parseIoStatV2(text: string | undefined): { bytes: BlkioEntry[]; ios: BlkioEntry[] } {
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const [dev, ...kv] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    const f: Record<string, number> = {};
    for (const p of kv) {
      const [k, v] = p.split('=');
      if (k && v !== undefined) f[k] = Number(v);
    }
    const major = Number(m[1]);
    const minor = Number(m[2]);
    bytes.push({ major, minor, op: 'read', value: f['rbytes'] ?? 0 }, { major, minor, op: 'write', value: f['wbytes'] ?? 0 });
    ios.push({ major, minor, op: 'read', value: f['rios'] ?? 0 }, { major, minor, op: 'write', value: f['wios'] ?? 0 });
  }
  return { bytes, ios };
}

export interface CgroupStats {
  cpu: {
    total: number;
    perCpu?: number[];
    kernel: number;
    user: number;
    throttling: { periods: number; throttledPeriods: number; throttledTime: number };
  };
  memory: {
    usage?: number;
    maxUsage?: number;
    failcnt?: number;
    /** undefined when unlimited */
    limit?: number;
    stats: Record<string, number>;
  };
  pids: { current?: number; limit?: number };
  blkio: {
    serviceBytes: BlkioEntry[];
    /** v1 only */
    serviced?: BlkioEntry[];
    queued?: BlkioEntry[];
    serviceTime?: BlkioEntry[];
    waitTime?: BlkioEntry[];
    merged?: BlkioEntry[];
    time?: BlkioEntry[];
    sectors?: BlkioEntry[];
  };
}

const USER_HZ = 100;
const NS = 1_000_000_000;
/** v1 "unlimited" is PAGE_COUNTER_MAX pages: anything this large means no limit. */
const UNLIMITED = 2 ** 62;

export function readCgroupStats(d: CgroupDirs): CgroupStats {
  if (d.version === 'v2') return readV2(d.unified);
  const cpuacctStat = parseKeyValues(read(d.cpuacct, 'cpuacct.stat'));
  const cpuStat = parseKeyValues(read(d.cpu, 'cpu.stat'));
  const perCpu = (read(d.cpuacct, 'cpuacct.usage_percpu') ?? '')
    .trim()
    .split(/\s+/)
    .filter((x) => x !== '')
    .map(Number);
  const memLimit = num(read(d.memory, 'memory.limit_in_bytes'));
  const pidsMax = read(d.pids, 'pids.max');
  const blk = (f: string): BlkioEntry[] => parseBlkioV1(read(d.blkio, f));
  // CFQ files first (as containerd's v1 metrics), the throttle ones when those are absent/empty
  const either = (a: string, b: string): BlkioEntry[] => {
    const x = blk(a);
    return x.length > 0 && x.some((e) => e.value > 0) ? x : blk(b);
  };
  const memory: CgroupStats['memory'] = { stats: parseKeyValues(read(d.memory, 'memory.stat')) };
  const usage = num(read(d.memory, 'memory.usage_in_bytes'));
  const maxUsage = num(read(d.memory, 'memory.max_usage_in_bytes'));
  const failcnt = num(read(d.memory, 'memory.failcnt'));
  if (usage !== undefined) memory.usage = usage;
  if (maxUsage !== undefined) memory.maxUsage = maxUsage;
  if (failcnt !== undefined) memory.failcnt = failcnt;
  if (memLimit !== undefined && memLimit < UNLIMITED) memory.limit = memLimit;
  const pids: CgroupStats['pids'] = {};
  const cur = num(read(d.pids, 'pids.current'));
  if (cur !== undefined) pids.current = cur;
  const lim = num(pidsMax);
  if (lim !== undefined) pids.limit = lim;
  return {
    cpu: {
      total: num(read(d.cpuacct, 'cpuacct.usage')) ?? 0,
      ...(perCpu.length > 0 ? { perCpu } : {}),
      kernel: ((cpuacctStat['system'] ?? 0) * NS) / USER_HZ,
      user: ((cpuacctStat['user'] ?? 0) * NS) / USER_HZ,
      throttling: { periods: cpuStat['nr_periods'] ?? 0, throttledPeriods: cpuStat['nr_throttled'] ?? 0, throttledTime: cpuStat['throttled_time'] ?? 0 },
    },
    memory,
    pids,
    blkio: {
      serviceBytes: either('blkio.io_service_bytes_recursive', 'blkio.throttle.io_service_bytes_recursive'),
      serviced: either('blkio.io_serviced_recursive', 'blkio.throttle.io_serviced_recursive'),
      queued: blk('blkio.io_queued_recursive'),
      serviceTime: blk('blkio.io_service_time_recursive'),
      waitTime: blk('blkio.io_wait_time_recursive'),
      merged: blk('blkio.io_merged_recursive'),
      time: blk('blkio.time_recursive'),
      sectors: blk('blkio.sectors_recursive'),
    },
  };
}

function readV2(dir: string | undefined): CgroupStats {
  const cpuStat = parseKeyValues(read(dir, 'cpu.stat'));
  const memory: CgroupStats['memory'] = { stats: parseKeyValues(read(dir, 'memory.stat')) };
  const usage = num(read(dir, 'memory.current'));
  if (usage !== undefined) memory.usage = usage;
  const limit = num(read(dir, 'memory.max'));
  if (limit !== undefined) memory.limit = limit;
  const pids: CgroupStats['pids'] = {};
  const cur = num(read(dir, 'pids.current'));
  if (cur !== undefined) pids.current = cur;
  const lim = num(read(dir, 'pids.max'));
  if (lim !== undefined) pids.limit = lim;
  return {
    cpu: {
      total: (cpuStat['usage_usec'] ?? 0) * 1000,
      kernel: (cpuStat['system_usec'] ?? 0) * 1000,
      user: (cpuStat['user_usec'] ?? 0) * 1000,
      throttling: { periods: cpuStat['nr_periods'] ?? 0, throttledPeriods: cpuStat['nr_throttled'] ?? 0, throttledTime: (cpuStat['throttled_usec'] ?? 0) * 1000 },
    },
    memory,
    pids,
    blkio: { serviceBytes: parseIoStatV2(read(dir, 'io.stat')).bytes },
  };
}

/** /proc/stat: the host's CPU time in ns (Docker's getSystemCPUUsage) and the online CPUs. */
export function systemCpu(procStat = '/proc/stat'): { usage: number; onlineCpus: number } {
  let usage = 0;
  let cpus = 0;
  for (const line of fs.readFileSync(procStat, 'utf8').split('\n')) {
    const parts = line.trim().split(/\s+/);
    const head = parts[0] ?? '';
    if (head === 'cpu') {
      const ticks = parts.slice(1, 8).reduce((a, b) => a + Number(b), 0);
      usage = (ticks * NS) / USER_HZ;
    } else if (/^cpu\d+$/.test(head)) {
      cpus++;
    }
  }
  return { usage, onlineCpus: cpus };
}

export interface NetStats {
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

/** /proc/<pid>/net/dev (the process's network namespace), loopback left out as Docker does. */
export function parseNetDev(text: string): Record<string, NetStats> {
  const out: Record<string, NetStats> = {};
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const name = (m[1] ?? '').trim();
    if (name === 'lo') continue;
    const f = (m[2] ?? '').trim().split(/\s+/).map(Number);
    out[name] = { rxBytes: f[0] ?? 0, rxPackets: f[1] ?? 0, rxErrors: f[2] ?? 0, rxDropped: f[3] ?? 0, txBytes: f[8] ?? 0, txPackets: f[9] ?? 0, txErrors: f[10] ?? 0, txDropped: f[11] ?? 0 };
  }
  return out;
}
