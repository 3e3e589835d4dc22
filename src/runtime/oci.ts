// A thin wrapper over an OCI runtime's command line (crun/runc): start, kill, delete, state,
// pause, resume, exec. `create` is conmon's job (see conmon.ts).
import { execEnv, execPath } from './pinned-binary.js';
import { spawnPool } from './spawn-pool.js';
import { deleteExited, isCrun, killDirect, startNeedsRuntime, startThroughFifo, type KillTarget } from './crun.js';
import { BerthError, notFound, systemError } from '../errdefs/index.js';
import type { RuntimeHandle } from '../daemon/containers/types.js';

/**
 * The exec-FIFO start (crun.ts): '1' for every container, '0' for none; by default only for
 * containers with neither a TTY nor an open stdin (a stray NUL byte reached the terminal input
 * of TTY containers in about 1 start of 10, so those keep `crun start`).
 */
const FIFO_START = process.env['BERTH_CRUN_FIFO_START'];

/** Whether a container may be started through crun's exec FIFO (see FIFO_START). */
export function fifoStartAllowed(o: { tty: boolean; openStdin: boolean }, env: string | undefined = FIFO_START): boolean {
  if (env === '1') return true;
  if (env === '0') return false;
  return !o.tty && !o.openStdin;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command to completion (spawned from the worker pool, off the main thread). */
export function runCommand(cmd: string, args: readonly string[], opts: { timeoutMs?: number; input?: string; signal?: AbortSignal; maxOutput?: number; env?: Record<string, string> } = {}): Promise<RunResult> {
  return spawnPool.run(
    {
      cmd,
      args,
      ...(opts.env && Object.keys(opts.env).length > 0 ? { env: opts.env } : {}),
      ...(opts.input !== undefined ? { input: opts.input } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.maxOutput !== undefined ? { maxOutput: opts.maxOutput } : {}),
    },
    opts.signal,
  );
}

export interface RuntimeState {
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  pid: number;
}

function runtimeError(rt: RuntimeHandle, what: string, r: RunResult): BerthError {
  const msg = r.stderr.trim().split('\n').filter(Boolean).at(-1) ?? `exit status ${r.code}`;
  const clean = msg.replace(/^time="[^"]*" level=\w+ msg="(.*)"$/, '$1');
  if (/does not exist|not found|no such file/i.test(clean) && what !== 'exec') return notFound(`${rt.name} ${what}: ${clean}`);
  return systemError(`${rt.name} ${what} failed: ${clean}`);
}

export class OciRuntime {
  readonly handle: RuntimeHandle;

  constructor(handle: RuntimeHandle) {
    this.handle = handle;
  }

  async #run(sub: string, args: string[], timeoutMs = 30_000): Promise<RunResult> {
    return runCommand(execPath(this.handle.path), [...this.handle.args, sub, ...args], { timeoutMs, env: execEnv(this.handle.path) });
  }

  /**
   * Start a created container. With crun and a spec that needs nothing more from `crun start`
   * (crun.ts), the exec FIFO is released directly instead of running crun.
   */
  async start(id: string, spec?: Record<string, unknown>, io: { tty: boolean; openStdin: boolean } = { tty: true, openStdin: true }): Promise<void> {
    // Not for a TTY or an open stdin (see FIFO_START): with a TTY, a stray NUL byte reached the
    // container's terminal input in about 1 start of 10 (^@ in `run -it`); `crun start` never
    // did that. Without either, nothing the container reads can be touched (saves an exec of
    // crun, 15-30 ms of a start here).
    if (fifoStartAllowed(io) && spec !== undefined && isCrun(this.handle) && !startNeedsRuntime(spec) && (await startThroughFifo(this.handle, id))) return;
    const r = await this.#run('start', [id]);
    if (r.code !== 0) throw runtimeError(this.handle, 'start', r);
  }

  /**
   * Signal the container's init (all: every process in it). With crun and a known `target`, the
   * init is signalled directly when it is still in the container's cgroup (crun.ts killDirect):
   * no exec of crun (12-18 ms of CPU here) per stop, kill or rm -f.
   */
  async kill(id: string, signal: string | number, all = false, target?: KillTarget): Promise<void> {
    if (!all && target && isCrun(this.handle) && killDirect(target, signal)) return;
    const r = await this.#run('kill', [...(all ? ['--all'] : []), id, String(signal)]);
    if (r.code !== 0) throw runtimeError(this.handle, 'kill', r);
  }

  /** Remove the runtime's state and the container's cgroups; missing is fine. */
  async delete(id: string, force = false): Promise<void> {
    const r = await this.#run('delete', [...(force ? ['--force'] : []), id]);
    if (r.code !== 0 && !/does not exist|not found|no such file/i.test(r.stderr)) throw runtimeError(this.handle, 'delete', r);
  }

  /**
   * After the container's init has exited: its cgroups (at `cgroupsPath`) and state go. crun's
   * are removed without running crun when nothing is left in them (crun.ts).
   */
  async deleteExited(id: string, cgroupsPath: string): Promise<void> {
    if (isCrun(this.handle) && (await deleteExited(this.handle, id, cgroupsPath))) return;
    await this.delete(id, true);
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    const r = await this.#run('state', [id]);
    if (r.code !== 0) return undefined;
    try {
      const s = JSON.parse(r.stdout) as { status: RuntimeState['status']; pid?: number };
      return { status: s.status, pid: s.pid ?? 0 };
    } catch {
      return undefined;
    }
  }

  async pause(id: string): Promise<void> {
    const r = await this.#run('pause', [id]);
    if (r.code !== 0) throw runtimeError(this.handle, 'pause', r);
  }

  async resume(id: string): Promise<void> {
    const r = await this.#run('resume', [id]);
    if (r.code !== 0) throw runtimeError(this.handle, 'resume', r);
  }

  /** `runtime update --resources FILE` (the file holds the OCI resources JSON). */
  async update(id: string, resourcesFile: string): Promise<RunResult> {
    return this.#run('update', ['--resources', resourcesFile, id]);
  }

  /** `runtime exec` a command to completion (healthchecks); output is capped. */
  async exec(id: string, cmd: string[], opts: { env?: string[]; cwd?: string; user?: string; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<RunResult> {
    const args: string[] = [];
    for (const e of opts.env ?? []) args.push('--env', e);
    if (opts.cwd) args.push('--cwd', opts.cwd);
    if (opts.user) args.push('--user', opts.user);
    return runCommand(execPath(this.handle.path), [...this.handle.args, 'exec', ...args, id, ...cmd], {
      env: execEnv(this.handle.path),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      maxOutput: 8192,
    });
  }
}
