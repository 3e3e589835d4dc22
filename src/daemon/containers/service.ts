// ContainerService: the container lifecycle on conmon + crun/runc. Records live in SQLite;
// conmon runs each container and outlives berthd; exits are read from conmon's exit dir.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { BerthError, conflict, invalidArgument, isNotFound, notFound, notModified, systemError } from '../../errdefs/index.js';
import type { ContainerConfig, ContainerCreateRequest, Health, HostConfig } from '../../engine-api/container.js';
import type { EventsService, Filters } from '../events.js';
import type { ImageResolver, ImageUsage, ResolvedImage } from '../images/types.js';
import type { RootfsMounter, ChainId } from '../../store/snapshots/types.js';
import type { RuntimeTable } from '../../runtime/probe.js';
import { OciRuntime } from '../../runtime/oci.js';
import { CreateError, cleanupConmon, launchConmon, pidAlive, readExitStatus } from '../../runtime/conmon.js';
import { buildSpec, DEFAULT_PATH_ENV, DEFAULT_SHM_SIZE, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from '../../runtime/spec.js';
import { resolveUser } from '../../runtime/user.js';
import { writeEtcFiles } from '../../runtime/etc-files.js';
import { parseSignal } from '../../runtime/signals.js';
import type { CrunSeccompCache, KillTarget } from '../../runtime/crun.js';
import { ContainerStore } from './store.js';
import { normalizeName, randomName } from './names.js';
import { HealthMonitor, probeCommand, validateHealthConfig } from './health.js';
import type { MetadataDb } from '../../store/metadata/db.js';
import type { Digest } from '../../store/content/types.js';
import type { MountPointRecord, MountResolver } from '../volumes/types.js';
import type { NetworkAttacher } from '../networks/types.js';
import type { SecurityPolicy } from '../../runtime/security/policy.js';
import type {
  ContainerBackend,
  ContainerPaths,
  ContainerRecord,
  ContainerStatus,
  WaitCondition,
  WaitResult,
} from './types.js';
import { labelsMatch, parseUntil } from '../common/filters.js';
import { KeyedLock } from '../common/keyed-lock.js';
import { LOG_DRIVERS } from '../common/log-drivers.js';

export const ZERO_TIME = '0001-01-01T00:00:00Z';
const CGROUP_V2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
const BEFORE_START_TIMEOUT_MS = 10_000;
const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 60_000;
const RESTART_RESET_MS = 10_000;
const POLL_MS = 1_000;

export interface ContainerServiceOptions {
  db: MetadataDb;
  events: EventsService;
  images: ImageResolver & { setUsage?: (u: ImageUsage) => void };
  rootfs: RootfsMounter;
  runtimes: RuntimeTable;
  dataRoot: string;
  execRoot: string;
  /** absolute; daemon --cgroup-parent (default "/berth") */
  cgroupParent: string;
  liveRestore: boolean;
  logger: Logger;
  /** static init binary for --init */
  initPath?: string | undefined;
  defaultUlimits?: Record<string, { Soft: number; Hard: number }>;
  /** daemon-wide --dns, --dns-search, --dns-opt */
  dns?: { servers: string[]; search: string[]; options: string[] };
  /** seconds the daemon waits per container when it stops them on shutdown */
  shutdownTimeout?: number;
  /** volumes, binds and tmpfs mounts (the volume service); without it only host binds work */
  mounts?: MountResolver;
  /** networks (the network service); without it only none and host work */
  network?: NetworkAttacher;
  /** limits, seccomp, capabilities, namespace modes, userns-remap (runtime/security) */
  security?: SecurityPolicy;
  /** crun's compiled seccomp filters, reused across creates (runtime/crun.ts) */
  crunSeccomp?: CrunSeccompCache;
  /** daemon.json log-driver and log-opts (dockerd's); json-file when unset */
  defaultLogConfig?: { Type: string; Config: Record<string, string> };
}

export interface CreateOptions {
  name?: string | undefined;
  body: ContainerCreateRequest;
  platform?: string | undefined;
}

export interface ListOptions {
  all?: boolean;
  limit?: number;
  filters?: Filters;
}

export interface StopOptions {
  timeout?: number | undefined;
  signal?: string | undefined;
}

const isoNow = (): string => new Date().toISOString();
const shortId = (id: string): string => id.slice(0, 12);

function mergeEnv(image: readonly string[], user: readonly string[]): string[] {
  const out = [...image];
  for (const e of user) {
    const k = e.split('=', 1)[0] ?? '';
    const i = out.findIndex((x) => (x.split('=', 1)[0] ?? '') === k);
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

/** Docker's restart-policy validation (moby api/types/container ValidateRestartPolicy). */
export function validateRestartPolicy(p: HostConfig['RestartPolicy'], autoRemove: boolean): void {
  const name = p?.Name ?? '';
  const max = p?.MaximumRetryCount ?? 0;
  switch (name) {
    case 'always':
    case 'unless-stopped':
    case 'no':
      if (max !== 0) throw invalidArgument(`invalid restart policy: maximum retry count can only be used with 'on-failure'${max < 0 ? ' and cannot be negative' : ''}`);
      break;
    case 'on-failure':
      if (max < 0) throw invalidArgument('invalid restart policy: maximum retry count cannot be negative');
      break;
    case '':
      break;
    default:
      throw invalidArgument(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
  if (autoRemove && name !== '' && name !== 'no') throw invalidArgument("can't create 'AutoRemove' container with restart policy");
}

interface Waiter {
  condition: WaitCondition;
  startedSeq: number;
  resolve: (r: WaitResult) => void;
}

export class ContainerService implements ContainerBackend {
  readonly #o: ContainerServiceOptions;
  readonly #store: ContainerStore;
  readonly #log: Logger;
  readonly #byId = new Map<string, ContainerRecord>();
  readonly #locks = new KeyedLock();
  readonly #cleanups = new Map<string, Promise<void>>();
  readonly #starting = new Set<string>();
  readonly #exiting = new Set<string>();
  readonly #hooks = new Map<string, (() => Promise<void>)[]>();
  readonly #listeners = new Map<string, Set<(c: ContainerRecord) => void>>();
  readonly #waiters = new Map<string, Set<Waiter>>();
  readonly #exitSeq = new Map<string, number>();
  readonly #restartTimers = new Map<string, NodeJS.Timeout>();
  readonly #health = new Map<string, HealthMonitor>();
  readonly #startedAtMs = new Map<string, number>();
  readonly #exitDir: string;
  readonly #socketDir: string;
  #watcher: fs.FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;
  #closing = false;

  constructor(opts: ContainerServiceOptions) {
    const logType = opts.defaultLogConfig?.Type;
    if (logType !== undefined && !LOG_DRIVERS.has(logType)) throw invalidArgument(`failed to set log opts: logger: no log driver named '${logType}' is registered`);
    this.#o = opts;
    this.#log = opts.logger;
    this.#store = new ContainerStore(opts.db);
    this.#exitDir = path.join(opts.execRoot, 'exits');
    this.#socketDir = path.join(opts.execRoot, 'socks');
  }

  // ---------------------------------------------------------------- start-up and shutdown

  /** Load records, adopt running containers, record exits that happened while down. */
  async init(): Promise<void> {
    fs.mkdirSync(this.#exitDir, { recursive: true });
    fs.mkdirSync(this.#socketDir, { recursive: true });
    fs.mkdirSync(path.join(this.#o.dataRoot, 'containers'), { recursive: true, mode: 0o710 });
    for (const rec of this.#store.loadAll()) this.#byId.set(rec.id, rec);
    this.#o.images.setUsage?.({
      imagesInUse: () => this.imagesInUse() as Map<Digest, string[]>,
      isRunning: (id: string) => {
        const r = this.#byId.get(id);
        return r !== undefined && this.#isRunning(r);
      },
    });
    this.#watcher = fs.watch(this.#exitDir, (_ev, file) => {
      if (file && this.#byId.has(file.toString())) void this.#onExitFile(file.toString());
    });
    this.#watcher.on('error', (err) => this.#log.warn({ err }, 'exit dir watch failed; polling only'));
    const mounted = this.#mountedDirs();
    const toStart: string[] = [];
    for (const rec of [...this.#byId.values()]) {
      const st = rec.state.status;
      if (st === 'restarting') {
        // the daemon stopped during a restart back-off: the last exit is already recorded
        rec.state.status = 'exited';
        this.#save(rec);
        if (this.#shouldRestart(rec)) toStart.push(rec.id);
        continue;
      }
      if (st === 'running' || st === 'paused') {
        if (pidAlive(rec.state.conmonPid) && this.#isConmon(rec.state.conmonPid)) {
          this.#log.info({ id: shortId(rec.id) }, 'adopted running container');
          if (readExitStatus(rec.paths)) void this.#onExitFile(rec.id);
          else this.#startHealth(rec, false);
          continue;
        }
        // exited while the daemon was down (or the machine rebooted)
        this.#exiting.add(rec.id);
        try {
          await this.#recordExit(rec, { fromBoot: true });
        } finally {
          this.#exiting.delete(rec.id);
        }
        if (rec.hostConfig.AutoRemove) {
          await this.#destroy(rec, true).catch((err: unknown) => this.#log.error({ err, id: rec.id }, 'auto-remove failed'));
          continue;
        }
        const policy = rec.hostConfig.RestartPolicy?.Name ?? 'no';
        if (policy === 'always' || (policy === 'unless-stopped' && !rec.state.manuallyStopped) || this.#shouldRestart(rec)) toStart.push(rec.id);
        continue;
      }
      if (rec.daemonStopped) {
        rec.daemonStopped = false;
        this.#save(rec);
        const policy = rec.hostConfig.RestartPolicy?.Name ?? 'no';
        if (policy === 'always' || (policy === 'unless-stopped' && !rec.state.manuallyStopped)) toStart.push(rec.id);
      }
      // a conmon of a record that is not running: the daemon died in the middle of a start (after
      // conmon, before the record said running). The start never completed, so the container
      // goes, before its rootfs is unmounted (which must not happen under a live container).
      await this.#abandonHalfStarted(rec);
      if (mounted.has(path.join(rec.paths.dir, 'merged'))) await this.#o.rootfs.unmountRootfs(rec.paths.dir).catch(() => undefined);
    }
    this.#poll = setInterval(() => this.#pollExits(), POLL_MS);
    this.#poll.unref();
    for (const id of toStart) {
      void this.start(id).catch((err: unknown) => this.#log.error({ err, id: shortId(id) }, 'restart at boot failed'));
    }
  }

  /** Stop watching; without live-restore, stop every running container first. */
  async close(): Promise<void> {
    this.#closing = true;
    for (const t of this.#restartTimers.values()) clearTimeout(t);
    this.#restartTimers.clear();
    if (!this.#o.liveRestore) {
      const running = [...this.#byId.values()].filter((r) => this.#isRunning(r));
      await Promise.all(
        running.map(async (r) => {
          try {
            r.daemonStopped = true;
            this.#save(r);
            const t = Math.min(r.config.StopTimeout ?? 10, this.#o.shutdownTimeout ?? 15);
            await this.#stopLocked(r, { timeout: t }, false);
          } catch (err) {
            this.#log.error({ err, id: shortId(r.id) }, 'stop on shutdown failed');
          }
        }),
      );
    }
    for (const h of this.#health.values()) h.stop();
    this.#health.clear();
    this.#watcher?.close();
    if (this.#poll) clearInterval(this.#poll);
    await Promise.allSettled([...this.#cleanups.values()]);
  }

  #mountedDirs(): Set<string> {
    try {
      return new Set(
        fs
          .readFileSync('/proc/mounts', 'utf8')
          .split('\n')
          .map((l) => l.split(' ')[1] ?? '')
          .filter((m) => m.startsWith(this.#o.dataRoot)),
      );
    } catch {
      return new Set();
    }
  }

  async #abandonHalfStarted(rec: ContainerRecord): Promise<void> {
    let conmonPid = 0;
    try {
      conmonPid = Number(fs.readFileSync(rec.paths.conmonPidFile, 'utf8').trim()) || 0;
    } catch {
      return;
    }
    if (conmonPid > 0 && pidAlive(conmonPid) && this.#isConmon(conmonPid)) {
      this.#log.warn({ id: shortId(rec.id), conmonPid }, 'the daemon stopped while this container was starting: removing its half-started process');
      const rt = new OciRuntime(rec.runtime);
      await rt.kill(rec.id, 'KILL').catch(() => undefined);
      for (let i = 0; i < 200 && pidAlive(conmonPid) && this.#isConmon(conmonPid); i++) await sleep(10);
      await rt.delete(rec.id, true).catch(() => undefined);
    }
    await cleanupConmon(rec.paths, path.join(this.#socketDir, rec.id));
  }

  #isConmon(pid: number): boolean {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('conmon');
    } catch {
      return false;
    }
  }

  // ---------------------------------------------------------------- lookup, events, waiting

  get(idOrName: string): ContainerRecord {
    const rec = this.find(idOrName);
    if (!rec) throw notFound(`No such container: ${idOrName}`);
    return rec;
  }

  find(idOrName: string): ContainerRecord | undefined {
    if (idOrName === '') return undefined;
    const exact = this.#byId.get(idOrName);
    if (exact) return exact;
    const name = idOrName.startsWith('/') ? idOrName : `/${idOrName}`;
    for (const r of this.#byId.values()) if (r.name === name) return r;
    if (/^[0-9a-f]+$/.test(idOrName)) {
      const m = [...this.#byId.values()].filter((r) => r.id.startsWith(idOrName));
      if (m.length === 1) return m[0];
      if (m.length > 1) throw invalidArgument(`multiple IDs found with provided prefix: ${idOrName}`);
    }
    return undefined;
  }

  list(): ContainerRecord[] {
    return [...this.#byId.values()];
  }

  beforeStart(id: string, fn: () => Promise<void>): void {
    const list = this.#hooks.get(id) ?? [];
    list.push(fn);
    this.#hooks.set(id, list);
  }

  onChange(id: string | undefined, fn: (c: ContainerRecord) => void): () => void {
    const key = id ?? '*';
    let set = this.#listeners.get(key);
    if (!set) this.#listeners.set(key, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  wait(idOrName: string, condition: WaitCondition, signal?: AbortSignal): Promise<WaitResult> {
    const rec = this.get(idOrName);
    const result = (): WaitResult => ({ statusCode: rec.state.exitCode, error: rec.state.error || undefined });
    if (condition === 'not-running' && !this.#isRunning(rec) && !this.#starting.has(rec.id)) return Promise.resolve(result());
    return new Promise<WaitResult>((resolve, reject) => {
      let set = this.#waiters.get(rec.id);
      if (!set) this.#waiters.set(rec.id, (set = new Set()));
      const w: Waiter = {
        condition,
        startedSeq: this.#exitSeq.get(rec.id) ?? 0,
        resolve: (r) => {
          signal?.removeEventListener('abort', onAbort);
          set.delete(w);
          resolve(r);
        },
      };
      const onAbort = (): void => {
        set.delete(w);
        reject(signal?.reason instanceof Error ? signal.reason : new BerthError('canceled', 'wait canceled'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      set.add(w);
    });
  }

  #notify(rec: ContainerRecord, what: 'exit' | 'change' | 'removed'): void {
    const res: WaitResult = { statusCode: rec.state.exitCode, error: rec.state.error || undefined };
    for (const w of [...(this.#waiters.get(rec.id) ?? [])]) {
      if (what === 'removed') w.resolve(res);
      else if (w.condition === 'next-exit' && what === 'exit') w.resolve(res);
      else if (w.condition === 'not-running' && !this.#isRunning(rec) && !this.#starting.has(rec.id)) w.resolve(res);
    }
    if (what === 'removed') this.#waiters.delete(rec.id);
    for (const key of [rec.id, '*']) for (const fn of this.#listeners.get(key) ?? []) fn(rec);
  }

  #event(rec: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    const attrs: Record<string, string> = { ...(rec.config.Labels ?? {}), image: rec.config.Image ?? '', name: rec.name.slice(1), ...extra };
    this.#o.events.publish('container', action, rec.id, attrs);
  }

  #save(rec: ContainerRecord): void {
    if (this.#byId.has(rec.id)) this.#store.save(rec);
  }

  #isRunning(rec: ContainerRecord): boolean {
    const s = rec.state.status;
    return s === 'running' || s === 'paused' || s === 'restarting';
  }


  // ---------------------------------------------------------------- create

  #paths(id: string): ContainerPaths {
    const dir = path.join(this.#o.dataRoot, 'containers', id);
    const bundle = path.join(dir, 'bundle');
    return {
      dir,
      bundle,
      configJson: path.join(bundle, 'config.json'),
      logPath: path.join(dir, 'ctr.log'),
      rootfs: path.join(dir, 'merged'),
      hostsPath: path.join(dir, 'hosts'),
      hostnamePath: path.join(dir, 'hostname'),
      resolvConfPath: path.join(dir, 'resolv.conf'),
      attachSocket: path.join(this.#socketDir, id, 'attach'),
      ctlFifo: path.join(bundle, 'ctl'),
      winszFifo: path.join(bundle, 'winsz'),
      persistDir: path.join(dir, 'persist'),
      exitFile: path.join(this.#exitDir, id),
      conmonPidFile: path.join(bundle, 'conmon.pid'),
      pidFile: path.join(bundle, 'pidfile'),
    };
  }

  #validateHostConfig(hc: HostConfig, cfg: ContainerConfig): void {
    validateRestartPolicy(hc.RestartPolicy, hc.AutoRemove === true);
    if (cfg.StopSignal) parseSignal(cfg.StopSignal);
    validateHealthConfig(cfg.Healthcheck);
    const net = hc.NetworkMode ?? '';
    if (!this.#o.network && !['', 'default', 'none', 'host'].includes(net)) {
      throw invalidArgument(`network mode "${net}" is not supported yet: use --network none or --network host`);
    }
    if (hc.Memory !== undefined && hc.Memory !== 0 && hc.Memory < 6 * 1024 * 1024) throw invalidArgument('Minimum memory limit allowed is 6MB');
    if (hc.MemorySwap !== undefined && hc.MemorySwap > 0 && hc.Memory && hc.MemorySwap < hc.Memory) throw invalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
    if (hc.ShmSize !== undefined && hc.ShmSize < 0) throw invalidArgument('SHM size can not be less than 0');
    if (hc.OomScoreAdj !== undefined && (hc.OomScoreAdj < -1000 || hc.OomScoreAdj > 1000)) throw invalidArgument(`Invalid value ${hc.OomScoreAdj}, range for oom score adj is [-1000, 1000]`);
    for (const [k] of Object.entries(hc.Tmpfs ?? {})) if (!k.startsWith('/')) throw invalidArgument(`invalid mount config for type "tmpfs": invalid mount path: '${k}' mount path must be absolute`);
    if (!this.#o.security && hc.PidMode && hc.PidMode !== 'host' && hc.PidMode !== 'private' && hc.PidMode !== '') throw invalidArgument(`pid mode "${hc.PidMode}" is not supported yet`);
    if (!this.#o.security && hc.IpcMode && !['host', 'private', 'shareable', 'none', ''].includes(hc.IpcMode)) throw invalidArgument(`ipc mode "${hc.IpcMode}" is not supported yet`);
  }

  async create(opts: CreateOptions): Promise<{ id: string; warnings: string[] }> {
    const body = opts.body ?? {};
    const { HostConfig: hcIn, NetworkingConfig: netCfg, ...cfgIn } = body;
    const hc: HostConfig = { ...(hcIn ?? {}) };
    const given: ContainerConfig = { ...cfgIn };
    if (!given.Image) throw invalidArgument('no image specified: Config.Image is empty');
    let name: string | undefined;
    if (opts.name !== undefined && opts.name !== '') {
      name = normalizeName(opts.name);
      this.#checkNameFree(name);
    }
    this.#validateHostConfig(hc, given);
    const warnings = this.#o.security?.validate(hc, given) ?? [];
    this.#o.network?.validate(hc, netCfg);
    const runtime = this.#o.runtimes.handle(hc.Runtime);
    const image: ResolvedImage = this.#o.images.resolve(given.Image);
    if (opts.platform) {
      const [osName, arch] = opts.platform.split('/');
      if ((osName && osName !== image.os) || (arch && arch !== image.architecture)) {
        throw notFound(`image with reference ${given.Image} was found but its platform (${image.os}/${image.architecture}) does not match the specified platform (${opts.platform})`);
      }
    }
    const ic = image.config;
    const config: ContainerConfig = { ...given };
    config.Env = mergeEnv(ic.Env ?? [DEFAULT_PATH_ENV], given.Env ?? []);
    if (!config.Env.some((e) => e.startsWith('PATH='))) config.Env.unshift(DEFAULT_PATH_ENV);
    const entrypointGiven = given.Entrypoint !== undefined && given.Entrypoint !== null;
    const entrypoint = entrypointGiven ? (given.Entrypoint ?? []) : (ic.Entrypoint ?? []);
    let cmd = given.Cmd ?? null;
    if ((cmd === null || cmd.length === 0) && !entrypointGiven) cmd = ic.Cmd ?? null;
    config.Entrypoint = entrypoint.length > 0 ? entrypoint : null;
    config.Cmd = cmd && cmd.length > 0 ? cmd : null;
    const argv = [...entrypoint, ...(cmd ?? [])];
    if (argv.length === 0) throw invalidArgument('No command specified');
    if (!config.WorkingDir) config.WorkingDir = ic.WorkingDir ?? '';
    if (!config.User) config.User = ic.User ?? '';
    if (!config.StopSignal && ic.StopSignal) config.StopSignal = ic.StopSignal;
    if (config.StopSignal) parseSignal(config.StopSignal);
    config.Labels = { ...(ic.Labels ?? {}), ...(given.Labels ?? {}) };
    if (ic.ExposedPorts || given.ExposedPorts) config.ExposedPorts = { ...(ic.ExposedPorts ?? {}), ...(given.ExposedPorts ?? {}) };
    if (ic.Volumes || given.Volumes) config.Volumes = { ...(ic.Volumes ?? {}), ...(given.Volumes ?? {}) };
    if (!given.Healthcheck && ic.Healthcheck) config.Healthcheck = ic.Healthcheck;
    else if (given.Healthcheck && ic.Healthcheck && (!given.Healthcheck.Test || given.Healthcheck.Test.length === 0)) {
      config.Healthcheck = { ...ic.Healthcheck, ...Object.fromEntries(Object.entries(given.Healthcheck).filter(([, v]) => v !== undefined && v !== 0)) };
    }
    validateHealthConfig(config.Healthcheck);
    if (ic.OnBuild && !given.OnBuild) config.OnBuild = ic.OnBuild;
    if (ic.Shell && !given.Shell) config.Shell = ic.Shell;
    config.Tty = given.Tty === true;
    config.OpenStdin = given.OpenStdin === true;
    config.StdinOnce = given.StdinOnce === true;
    config.AttachStdin = given.AttachStdin === true;
    config.AttachStdout = given.AttachStdout === true;
    config.AttachStderr = given.AttachStderr === true;
    config.Domainname = given.Domainname ?? '';

    const id = crypto.randomBytes(32).toString('hex');
    if (!name) {
      for (let i = 0; !name; i++) {
        const candidate = `/${randomName(i)}`;
        if (!this.find(candidate)) name = candidate;
      }
    }
    const hostNet = hc.NetworkMode === 'host';
    config.Hostname = given.Hostname || (hostNet ? os.hostname() : shortId(id));

    // HostConfig defaults as Docker shows them
    // Docker 25+ records the default network by name (the API still takes "default")
    hc.NetworkMode = !hc.NetworkMode || hc.NetworkMode === 'default' ? (this.#o.network ? 'bridge' : 'default') : hc.NetworkMode;
    hc.RestartPolicy = { Name: hc.RestartPolicy?.Name || 'no', MaximumRetryCount: hc.RestartPolicy?.MaximumRetryCount ?? 0 };
    // Every readable driver is conmon's k8s-file log underneath; the requested name is kept
    // (Docker's default is json-file), and `none` keeps nothing readable, as Docker.
    // The daemon's log-driver when the container names none; its log-opts for the keys the
    // container does not set, when both use the daemon's driver (dockerd's merge).
    const daemonLog = this.#o.defaultLogConfig ?? { Type: 'json-file', Config: {} };
    const logType = hc.LogConfig?.Type || daemonLog.Type;
    if (!LOG_DRIVERS.has(logType)) throw invalidArgument(`failed to create task for container: failed to initialize logging driver: logger: no log driver named '${logType}' is registered`);
    hc.LogConfig = { Type: logType, Config: logType === daemonLog.Type ? { ...daemonLog.Config, ...hc.LogConfig?.Config } : (hc.LogConfig?.Config ?? {}) };
    hc.ShmSize = hc.ShmSize || DEFAULT_SHM_SIZE;
    hc.Runtime = runtime.name;
    // dockerd's default-cgroupns-mode: private on a cgroup v2 host, host on v1 (and hybrid)
    hc.CgroupnsMode = hc.CgroupnsMode || (CGROUP_V2 ? 'private' : 'host');
    hc.IpcMode = hc.IpcMode || 'private';
    hc.Isolation = hc.Isolation ?? '';
    if (!hc.Privileged) {
      hc.MaskedPaths = hc.MaskedPaths ?? DEFAULT_MASKED_PATHS;
      hc.ReadonlyPaths = hc.ReadonlyPaths ?? DEFAULT_READONLY_PATHS;
    }
    // --dns etc. fall back to the daemon's
    if ((!hc.Dns || hc.Dns.length === 0) && this.#o.dns?.servers.length) hc.Dns = [...this.#o.dns.servers];
    if ((!hc.DnsSearch || hc.DnsSearch.length === 0) && this.#o.dns?.search.length) hc.DnsSearch = [...this.#o.dns.search];
    if ((!hc.DnsOptions || hc.DnsOptions.length === 0) && this.#o.dns?.options.length) hc.DnsOptions = [...this.#o.dns.options];
    // everything that can fail on the spec (caps, mounts, ulimits) fails now, not at start
    buildSpec({
      id, config, hostConfig: hc, path: argv[0] ?? '', args: argv.slice(1), rootfs: '/nonexistent',
      user: { uid: 0, gid: 0, additionalGids: [], home: '/' }, hostname: config.Hostname,
      etc: { hostsPath: '', hostnamePath: '', resolvConfPath: '' }, cgroupParent: this.#cgroupParent(hc), initPath: this.#o.initPath ?? '/bin/true',
      ...(this.#o.mounts ? { mounts: [] } : {}),
    });
    // volumes: validated, created and referenced now (nothing is created on bad input)
    let mountPoints: MountPointRecord[] | undefined;
    if (this.#o.mounts) {
      mountPoints = await this.#o.mounts.prepare({
        containerId: id,
        hostConfig: hc,
        volumes: config.Volumes,
        containerMounts: (x) => {
          const other = this.get(x);
          return { id: other.id, mounts: other.mounts ?? [] };
        },
      });
    }

    const paths = this.#paths(id);
    const rec: ContainerRecord = {
      id,
      name,
      created: isoNow(),
      imageId: image.id,
      config,
      hostConfig: hc,
      path: argv[0] ?? '',
      args: argv.slice(1),
      chainId: image.chainId,
      platform: image.os || 'linux',
      state: { status: 'created', pid: 0, conmonPid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: ZERO_TIME, finishedAt: ZERO_TIME, manuallyStopped: false },
      restartCount: 0,
      runtime,
      paths,
      execIds: [],
      daemonStopped: false,
      ...(mountPoints ? { mounts: mountPoints } : {}),
    };
    try {
      fs.mkdirSync(paths.bundle, { recursive: true, mode: 0o700 });
      fs.mkdirSync(paths.persistDir, { recursive: true, mode: 0o700 });
      writeEtcFiles(paths, {
        hostname: config.Hostname,
        ...(config.Domainname ? { domainname: config.Domainname } : {}),
        hostNetwork: hostNet,
        extraHosts: hc.ExtraHosts ?? [],
        dns: hc.Dns ?? [],
        dnsSearch: hc.DnsSearch ?? [],
        dnsOptions: hc.DnsOptions ?? [],
      });
      this.#checkNameFree(name);
      this.#byId.set(id, rec);
      this.#store.save(rec);
      this.#o.network?.register(rec, netCfg);
    } catch (err) {
      this.#byId.delete(id);
      fs.rmSync(paths.dir, { recursive: true, force: true });
      if (mountPoints) await this.#o.mounts?.release(id, mountPoints, { removeAnonymous: true });
      throw err;
    }
    this.#event(rec, 'create');
    return { id, warnings };
  }

  #checkNameFree(name: string): void {
    const other = this.find(name);
    if (other && other.name === name) {
      throw conflict(`Conflict. The container name "${name}" is already in use by container "${other.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
  }

  #cgroupParent(hc: HostConfig): string {
    const p = hc.CgroupParent || this.#o.cgroupParent || '/berth';
    return p.startsWith('/') ? p : `/${p}`;
  }

  // ---------------------------------------------------------------- start

  async start(idOrName: string): Promise<void> {
    const rec = this.get(idOrName);
    await this.#locks.run(rec.id, () => this.#startLocked(rec, false));
  }

  async #startLocked(rec: ContainerRecord, fromRestartPolicy: boolean): Promise<void> {
    await this.#cleanups.get(rec.id);
    if (!this.#byId.has(rec.id)) throw notFound(`No such container: ${rec.id}`);
    if (rec.state.status === 'paused') throw conflict('cannot start a paused container, try unpause instead');
    if (rec.state.status === 'running') throw notModified('container already started');
    if (rec.state.status === 'removing') throw conflict(`container is marked for removal and cannot be started`);
    if (rec.state.status === 'restarting' && !fromRestartPolicy) {
      const t = this.#restartTimers.get(rec.id);
      if (t) clearTimeout(t);
      this.#restartTimers.delete(rec.id);
    }
    this.#starting.add(rec.id);
    const rt = new OciRuntime(rec.runtime);
    let mounted = false;
    let created = false;
    let seccompKey: string | undefined;
    const t0 = performance.now();
    const marks: Record<string, number> = {};
    const mark = (k: string): void => {
      marks[k] = Math.round(performance.now() - t0);
    };
    try {
      // leftovers of an earlier run: a stale exit file would be misread as this run's exit (removed
      // while the rootfs mounts: they are files conmon reads and writes, nothing under the rootfs)
      const cleaned = cleanupConmon(rec.paths, path.join(this.#socketDir, rec.id));
      if (fs.existsSync(path.join(rec.runtime.root, rec.id))) await rt.delete(rec.id, true);
      // the network is set up while the rootfs mounts; failures surface at the await below
      const netPrep = this.#o.network ? this.#o.network.prepare(rec) : Promise.resolve(undefined);
      netPrep.catch(() => undefined);
      const merged = await this.#o.rootfs.mountRootfs(rec.chainId as ChainId | undefined, rec.paths.dir);
      mounted = true;
      await cleaned;
      mark('mounted');
      const net = await netPrep;
      mark('network');
      const volumeMounts = this.#o.mounts && rec.mounts ? await this.#o.mounts.setup({ containerId: rec.id, rootfs: merged, mounts: rec.mounts }) : undefined;
      const user = resolveUser(merged, rec.config.User, rec.hostConfig.GroupAdd ?? []);
      rec.user = { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids };
      if (rec.config.WorkingDir) fs.mkdirSync(path.join(merged, rec.config.WorkingDir), { recursive: true });
      const spec = buildSpec({
        id: rec.id,
        config: rec.config,
        hostConfig: rec.hostConfig,
        path: rec.path,
        args: rec.args,
        rootfs: merged,
        user,
        hostname: rec.config.Hostname ?? shortId(rec.id),
        etc: rec.paths,
        cgroupParent: this.#cgroupParent(rec.hostConfig),
        initPath: this.#o.initPath,
        ...(this.#o.defaultUlimits ? { defaultUlimits: this.#o.defaultUlimits } : {}),
        ...(volumeMounts ? { mounts: volumeMounts } : {}),
        ...(net?.netnsPath ? { netnsPath: net.netnsPath } : {}),
        ...(this.#o.security ? { security: this.#o.security } : {}),
      });
      for (const m of spec['mounts'] as { destination: string; type: string }[]) {
        if (m.type === 'bind' && m.destination.startsWith('/etc/')) {
          const target = path.join(merged, m.destination);
          if (!fs.existsSync(target)) {
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.writeFileSync(target, '');
          }
        }
      }
      seccompKey = await this.#o.crunSeccomp?.applyShared(rec.runtime, spec);
      fs.writeFileSync(rec.paths.configJson, JSON.stringify(spec));
      mark('spec');
      const started = await launchConmon({
        id: rec.id,
        name: rec.name,
        runtime: rec.runtime,
        paths: rec.paths,
        exitDir: this.#exitDir,
        socketDir: this.#socketDir,
        tty: rec.config.Tty === true,
        openStdin: rec.config.OpenStdin === true,
        stdinOnce: rec.config.StdinOnce === true,
        ...(rec.hostConfig.LogConfig?.Config?.['max-size'] ? { logSizeMax: parseSize(rec.hostConfig.LogConfig.Config['max-size']) } : {}),
      });
      created = true;
      if (seccompKey !== undefined) this.#o.crunSeccomp?.learn(rec.runtime, rec.id, seccompKey);
      seccompKey = undefined;
      mark('created');
      rec.state = {
        ...rec.state,
        status: 'running',
        pid: started.pid,
        conmonPid: started.conmonPid,
        exitCode: 0,
        error: '',
        oomKilled: false,
        startedAt: isoNow(),
        finishedAt: ZERO_TIME,
        manuallyStopped: false,
      };
      delete rec.state.health;
      if (probeCommand(rec.config.Healthcheck)) rec.state.health = { Status: 'starting', FailingStreak: 0, Log: [] };
      const hooks = this.#hooks.get(rec.id) ?? [];
      this.#hooks.delete(rec.id);
      for (const h of hooks) {
        await Promise.race([
          h().catch((err: unknown) => this.#log.warn({ err, id: shortId(rec.id) }, 'beforeStart hook failed')),
          new Promise((r) => setTimeout(r, BEFORE_START_TIMEOUT_MS).unref()),
        ]);
      }
      mark('hooks');
      await rt.start(rec.id, spec, { tty: rec.config.Tty === true, openStdin: rec.config.OpenStdin === true });
      mark('started');
      this.#startedAtMs.set(rec.id, Date.now());
      this.#save(rec);
      mark('saved');
      this.#log.debug({ id: shortId(rec.id), ms: marks }, 'container started');
    } catch (err) {
      if (seccompKey !== undefined) this.#o.crunSeccomp?.settle(seccompKey);
      this.#hooks.delete(rec.id);
      // 125: the daemon failed before the container ran (126/127 come from the runtime)
      const code = err instanceof CreateError ? err.exitCode : 125;
      if (created) {
        await rt.kill(rec.id, 'KILL').catch(() => undefined);
        await this.#waitExitFile(rec, 5000);
      }
      await rt.delete(rec.id, true).catch(() => undefined);
      await cleanupConmon(rec.paths, path.join(this.#socketDir, rec.id));
      if (rec.mounts) await this.#o.mounts?.teardown(rec.id, rec.mounts);
      await this.#o.network?.release(rec.id).catch((e: unknown) => this.#log.warn({ err: e, id: shortId(rec.id) }, 'network release failed'));
      if (mounted) await this.#o.rootfs.unmountRootfs(rec.paths.dir).catch(() => undefined);
      this.#starting.delete(rec.id);
      const message = (err as Error).message;
      rec.state = { ...rec.state, status: fromRestartPolicy || rec.state.startedAt !== ZERO_TIME ? 'exited' : 'created', pid: 0, conmonPid: 0, exitCode: code, error: message, finishedAt: rec.state.startedAt !== ZERO_TIME ? isoNow() : rec.state.finishedAt };
      delete rec.state.health;
      this.#save(rec);
      this.#notify(rec, 'change');
      if (rec.hostConfig.AutoRemove) await this.#destroy(rec).catch(() => undefined);
      if (err instanceof BerthError && err.kind !== 'internal') throw err;
      throw systemError(message, { cause: err });
    }
    this.#starting.delete(rec.id);
    this.#event(rec, 'start');
    this.#startHealth(rec, true);
    this.#notify(rec, 'change');
    if (readExitStatus(rec.paths)) void this.#onExitFile(rec.id);
  }

  async #waitExitFile(rec: ContainerRecord, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && !readExitStatus(rec.paths) && pidAlive(rec.state.conmonPid)) await sleep(10);
  }

  // ---------------------------------------------------------------- exits

  #pollExits(): void {
    for (const rec of this.#byId.values()) {
      if (rec.state.status !== 'running' && rec.state.status !== 'paused') continue;
      if (this.#starting.has(rec.id)) continue;
      if (readExitStatus(rec.paths) || !pidAlive(rec.state.conmonPid)) void this.#onExitFile(rec.id);
    }
  }

  async #onExitFile(id: string): Promise<void> {
    const rec = this.#byId.get(id);
    if (!rec || this.#starting.has(id) || this.#exiting.has(id)) return;
    if (rec.state.status !== 'running' && rec.state.status !== 'paused') return;
    if (!readExitStatus(rec.paths) && pidAlive(rec.state.conmonPid)) return;
    this.#exiting.add(id);
    let done!: () => void;
    this.#cleanups.set(id, new Promise<void>((r) => (done = r)));
    try {
      // an --rm container is removed right after (#afterExit): its row is deleted then, and the
      // exit is not written first (one SQLite commit, an fsync, less per run --rm; after a crash
      // in between, start-up finds conmon gone and records the exit and removes it as well)
      await this.#recordExit(rec, { fromBoot: false, save: rec.hostConfig.AutoRemove !== true });
    } catch (err) {
      this.#log.error({ err, id: shortId(id) }, 'exit handling failed');
    } finally {
      this.#exiting.delete(id);
      this.#cleanups.delete(id);
      done();
    }
    this.#notify(rec, 'exit');
    await this.#afterExit(rec);
  }

  /** Read conmon's status, clean the runtime, rootfs and conmon's files; then state -> exited. */
  async #recordExit(rec: ContainerRecord, o: { fromBoot: boolean; save?: boolean }): Promise<void> {
    const status = readExitStatus(rec.paths);
    this.#health.get(rec.id)?.stop();
    this.#health.delete(rec.id);
    const t0 = performance.now();
    const marks: Record<string, number> = {};
    const mark = (k: string): void => {
      marks[k] = Math.round(performance.now() - t0);
    };
    // conmon exits right after writing the status; its files go once it has. It has drained and
    // synced the log and closed the attach streams before writing the status, and it holds
    // neither the runtime state nor the rootfs: the runtime state goes while it exits. The
    // runtime delete and the unmount run at once: for crun the delete forks nothing (cgroup
    // rmdirs and the state dir, crun.ts), so only the unmount forks; 4-6 ms less per exit.
    // (Two forks at once from two threads cost more CPU in copy-on-write faults than they save:
    // that happens only when crun's delete falls back to running crun, or with runc.)
    const conmonGone = this.#conmonGone(rec.state.conmonPid);
    const rt = new OciRuntime(rec.runtime);
    await Promise.all([
      rt
        .deleteExited(rec.id, this.#cgroupsPath(rec))
        .catch((err: unknown) => this.#log.warn({ err, id: shortId(rec.id) }, 'runtime delete failed'))
        .then(() => mark('deleted')),
      this.#o.rootfs
        .unmountRootfs(rec.paths.dir)
        .catch((err: unknown) => this.#log.warn({ err, id: shortId(rec.id) }, 'unmount failed'))
        .then(() => mark('unmounted')),
    ]);
    if (rec.mounts) await this.#o.mounts?.teardown(rec.id, rec.mounts);
    await this.#o.network?.release(rec.id).catch((err: unknown) => this.#log.warn({ err, id: shortId(rec.id) }, 'network release failed'));
    mark('released');
    await conmonGone;
    mark('conmon');
    await cleanupConmon(rec.paths, path.join(this.#socketDir, rec.id));
    const code = status ? status.code : 255;
    if (!status) this.#log.warn({ id: shortId(rec.id), fromBoot: o.fromBoot, exitFile: rec.paths.exitFile }, 'container exited without an exit status from conmon');
    const oom = status?.oom === true;
    rec.state = {
      ...rec.state,
      status: 'exited',
      pid: 0,
      conmonPid: 0,
      exitCode: code,
      oomKilled: oom,
      error: status ? rec.state.error : o.fromBoot ? 'container exited while the daemon was down and left no exit status' : 'conmon exited without an exit status',
      finishedAt: (status?.at ?? new Date()).toISOString(),
    };
    if (o.save !== false) this.#save(rec);
    mark('saved');
    this.#log.debug({ id: shortId(rec.id), ms: marks }, 'container exit recorded');
    if (oom) this.#event(rec, 'oom');
    const startedMs = this.#startedAtMs.get(rec.id) ?? Date.parse(rec.state.startedAt);
    this.#event(rec, 'die', { exitCode: String(code), execDuration: String(Math.max(0, Math.round((Date.now() - startedMs) / 1000))) });
  }

  /** Wait (at most about a second) until conmon has exited; it usually has within a few ms. */
  async #conmonGone(pid: number): Promise<void> {
    if (!pidAlive(pid) || !this.#isConmon(pid)) return;
    for (let waited = 0, step = 1; waited < 1000 && pidAlive(pid); waited += step, step = Math.min(step * 2, 10)) await sleep(step);
  }

  #shouldRestart(rec: ContainerRecord): boolean {
    if (rec.state.manuallyStopped || this.#closing) return false;
    const p = rec.hostConfig.RestartPolicy ?? {};
    switch (p.Name) {
      case 'always':
      case 'unless-stopped':
        return true;
      case 'on-failure':
        return rec.state.exitCode !== 0 && (!p.MaximumRetryCount || rec.restartCount < p.MaximumRetryCount);
      default:
        return false;
    }
  }

  async #afterExit(rec: ContainerRecord): Promise<void> {
    if (!this.#byId.has(rec.id)) return;
    if (rec.hostConfig.AutoRemove && !rec.state.manuallyStopped) {
      await this.#locks.run(rec.id, () => this.#destroy(rec, true)).catch((err: unknown) => {
        this.#log.error({ err, id: shortId(rec.id) }, 'auto-remove failed');
        this.#save(rec); // the exit was not written (#onExitFile)
      });
      return;
    }
    if (rec.hostConfig.AutoRemove) {
      // stopped by the user: still removed (docker run --rm; docker stop)
      await this.#locks.run(rec.id, () => this.#destroy(rec, true)).catch(() => this.#save(rec));
      return;
    }
    if (!this.#shouldRestart(rec)) return;
    const ranMs = Date.now() - (this.#startedAtMs.get(rec.id) ?? Date.now());
    const prevDelay = rec.restartDelayMs ?? 0;
    const delay = ranMs >= RESTART_RESET_MS || prevDelay === 0 ? RESTART_MIN_MS : Math.min(prevDelay * 2, RESTART_MAX_MS);
    rec.restartDelayMs = delay;
    rec.state.status = 'restarting';
    this.#save(rec);
    this.#notify(rec, 'change');
    const timer = setTimeout(() => {
      this.#restartTimers.delete(rec.id);
      void this.#locks.run(rec.id, async () => {
        if (rec.state.status !== 'restarting' || !this.#byId.has(rec.id) || this.#closing) return;
        rec.restartCount++;
        try {
          await this.#startLocked(rec, true);
          this.#event(rec, 'restart');
        } catch (err) {
          this.#log.warn({ err, id: shortId(rec.id) }, 'restart failed');
          if (this.#shouldRestart(rec)) await this.#afterExit(rec);
        }
      });
    }, delay);
    this.#restartTimers.set(rec.id, timer);
  }

  // ---------------------------------------------------------------- health

  #startHealth(rec: ContainerRecord, fresh: boolean): void {
    const cmd = probeCommand(rec.config.Healthcheck);
    if (!cmd || !rec.config.Healthcheck) return;
    this.#health.get(rec.id)?.stop();
    const rt = new OciRuntime(rec.runtime);
    const initial: Health = fresh || !rec.state.health ? { Status: 'starting', FailingStreak: 0, Log: [] } : rec.state.health;
    const mon = new HealthMonitor({
      config: rec.config.Healthcheck,
      command: cmd,
      startedAt: Date.parse(rec.state.startedAt),
      initial,
      exec: async (command, timeoutMs, signal) => {
        const r = await rt.exec(rec.id, command, {
          env: rec.config.Env ?? [],
          cwd: rec.config.WorkingDir || '/',
          ...(rec.user ? { user: `${rec.user.uid}:${rec.user.gid}` } : {}),
          timeoutMs,
          signal,
        });
        if (r.code === 137 && !signal.aborted && r.stdout === '' && r.stderr === '') return { exitCode: -1, output: HealthMonitor.timeoutOutput(timeoutMs * 1e6) };
        return { exitCode: r.code, output: r.stdout + r.stderr };
      },
      report: (h, changed) => {
        if (!this.#isRunning(rec) || rec.state.status === 'restarting') return;
        rec.state.health = h;
        this.#save(rec);
        if (changed) {
          this.#event(rec, `health_status: ${h.Status}`);
          this.#notify(rec, 'change');
        }
      },
    });
    this.#health.set(rec.id, mon);
    mon.start();
  }

  // ---------------------------------------------------------------- stop, kill, restart, pause

  async stop(idOrName: string, o: StopOptions = {}): Promise<void> {
    const rec = this.get(idOrName);
    await this.#locks.run(rec.id, () => this.#stopLocked(rec, o, true));
  }

  async #stopLocked(rec: ContainerRecord, o: StopOptions, manual: boolean): Promise<void> {
    if (rec.state.status === 'restarting') {
      const t = this.#restartTimers.get(rec.id);
      if (t) clearTimeout(t);
      this.#restartTimers.delete(rec.id);
      rec.state.status = 'exited';
      if (manual) rec.state.manuallyStopped = true;
      this.#save(rec);
      this.#notify(rec, 'change');
      this.#event(rec, 'stop');
      return;
    }
    if (!this.#isRunning(rec)) throw notModified('container already stopped');
    if (manual) {
      rec.state.manuallyStopped = true;
      this.#save(rec);
    }
    const sigName = o.signal || rec.config.StopSignal || 'SIGTERM';
    const sig = parseSignal(sigName);
    const timeout = o.timeout ?? rec.config.StopTimeout ?? 10;
    const rt = new OciRuntime(rec.runtime);
    const exited = this.wait(rec.id, 'next-exit');
    this.#event(rec, 'kill', { signal: String(sig) });
    await rt.kill(rec.id, sig, false, this.#killTarget(rec)).catch((err: unknown) => this.#log.debug({ err }, 'stop signal failed'));
    if (rec.state.status === 'paused') await rt.resume(rec.id).catch(() => undefined);
    const gotExit = timeout < 0 ? await exited.then(() => true) : await Promise.race([exited.then(() => true), sleep(timeout * 1000).then(() => false)]);
    if (!gotExit) {
      this.#event(rec, 'kill', { signal: '9' });
      await rt.kill(rec.id, 'KILL', false, this.#killTarget(rec)).catch(() => undefined);
      await Promise.race([exited, sleep(10_000)]);
    }
    await this.#cleanups.get(rec.id);
    this.#event(rec, 'stop');
  }

  async kill(idOrName: string, signal: string | undefined): Promise<void> {
    const rec = this.get(idOrName);
    const sig = parseSignal(signal || 'SIGKILL');
    await this.#locks.run(rec.id, async () => {
      if (rec.state.status !== 'running' && rec.state.status !== 'paused') {
        throw conflict(`Cannot kill container: ${idOrName}: Container ${rec.id} is not running`);
      }
      const rt = new OciRuntime(rec.runtime);
      rec.state.manuallyStopped = true;
      this.#save(rec);
      const exited = sig === 9 ? this.wait(rec.id, 'next-exit') : undefined;
      await rt.kill(rec.id, sig, false, this.#killTarget(rec));
      this.#event(rec, 'kill', { signal: String(sig) });
      if (rec.state.status === 'paused' && sig === 9) await rt.resume(rec.id).catch(() => undefined);
      if (exited) await Promise.race([exited, sleep(10_000)]);
    });
  }

  async restart(idOrName: string, o: StopOptions = {}): Promise<void> {
    const rec = this.get(idOrName);
    await this.#locks.run(rec.id, async () => {
      if (this.#isRunning(rec)) await this.#stopLocked(rec, o, true).catch((err: unknown) => {
        if (!(err instanceof BerthError && err.kind === 'not-modified')) throw err;
      });
      await this.#startLocked(rec, false);
      this.#event(rec, 'restart');
    });
  }

  async pause(idOrName: string): Promise<void> {
    const rec = this.get(idOrName);
    await this.#locks.run(rec.id, async () => {
      if (rec.state.status === 'paused') throw conflict(`Container ${rec.id} is already paused`);
      if (rec.state.status !== 'running') throw conflict(`Container ${rec.id} is not running`);
      await new OciRuntime(rec.runtime).pause(rec.id);
      rec.state.status = 'paused';
      this.#save(rec);
      this.#event(rec, 'pause');
      this.#notify(rec, 'change');
    });
  }

  async unpause(idOrName: string): Promise<void> {
    const rec = this.get(idOrName);
    await this.#locks.run(rec.id, async () => {
      if (rec.state.status !== 'paused') throw conflict(`Container ${rec.id} is not paused`);
      await new OciRuntime(rec.runtime).resume(rec.id);
      rec.state.status = 'running';
      this.#save(rec);
      this.#event(rec, 'unpause');
      this.#notify(rec, 'change');
    });
  }

  /**
   * Change a container under its lock (POST /containers/{id}/update): `fn` gets the record and
   * whether it runs; the record is then saved, listeners notified and an `update` event sent.
   */
  async applyUpdate<T>(idOrName: string, fn: (rec: ContainerRecord, running: boolean) => Promise<T>): Promise<T> {
    const rec = this.get(idOrName);
    return this.#locks.run(rec.id, async () => {
      const r = await fn(rec, (rec.state.status === 'running' || rec.state.status === 'paused') && !this.#starting.has(rec.id));
      this.#save(rec);
      this.#notify(rec, 'change');
      this.#event(rec, 'update');
      return r;
    });
  }

  // ---------------------------------------------------------------- remove, rename, prune

  async remove(idOrName: string, o: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const rec = this.get(idOrName);
    await this.#locks.run(rec.id, async () => {
      if (!this.#byId.has(rec.id)) throw notFound(`No such container: ${idOrName}`);
      if (rec.state.status === 'removing') throw conflict(`removal of container ${rec.id.slice(0, 12)} is already in progress`);
      if (this.#isRunning(rec)) {
        if (!o.force) {
          const what = rec.state.status === 'paused' ? 'container is paused' : rec.state.status === 'restarting' ? 'container is restarting' : 'container is running';
          throw conflict(`cannot remove container "${rec.name}": ${what}: stop the container before removing or force remove`);
        }
        const t = this.#restartTimers.get(rec.id);
        if (t) clearTimeout(t);
        this.#restartTimers.delete(rec.id);
        rec.state.manuallyStopped = true;
        if (rec.state.status === 'restarting') rec.state.status = 'exited';
        else {
          const rt = new OciRuntime(rec.runtime);
          const exited = this.wait(rec.id, 'next-exit');
          await rt.kill(rec.id, 'KILL', false, this.#killTarget(rec)).catch(() => undefined);
          if (rec.state.status === 'paused') await rt.resume(rec.id).catch(() => undefined);
          this.#event(rec, 'kill', { signal: '9' });
          await Promise.race([exited, sleep(10_000)]);
          await this.#cleanups.get(rec.id);
        }
      }
      await this.#destroy(rec, o.volumes === true);
    });
  }

  /** Remove everything a container has: runtime state, rootfs (upper layer), files, record. */
  async #destroy(rec: ContainerRecord, removeVolumes = false): Promise<void> {
    if (!this.#byId.has(rec.id)) return;
    rec.state.status = 'removing';
    this.#health.get(rec.id)?.stop();
    this.#health.delete(rec.id);
    const t0 = performance.now();
    const marks: Record<string, number> = {};
    const mark = (k: string): void => {
      marks[k] = Math.round(performance.now() - t0);
    };
    // after a recorded exit the runtime state is gone already: skip a runtime call
    if (fs.existsSync(path.join(rec.runtime.root, rec.id))) await new OciRuntime(rec.runtime).delete(rec.id, true).catch(() => undefined);
    await this.#o.rootfs.unmountRootfs(rec.paths.dir).catch(() => undefined);
    mark('unmounted');
    if (rec.mounts) await this.#o.mounts?.release(rec.id, rec.mounts, { removeAnonymous: removeVolumes });
    await this.#o.network?.forget(rec.id).catch((err: unknown) => this.#log.warn({ err, id: shortId(rec.id) }, 'network release failed'));
    await cleanupConmon(rec.paths, path.join(this.#socketDir, rec.id));
    mark('released');
    await fsp.rm(rec.paths.dir, { recursive: true, force: true, maxRetries: 3 });
    mark('files');
    this.#removeCgroups(rec);
    this.#store.delete(rec.id);
    mark('saved');
    this.#log.debug({ id: shortId(rec.id), ms: marks }, 'container removed');
    this.#byId.delete(rec.id);
    this.#hooks.delete(rec.id);
    this.#startedAtMs.delete(rec.id);
    this.#event(rec, 'destroy');
    this.#notify(rec, 'removed');
    this.#listeners.delete(rec.id);
  }

  /** The running container's init, for a kill without running the runtime (OciRuntime.kill). */
  #killTarget(rec: ContainerRecord): KillTarget | undefined {
    return rec.state.pid > 0 ? { pid: rec.state.pid, cgroupsPath: this.#cgroupsPath(rec) } : undefined;
  }

  /** linux.cgroupsPath of the container's spec */
  #cgroupsPath(rec: ContainerRecord): string {
    return `${this.#cgroupParent(rec.hostConfig).replace(/\/+$/, '')}/${rec.id}`;
  }

  #removeCgroups(rec: ContainerRecord): void {
    const rel = this.#cgroupsPath(rec);
    let ctrls: string[] = [];
    try {
      ctrls = fs.readdirSync('/sys/fs/cgroup');
    } catch {
      return;
    }
    for (const c of ['', ...ctrls]) {
      try {
        fs.rmdirSync(path.join('/sys/fs/cgroup', c, rel));
      } catch {
        /* absent or busy */
      }
    }
  }

  async rename(idOrName: string, newNameRaw: string): Promise<void> {
    if (!newNameRaw) throw invalidArgument('Neither old nor new names may be empty');
    const rec = this.get(idOrName);
    const newName = normalizeName(newNameRaw);
    await this.#locks.run(rec.id, async () => {
      if (rec.name === newName) throw invalidArgument('Renaming a container with the same name as its current name');
      const other = this.find(newName);
      if (other && other.name === newName) {
        throw conflict(`Error when allocating new name: Conflict. The container name "${newName}" is already in use by container "${other.id}". You have to remove (or rename) that container to be able to reuse that name.`);
      }
      const oldName = rec.name;
      rec.name = newName;
      try {
        this.#store.save(rec);
      } catch (err) {
        rec.name = oldName;
        throw err;
      }
      this.#o.network?.rename(rec.id, oldName, newName);
      this.#event(rec, 'rename', { oldName });
      this.#notify(rec, 'change');
    });
  }

  async prune(filters: Filters): Promise<{ deleted: string[]; reclaimed: number }> {
    const deleted: string[] = [];
    let reclaimed = 0;
    const until = filters['until']?.[0];
    const untilMs = until ? parseUntil(until) : undefined;
    for (const rec of [...this.#byId.values()]) {
      if (this.#isRunning(rec) || rec.state.status === 'removing') continue;
      if (untilMs !== undefined && Date.parse(rec.created) >= untilMs) continue;
      if (!labelsMatch(rec.config.Labels ?? {}, filters['label'] ?? [], filters['label!'] ?? [])) continue;
      const size = dirSize(path.join(rec.paths.dir, 'upper'));
      try {
        await this.remove(rec.id, {});
        deleted.push(rec.id);
        reclaimed += size;
      } catch (err) {
        if (!isNotFound(err)) this.#log.warn({ err, id: shortId(rec.id) }, 'prune: remove failed');
      }
    }
    return { deleted, reclaimed };
  }

  // ---------------------------------------------------------------- queries for other parts

  counts(): { total: number; running: number; paused: number; stopped: number } {
    let running = 0;
    let paused = 0;
    let stopped = 0;
    for (const r of this.#byId.values()) {
      if (r.state.status === 'paused') paused++;
      else if (r.state.status === 'running' || r.state.status === 'restarting') running++;
      else stopped++;
    }
    return { total: this.#byId.size, running, paused, stopped };
  }

  imagesInUse(): Map<string, string[]> {
    const m = new Map<string, string[]>();
    for (const r of this.#byId.values()) m.set(r.imageId, [...(m.get(r.imageId) ?? []), r.id]);
    return m;
  }

  /** Bytes in the container's writable layer. */
  sizeRw(rec: ContainerRecord): number {
    return dirSize(path.join(rec.paths.dir, 'upper'));
  }

  /** Statuses Docker's `status` filter accepts. */
  static readonly STATUSES: readonly ContainerStatus[] = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

export function dirSize(dir: string): number {
  let total = 0;
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        try {
          total += fs.lstatSync(p).size;
        } catch {
          /* gone */
        }
      }
    }
  };
  walk(dir);
  return total;
}



function parseSize(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)b?$/i.exec(v.trim());
  if (!m) throw invalidArgument(`invalid size: '${v}'`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[(m[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * mult);
}

