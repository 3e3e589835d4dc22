// berthd's configuration: dockerd's flags and daemon.json keys (where they apply). Flags
// override the file; an unknown key, an unknown flag or a bad value stops start-up.
import { LOG_DRIVERS } from './common/log-drivers.js';
import fs from 'node:fs';
import { invalidArgument } from '../errdefs/index.js';

type OptType = 'string' | 'bool' | 'int' | 'list' | 'object' | 'objectList';

interface OptSpec {
  key: string; // daemon.json key
  type: OptType;
  flags?: string[]; // command-line names, e.g. ['-H', '--host']
}

// The daemon.json keys berth understands, with dockerd's names.
const OPTIONS: readonly OptSpec[] = [
  { key: 'data-root', type: 'string', flags: ['--data-root'] },
  { key: 'exec-root', type: 'string', flags: ['--exec-root'] },
  { key: 'hosts', type: 'list', flags: ['-H', '--host'] },
  { key: 'pidfile', type: 'string', flags: ['-p', '--pidfile'] },
  { key: 'log-level', type: 'string', flags: ['-l', '--log-level'] },
  { key: 'debug', type: 'bool', flags: ['-D', '--debug'] },
  { key: 'labels', type: 'list', flags: ['--label'] },
  { key: 'default-runtime', type: 'string', flags: ['--default-runtime'] },
  { key: 'runtimes', type: 'object' },
  { key: 'live-restore', type: 'bool', flags: ['--live-restore'] },
  { key: 'shutdown-timeout', type: 'int', flags: ['--shutdown-timeout'] },
  { key: 'max-concurrent-downloads', type: 'int', flags: ['--max-concurrent-downloads'] },
  { key: 'max-concurrent-uploads', type: 'int', flags: ['--max-concurrent-uploads'] },
  { key: 'max-download-attempts', type: 'int', flags: ['--max-download-attempts'] },
  { key: 'registry-mirrors', type: 'list', flags: ['--registry-mirror'] },
  { key: 'insecure-registries', type: 'list', flags: ['--insecure-registry'] },
  { key: 'userns-remap', type: 'string', flags: ['--userns-remap'] },
  { key: 'storage-driver', type: 'string', flags: ['-s', '--storage-driver'] },
  { key: 'exec-opts', type: 'list', flags: ['--exec-opt'] },
  { key: 'cgroup-parent', type: 'string', flags: ['--cgroup-parent'] },
  { key: 'default-cgroupns-mode', type: 'string', flags: ['--default-cgroupns-mode'] },
  { key: 'default-ulimits', type: 'object' },
  { key: 'default-shm-size', type: 'string', flags: ['--default-shm-size'] },
  { key: 'seccomp-profile', type: 'string', flags: ['--seccomp-profile'] },
  { key: 'no-new-privileges', type: 'bool', flags: ['--no-new-privileges'] },
  { key: 'init', type: 'bool', flags: ['--init'] },
  { key: 'init-path', type: 'string', flags: ['--init-path'] },
  { key: 'log-driver', type: 'string', flags: ['--log-driver'] },
  { key: 'log-opts', type: 'object' },
  { key: 'experimental', type: 'bool', flags: ['--experimental'] },
  { key: 'features', type: 'object' },
  { key: 'proxies', type: 'object' },
  // networking (dockerd's names; used by the network drivers)
  { key: 'bridge', type: 'string', flags: ['-b', '--bridge'] },
  { key: 'bip', type: 'string', flags: ['--bip'] },
  { key: 'fixed-cidr', type: 'string', flags: ['--fixed-cidr'] },
  { key: 'fixed-cidr-v6', type: 'string', flags: ['--fixed-cidr-v6'] },
  { key: 'ipv6', type: 'bool', flags: ['--ipv6'] },
  { key: 'mtu', type: 'int', flags: ['--mtu'] },
  { key: 'iptables', type: 'bool', flags: ['--iptables'] },
  { key: 'ip6tables', type: 'bool', flags: ['--ip6tables'] },
  { key: 'ip-forward', type: 'bool', flags: ['--ip-forward'] },
  { key: 'ip-masq', type: 'bool', flags: ['--ip-masq'] },
  { key: 'icc', type: 'bool', flags: ['--icc'] },
  { key: 'ip', type: 'string', flags: ['--ip'] },
  { key: 'userland-proxy', type: 'bool', flags: ['--userland-proxy'] },
  { key: 'default-address-pools', type: 'objectList' },
  { key: 'dns', type: 'list', flags: ['--dns'] },
  { key: 'dns-search', type: 'list', flags: ['--dns-search'] },
  { key: 'dns-opts', type: 'list', flags: ['--dns-opt'] },
  { key: 'cni-config-dir', type: 'string', flags: ['--cni-config-dir'] },
  { key: 'cni-plugin-dir', type: 'string', flags: ['--cni-plugin-dir'] },
];

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface RuntimeSpec {
  path: string;
  runtimeArgs?: string[];
}

export interface DaemonConfig {
  dataRoot: string;
  execRoot: string;
  hosts: string[];
  pidfile: string;
  logLevel: LogLevel;
  debug: boolean;
  labels: string[];
  configFile: string;
  defaultRuntime: string | undefined;
  runtimes: Record<string, RuntimeSpec>;
  liveRestore: boolean;
  shutdownTimeout: number;
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
  maxDownloadAttempts: number;
  registryMirrors: string[];
  insecureRegistries: string[];
  usernsRemap: string | undefined;
  /** Every key as given (file merged with flags), for the subsystems that read their own. */
  raw: Record<string, unknown>;
}

export const DEFAULT_CONFIG_FILE = '/etc/berth/daemon.json';

function specFor(flag: string): OptSpec | undefined {
  return OPTIONS.find((o) => o.flags?.includes(flag));
}

function parseBool(v: string, what: string): boolean {
  if (['true', '1'].includes(v)) return true;
  if (['false', '0'].includes(v)) return false;
  throw invalidArgument(`invalid boolean value ${JSON.stringify(v)} for ${what}`);
}

function parseInteger(v: string, what: string): number {
  if (!/^-?\d+$/.test(v)) throw invalidArgument(`invalid value ${JSON.stringify(v)} for ${what}: not an integer`);
  return Number.parseInt(v, 10);
}

export interface ParsedFlags {
  values: Record<string, unknown>;
  configFile: string | undefined;
  validate: boolean;
  version: boolean;
  help: boolean;
}

/** Parse berthd's command line: --name=value, --name value, -H value, bare booleans. */
export function parseDaemonFlags(argv: readonly string[]): ParsedFlags {
  const values: Record<string, unknown> = {};
  let configFile: string | undefined;
  let validate = false;
  let version = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('-')) throw invalidArgument(`"berthd" accepts no arguments (got ${JSON.stringify(arg)})`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    let inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (name === '--validate') { validate = true; continue; }
    if (name === '-v' || name === '--version') { version = true; continue; }
    if (name === '-h' || name === '--help') { help = true; continue; }
    if (name === '--config-file') {
      configFile = inline ?? argv[++i];
      if (configFile === undefined) throw invalidArgument('flag needs an argument: --config-file');
      continue;
    }
    const spec = specFor(name);
    if (!spec) throw invalidArgument(`unknown flag: ${name}`);
    if (spec.type === 'bool') {
      values[spec.key] = inline === undefined ? true : parseBool(inline, name);
      continue;
    }
    if (inline === undefined) {
      inline = argv[++i];
      if (inline === undefined) throw invalidArgument(`flag needs an argument: ${name}`);
    }
    if (spec.type === 'int') values[spec.key] = parseInteger(inline, name);
    else if (spec.type === 'list') values[spec.key] = [...((values[spec.key] as string[] | undefined) ?? []), inline];
    else values[spec.key] = inline;
  }
  return { values, configFile, validate, version, help };
}

/** Check daemon.json content: unknown keys and wrongly typed values are errors (dockerd's text). */
export function validateFileConfig(obj: unknown, file: string): Record<string, unknown> {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw invalidArgument(`unable to configure the berth daemon with file ${file}: the file must hold a JSON object`);
  }
  const rec = obj as Record<string, unknown>;
  const unknown = Object.keys(rec).filter((k) => !OPTIONS.some((o) => o.key === k));
  if (unknown.length > 0) {
    throw invalidArgument(
      `unable to configure the berth daemon with file ${file}: the following directives don't match any configuration option: ${unknown.sort().join(', ')}`,
    );
  }
  for (const [k, v] of Object.entries(rec)) {
    const spec = OPTIONS.find((o) => o.key === k);
    if (!spec) continue;
    const ok =
      (spec.type === 'string' && typeof v === 'string') ||
      (spec.type === 'bool' && typeof v === 'boolean') ||
      (spec.type === 'int' && Number.isInteger(v)) ||
      (spec.type === 'list' && Array.isArray(v) && v.every((x) => typeof x === 'string')) ||
      (spec.type === 'object' && typeof v === 'object' && v !== null && !Array.isArray(v)) ||
      (spec.type === 'objectList' && Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null));
    if (!ok) throw invalidArgument(`unable to configure the berth daemon with file ${file}: invalid value for "${k}": expected ${spec.type}`);
  }
  return rec;
}

export function readConfigFile(file: string, required: boolean): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !required) return {};
    throw invalidArgument(`unable to read configuration file ${file}: ${(err as Error).message}`);
  }
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`unable to configure the berth daemon with file ${file}: ${(err as Error).message}`);
  }
  return validateFileConfig(parsed, file);
}

/** Merge the config file and the flags into the daemon's settings (flags win). */
export function resolveConfig(flags: ParsedFlags): DaemonConfig {
  const configFile = flags.configFile ?? DEFAULT_CONFIG_FILE;
  const file = readConfigFile(configFile, flags.configFile !== undefined);
  const raw: Record<string, unknown> = { ...file, ...flags.values };
  const str = (k: string): string | undefined => raw[k] as string | undefined;
  const int = (k: string, d: number): number => (raw[k] as number | undefined) ?? d;
  const debug = raw['debug'] === true;
  const logLevel = (str('log-level') ?? (debug ? 'debug' : 'info')) as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw invalidArgument(`invalid log level: ${logLevel} (one of ${LOG_LEVELS.join(', ')})`);
  const runtimes: Record<string, RuntimeSpec> = {};
  for (const [name, spec] of Object.entries((raw['runtimes'] as Record<string, unknown> | undefined) ?? {})) {
    const s = spec as { path?: unknown; runtimeArgs?: unknown };
    if (typeof s.path !== 'string' || (s.runtimeArgs !== undefined && !Array.isArray(s.runtimeArgs))) {
      throw invalidArgument(`invalid runtime ${JSON.stringify(name)} in ${configFile}: needs "path" and optional "runtimeArgs"`);
    }
    runtimes[name] = s.runtimeArgs ? { path: s.path, runtimeArgs: s.runtimeArgs as string[] } : { path: s.path };
  }
  const positive = (k: string, d: number): number => {
    const v = int(k, d);
    if (v < 1) throw invalidArgument(`invalid value for ${k}: ${v} (must be at least 1)`);
    return v;
  };
  const logDriver = str('log-driver');
  if (logDriver !== undefined && !LOG_DRIVERS.has(logDriver)) throw invalidArgument(`failed to set log opts: logger: no log driver named '${logDriver}' is registered`);
  const hosts = (raw['hosts'] as string[] | undefined) ?? ['unix:///run/berth/berth.sock'];
  return {
    dataRoot: str('data-root') ?? '/var/lib/berth',
    execRoot: str('exec-root') ?? '/run/berth',
    hosts,
    pidfile: str('pidfile') ?? '/run/berth/berthd.pid',
    logLevel,
    debug,
    labels: (raw['labels'] as string[] | undefined) ?? [],
    configFile,
    defaultRuntime: str('default-runtime'),
    runtimes,
    liveRestore: raw['live-restore'] === undefined ? true : raw['live-restore'] === true,
    shutdownTimeout: int('shutdown-timeout', 15),
    maxConcurrentDownloads: positive('max-concurrent-downloads', 3),
    maxConcurrentUploads: positive('max-concurrent-uploads', 5),
    maxDownloadAttempts: positive('max-download-attempts', 5),
    registryMirrors: (raw['registry-mirrors'] as string[] | undefined) ?? [],
    insecureRegistries: (raw['insecure-registries'] as string[] | undefined) ?? [],
    usernsRemap: str('userns-remap'),
    raw,
  };
}
