// SecurityPolicy: what Docker's daemon checks and adds to a container's OCI spec beyond the
// basics spec.ts builds: resource checks and warnings, --security-opt (seccomp, no-new-privileges),
// capabilities limited to the daemon's own, --privileged (every host device, no seccomp),
// namespace modes (ipc/pid container:<x>, host, shareable, none), namespaced --sysctl only, and
// user namespace remapping. One instance per daemon; the seccomp renders are cached in it.
import fs from 'node:fs';
import path from 'node:path';
import { invalidArgument, conflict } from '../../errdefs/index.js';
import type { ContainerConfig, HostConfig } from '../../engine-api/container.js';
import { effectiveCaps } from './caps.js';
import { SeccompCache, type OciSeccomp } from './seccomp.js';
import { adaptResources, applyResources, hostDevices, verifyResources, type ResourcesConfig } from './resources.js';
import type { Remap } from './userns.js';
import { mountShm, shmDir } from './shm.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Spec = Record<string, any>;

/** Another container as namespace modes need it. */
export interface NamespaceDonor {
  id: string;
  pid: number;
  running: boolean;
  ipcMode: string;
  /** the donor's container dir (its shareable /dev/shm is <dir>/shm) */
  dir: string;
}

export interface SecurityPolicyOptions {
  /** daemon seccomp-profile: a file path, "unconfined", or undefined for Docker's default */
  seccompProfile?: string | undefined;
  /** daemon no-new-privileges default */
  noNewPrivileges?: boolean;
  /** daemon userns-remap, resolved */
  remap?: Remap | undefined;
  /** the daemon's own hard rlimits (RLIMIT_NOFILE -> 20000) for the clamp warning */
  hardLimits?: () => Map<string, number>;
}

export interface ParsedSecurityOpts {
  seccomp: string | undefined;
  noNewPrivileges: boolean | undefined;
}

const SYSCTL_IPC = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/** moby's parseSecurityOpt (the parts that apply on Linux without SELinux/AppArmor). */
export function parseSecurityOpts(opts: readonly string[]): ParsedSecurityOpts {
  const out: ParsedSecurityOpts = { seccomp: undefined, noNewPrivileges: undefined };
  for (const opt of opts) {
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    if (opt === 'disable') continue;
    let kv: string[] = [];
    if (opt.includes('=')) kv = [opt.slice(0, opt.indexOf('=')), opt.slice(opt.indexOf('=') + 1)];
    else if (opt.includes(':')) kv = [opt.slice(0, opt.indexOf(':')), opt.slice(opt.indexOf(':') + 1)];
    if (kv.length !== 2) throw invalidArgument(`invalid --security-opt 1: "${opt}"`);
    const [k, v = ''] = kv;
    switch (k) {
      case 'label':
      case 'apparmor':
        break;
      case 'seccomp':
        out.seccomp = v;
        break;
      case 'no-new-privileges': {
        const b = parseGoBool(v);
        if (b === undefined) throw invalidArgument(`invalid --security-opt 2: "${opt}"`);
        out.noNewPrivileges = b;
        break;
      }
      default:
        throw invalidArgument(`invalid --security-opt 2: "${opt}"`);
    }
  }
  return out;
}

function parseGoBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/** docker's opts.ValidateSysctl list: IPC sysctls, net.* and fs.mqueue.* are namespaced. */
export function checkSysctl(key: string, value: string, hc: HostConfig): void {
  const ok = SYSCTL_IPC.has(key) || key.startsWith('net.') || key.startsWith('fs.mqueue.');
  if (!ok) throw invalidArgument(`sysctl '${key}=${value}' is not allowed`);
  if (key.startsWith('net.') && hc.NetworkMode === 'host') throw invalidArgument(`--sysctl ${key} is not allowed in host network namespace`);
  if ((SYSCTL_IPC.has(key) || key.startsWith('fs.mqueue.')) && hc.IpcMode === 'host') throw invalidArgument(`--sysctl ${key} is not allowed in host IPC namespace`);
}

function containerRef(mode: string | undefined): string | undefined {
  return mode?.startsWith('container:') ? mode.slice('container:'.length) : undefined;
}

export class SecurityPolicy {
  readonly #o: SecurityPolicyOptions;
  readonly seccomp = new SeccompCache();
  #daemonProfileText: string | undefined;
  #lookup: ((idOrName: string) => NamespaceDonor | undefined) | undefined;

  constructor(o: SecurityPolicyOptions = {}) {
    this.#o = o;
    if (o.seccompProfile && o.seccompProfile !== 'unconfined' && o.seccompProfile !== 'builtin') {
      this.#daemonProfileText = fs.readFileSync(o.seccompProfile, 'utf8');
      this.seccomp.forCustom(this.#daemonProfileText, []);
    }
  }

  get remap(): Remap | undefined {
    return this.#o.remap;
  }

  /** How namespace modes find another container (set by the container service's wiring). */
  setContainerLookup(fn: (idOrName: string) => NamespaceDonor | undefined): void {
    this.#lookup = fn;
  }

  /**
   * Create-time checks (400 with Docker's message; nothing is created) and Docker's HostConfig
   * adjustments; returns the warnings for the create response.
   */
  validate(hcIn: HostConfig, _cfg?: ContainerConfig): string[] {
    const hc = hcIn as ResourcesConfig;
    const warnings = verifyResources(hc, { update: false });
    adaptResources(hc);
    effectiveCaps({ privileged: hc.Privileged, capAdd: hc.CapAdd, capDrop: hc.CapDrop });
    const sec = parseSecurityOpts(hc.SecurityOpt ?? []);
    if (sec.seccomp !== undefined && sec.seccomp !== 'unconfined' && sec.seccomp !== 'builtin' && sec.seccomp !== '') {
      if (hc.Privileged) {
        // Docker ignores seccomp for privileged containers
      } else this.seccomp.forCustom(sec.seccomp, effectiveCaps({ capAdd: hc.CapAdd, capDrop: hc.CapDrop }));
    }
    const ipc = hc.IpcMode ?? '';
    if (!['', 'none', 'private', 'shareable', 'host'].includes(ipc) && !containerRef(ipc)) throw invalidArgument(`invalid IPC mode: ${ipc}`);
    const pid = hc.PidMode ?? '';
    if (!['', 'host', 'private'].includes(pid) && !containerRef(pid)) throw invalidArgument(`invalid PID mode: ${pid}`);
    if (!['', 'host', 'private'].includes(hc.UTSMode ?? '')) throw invalidArgument(`invalid UTS mode: ${hc.UTSMode}`);
    if (!['', 'host', 'private'].includes(hc.CgroupnsMode ?? '')) throw invalidArgument(`invalid cgroup namespace mode: ${hc.CgroupnsMode}`);
    if (!['', 'host'].includes(hc.UsernsMode ?? '')) throw invalidArgument(`invalid userns mode: ${hc.UsernsMode}`);
    if (hc.UTSMode === 'host' && hc.Sysctls && 'kernel.domainname' in hc.Sysctls) throw invalidArgument('sysctl kernel.domainname is not allowed in host UTS namespace');
    for (const [k, v] of Object.entries(hc.Sysctls ?? {})) checkSysctl(k, v, hc);
    for (const ref of [containerRef(ipc), containerRef(pid)]) {
      if (ref !== undefined && this.#lookup && !this.#lookup(ref)) throw invalidArgument(`No such container: ${ref}`);
    }
    if (this.#o.remap && hc.UsernsMode !== 'host' && hc.Privileged) {
      throw invalidArgument('privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode');
    }
    warnings.push(...this.#ulimitWarnings(hc));
    return warnings;
  }

  #ulimitWarnings(hc: HostConfig): string[] {
    const limits = this.#o.hardLimits?.();
    if (!limits) return [];
    const out: string[] = [];
    for (const u of hc.Ulimits ?? []) {
      const type = `RLIMIT_${u.Name.toUpperCase()}`;
      const max = limits.get(type);
      if (max === undefined || max >= Number.MAX_SAFE_INTEGER) continue;
      if (u.Hard > max || u.Soft > max || u.Hard < 0) {
        out.push(`Ulimit ${u.Name}=${u.Soft}:${u.Hard} exceeds the daemon's own hard limit (${max}, no CAP_SYS_RESOURCE): clamped to ${Math.min(u.Soft < 0 ? max : u.Soft, max)}:${max}`);
      }
    }
    return out;
  }

  /** The seccomp filter for a container (undefined = unconfined). */
  seccompFor(hc: HostConfig, caps: readonly string[]): OciSeccomp | undefined {
    if (hc.Privileged) return undefined;
    const sec = parseSecurityOpts(hc.SecurityOpt ?? []);
    const v = sec.seccomp;
    if (v === 'unconfined') return undefined;
    if (v !== undefined && v !== '' && v !== 'builtin') return this.seccomp.forCustom(v, caps);
    if (this.#o.seccompProfile === 'unconfined') return undefined;
    if (this.#daemonProfileText !== undefined) return this.seccomp.forCustom(this.#daemonProfileText, caps);
    return this.seccomp.forDefault(caps);
  }

  /** Finish a spec built by spec.ts (called at create for validation and at every start). */
  apply(spec: Spec, hcIn: HostConfig): void {
    const hc = hcIn as ResourcesConfig;
    const privileged = hc.Privileged === true;
    const proc = spec['process'] as Spec;
    const linux = spec['linux'] as Spec;
    const caps = effectiveCaps({ privileged, capAdd: hc.CapAdd, capDrop: hc.CapDrop });
    proc['capabilities'] = { bounding: caps, effective: caps, permitted: caps };
    const sec = parseSecurityOpts(hc.SecurityOpt ?? []);
    proc['noNewPrivileges'] = sec.noNewPrivileges ?? this.#o.noNewPrivileges ?? false;
    const filter = this.seccompFor(hc, caps);
    if (filter) linux['seccomp'] = filter;
    else delete linux['seccomp'];
    applyResources(linux['resources'] as Spec, hc, privileged);
    if (privileged) {
      const mine = new Set(((linux['devices'] as Spec[] | undefined) ?? []).map((d) => d['path'] as string));
      linux['devices'] = [...((linux['devices'] as Spec[] | undefined) ?? []), ...hostDevices().filter((d) => !mine.has(d['path'] as string))];
    }
    this.#namespaces(spec, hc);
    if (this.#o.remap && hc.UsernsMode !== 'host') {
      const ns = linux['namespaces'] as Spec[];
      if (!ns.some((n) => n['type'] === 'user')) ns.push({ type: 'user' });
      linux['uidMappings'] = this.#o.remap.uidMap.map((m) => ({ ...m }));
      linux['gidMappings'] = this.#o.remap.gidMap.map((m) => ({ ...m }));
      // sysfs cannot be mounted from a user namespace that does not own the netns: bind the host's
      for (const m of spec['mounts'] as Spec[]) {
        if (m['type'] === 'sysfs') {
          m['type'] = 'bind';
          m['source'] = '/sys';
          m['options'] = ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'];
        }
      }
    }
  }

  #namespaces(spec: Spec, hc: HostConfig): void {
    const linux = spec['linux'] as Spec;
    const ns = linux['namespaces'] as Spec[];
    const mounts = spec['mounts'] as Spec[];
    const setNs = (type: string, nsPath: string | undefined): void => {
      const i = ns.findIndex((n) => n['type'] === type);
      const entry = nsPath ? { type, path: nsPath } : { type };
      if (i >= 0) ns[i] = entry;
      else ns.push(entry);
    };
    const ipc = hc.IpcMode ?? '';
    const shm = mounts.findIndex((m) => m['destination'] === '/dev/shm');
    const ipcRef = containerRef(ipc);
    if (ipcRef !== undefined) {
      const d = this.#donor(ipcRef, 'IPC');
      if (d.ipcMode !== 'shareable' && d.ipcMode !== 'host') throw conflict(`cannot join IPC of container ${d.id}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`);
      setNs('ipc', `/proc/${d.pid}/ns/ipc`);
      const src = { destination: '/dev/shm', type: 'bind', source: d.ipcMode === 'host' ? '/dev/shm' : shmDir(d.dir), options: ['rbind', 'rprivate'] };
      if (shm >= 0 && mounts[shm]?.['type'] === 'tmpfs' && mounts[shm]?.['source'] === 'shm') mounts[shm] = src;
    } else if (ipc === 'host') {
      const i = ns.findIndex((n) => n['type'] === 'ipc');
      if (i >= 0) ns.splice(i, 1);
      if (shm >= 0 && mounts[shm]?.['source'] === 'shm') mounts[shm] = { destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'] };
    } else if (ipc === 'shareable') {
      const dir = path.dirname((spec['root'] as Spec)['path'] as string);
      if (shm >= 0 && mounts[shm]?.['source'] === 'shm') {
        const src = mountShm(dir, hc.ShmSize && hc.ShmSize > 0 ? hc.ShmSize : 64 * 1024 * 1024);
        mounts[shm] = { destination: '/dev/shm', type: 'bind', source: src, options: ['rbind', 'rprivate'] };
      }
    } else if (ipc === 'none') {
      if (shm >= 0 && mounts[shm]?.['source'] === 'shm') mounts.splice(shm, 1);
    }
    const pidRef = containerRef(hc.PidMode);
    if (pidRef !== undefined) {
      const d = this.#donor(pidRef, 'PID');
      setNs('pid', `/proc/${d.pid}/ns/pid`);
    }
  }

  #donor(ref: string, what: 'IPC' | 'PID'): NamespaceDonor {
    const d = this.#lookup?.(ref);
    if (!d) throw invalidArgument(`No such container: ${ref}`);
    if (!d.running || d.pid <= 0) throw conflict(`cannot join ${what} of a non running container: ${ref}`);
    return d;
  }
}
