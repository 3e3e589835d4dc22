// Running ip/nft/unshare/CNI plugins off the main thread. Node's spawn() forks the whole daemon
// and blocks its thread until the child has exec'd: 7-15 ms per call here, growing with the
// daemon's memory, and a container start would wait for every one. A worker thread does the
// spawning (the children still run asynchronously); the main thread only exchanges messages.
//
// Besides one-shot runs the worker can park a child: start it now with its stdin open, and feed
// it its input later (`park` / `feed`). The netns pool keeps `ip -batch -` processes parked
// inside fresh network namespaces this way, so a container start runs no process at all. A
// parked child's stdin belongs to this process: if berthd dies, the child reads EOF and exits.
//
// The worker starts on first use and exits when it has been idle (nothing running, nothing
// parked) for a while, so a daemon that never touches the network pays nothing. While berthd
// starts (setInline(true), before it serves anything) runs are spawned from the calling thread
// instead: nothing waits on the main thread then, and a worker started for the bridges' set-up
// would still hold its isolate (about 10 MiB of RSS) when the daemon is first idle.
import { spawn, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { ShellSpawner } from '../runtime/shell-spawner.js';

export interface RunResult {
  /** exit code; -1 when the command could not be run at all (then stderr says why) */
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  /** the whole environment of the child (default: the daemon's) */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const MAX = 1 << 20;
// id -> { child, stdout, stderr, result, replyTo, timer }
const kids = new Map();
function reply(id, msg) { parentPort.postMessage({ id, ...msg }); }
function finish(k, r) {
  if (k.result) return;
  k.result = r;
  if (k.timer) clearTimeout(k.timer);
  if (k.replyTo !== undefined) { kids.delete(k.key); reply(k.replyTo, r); }
  else if (k.spawned) parentPort.postMessage({ parkExit: k.key });
}
function start(m, park) {
  let child;
  try {
    child = spawn(m.cmd, m.args, { stdio: ['pipe', 'pipe', 'pipe'], ...(m.env ? { env: m.env } : {}) });
  } catch (e) {
    reply(m.id, park ? { parked: false } : { code: -1, stdout: '', stderr: String((e && e.message) || e) });
    return;
  }
  const k = { key: m.id, child, stdout: '', stderr: '', result: undefined, replyTo: park ? undefined : m.id, timer: undefined };
  kids.set(m.id, k);
  child.stdout.on('data', (d) => { if (k.stdout.length < MAX) k.stdout += d; });
  child.stderr.on('data', (d) => { if (k.stderr.length < MAX) k.stderr += d; });
  child.stdin.on('error', () => {});
  child.on('error', (e) => {
    if (park && k.replyTo === undefined && !k.spawned) { kids.delete(m.id); reply(m.id, { parked: false }); return; }
    finish(k, { code: -1, stdout: k.stdout, stderr: k.stderr + e.message });
  });
  child.on('close', (code, sig) => finish(k, { code: code ?? (sig === 'SIGKILL' ? 137 : -1), stdout: k.stdout, stderr: k.stderr }));
  if (park) {
    child.on('spawn', () => { k.spawned = true; reply(m.id, { parked: true, pid: child.pid }); });
    return;
  }
  if (m.timeoutMs) k.timer = setTimeout(() => child.kill('SIGKILL'), m.timeoutMs);
  child.stdin.end(m.input || '');
}
function feed(m) {
  const k = kids.get(m.target);
  if (!k || k.replyTo !== undefined) { reply(m.id, { code: -1, stdout: '', stderr: 'no such parked process' }); return; }
  k.replyTo = m.id;
  if (k.result) { kids.delete(k.key); reply(m.id, k.result); return; }
  if (m.timeoutMs) k.timer = setTimeout(() => k.child.kill('SIGKILL'), m.timeoutMs);
  k.child.stdin.end(m.input || '');
}
parentPort.on('message', (m) => {
  if (m.kind === 'run') start(m, false);
  else if (m.kind === 'park') start(m, true);
  else if (m.kind === 'feed') feed(m);
});
`;

interface Pending {
  resolve: (v: Record<string, unknown>) => void;
}

/** One parked child: give it its stdin once with feed(). */
export interface Parked {
  readonly pid: number;
  feed(input: string, timeoutMs?: number): Promise<RunResult>;
  /** Called if the child exits before it was fed (it is of no use then). */
  onExit(cb: () => void): void;
}

export class Spawner {
  readonly #idleMs: number;
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  /** parked children not fed yet, with their early-exit callbacks */
  readonly #parked = new Map<number, (() => void) | undefined>();
  #next = 1;
  #idleTimer: NodeJS.Timeout | undefined;
  #inline = false;
  #shell: ShellSpawner | undefined;

  constructor(idleMs = 15_000) {
    this.#idleMs = idleMs;
  }

  /** Spawn runs from the calling thread (true) or from the worker (false, the default). */
  setInline(on: boolean): void {
    this.#inline = on;
  }

  /**
   * One-shot runs with the daemon's environment go through this shell (runtime/shell-spawner.ts:
   * no fork of berthd) when it can carry them; parked children and runs with an environment of
   * their own (CNI plugins) stay with the worker.
   */
  useShell(shell: ShellSpawner | undefined): void {
    this.#shell = shell;
  }

  /** Whether the worker thread is running (for tests). */
  get workerRunning(): boolean {
    return this.#worker !== undefined;
  }

  #get(): Worker {
    if (this.#idleTimer) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
    }
    if (this.#worker) return this.#worker;
    const w = new Worker(WORKER_SOURCE, { eval: true, env: process.env });
    w.unref();
    w.on('message', (msg: { id: number; parkExit?: number } & Record<string, unknown>) => {
      if (msg.parkExit !== undefined) {
        const cb = this.#parked.get(msg.parkExit);
        this.#parked.delete(msg.parkExit);
        cb?.();
        this.#maybeIdle();
        return;
      }
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#pending.delete(msg.id);
      p.resolve(msg);
      this.#maybeIdle();
    });
    const gone = (): void => {
      if (this.#worker !== w) return;
      this.#worker = undefined;
      const cbs = [...this.#parked.values()];
      this.#parked.clear();
      for (const cb of cbs) cb?.();
      for (const [id, p] of this.#pending) {
        this.#pending.delete(id);
        p.resolve({ code: -1, stdout: '', stderr: 'spawn worker exited', parked: false });
      }
    };
    w.on('error', gone);
    w.on('exit', gone);
    this.#worker = w;
    return w;
  }

  #maybeIdle(): void {
    if (this.#pending.size > 0 || this.#parked.size > 0 || this.#idleTimer || !this.#worker) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#pending.size > 0 || this.#parked.size > 0 || !this.#worker) return;
      const w = this.#worker;
      this.#worker = undefined;
      void w.terminate();
    }, this.#idleMs);
    this.#idleTimer.unref();
  }

  #send(msg: Record<string, unknown>, id = this.#next++): Promise<Record<string, unknown>> {
    const w = this.#get();
    return new Promise((resolve) => {
      this.#pending.set(id, { resolve });
      w.postMessage({ ...msg, id });
    });
  }

  async run(cmd: string, args: readonly string[], o: RunOptions = {}): Promise<RunResult> {
    if (this.#inline) return runHere(cmd, args, o);
    if (this.#shell && !this.#shell.broken && !o.env && ShellSpawner.accepts({ cmd, args })) {
      return this.#shell.run({ cmd, args, ...(o.input ? { input: o.input } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
    }
    const r = await this.#send({ kind: 'run', cmd, args: [...args], input: o.input ?? '', ...(o.env ? { env: o.env } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
    return { code: r['code'] as number, stdout: String(r['stdout'] ?? ''), stderr: String(r['stderr'] ?? '') };
  }

  /** Start a child with its stdin kept open; undefined when it could not be started. */
  async park(cmd: string, args: readonly string[]): Promise<Parked | undefined> {
    const parkId = this.#next++;
    const r = await this.#send({ kind: 'park', cmd, args: [...args] }, parkId);
    if (r['parked'] !== true) return undefined;
    this.#parked.set(parkId, undefined);
    let fed = false;
    return {
      pid: r['pid'] as number,
      onExit: (cb) => {
        if (this.#parked.has(parkId)) this.#parked.set(parkId, cb);
        else if (!fed) cb();
      },
      feed: async (input: string, timeoutMs = 30_000): Promise<RunResult> => {
        if (fed) throw new Error('parked process already fed');
        fed = true;
        this.#parked.delete(parkId);
        const out = await this.#send({ kind: 'feed', target: parkId, input, timeoutMs });
        return { code: out['code'] as number, stdout: String(out['stdout'] ?? ''), stderr: String(out['stderr'] ?? '') };
      },
    };
  }

  /** Stop the worker now (parked children read EOF and exit). */
  async close(): Promise<void> {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const w = this.#worker;
    this.#worker = undefined;
    this.#parked.clear();
    if (w) await w.terminate();
  }
}

const MAX_OUTPUT = 1 << 20;

/** The worker's 'run', on the calling thread (its spawn blocks this thread until the exec). */
export function runHere(cmd: string, args: readonly string[], o: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(o.env ? { env: o.env } : {}) });
    } catch (e) {
      resolve({ code: -1, stdout: '', stderr: String((e as Error).message ?? e) });
      return;
    }
    let stdout = '';
    let stderr = '';
    let done = false;
    child.stdout?.on('data', (d: Buffer) => {
      if (stdout.length < MAX_OUTPUT) stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < MAX_OUTPUT) stderr += d.toString();
    });
    const timer = o.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), o.timeoutMs) : undefined;
    const finish = (r: RunResult): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      resolve(r);
    };
    child.on('error', (e) => finish({ code: -1, stdout, stderr: stderr + e.message }));
    child.on('close', (code, sig) => finish({ code: code ?? (sig === 'SIGKILL' ? 137 : -1), stdout, stderr }));
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(o.input ?? '');
  });
}

/**
 * Park a child from the calling thread. Its spawn blocks this thread like any spawn (do it when
 * idle), but feeding it later costs no thread hop: on a loaded 2-CPU host a parked `ip` fed from
 * the main thread answers in about 3 ms, one fed through the worker in 6-8 ms.
 */
export function parkHere(cmd: string, args: readonly string[]): Promise<Parked | undefined> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    } catch {
      resolve(undefined);
      return;
    }
    let stderr = '';
    let result: RunResult | undefined;
    let fed = false;
    let onExit: (() => void) | undefined;
    let waiter: ((r: RunResult) => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 1 << 20) stderr += d.toString();
    });
    child.stdin?.on('error', () => undefined);
    const finish = (r: RunResult): void => {
      if (result) return;
      result = r;
      if (timer) clearTimeout(timer);
      if (waiter) waiter(r);
      else if (!fed) onExit?.();
    };
    child.on('error', (e) => {
      if (child.pid === undefined) resolve(undefined);
      finish({ code: -1, stdout: '', stderr: stderr + e.message });
    });
    child.on('close', (code, sig) => finish({ code: code ?? (sig === 'SIGKILL' ? 137 : -1), stdout: '', stderr }));
    child.on('spawn', () => {
      // a parked child must not keep the daemon alive
      child.unref();
      resolve({
        pid: child.pid ?? 0,
        onExit: (cb) => {
          if (result && !fed) cb();
          else onExit = cb;
        },
        feed: (input, timeoutMs = 30_000) => {
          if (fed) return Promise.reject(new Error('parked process already fed'));
          fed = true;
          if (result) return Promise.resolve(result);
          return new Promise<RunResult>((res) => {
            waiter = res;
            timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
            child.stdin?.end(input);
          });
        },
      });
    });
  });
}

/** The daemon's spawner for the network tools. */
export const spawner = new Spawner();
