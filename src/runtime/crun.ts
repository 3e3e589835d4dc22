// What berth does for crun without running crun. On this kind of host every exec of crun costs
// 12-18 ms of CPU (most of it loading its dozen shared libraries), so the start path avoids two:
//
// - `crun start` only opens <root>/<id>/exec.fifo for writing, unlinks it and writes one byte
//   (libcrun_status_write_exec_fifo; the same from crun 1.8 to 1.29); the container's init waits on
//   the read end and then execs the process. Starting through the FIFO ourselves is that, minus the
//   exec. It is used only when crun would do nothing else: no poststart hooks in the spec and no
//   NOTIFY_SOCKET (crun's sd_notify proxy). If the FIFO is gone or has no reader (the init died),
//   `crun start` runs as before, so errors read as crun's. Opt-in (BERTH_CRUN_FIFO_START=1, see
//   oci.ts): a stray NUL byte was seen in the terminal input of `run -it` containers with it.
// - crun compiles the spec's seccomp profile with libseccomp at every create (Debian's crun is
//   built without its own cache: no libgcrypt). The compiled filter it leaves in
//   <root>/<id>/seccomp.bpf is reused for later containers with the same profile through crun's
//   `run.oci.seccomp_bpf_data` annotation (base64 of the raw filter), which makes crun load it as
//   is. Keyed by the profile, the crun binary and the kernel; kept in memory and in the exec root.
// - `crun delete --force` of a container whose init has exited removes its cgroups and then its
//   state dir <root>/<id> (container_delete_internal; the kill it sends first finds nothing in a
//   pid namespace). After an exit berthd does the same; when a cgroup is still in use (a process
//   outlived the init: --pid host) it runs `crun delete --force`, which kills what is left.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RuntimeHandle } from '../daemon/containers/types.js';
import { parseSignal } from './signals.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Spec = Record<string, any>;

export const SECCOMP_BPF_ANNOTATION = 'run.oci.seccomp_bpf_data';

/** Is this runtime crun (by its binary's name, so a daemon.json runtime pointing at crun counts)? */
export function isCrun(h: RuntimeHandle): boolean {
  return path.basename(h.path).startsWith('crun');
}

/** Does `crun start` of this spec do anything besides releasing the exec FIFO? */
export function startNeedsRuntime(spec: Spec | undefined): boolean {
  if (!spec) return true;
  const hooks = spec['hooks'] as { poststart?: unknown[] } | undefined;
  return (hooks?.poststart?.length ?? 0) > 0 || Boolean(process.env['NOTIFY_SOCKET']);
}

/**
 * Start a created crun container by releasing its exec FIFO. Returns false when the FIFO is not
 * there or nobody waits on it (the caller then runs `crun start`, which reports why).
 */
export async function startThroughFifo(h: RuntimeHandle, id: string): Promise<boolean> {
  const fifo = path.join(h.root, id, 'exec.fifo');
  let fh: fsp.FileHandle;
  try {
    // O_NONBLOCK: ENXIO at once instead of blocking when the init is gone (libuv adds O_CLOEXEC)
    fh = await fsp.open(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    // unlinked first: crun (state, exec, delete) tells "created" from "running" by the FIFO
    await fsp.unlink(fifo);
    await fh.write(Buffer.alloc(1));
    return true;
  } finally {
    await fh.close();
  }
}

/** Compiled seccomp filters of crun, by profile; see the header. */
export class CrunSeccompCache {
  readonly #dir: string | undefined;
  readonly #mem = new Map<string, string>();
  readonly #binKeys = new Map<string, string>();
  /** profiles being compiled by a create now, with what settles the wait of the others */
  readonly #compiling = new Map<string, { done: Promise<void>; settle: () => void }>();

  /** `dir`: where filters are kept across daemon restarts (in the exec root); none: memory only */
  constructor(dir?: string) {
    this.#dir = dir;
  }

  #key(h: RuntimeHandle, seccomp: unknown): string | undefined {
    let bin = this.#binKeys.get(h.path);
    if (bin === undefined) {
      try {
        const st = fs.statSync(h.path);
        bin = `${h.path}:${st.ino}:${st.size}:${st.mtimeMs}`;
      } catch {
        return undefined;
      }
      this.#binKeys.set(h.path, bin);
    }
    return crypto.createHash('sha256').update(`${os.release()}\0${os.version()}\0${bin}\0${JSON.stringify(seccomp)}`).digest('hex');
  }

  static #usable(h: RuntimeHandle, spec: Spec): unknown {
    const seccomp = spec['linux']?.['seccomp'] as { listenerPath?: string; syscalls?: { action?: string }[] } | undefined;
    if (!seccomp || !isCrun(h)) return undefined;
    // a notify listener is set up from the profile itself: leave those to crun
    if (seccomp.listenerPath || seccomp.syscalls?.some((s) => s.action === 'SCMP_ACT_NOTIFY')) return undefined;
    if (spec['annotations']?.[SECCOMP_BPF_ANNOTATION] !== undefined) return undefined;
    return seccomp;
  }

  /**
   * Add the compiled filter to the spec when there is one for its profile. Returns the key to
   * pass to learn() after the create when there is none yet (undefined: nothing to do).
   */
  apply(h: RuntimeHandle, spec: Spec): string | undefined {
    const seccomp = CrunSeccompCache.#usable(h, spec);
    if (seccomp === undefined) return undefined;
    const key = this.#key(h, seccomp);
    if (key === undefined) return undefined;
    let b64 = this.#mem.get(key);
    if (b64 === undefined && this.#dir) {
      try {
        b64 = fs.readFileSync(path.join(this.#dir, key), 'utf8');
        if (!/^[A-Za-z0-9+/]+=*$/.test(b64) || b64.length % 4 !== 0) b64 = undefined;
        else this.#mem.set(key, b64);
      } catch {
        /* not compiled yet */
      }
    }
    if (b64 === undefined) return key;
    spec['annotations'] = { ...(spec['annotations'] ?? {}), [SECCOMP_BPF_ANNOTATION]: b64 };
    return undefined;
  }

  /**
   * apply(), but when another create is compiling the same profile right now, wait for it (at most
   * `waitMs`) and take its filter: a burst of starts after a daemon start compiles once, not once
   * per container (libseccomp took a fifth of crun's CPU in a 50-container burst). The caller that
   * gets a key compiles, and must call learn() or settle() with it, whether or not its create
   * worked.
   */
  async applyShared(h: RuntimeHandle, spec: Spec, waitMs = 5000): Promise<string | undefined> {
    const first = this.apply(h, spec);
    if (first === undefined) return undefined;
    const inFlight = this.#compiling.get(first);
    if (inFlight) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([inFlight.done, new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
      clearTimeout(timer);
      const again = this.apply(h, spec);
      // the other create failed or took too long: compile here, without making others wait on it
      return again;
    }
    let settle!: () => void;
    const done = new Promise<void>((r) => (settle = r));
    this.#compiling.set(first, { done, settle });
    return first;
  }

  /** The create that got `key` from applyShared() is over without a filter to learn. */
  settle(key: string): void {
    const c = this.#compiling.get(key);
    if (!c) return;
    this.#compiling.delete(key);
    c.settle();
  }

  /** After a create that compiled the filter itself: keep what crun left in its state dir. */
  learn(h: RuntimeHandle, id: string, key: string): void {
    try {
      this.#learn(h, id, key);
    } finally {
      this.settle(key);
    }
  }

  #learn(h: RuntimeHandle, id: string, key: string): void {
    if (this.#mem.has(key)) return;
    let bpf: Buffer;
    try {
      bpf = fs.readFileSync(path.join(h.root, id, 'seccomp.bpf'));
    } catch {
      return;
    }
    // a filter is a whole number of 8-byte sock_filter instructions
    if (bpf.length === 0 || bpf.length % 8 !== 0) return;
    const b64 = bpf.toString('base64');
    this.#mem.set(key, b64);
    if (this.#dir) {
      try {
        fs.mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
        const tmp = path.join(this.#dir, `.${key}.${process.pid}`);
        fs.writeFileSync(tmp, b64, { mode: 0o600 });
        fs.renameSync(tmp, path.join(this.#dir, key));
      } catch {
        /* memory only */
      }
    }
  }
}

/** The container's cgroup directories (every v1 hierarchy, or the v2 tree). */
function cgroupDirs(cgroupsPath: string): string[] {
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/sys/fs/cgroup');
  } catch {
    /* no cgroupfs */
  }
  return ['', ...entries].map((c) => path.join('/sys/fs/cgroup', c, cgroupsPath));
}

/**
 * Remove the runtime state of a crun container whose init has exited, as `crun delete --force`
 * would (see the header). Returns false, with the state dir left as it was, when one of its
 * cgroups is still in use or cannot be removed: the caller then runs crun.
 */
export async function deleteExited(h: RuntimeHandle, id: string, cgroupsPath: string): Promise<boolean> {
  const state = path.join(h.root, id);
  if (!fs.existsSync(state)) return true;
  const removed = await Promise.all(
    cgroupDirs(cgroupsPath).map((dir) =>
      fsp.rmdir(dir).then(
        () => true,
        // absent in this hierarchy, or a cgroup file on a v2 host
        (err: NodeJS.ErrnoException) => err.code === 'ENOENT' || err.code === 'ENOTDIR',
      ),
    ),
  );
  if (removed.includes(false)) return false;
  await fsp.rm(state, { recursive: true, force: true });
  return true;
}

/** The container's init process as berthd knows it: its pid and its spec's linux.cgroupsPath. */
export interface KillTarget {
  pid: number;
  cgroupsPath: string;
}

/**
 * `crun kill ID SIG` (without --all) reads the container's state and kill(2)s its init; berthd
 * knows the pid and does that itself when /proc/<pid>/cgroup shows the process in the
 * container's cgroup (so a pid reused since the init exited is never signalled). False (the
 * caller runs crun kill, whose errors read as crun's) when the pid is gone, is in another
 * cgroup, or the signal is not one Node can send.
 */
export function killDirect(target: KillTarget, signal: string | number): boolean {
  if (target.pid <= 0 || target.cgroupsPath === '') return false;
  let sig: number;
  try {
    sig = typeof signal === 'number' ? signal : parseSignal(signal);
  } catch {
    return false;
  }
  let lines: string[];
  try {
    lines = fs.readFileSync(`/proc/${target.pid}/cgroup`, 'utf8').split('\n');
  } catch {
    return false;
  }
  // "N:controllers:/path" (v1) or "0::/path" (v2)
  if (!lines.some((l) => l.slice(l.indexOf(':', l.indexOf(':') + 1) + 1) === target.cgroupsPath)) return false;
  try {
    process.kill(target.pid, sig);
    return true;
  } catch {
    return false;
  }
}
