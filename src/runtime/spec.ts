// OCI runtime spec (config.json) for a container, built the way Docker builds it from the
// merged Config and HostConfig: Docker's default capabilities, mounts, masked and read-only
// paths, devices, namespaces, resources, rlimits clamped to the daemon's own hard limits.
import fs from 'node:fs';
import { invalidArgument } from '../errdefs/index.js';
import type { ContainerConfig, HostConfig } from '../engine-api/container.js';
import type { ExecUser } from './user.js';
import type { SecurityPolicy } from './security/policy.js';
import { CAPS_BY_NUMBER, DOCKER_DEFAULT_CAPS } from './security/caps.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type OciSpec = Record<string, any>;

/** Docker's default capability set and every capability (one list, in security/caps.ts). */
export const DEFAULT_CAPS = DOCKER_DEFAULT_CAPS;
export const ALL_CAPS = CAPS_BY_NUMBER;

export const DEFAULT_MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

const DEFAULT_DEVICE_RULES = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
  { allow: true, type: 'c', major: 136, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' },
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
];

const RLIMIT_NAMES: Record<string, string> = {
  core: 'RLIMIT_CORE', cpu: 'RLIMIT_CPU', data: 'RLIMIT_DATA', fsize: 'RLIMIT_FSIZE', locks: 'RLIMIT_LOCKS', memlock: 'RLIMIT_MEMLOCK',
  msgqueue: 'RLIMIT_MSGQUEUE', nice: 'RLIMIT_NICE', nofile: 'RLIMIT_NOFILE', nproc: 'RLIMIT_NPROC', rss: 'RLIMIT_RSS',
  rtprio: 'RLIMIT_RTPRIO', rttime: 'RLIMIT_RTTIME', sigpending: 'RLIMIT_SIGPENDING', stack: 'RLIMIT_STACK', as: 'RLIMIT_AS',
};
const PROC_LIMIT_NAMES: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU', 'Max file size': 'RLIMIT_FSIZE', 'Max data size': 'RLIMIT_DATA', 'Max stack size': 'RLIMIT_STACK',
  'Max core file size': 'RLIMIT_CORE', 'Max resident set': 'RLIMIT_RSS', 'Max processes': 'RLIMIT_NPROC', 'Max open files': 'RLIMIT_NOFILE',
  'Max locked memory': 'RLIMIT_MEMLOCK', 'Max address space': 'RLIMIT_AS', 'Max file locks': 'RLIMIT_LOCKS', 'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE', 'Max nice priority': 'RLIMIT_NICE', 'Max realtime priority': 'RLIMIT_RTPRIO', 'Max realtime timeout': 'RLIMIT_RTTIME',
};

let ownHardLimits: Map<string, number> | undefined;
/** The daemon's own hard rlimits (a container cannot get more without CAP_SYS_RESOURCE). */
export function daemonHardLimits(): Map<string, number> {
  if (ownHardLimits) return ownHardLimits;
  const m = new Map<string, number>();
  try {
    for (const line of fs.readFileSync('/proc/self/limits', 'utf8').split('\n').slice(1)) {
      const name = Object.keys(PROC_LIMIT_NAMES).find((k) => line.startsWith(k));
      if (!name) continue;
      const hard = line.slice(26).trim().split(/\s+/)[1];
      m.set(PROC_LIMIT_NAMES[name] ?? '', hard === 'unlimited' || hard === undefined ? Number.MAX_SAFE_INTEGER : Number(hard));
    }
  } catch {
    /* no procfs */
  }
  ownHardLimits = m;
  return m;
}

function normCap(c: string): string {
  const u = c.toUpperCase();
  return u.startsWith('CAP_') ? u : `CAP_${u}`;
}

/** Docker's capability arithmetic: defaults, then drop (ALL clears), then add (ALL = every cap). */
export function capabilities(hc: HostConfig): string[] {
  if (hc.Privileged) return [...ALL_CAPS];
  const add = (hc.CapAdd ?? []).map(normCap);
  const drop = (hc.CapDrop ?? []).map(normCap);
  for (const c of [...add, ...drop]) {
    if (c !== 'CAP_ALL' && !(ALL_CAPS as readonly string[]).includes(c)) throw invalidArgument(`unknown capability: "${c}"`);
  }
  if (add.includes('CAP_ALL')) return ALL_CAPS.filter((c) => !drop.includes(c));
  const base = drop.includes('CAP_ALL') ? [] : DEFAULT_CAPS.filter((c) => !drop.includes(c));
  for (const c of add) if (!base.includes(c as never)) (base as string[]).push(c);
  return base as string[];
}

export function parseTmpfsOptions(opts: string): string[] {
  const out = ['noexec', 'nosuid', 'nodev'];
  for (const o of opts.split(',').map((x) => x.trim()).filter(Boolean)) {
    if (o === 'exec') out.splice(out.indexOf('noexec'), 1);
    else if (o === 'suid') out.splice(out.indexOf('nosuid'), 1);
    else if (o === 'dev') out.splice(out.indexOf('nodev'), 1);
    else out.push(o);
  }
  return [...new Set(out)];
}

function deviceNumbers(p: string): { type: 'c' | 'b'; major: number; minor: number; mode: number; uid: number; gid: number } {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    throw invalidArgument(`error gathering device information while adding custom device "${p}": no such file or directory`);
  }
  if (!st.isCharacterDevice() && !st.isBlockDevice()) throw invalidArgument(`error gathering device information while adding custom device "${p}": not a device node`);
  const rdev = st.rdev;
  const major = Number((BigInt(rdev) >> 8n) & 0xfffn) | Number((BigInt(rdev) >> 32n) & ~0xfffn);
  const minor = Number(BigInt(rdev) & 0xffn) | Number((BigInt(rdev) >> 12n) & ~0xffn);
  return { type: st.isCharacterDevice() ? 'c' : 'b', major, minor, mode: st.mode & 0o777, uid: st.uid, gid: st.gid };
}

export interface SpecInput {
  id: string;
  config: ContainerConfig;
  hostConfig: HostConfig;
  /** Path and Args (entrypoint + cmd), already resolved */
  path: string;
  args: string[];
  rootfs: string;
  user: ExecUser;
  hostname: string;
  etc: { hostsPath: string; hostnamePath: string; resolvConfPath: string };
  /** absolute cgroup parent (daemon --cgroup-parent or HostConfig.CgroupParent) */
  cgroupParent: string;
  /** init binary to bind-mount at /sbin/docker-init for --init */
  initPath: string | undefined;
  /** daemon default-ulimits, overridden by HostConfig.Ulimits */
  defaultUlimits?: Record<string, { Soft: number; Hard: number }>;
  /** Binds/Mounts/volumes resolved by the volume service: used instead of parsing HostConfig.Binds and Mounts */
  mounts?: OciSpec[];
  /** a netns to join (bridge/cni networks, container:<id>); without it a fresh one (or the host's) */
  netnsPath?: string;
  /** seccomp, capabilities, privileged devices, namespace modes, userns, extra resources (security/policy.ts) */
  security?: SecurityPolicy;
}

export function envValue(env: readonly string[], key: string): string | undefined {
  const e = env.find((x) => x.startsWith(`${key}=`));
  return e?.slice(key.length + 1);
}

export function buildSpec(inp: SpecInput): OciSpec {
  const hc = inp.hostConfig;
  const cfg = inp.config;
  const netMode = hc.NetworkMode ?? '';
  const hostNet = netMode === 'host';
  const privileged = hc.Privileged === true;

  // process
  const env: string[] = [DEFAULT_PATH_ENV, `HOSTNAME=${inp.hostname}`];
  const userEnv = cfg.Env ?? [];
  if (cfg.Tty) env.push('TERM=xterm');
  for (const e of userEnv) {
    const k = e.split('=', 1)[0] ?? '';
    const i = env.findIndex((x) => x.split('=', 1)[0] === k);
    if (i >= 0) env[i] = e;
    else env.push(e);
  }
  if (envValue(env, 'HOME') === undefined) env.push(`HOME=${inp.user.home || '/'}`);
  let args = [inp.path, ...inp.args];
  const init = hc.Init === true;
  if (init) {
    if (!inp.initPath) throw invalidArgument('--init: no init binary found (install tini or catatonit, or set init-path)');
    args = ['/sbin/docker-init', '--', ...args];
  }
  const caps = capabilities(hc);
  const limits = daemonHardLimits();
  const ulimits = new Map<string, { Soft: number; Hard: number }>();
  for (const [k, v] of Object.entries(inp.defaultUlimits ?? {})) ulimits.set(k, v);
  for (const u of hc.Ulimits ?? []) ulimits.set(u.Name, { Soft: u.Soft, Hard: u.Hard });
  const rlimits = [...ulimits.entries()].map(([name, u]) => {
    const type = RLIMIT_NAMES[name];
    if (!type) throw invalidArgument(`invalid ulimit type: ${name}`);
    const max = limits.get(type) ?? Number.MAX_SAFE_INTEGER;
    const hard = Math.min(u.Hard < 0 ? max : u.Hard, max);
    return { type, hard, soft: Math.min(u.Soft < 0 ? hard : u.Soft, hard) };
  });
  const secOpts = hc.SecurityOpt ?? [];
  const noNewPrivs = secOpts.some((o) => /^no-new-privileges(?:[:=]true)?$/.test(o));
  const process_: OciSpec = {
    terminal: cfg.Tty === true,
    user: { uid: inp.user.uid, gid: inp.user.gid, additionalGids: inp.user.additionalGids },
    args,
    env,
    cwd: cfg.WorkingDir || '/',
    capabilities: { bounding: caps, effective: caps, permitted: caps },
    noNewPrivileges: noNewPrivs,
  };
  if (rlimits.length > 0) process_['rlimits'] = rlimits;
  if (hc.OomScoreAdj) process_['oomScoreAdj'] = hc.OomScoreAdj;
  if (cfg.Tty && hc.ConsoleSize && hc.ConsoleSize[0] > 0) process_['consoleSize'] = { height: hc.ConsoleSize[0], width: hc.ConsoleSize[1] };

  // mounts
  const shmSize = hc.ShmSize && hc.ShmSize > 0 ? hc.ShmSize : DEFAULT_SHM_SIZE;
  const mounts: OciSpec[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', privileged ? 'rw' : 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', privileged ? 'rw' : 'ro'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`] },
  ];
  const ro = hc.ReadonlyRootfs === true;
  const etcOpts = ['rbind', 'rprivate', ...(ro ? ['ro'] : [])];
  mounts.push(
    { destination: '/etc/resolv.conf', type: 'bind', source: inp.etc.resolvConfPath, options: etcOpts },
    { destination: '/etc/hostname', type: 'bind', source: inp.etc.hostnamePath, options: etcOpts },
    { destination: '/etc/hosts', type: 'bind', source: inp.etc.hostsPath, options: etcOpts },
  );
  const userMounts: OciSpec[] = [];
  for (const [dst, opts] of Object.entries(hc.Tmpfs ?? {})) {
    if (!dst.startsWith('/')) throw invalidArgument(`invalid mount config for type "tmpfs": invalid mount path: '${dst}' mount path must be absolute`);
    userMounts.push({ destination: dst, type: 'tmpfs', source: 'tmpfs', options: parseTmpfsOptions(opts) });
  }
  if (inp.mounts) userMounts.push(...inp.mounts);
  for (const b of inp.mounts ? [] : (hc.Binds ?? [])) userMounts.push(bindMount(b));
  for (const m of inp.mounts ? [] : (hc.Mounts ?? [])) {
    if (m.Type === 'bind') {
      if (!m.Source || !m.Target) throw invalidArgument('invalid mount config for type "bind": field Source must not be empty');
      if (!fs.existsSync(m.Source)) throw invalidArgument(`invalid mount config for type "bind": bind source path does not exist: ${m.Source}`);
      userMounts.push({ destination: m.Target, type: 'bind', source: m.Source, options: ['rbind', m.BindOptions?.Propagation ? `r${m.BindOptions.Propagation.replace(/^r/, '')}` : 'rprivate', ...(m.ReadOnly ? ['ro'] : [])] });
    } else if (m.Type === 'tmpfs') {
      if (!m.Target) throw invalidArgument('invalid mount config for type "tmpfs": field Target must not be empty');
      const o = ['noexec', 'nosuid', 'nodev'];
      if (m.TmpfsOptions?.SizeBytes) o.push(`size=${m.TmpfsOptions.SizeBytes}`);
      if (m.TmpfsOptions?.Mode) o.push(`mode=${m.TmpfsOptions.Mode.toString(8)}`);
      if (m.ReadOnly) o.push('ro');
      userMounts.push({ destination: m.Target, type: 'tmpfs', source: 'tmpfs', options: o });
    } else {
      throw invalidArgument(`mount type "${m.Type ?? ''}" is not supported yet`);
    }
  }
  // parents before children (Docker's sortMounts: fewer path separators first, stable)
  const depth = (m: OciSpec): number => ((m['destination'] as string).replace(/\/+$/, '').match(/\//g) ?? []).length;
  userMounts.sort((a, b) => depth(a) - depth(b));
  // a user mount replaces a default one at the same destination (e.g. --tmpfs /dev/shm)
  const dests = new Set(userMounts.map((m) => m['destination'] as string));
  const allMounts = [...mounts.filter((m) => !dests.has(m['destination'] as string)), ...userMounts];
  if (init && inp.initPath) allMounts.push({ destination: '/sbin/docker-init', type: 'bind', source: inp.initPath, options: ['bind', 'ro'] });

  // namespaces
  const namespaces: OciSpec[] = [{ type: 'mount' }];
  if (hc.PidMode !== 'host') namespaces.push({ type: 'pid' });
  if (hc.IpcMode !== 'host') namespaces.push({ type: 'ipc' });
  if (hc.UTSMode !== 'host') namespaces.push({ type: 'uts' });
  if (!hostNet) namespaces.push(inp.netnsPath ? { type: 'network', path: inp.netnsPath } : { type: 'network' });
  if (hc.CgroupnsMode === 'private') namespaces.push({ type: 'cgroup' });

  // resources
  const resources: OciSpec = { devices: privileged ? [{ allow: true, access: 'rwm' }] : DEFAULT_DEVICE_RULES.map((d) => ({ ...d })) };
  const devices: OciSpec[] = [];
  for (const d of hc.Devices ?? []) {
    const n = deviceNumbers(d.PathOnHost);
    const access = d.CgroupPermissions || 'rwm';
    devices.push({ path: d.PathInContainer || d.PathOnHost, type: n.type, major: n.major, minor: n.minor, fileMode: n.mode, uid: n.uid, gid: n.gid });
    if (!privileged) (resources['devices'] as OciSpec[]).push({ allow: true, type: n.type, major: n.major, minor: n.minor, access });
  }
  const mem: OciSpec = {};
  if (hc.Memory && hc.Memory > 0) {
    mem['limit'] = hc.Memory;
    const swap = hc.MemorySwap ?? 0;
    mem['swap'] = swap === 0 ? hc.Memory * 2 : swap;
  }
  if (hc.MemoryReservation && hc.MemoryReservation > 0) mem['reservation'] = hc.MemoryReservation;
  if (hc.OomKillDisable) mem['disableOOMKiller'] = true;
  if (hc.MemorySwappiness !== undefined && hc.MemorySwappiness !== null && hc.MemorySwappiness >= 0) mem['swappiness'] = hc.MemorySwappiness;
  if (Object.keys(mem).length > 0) resources['memory'] = mem;
  const cpu: OciSpec = {};
  if (hc.CpuShares) cpu['shares'] = hc.CpuShares;
  if (hc.NanoCpus) {
    cpu['period'] = 100000;
    cpu['quota'] = Math.round((hc.NanoCpus * 100000) / 1e9);
  }
  if (hc.CpuPeriod) cpu['period'] = hc.CpuPeriod;
  if (hc.CpuQuota) cpu['quota'] = hc.CpuQuota;
  if (hc.CpusetCpus) cpu['cpus'] = hc.CpusetCpus;
  if (hc.CpusetMems) cpu['mems'] = hc.CpusetMems;
  if (Object.keys(cpu).length > 0) resources['cpu'] = cpu;
  if (hc.PidsLimit && hc.PidsLimit > 0) resources['pids'] = { limit: hc.PidsLimit };
  if (hc.BlkioWeight) resources['blockIO'] = { weight: hc.BlkioWeight };

  const linux: OciSpec = {
    resources,
    cgroupsPath: `${inp.cgroupParent.replace(/\/+$/, '')}/${inp.id}`,
    namespaces,
  };
  if (devices.length > 0) linux['devices'] = devices;
  if (!privileged) {
    linux['maskedPaths'] = hc.MaskedPaths ?? DEFAULT_MASKED_PATHS;
    linux['readonlyPaths'] = hc.ReadonlyPaths ?? DEFAULT_READONLY_PATHS;
  }
  if (hc.Sysctls && Object.keys(hc.Sysctls).length > 0) linux['sysctl'] = { ...hc.Sysctls };

  const spec: OciSpec = {
    ociVersion: '1.0.2-dev',
    process: process_,
    root: { path: inp.rootfs, readonly: ro },
    hostname: hostNet && hc.UTSMode !== 'host' ? inp.hostname : hc.UTSMode === 'host' ? undefined : inp.hostname,
    ...(cfg.Domainname ? { domainname: cfg.Domainname } : {}),
    mounts: allMounts,
    linux,
  };
  inp.security?.apply(spec, hc);
  return spec;
}

/** "/host:/ctr[:ro|rw|z|Z|...]" binds (named volumes belong to the volume service). */
export function bindMount(spec: string): OciSpec {
  const parts = spec.split(':');
  const [src = '', dst = '', mode = ''] = parts;
  if (!src.startsWith('/')) throw invalidArgument(`named volumes are not supported yet: ${spec}`);
  if (!dst.startsWith('/')) throw invalidArgument(`invalid volume specification: '${spec}'`);
  if (!fs.existsSync(src)) fs.mkdirSync(src, { recursive: true });
  const modes = mode.split(',').filter(Boolean);
  const prop = modes.find((m) => /^r?(shared|slave|private)$/.test(m));
  return { destination: dst, type: 'bind', source: src, options: ['rbind', prop ? `r${prop.replace(/^r/, '')}` : 'rprivate', ...(modes.includes('ro') ? ['ro'] : [])] };
}
