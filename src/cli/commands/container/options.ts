// `create`/`run` flags and their translation into the Engine API's create body (Config +
// HostConfig + NetworkingConfig), after docker's cli/command/container/opts.go.
import fs from 'node:fs';
import path from 'node:path';
import { isIP } from 'node:net';
import type { FlagSpec, FlagValues } from '../../flags.js';
import { parseGoDuration, parseRamBytes } from '../../flags.js';
import { FlagError, StatusError } from '../../exit-codes.js';

const S = (name: string, usage: string, short?: string): FlagSpec => (short ? { name, short, type: 'string', usage } : { name, type: 'string', usage });
const B = (name: string, usage: string, short?: string): FlagSpec => (short ? { name, short, type: 'bool', usage } : { name, type: 'bool', usage });
const LST = (name: string, usage: string, short?: string): FlagSpec => (short ? { name, short, type: 'list', usage } : { name, type: 'list', usage });
const I = (name: string, usage: string, short?: string): FlagSpec => (short ? { name, short, type: 'int', usage } : { name, type: 'int', usage });
const BYTES = (name: string, usage: string, short?: string): FlagSpec => (short ? { name, short, type: 'bytes', usage } : { name, type: 'bytes', usage });
const DUR = (name: string, usage: string): FlagSpec => ({ name, type: 'duration', usage });

export const CREATE_FLAGS: FlagSpec[] = [
  LST('add-host', 'Add a custom host-to-IP mapping (host:ip)'),
  LST('annotation', 'Add an annotation to the container (passed through to the OCI runtime)'),
  LST('attach', 'Attach to STDIN, STDOUT or STDERR', 'a'),
  { name: 'blkio-weight', type: 'int', usage: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)' },
  LST('blkio-weight-device', 'Block IO weight (relative device weight)'),
  LST('cap-add', 'Add Linux capabilities'),
  LST('cap-drop', 'Drop Linux capabilities'),
  S('cgroup-parent', 'Optional parent cgroup for the container'),
  S('cgroupns', 'Cgroup namespace to use (host|private)'),
  S('cidfile', 'Write the container ID to the file'),
  I('cpu-period', 'Limit CPU CFS (Completely Fair Scheduler) period'),
  I('cpu-quota', 'Limit CPU CFS (Completely Fair Scheduler) quota'),
  I('cpu-rt-period', 'Limit CPU real-time period in microseconds'),
  I('cpu-rt-runtime', 'Limit CPU real-time runtime in microseconds'),
  I('cpu-shares', 'CPU shares (relative weight)', 'c'),
  { name: 'cpus', type: 'float', valueName: 'decimal', usage: 'Number of CPUs' },
  S('cpuset-cpus', 'CPUs in which to allow execution (0-3, 0,1)'),
  S('cpuset-mems', 'MEMs in which to allow execution (0-3, 0,1)'),
  LST('device', 'Add a host device to the container'),
  LST('device-cgroup-rule', 'Add a rule to the cgroup allowed devices list'),
  LST('device-read-bps', 'Limit read rate (bytes per second) from a device'),
  LST('device-read-iops', 'Limit read rate (IO per second) from a device'),
  LST('device-write-bps', 'Limit write rate (bytes per second) to a device'),
  LST('device-write-iops', 'Limit write rate (IO per second) to a device'),
  LST('dns', 'Set custom DNS servers'),
  LST('dns-option', 'Set DNS options'),
  LST('dns-search', 'Set custom DNS search domains'),
  S('domainname', 'Container NIS domain name'),
  S('entrypoint', 'Overwrite the default ENTRYPOINT of the image'),
  LST('env', 'Set environment variables', 'e'),
  LST('env-file', 'Read in a file of environment variables'),
  LST('expose', 'Expose a port or a range of ports'),
  LST('group-add', 'Add additional groups to join'),
  S('health-cmd', 'Command to run to check health'),
  DUR('health-interval', 'Time between running the check (ms|s|m|h) (default 0s)'),
  I('health-retries', 'Consecutive failures needed to report unhealthy'),
  DUR('health-start-interval', 'Time between running the check during the start period (ms|s|m|h) (default 0s)'),
  DUR('health-start-period', 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)'),
  DUR('health-timeout', 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)'),
  S('hostname', 'Container host name', 'h'),
  B('init', 'Run an init inside the container that forwards signals and reaps processes'),
  B('interactive', 'Keep STDIN open even if not attached', 'i'),
  S('ip', 'IPv4 address (e.g., 172.30.100.104)'),
  S('ip6', 'IPv6 address (e.g., 2001:db8::33)'),
  S('ipc', 'IPC mode to use'),
  S('isolation', 'Container isolation technology'),
  { name: 'kernel-memory', type: 'bytes', usage: 'Kernel memory limit', hidden: true },
  LST('label', 'Set meta data on a container', 'l'),
  LST('label-file', 'Read in a line delimited file of labels'),
  LST('link', 'Add link to another container'),
  S('log-driver', 'Logging driver for the container'),
  LST('log-opt', 'Log driver options'),
  S('mac-address', 'Container MAC address (e.g., 92:d0:c6:0a:29:33)'),
  BYTES('memory', 'Memory limit', 'm'),
  BYTES('memory-reservation', 'Memory soft limit'),
  BYTES('memory-swap', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap"),
  { name: 'memory-swappiness', type: 'int', usage: 'Tune container memory swappiness (0 to 100)', default: -1 },
  LST('mount', 'Attach a filesystem mount to the container'),
  S('name', 'Assign a name to the container'),
  S('network', 'Connect a container to a network'),
  { name: 'net', type: 'string', usage: 'Connect a container to a network', hidden: true },
  LST('network-alias', 'Add network-scoped alias for the container'),
  { name: 'net-alias', type: 'list', usage: 'Add network-scoped alias for the container', hidden: true },
  B('no-healthcheck', 'Disable any container-specified HEALTHCHECK'),
  B('oom-kill-disable', 'Disable OOM Killer'),
  I('oom-score-adj', 'Tune host\'s OOM preferences (-1000 to 1000)'),
  S('pid', 'PID namespace to use'),
  I('pids-limit', 'Tune container pids limit (set -1 for unlimited)'),
  S('platform', 'Set platform if server is multi-platform capable'),
  B('privileged', 'Give extended privileges to this container'),
  LST('publish', 'Publish a container\'s port(s) to the host', 'p'),
  B('publish-all', 'Publish all exposed ports to random ports', 'P'),
  { name: 'pull', type: 'string', usage: 'Pull image before creating ("always", "missing", "never")', default: 'missing' },
  B('quiet', 'Suppress the pull output', 'q'),
  B('read-only', "Mount the container's root filesystem as read only"),
  { name: 'restart', type: 'string', usage: 'Restart policy to apply when a container exits', default: 'no' },
  B('rm', 'Automatically remove the container and its associated anonymous volumes when it exits'),
  S('runtime', 'Runtime to use for this container'),
  LST('security-opt', 'Security Options'),
  BYTES('shm-size', 'Size of /dev/shm'),
  S('stop-signal', 'Signal to stop the container'),
  I('stop-timeout', 'Timeout (in seconds) to stop a container'),
  LST('storage-opt', 'Storage driver options for the container'),
  LST('sysctl', 'Sysctl options'),
  LST('tmpfs', 'Mount a tmpfs directory'),
  B('tty', 'Allocate a pseudo-TTY', 't'),
  LST('ulimit', 'Ulimit options'),
  S('user', 'Username or UID (format: <name|uid>[:<group|gid>])', 'u'),
  S('userns', 'User namespace to use'),
  S('uts', 'UTS namespace to use'),
  LST('volume', 'Bind mount a volume', 'v'),
  S('volume-driver', 'Optional volume driver for the container'),
  LST('volumes-from', 'Mount volumes from the specified container(s)'),
  S('workdir', 'Working directory inside the container', 'w'),
];

export const RUN_ONLY_FLAGS: FlagSpec[] = [
  B('detach', 'Run container in background and print container ID', 'd'),
  S('detach-keys', 'Override the key sequence for detaching a container'),
  { name: 'sig-proxy', type: 'bool', usage: 'Proxy received signals to the process', default: true },
];

type Json = Record<string, unknown>;

function bad(msg: string): StatusError {
  return new StatusError(125, msg);
}

/** Parse a KEY=VALUE file the way docker's --env-file/--label-file does. */
export function readKvFile(file: string, kind: 'env' | 'label'): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw bad(`open ${file}: no such file or directory`);
  }
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq >= 0 ? line.slice(0, eq) : line;
    if (/\s/.test(key)) throw bad(`variable '${key}' contains whitespaces`);
    if (eq >= 0) out.push(line);
    else if (kind === 'env') {
      const v = process.env[key];
      if (v !== undefined) out.push(`${key}=${v}`);
    } else out.push(`${key}=`);
  }
  return out;
}

/** -e KEY (no value) takes the value from the client's environment, as docker does. */
function expandEnv(values: string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (v.includes('=')) {
      if (v.startsWith('=')) throw bad(`invalid environment variable: ${v}`);
      out.push(v);
    } else {
      const val = process.env[v];
      if (val !== undefined) out.push(`${v}=${val}`);
    }
  }
  return out;
}

function kvMap(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 0) out[v] = '';
    else out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** Go duration string to nanoseconds. */
function durationNs(v: string): number {
  return Math.round(parseGoDuration(v) * 1e6);
}

export interface PortSpec {
  exposed: Record<string, Record<string, never>>;
  bindings: Record<string, { HostIp: string; HostPort: string }[]>;
}

function parseRange(s: string, what: string, raw: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) throw bad(`invalid ${what}: ${raw}`);
  const a = Number(m[1]);
  const b = m[2] !== undefined ? Number(m[2]) : a;
  if (a > 65535 || b > 65535 || b < a) throw bad(`invalid ${what}: ${raw}`);
  return [a, b];
}

/** nat.ParsePortSpecs: [ip:][hostPort:]containerPort[/proto], with ranges. */
export function parsePorts(publish: string[], expose: string[]): PortSpec {
  const exposed: PortSpec['exposed'] = {};
  const bindings: PortSpec['bindings'] = {};
  for (const raw of publish) {
    let rest = raw;
    let proto = 'tcp';
    const slash = rest.lastIndexOf('/');
    if (slash >= 0) {
      proto = rest.slice(slash + 1).toLowerCase();
      rest = rest.slice(0, slash);
      if (!['tcp', 'udp', 'sctp'].includes(proto)) throw bad(`invalid proto: ${proto}`);
    }
    // nat.splitParts: the last part is the container port, the one before the host port, the rest the IP
    const parts = rest.split(':');
    const n = parts.length;
    const containerPart = parts[n - 1] as string;
    const hostPart = n >= 2 ? (parts[n - 2] as string) : '';
    let ip = n >= 3 ? parts.slice(0, n - 2).join(':') : '';
    if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
    if (ip !== '' && isIP(ip) === 0) throw bad(`invalid IP address: ${ip}`);
    if (containerPart === '') throw bad(`no port specified: ${raw}<empty>`);
    const [c0, c1] = parseRange(containerPart, 'containerPort', containerPart);
    let h0 = 0;
    let h1 = 0;
    if (hostPart !== '') [h0, h1] = parseRange(hostPart, 'hostPort', hostPart);
    if (hostPart !== '' && h1 - h0 !== c1 - c0 && h0 !== h1) throw bad(`invalid ranges specified for container and host Ports: ${containerPart} and ${hostPart}`);
    for (let p = c0; p <= c1; p++) {
      const key = `${p}/${proto}`;
      exposed[key] = {};
      let hp = '';
      if (hostPart !== '') hp = h0 === h1 && c0 !== c1 ? `${h0}` : String(h0 + (p - c0));
      if (hostPart !== '' && h0 !== h1 && c0 === c1) hp = `${h0}-${h1}`;
      (bindings[key] ??= []).push({ HostIp: ip, HostPort: hp });
    }
  }
  for (const raw of expose) {
    const [portPart, proto = 'tcp'] = raw.split('/') as [string, string | undefined];
    const [a, b] = parseRange(portPart, 'range format for --expose', raw);
    for (let p = a; p <= b; p++) exposed[`${p}/${proto}`] = {};
  }
  return { exposed, bindings };
}

/** --mount type=bind,source=/a,target=/b,readonly */
export function parseMount(value: string): Json {
  const m: Json = { Type: 'volume' };
  const bind: Json = {};
  const vol: Json = {};
  const tmpfs: Json = {};
  const volLabels: Record<string, string> = {};
  for (const field of value.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq >= 0 ? field.slice(0, eq) : field).trim().toLowerCase();
    const val = eq >= 0 ? field.slice(eq + 1) : undefined;
    const boolVal = (): boolean => val === undefined || ['1', 'true', 'yes'].includes(val.toLowerCase());
    switch (key) {
      case 'type':
        m['Type'] = val;
        break;
      case 'source':
      case 'src':
        m['Source'] = val;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m['Target'] = val;
        break;
      case 'readonly':
      case 'ro':
        m['ReadOnly'] = boolVal();
        break;
      case 'consistency':
        m['Consistency'] = val;
        break;
      case 'bind-propagation':
        bind['Propagation'] = val;
        break;
      case 'bind-nonrecursive':
        bind['NonRecursive'] = boolVal();
        break;
      case 'bind-create-host-path':
        bind['CreateMountpoint'] = boolVal();
        break;
      case 'bind-recursive':
        if (val === 'disabled') bind['NonRecursive'] = true;
        else if (val === 'writable') bind['ReadOnlyNonRecursive'] = true;
        else if (val === 'readonly') bind['ReadOnlyForceRecursive'] = true;
        else if (val !== 'enabled') throw new FlagError(`invalid argument "${value}" for "--mount" flag: invalid value for ${key}: ${val ?? ''} (must be "enabled", "disabled", "writable", or "readonly")`);
        break;
      case 'volume-nocopy':
        vol['NoCopy'] = boolVal();
        break;
      case 'volume-subpath':
        vol['Subpath'] = val;
        break;
      case 'volume-driver':
        vol['DriverConfig'] = { ...(vol['DriverConfig'] as Json | undefined), Name: val };
        break;
      case 'volume-opt': {
        const i = (val ?? '').indexOf('=');
        if (i <= 0) throw new FlagError(`invalid argument "${value}" for "--mount" flag: invalid value for ${key}: ${val ?? ''}`);
        const dc = (vol['DriverConfig'] ?? {}) as Json;
        dc['Options'] = { ...((dc['Options'] as Json | undefined) ?? {}), [(val ?? '').slice(0, i)]: (val ?? '').slice(i + 1) };
        vol['DriverConfig'] = dc;
        break;
      }
      case 'volume-label': {
        const [k, v = ''] = (val ?? '').split('=');
        volLabels[k as string] = v;
        break;
      }
      case 'tmpfs-size':
        tmpfs['SizeBytes'] = parseRamBytes(val ?? '');
        break;
      case 'tmpfs-mode':
        tmpfs['Mode'] = Number.parseInt(val ?? '0', 8);
        break;
      default:
        throw new FlagError(`invalid argument "${value}" for "--mount" flag: unexpected key '${key}' in '${field}'`);
    }
  }
  if (m['Target'] === undefined) throw new FlagError(`invalid argument "${value}" for "--mount" flag: target is required`);
  if (Object.keys(volLabels).length > 0) vol['Labels'] = volLabels;
  if (Object.keys(bind).length > 0) m['BindOptions'] = bind;
  if (Object.keys(vol).length > 0) m['VolumeOptions'] = vol;
  if (Object.keys(tmpfs).length > 0) m['TmpfsOptions'] = tmpfs;
  return m;
}

/** opts.ParseRestartPolicy: the daemon validates the name; only the count's format is checked here. */
function parseRestart(v: string): Json {
  if (v === '') return { Name: 'no', MaximumRetryCount: 0 };
  const [name, count] = v.split(':') as [string, string | undefined];
  if (count === undefined) return { Name: name, MaximumRetryCount: 0 };
  if (!/^-?\d+$/.test(count)) throw bad('invalid restart policy format: maximum retry count must be an integer');
  return { Name: name, MaximumRetryCount: Number(count) };
}

function parseUlimit(v: string): Json {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(v);
  if (!m) throw new FlagError(`invalid argument "${v}" for "--ulimit" flag: invalid ulimit argument: ${v}`);
  const soft = Number(m[2]);
  return { Name: m[1], Soft: soft, Hard: m[3] !== undefined ? Number(m[3]) : soft };
}

function parseDevice(v: string): Json {
  const parts = v.split(':');
  const host = parts[0] ?? '';
  let inContainer = host;
  let perms = 'rwm';
  if (parts.length >= 2) {
    if (/^[rwm]+$/.test(parts[1] ?? '') && parts.length === 2) perms = parts[1] as string;
    else inContainer = parts[1] as string;
  }
  if (parts.length >= 3) perms = parts[2] as string;
  return { PathOnHost: host, PathInContainer: inContainer, CgroupPermissions: perms };
}

function bytesFlag(flags: FlagValues, name: string): number | undefined {
  if (!flags.changed(name)) return undefined;
  const v = flags.string(name);
  // only --memory-swap takes -1 (opts.MemSwapBytes); the others are go-units sizes
  if (v === '-1' && name !== 'memory-swap') throw bad(`invalid argument "-1" for "${name === 'memory' ? '-m, --memory' : `--${name}`}" flag: invalid size: '-1'`);
  return v === '-1' ? -1 : parseRamBytes(v);
}

/** opts.ValidateThrottleBpsDevice / ValidateThrottleIOpsDevice / ValidateWeightDevice. */
function parseDeviceRates(flags: FlagValues, name: string, kind: 'bps' | 'iops' | 'weight'): Json[] {
  return flags.list(name).map((v) => {
    const i = v.lastIndexOf(':');
    const dev = i >= 0 ? v.slice(0, i) : v;
    const rate = i >= 0 ? v.slice(i + 1) : '';
    const fail = (m: string): StatusError => bad(`invalid argument "${v}" for "--${name}" flag: ${m}`);
    if (i < 0) throw fail(`bad format: ${v}`);
    if (!dev.startsWith('/dev/')) throw fail(`bad format for device path: ${v}`);
    if (kind === 'weight') {
      if (!/^\d+$/.test(rate) || Number(rate) > 1000 || (Number(rate) < 10 && Number(rate) !== 0)) throw fail(`invalid weight for device: ${v}`);
      return { Path: dev, Weight: Number(rate) };
    }
    if (kind === 'iops') {
      if (!/^\d+$/.test(rate)) throw fail(`invalid rate for device: ${v}. The correct format is <device-path>:<number>. Number must be a positive integer`);
      return { Path: dev, Rate: Number(rate) };
    }
    try {
      return { Path: dev, Rate: parseRamBytes(rate) };
    } catch {
      throw fail(`invalid rate for device: ${v}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`);
    }
  });
}

/** opts.ValidateSysctl: only namespaced sysctls. */
function validateSysctl(v: string): string {
  const key = v.split('=', 1)[0] ?? '';
  const ipc = ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'];
  if (!v.includes('=') || !(ipc.includes(key) || key.startsWith('net.') || key.startsWith('fs.mqueue.'))) throw new FlagError(`invalid argument "${v}" for "--sysctl" flag: sysctl '${v}' is not allowed`);
  return v;
}

/** parseSecurityOpts + parseSystemPaths: seccomp=<file> is sent as its compacted JSON; systempaths=unconfined empties the masked and read-only paths. */
function securityOpts(opts: string[]): { opts: string[]; unmasked: boolean } {
  const out: string[] = [];
  let unmasked = false;
  for (const o of opts) {
    if (o === 'systempaths=unconfined') {
      unmasked = true;
      continue;
    }
    const eq = o.indexOf('=');
    const k = eq >= 0 ? o.slice(0, eq) : o;
    const v = eq >= 0 ? o.slice(eq + 1) : '';
    if (eq < 0 && !o.includes(':') && o !== 'no-new-privileges') throw bad(`Invalid --security-opt: ${JSON.stringify(o)}`);
    if (k === 'seccomp' && v !== 'unconfined' && v !== 'builtin' && v !== '') {
      let text: string;
      try {
        text = fs.readFileSync(v, 'utf8');
      } catch (err) {
        throw bad(`opening seccomp profile (${v}) failed: open ${v}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
      }
      try {
        out.push(`seccomp=${JSON.stringify(JSON.parse(text))}`);
      } catch (err) {
        throw bad(`compacting json for seccomp profile (${v}) failed: ${(err as Error).message}`);
      }
      continue;
    }
    out.push(o);
  }
  return { opts: out, unmasked };
}

export interface CreateRequest {
  name?: string;
  platform?: string;
  body: Json;
  /** Client-side options that are not part of the API body. */
  attach: string[];
  cidfile?: string;
  pull: string;
}

/** Build the POST /containers/create body from the flags; `args` is [IMAGE, CMD...]. */
export function buildCreateRequest(flags: FlagValues, args: string[]): CreateRequest {
  const image = args[0] as string;
  const cmd = args.slice(1);
  const tty = flags.bool('tty');
  const interactive = flags.bool('interactive');
  const attach = flags.list('attach').map((a) => a.toLowerCase());
  for (const a of attach) if (!['stdin', 'stdout', 'stderr'].includes(a)) throw new FlagError(`invalid argument "${a}" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`);

  const env = [...flags.list('env-file').flatMap((f) => readKvFile(f, 'env')), ...expandEnv(flags.list('env'))];
  const labels = kvMap([...flags.list('label-file').flatMap((f) => readKvFile(f, 'label')), ...flags.list('label')]);
  const ports = parsePorts(flags.list('publish'), flags.list('expose'));

  const binds: string[] = [];
  const volumes: Record<string, Record<string, never>> = {};
  for (const v of flags.list('volume')) {
    const parts = v.split(':');
    if (parts.length === 1) {
      if (!(parts[0] ?? '').startsWith('/')) throw bad(`invalid volume specification: '${v}'`);
      volumes[parts[0] as string] = {};
    } else {
      if (parts.length > 3 || (parts[1] ?? '') === '' || (parts[0] ?? '') === '') throw bad(`invalid volume specification: '${v}'`);
      if (!(parts[1] ?? '').startsWith('/')) throw bad(`invalid volume specification: '${v}': invalid mount config for type "bind": invalid mount path: '${parts[1]}' mount path must be absolute`);
      // docker's CLI (23+) makes a relative host path ("./data", "../x", ".") absolute
      const src = parts[0] ?? '';
      binds.push(src.startsWith('.') ? [path.resolve(src), ...parts.slice(1)].join(':') : v);
    }
  }
  const tmpfs: Record<string, string> = {};
  for (const t of flags.list('tmpfs')) {
    const i = t.indexOf(':');
    const p = i >= 0 ? t.slice(0, i) : t;
    if (!p.startsWith('/')) throw bad(`invalid tmpfs path: ${p}: must be absolute`);
    tmpfs[p] = i >= 0 ? t.slice(i + 1) : '';
  }
  const sysctls = kvMap(flags.list('sysctl').map(validateSysctl));
  const sec = securityOpts(flags.list('security-opt'));
  const logOpts = kvMap(flags.list('log-opt'));
  const storageOpts = kvMap(flags.list('storage-opt'));
  const extraHosts = flags.list('add-host').map((h) => {
    const m = /^([^:=]+)[:=](.+)$/.exec(h);
    if (!m) throw new FlagError(`invalid argument "${h}" for "--add-host" flag: bad format for add-host: "${h}"`);
    return `${m[1]}:${(m[2] as string).replace(/^\[|\]$/g, '')}`;
  });

  // Healthcheck
  let healthcheck: Json | undefined;
  const hc = ['health-cmd', 'health-interval', 'health-timeout', 'health-start-period', 'health-start-interval', 'health-retries'].some((n) => flags.changed(n));
  if (flags.bool('no-healthcheck')) {
    if (hc) throw bad('--no-healthcheck conflicts with --health-* options');
    healthcheck = { Test: ['NONE'] };
  } else if (hc) {
    healthcheck = {};
    if (flags.changed('health-cmd')) healthcheck['Test'] = ['CMD-SHELL', flags.string('health-cmd')];
    const d = (n: string, key: string): void => {
      if (!flags.changed(n)) return;
      const ns = durationNs(flags.string(n));
      if (ns < 0) throw bad(`--${n} cannot be negative`);
      (healthcheck as Json)[key] = ns;
    };
    d('health-interval', 'Interval');
    d('health-timeout', 'Timeout');
    d('health-start-period', 'StartPeriod');
    d('health-start-interval', 'StartInterval');
    if (flags.changed('health-retries')) {
      if (flags.int('health-retries') < 0) throw bad('--health-retries cannot be negative');
      healthcheck['Retries'] = flags.int('health-retries');
    }
  }

  const network = flags.optString('network') ?? flags.optString('net');
  const aliases = [...flags.list('network-alias'), ...flags.list('net-alias')];

  // Attach defaults: with -d none; otherwise stdout+stderr, and stdin with -i.
  const detach = flags.parsed.values.has('detach') ? flags.bool('detach') : false;
  let attachStdin = attach.includes('stdin');
  let attachStdout = attach.includes('stdout');
  let attachStderr = attach.includes('stderr');
  if (!detach && attach.length === 0) {
    attachStdout = true;
    attachStderr = true;
    attachStdin = interactive;
  }
  if (detach && attach.length > 0) throw bad('Conflicting options: -a and -d');

  const config: Json = {
    Hostname: flags.string('hostname'),
    Domainname: flags.string('domainname'),
    User: flags.string('user'),
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    Tty: tty,
    OpenStdin: interactive,
    StdinOnce: interactive && attachStdin && !detach,
    Env: env,
    Cmd: cmd.length > 0 ? cmd : null,
    Image: image,
    Volumes: volumes,
    WorkingDir: flags.string('workdir'),
    Entrypoint: flags.changed('entrypoint') ? (flags.string('entrypoint') === '' ? [''] : [flags.string('entrypoint')]) : null,
    OnBuild: null,
    Labels: labels,
  };
  if (Object.keys(ports.exposed).length > 0) config['ExposedPorts'] = ports.exposed;
  if (flags.changed('mac-address')) config['MacAddress'] = flags.string('mac-address');
  if (healthcheck) config['Healthcheck'] = healthcheck;
  if (flags.changed('stop-signal')) config['StopSignal'] = flags.string('stop-signal');
  if (flags.changed('stop-timeout')) config['StopTimeout'] = flags.int('stop-timeout');

  let nanoCpus = 0;
  if (flags.changed('cpus')) {
    const c = Number(flags.string('cpus'));
    nanoCpus = Math.round(c * 1e9);
  }
  const memorySwap = bytesFlag(flags, 'memory-swap');
  const hostConfig: Json = {
    Binds: binds.length > 0 ? binds : null,
    ContainerIDFile: flags.string('cidfile'),
    LogConfig: { Type: flags.string('log-driver'), Config: logOpts },
    NetworkMode: network ?? 'default',
    PortBindings: ports.bindings,
    RestartPolicy: parseRestart(flags.string('restart')),
    AutoRemove: flags.bool('rm'),
    VolumeDriver: flags.string('volume-driver'),
    VolumesFrom: flags.list('volumes-from').length > 0 ? flags.list('volumes-from') : null,
    ConsoleSize: [0, 0],
    Annotations: flags.list('annotation').length > 0 ? kvMap(flags.list('annotation')) : undefined,
    CapAdd: flags.list('cap-add').length > 0 ? flags.list('cap-add') : null,
    CapDrop: flags.list('cap-drop').length > 0 ? flags.list('cap-drop') : null,
    CgroupnsMode: flags.string('cgroupns'),
    Dns: flags.list('dns'),
    DnsOptions: flags.list('dns-option'),
    DnsSearch: flags.list('dns-search'),
    ExtraHosts: extraHosts.length > 0 ? extraHosts : null,
    GroupAdd: flags.list('group-add').length > 0 ? flags.list('group-add') : null,
    IpcMode: flags.string('ipc'),
    Cgroup: '',
    Links: flags.list('link').length > 0 ? flags.list('link') : null,
    OomScoreAdj: flags.int('oom-score-adj'),
    PidMode: flags.string('pid'),
    Privileged: flags.bool('privileged'),
    PublishAllPorts: flags.bool('publish-all'),
    ReadonlyRootfs: flags.bool('read-only'),
    SecurityOpt: sec.opts.length > 0 ? sec.opts : null,
    ...(sec.unmasked ? { MaskedPaths: [], ReadonlyPaths: [] } : {}),
    StorageOpt: Object.keys(storageOpts).length > 0 ? storageOpts : undefined,
    Tmpfs: Object.keys(tmpfs).length > 0 ? tmpfs : undefined,
    UTSMode: flags.string('uts'),
    UsernsMode: flags.string('userns'),
    ShmSize: bytesFlag(flags, 'shm-size') ?? 0,
    Sysctls: Object.keys(sysctls).length > 0 ? sysctls : undefined,
    Runtime: flags.string('runtime') || undefined,
    Isolation: flags.string('isolation'),
    CpuShares: flags.int('cpu-shares'),
    Memory: bytesFlag(flags, 'memory') ?? 0,
    NanoCpus: nanoCpus,
    CgroupParent: flags.string('cgroup-parent'),
    BlkioWeight: flags.int('blkio-weight'),
    BlkioWeightDevice: parseDeviceRates(flags, 'blkio-weight-device', 'weight'),
    BlkioDeviceReadBps: parseDeviceRates(flags, 'device-read-bps', 'bps'),
    BlkioDeviceWriteBps: parseDeviceRates(flags, 'device-write-bps', 'bps'),
    BlkioDeviceReadIOps: parseDeviceRates(flags, 'device-read-iops', 'iops'),
    BlkioDeviceWriteIOps: parseDeviceRates(flags, 'device-write-iops', 'iops'),
    ...(flags.changed('kernel-memory') ? { KernelMemory: bytesFlag(flags, 'kernel-memory') ?? 0 } : {}),
    CpuPeriod: flags.int('cpu-period'),
    CpuQuota: flags.int('cpu-quota'),
    CpuRealtimePeriod: flags.int('cpu-rt-period'),
    CpuRealtimeRuntime: flags.int('cpu-rt-runtime'),
    CpusetCpus: flags.string('cpuset-cpus'),
    CpusetMems: flags.string('cpuset-mems'),
    Devices: flags.list('device').map(parseDevice),
    DeviceCgroupRules: flags.list('device-cgroup-rule').length > 0 ? flags.list('device-cgroup-rule') : null,
    MemoryReservation: bytesFlag(flags, 'memory-reservation') ?? 0,
    MemorySwap: memorySwap ?? 0,
    MemorySwappiness: flags.int('memory-swappiness') === -1 ? null : flags.int('memory-swappiness'),
    OomKillDisable: flags.changed('oom-kill-disable') ? flags.bool('oom-kill-disable') : null,
    PidsLimit: flags.changed('pids-limit') ? flags.int('pids-limit') : null,
    Ulimits: flags.list('ulimit').map(parseUlimit),
    Mounts: flags.list('mount').map(parseMount),
    Init: flags.changed('init') ? flags.bool('init') : null,
  };
  if (flags.bool('rm') && flags.string('restart') !== 'no' && flags.changed('restart')) throw bad('Conflicting options: --restart and --rm');
  if (memorySwap !== undefined && memorySwap > 0 && hostConfig['Memory'] !== 0 && memorySwap < (hostConfig['Memory'] as number)) throw bad('Minimum memoryswap limit should be larger than memory limit, see usage');
  for (const k of Object.keys(hostConfig)) if (hostConfig[k] === undefined) delete hostConfig[k];

  const endpoint: Json = {};
  if (aliases.length > 0) endpoint['Aliases'] = aliases;
  const ipam: Json = {};
  if (flags.changed('ip')) ipam['IPv4Address'] = flags.string('ip');
  if (flags.changed('ip6')) ipam['IPv6Address'] = flags.string('ip6');
  if (Object.keys(ipam).length > 0) endpoint['IPAMConfig'] = ipam;
  if (flags.changed('mac-address')) endpoint['MacAddress'] = flags.string('mac-address');
  const netName = network ?? 'default';
  const networking: Json = { EndpointsConfig: Object.keys(endpoint).length > 0 ? { [netName]: endpoint } : {} };

  const pull = flags.string('pull');
  if (!['always', 'missing', 'never'].includes(pull)) throw bad(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  const req: CreateRequest = { body: { ...config, HostConfig: hostConfig, NetworkingConfig: networking }, attach, pull };
  if (flags.changed('name')) req.name = flags.string('name');
  if (flags.changed('platform')) req.platform = flags.string('platform');
  if (flags.changed('cidfile')) req.cidfile = flags.string('cidfile');
  return req;
}
