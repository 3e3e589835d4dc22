// OCI runtime selection. At start-up berthd finds out which runtimes work on this host:
// crun directly; else crun behind libexec/crun-unshare (hybrid cgroup hosts whose unified
// hierarchy holds controllers, which crun 1.8 refuses); else runc. Configured runtimes
// (daemon.json "runtimes") are added as given. The result is cached in the exec root, keyed by
// the binaries and the cgroup layout, so a restart does not probe again.
import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { invalidArgument } from '../errdefs/index.js';
import type { RuntimeHandle } from '../daemon/containers/types.js';
import { findBinary } from './which.js';

export interface RuntimeEntry {
  name: string;
  path: string;
  /** daemon.json runtimeArgs (before the subcommand) */
  runtimeArgs: string[];
  /** wrapper used for create/run, if any */
  wrapper: string | undefined;
  /** why this runtime is set up the way it is (shown in /info) */
  notes: string[];
}

export interface RuntimeTableInfo {
  defaultRuntime: string;
  runtimes: { name: string; path: string; args?: string[]; notes?: string[]; version?: string; commit?: string }[];
}

/** `crun --version` / `runc --version` output: "<name> version X" and "commit: Y". */
export function parseRuntimeVersion(text: string): { version?: string; commit?: string } {
  const version = /^\S+ version (\S+)/m.exec(text)?.[1];
  const commit = /^commit: (\S+)/m.exec(text)?.[1];
  return { ...(version ? { version } : {}), ...(commit ? { commit } : {}) };
}

const UNIFIED_CONTROLLERS = '/sys/fs/cgroup/unified/cgroup.controllers';

/**
 * libexec/crun-unshare's command, run by conmon without the script: one /bin/sh exec less per
 * create (3 ms of CPU here). Keep it the same as the script's last line.
 */
const CRUN_UNSHARE_SCRIPT = 'mount -t tmpfs -o size=64k,mode=755 crun-unshare /sys/fs/cgroup/unified 2>/dev/null || umount -l /sys/fs/cgroup/unified 2>/dev/null; exec "$@"';
const CRUN_UNSHARE = ['-m', '--propagation', 'private', '/bin/sh', '-c', CRUN_UNSHARE_SCRIPT, 'crun-unshare'];

/**
 * The same with busybox where it has unshare and a shell that runs its own mount applet without
 * an exec (Debian's busybox-static): `busybox unshare ... busybox sh -c SCRIPT` is two execs of
 * a static binary instead of util-linux unshare, /bin/sh and mount(8), all dynamically linked:
 * 10.4 instead of 13.3 ms per create here (the wrapper with `exec true`, 80 runs each).
 */
const busyboxUnshare = (bb: string): string[] => ['unshare', '-m', '--propagation', 'private', bb, 'sh', '-c', CRUN_UNSHARE_SCRIPT, 'crun-unshare'];

let busyboxChecked: string | undefined;

/**
 * busybox, if its unshare applet exists and its shell runs `mount` as an applet (Debian's
 * busybox-static); '' if not. Checked once per daemon (two spawns), at first use: by the first
 * crun create, or by berthd's rootfs mount(8), which takes busybox's mount where this says yes.
 */
export function usableBusybox(): string {
  return (busyboxChecked ??= findBusybox());
}

function findBusybox(): string {
  const bb = findBinary('busybox');
  if (!bb) return '';
  const help = spawnSync(bb, ['unshare', '--help'], { stdio: 'ignore', timeout: 5000 });
  const mount = spawnSync(bb, ['sh', '-c', 'type mount'], { encoding: 'utf8', timeout: 5000 });
  return help.status === 0 && mount.status === 0 && mount.stdout.trim() === 'mount is mount' ? bb : '';
}

/** conmon's -r and --runtime-arg for a runtime: itself, or behind its wrapper. */
function createCommand(e: RuntimeEntry, args: string[], unshare: () => string | undefined, busybox: () => string | undefined): { createPath: string; createArgs: string[] } {
  if (!e.wrapper) return { createPath: e.path, createArgs: args };
  if (path.basename(e.wrapper) !== 'crun-unshare') return { createPath: e.wrapper, createArgs: [e.path, ...args] };
  const bb = busybox();
  if (bb) return { createPath: bb, createArgs: [...busyboxUnshare(bb), e.path, ...args] };
  const bin = unshare();
  if (bin) return { createPath: bin, createArgs: [...CRUN_UNSHARE, e.path, ...args] };
  return { createPath: e.wrapper, createArgs: [e.path, ...args] };
}

export class RuntimeTable {
  readonly defaultRuntime: string;
  readonly #entries: Map<string, RuntimeEntry>;
  readonly #execRoot: string;
  /** unshare(1), looked up once (handle() runs at every create); '' when there is none */
  #unshare: string | undefined;
  /** busybox for crun-unshare (findBusybox), checked once; '' when there is none or it will not do */
  #busybox: string | undefined;
  /** what `<runtime> --version` said, by runtime name (loadVersions) */
  readonly #versions = new Map<string, { version?: string; commit?: string }>();

  /** `opts.busybox: false`: never use busybox for crun-unshare */
  constructor(execRoot: string, entries: RuntimeEntry[], defaultRuntime: string, opts: { busybox?: false } = {}) {
    if (opts.busybox === false) this.#busybox = '';
    this.#execRoot = execRoot;
    this.#entries = new Map(entries.map((e) => [e.name, e]));
    if (!this.#entries.has(defaultRuntime)) throw invalidArgument(`default runtime ${JSON.stringify(defaultRuntime)} is not configured (have: ${[...this.#entries.keys()].join(', ')})`);
    this.defaultRuntime = defaultRuntime;
  }

  names(): string[] {
    return [...this.#entries.keys()];
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /** How to call a runtime; not-found is Docker's message for an unknown --runtime. */
  handle(name: string | undefined): RuntimeHandle {
    const n = name === undefined || name === '' ? this.defaultRuntime : name;
    const e = this.#entries.get(n);
    if (!e) throw invalidArgument(`unknown or invalid runtime name: ${n}`);
    const root = path.join(this.#execRoot, 'runtimes', e.name);
    const args = [...e.runtimeArgs, '--root', root];
    return {
      name: e.name,
      path: e.path,
      args,
      ...createCommand(
        e,
        args,
        () => (this.#unshare ??= findBinary('unshare') ?? ''),
        () => (this.#busybox ??= usableBusybox()),
      ),
      root,
    };
  }

  info(): RuntimeTableInfo {
    return {
      defaultRuntime: this.defaultRuntime,
      runtimes: [...this.#entries.values()].map((e) => ({
        name: e.name,
        path: e.path,
        ...(e.runtimeArgs.length > 0 ? { args: e.runtimeArgs } : {}),
        ...(e.notes.length > 0 ? { notes: e.notes } : {}),
        ...this.#versions.get(e.name),
      })),
    };
  }

  /**
   * Every runtime's version (for /version's components), in the background of start-up: from
   * <exec-root>/runtime-versions.json while the binary is the same (size, mtime), else asked
   * with `<runtime> --version` and written there.
   */
  async loadVersions(): Promise<void> {
    const file = path.join(this.#execRoot, 'runtime-versions.json');
    let cached: Record<string, { key: string; version?: string; commit?: string }> = {};
    try {
      cached = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof cached;
    } catch {
      /* none yet */
    }
    let changed = false;
    await Promise.all(
      [...this.#entries.values()].map(async (e) => {
        let key: string;
        try {
          const st = fs.statSync(e.path);
          key = `${st.size}:${st.mtimeMs}`;
        } catch {
          return;
        }
        const hit = cached[e.path];
        if (hit?.key === key) {
          this.#versions.set(e.name, { ...(hit.version ? { version: hit.version } : {}), ...(hit.commit ? { commit: hit.commit } : {}) });
          return;
        }
        const out = await new Promise<string | undefined>((resolve) => execFile(e.path, ['--version'], { timeout: 5000 }, (err, stdout) => resolve(err ? undefined : stdout)));
        if (out === undefined) return;
        const v = parseRuntimeVersion(out);
        this.#versions.set(e.name, v);
        cached[e.path] = { key, ...v };
        changed = true;
      }),
    );
    if (changed) {
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(cached));
      fs.renameSync(`${file}.tmp`, file);
    }
  }

}

export interface ProbeOptions {
  execRoot: string;
  /** directory holding crun-unshare */
  libexecDir: string;
  configured: Record<string, { path: string; runtimeArgs?: string[] }>;
  defaultRuntime: string | undefined;
  /** absolute cgroup parent for the probe container's cgroup */
  cgroupParent: string;
}

function statKey(p: string | undefined): string {
  if (!p) return '-';
  try {
    const st = fs.statSync(p);
    return `${p}:${st.size}:${st.mtimeMs}`;
  } catch {
    return `${p}:missing`;
  }
}

function readOr(file: string, d: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return d;
  }
}

function exec(cmd: string, args: string[], timeoutMs = 5000): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, stderr: e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stderr });
    });
  });
}

function removeCgroup(rel: string): void {
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
      /* absent */
    }
  }
}

type CrunMode = 'direct' | 'wrapped' | 'broken';

/**
 * Try `crun run` of a bundle whose process does not exist: if crun gets as far as looking for
 * the executable, cgroups and namespaces work. Direct first, then through the wrapper.
 */
async function probeCrun(crun: string, opts: ProbeOptions): Promise<{ mode: CrunMode; detail: string }> {
  const dir = path.join(opts.execRoot, 'probe');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'rootfs'), { recursive: true });
  const id = `berth-probe-${process.pid}`;
  const cgroup = `${opts.cgroupParent.replace(/\/+$/, '')}/${id}`;
  const config = {
    ociVersion: '1.0.2',
    process: { terminal: false, user: { uid: 0, gid: 0 }, args: ['/berth-probe-nonexistent'], env: ['PATH=/bin'], cwd: '/' },
    root: { path: 'rootfs', readonly: true },
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc' }, { type: 'uts' }], cgroupsPath: cgroup },
  };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  const root = path.join(dir, 'state');
  const works = (r: { stderr: string }): boolean => /not found|no such file/i.test(r.stderr) && !/hybrid/i.test(r.stderr);
  try {
    const direct = await exec(crun, ['--root', root, 'run', '--bundle', dir, id]);
    if (works(direct)) return { mode: 'direct', detail: '' };
    const wrapper = path.join(opts.libexecDir, 'crun-unshare');
    const wrapped = await exec(wrapper, [crun, '--root', root, 'run', '--bundle', dir, id]);
    if (works(wrapped)) return { mode: 'wrapped', detail: direct.stderr.trim() };
    return { mode: 'broken', detail: `${direct.stderr.trim()}; through crun-unshare: ${wrapped.stderr.trim()}` };
  } finally {
    await exec(crun, ['--root', root, 'delete', '--force', id]);
    removeCgroup(cgroup);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface ProbeCache {
  key: string;
  crun: { path: string; mode: CrunMode; detail: string } | undefined;
  runc: string | undefined;
}

/** Find the runtimes that work here (cached in <exec-root>/runtime-probe.json). */
export async function probeRuntimes(opts: ProbeOptions): Promise<RuntimeTable> {
  const crun = findBinary('crun');
  const runc = findBinary('runc');
  const key = [statKey(crun), statKey(runc), readOr(UNIFIED_CONTROLLERS, 'no-unified'), readOr('/sys/fs/cgroup/cgroup.controllers', 'v1')].join('|');
  const cacheFile = path.join(opts.execRoot, 'runtime-probe.json');
  let cache: ProbeCache | undefined;
  try {
    const c = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as ProbeCache;
    if (c.key === key) cache = c;
  } catch {
    /* no cache */
  }
  if (!cache) {
    cache = { key, crun: crun ? { path: crun, ...(await probeCrun(crun, opts)) } : undefined, runc };
    fs.mkdirSync(opts.execRoot, { recursive: true });
    fs.writeFileSync(`${cacheFile}.tmp`, JSON.stringify(cache));
    fs.renameSync(`${cacheFile}.tmp`, cacheFile);
  }
  const entries: RuntimeEntry[] = [];
  if (cache.crun && cache.crun.mode !== 'broken') {
    const wrapped = cache.crun.mode === 'wrapped';
    entries.push({
      name: 'crun',
      path: cache.crun.path,
      runtimeArgs: [],
      wrapper: wrapped ? path.join(opts.libexecDir, 'crun-unshare') : undefined,
      notes: wrapped ? [`crun: create/run go through libexec/crun-unshare (hides /sys/fs/cgroup/unified: ${cache.crun.detail || 'hybrid cgroups'})`] : [],
    });
  }
  if (cache.runc) entries.push({ name: 'runc', path: cache.runc, runtimeArgs: [], wrapper: undefined, notes: [] });
  const wrapperFor = (p: string): string | undefined =>
    path.basename(p).startsWith('crun') && cache?.crun?.mode === 'wrapped' ? path.join(opts.libexecDir, 'crun-unshare') : undefined;
  for (const [name, spec] of Object.entries(opts.configured)) {
    const e: RuntimeEntry = { name, path: spec.path, runtimeArgs: spec.runtimeArgs ?? [], wrapper: wrapperFor(spec.path), notes: [] };
    const i = entries.findIndex((x) => x.name === name);
    if (i >= 0) entries[i] = e;
    else entries.push(e);
  }
  if (entries.length === 0) throw invalidArgument('no usable OCI runtime: install crun or runc');
  let def = opts.defaultRuntime;
  if (def === undefined) {
    def = entries.some((e) => e.name === 'crun') ? 'crun' : (entries[0]?.name ?? 'runc');
    const first = entries.find((e) => e.name === def);
    if (first) {
      if (def === 'crun') first.notes.push(`crun is the default runtime (probed: ${cache.crun?.mode === 'wrapped' ? 'works behind crun-unshare' : 'works directly'})`);
      else first.notes.push(`${def} is the default runtime (crun ${crun ? `failed its probe: ${cache.crun?.detail ?? ''}` : 'is not installed'})`);
    }
  }
  return new RuntimeTable(opts.execRoot, entries, def);
}

/** <repo>/libexec, next to dist/ (this file is dist/src/runtime/probe.js). */
export function defaultLibexecDir(): string {
  return path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../libexec');
}

/** A static init for --init: daemon init-path, else tini-static, tini, catatonit. */
export function findInitBinary(configured: string | undefined): string | undefined {
  if (configured) return configured;
  for (const name of ['tini-static', 'docker-init', 'tini', 'catatonit']) {
    const p = findBinary(name);
    if (p) return p;
  }
  return undefined;
}
