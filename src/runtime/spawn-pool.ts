// Process spawning off the main thread. Node's spawn() blocks its thread until the child has
// exec'd (fork + exec + a CLOEXEC pipe handshake); on a busy host that is tens of ms per call,
// and a container start/stop spawns the runtime several times. A small pool of worker threads
// does the spawning (each child still runs asynchronously); the main thread only exchanges
// messages. Workers start on first use and exit when idle, so an idle daemon pays nothing.
import { Worker } from 'node:worker_threads';
import os from 'node:os';
import { ShellSpawner } from './shell-spawner.js';

export interface RunRequest {
  cmd: string;
  args: readonly string[];
  input?: string;
  timeoutMs?: number;
  maxOutput?: number;
  /** working directory of the child (default: the daemon's) */
  cwd?: string;
  /** added to the daemon's environment */
  env?: Record<string, string>;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ConmonRequest {
  cmd: string;
  args: readonly string[];
  /** added to the daemon's environment */
  env: Record<string, string>;
  cwd: string;
  pidFile: string;
  timeoutMs: number;
}

export interface ConmonResult {
  /** container pid, or -1 with message */
  data: number;
  message?: string;
  conmonPid: number;
  stderr: string;
  error?: string;
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const children = new Map();
function run(m) {
  const child = spawn(m.cmd, m.args, { stdio: ['pipe', 'pipe', 'pipe'], ...(m.cwd ? { cwd: m.cwd } : {}), ...(m.env ? { env: { ...process.env, ...m.env } } : {}) });
  children.set(m.id, child);
  let stdout = '', stderr = '';
  const max = m.maxOutput || 1048576;
  child.stdout.on('data', (d) => { if (stdout.length < max) stdout += d; });
  child.stderr.on('data', (d) => { if (stderr.length < max) stderr += d; });
  const timer = m.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), m.timeoutMs) : undefined;
  child.stdin.on('error', () => {});
  child.stdin.end(m.input || '');
  let done = false;
  const finish = (r) => { if (done) return; done = true; if (timer) clearTimeout(timer); children.delete(m.id); parentPort.postMessage({ id: m.id, ...r }); };
  child.on('error', (e) => finish({ code: -1, stdout, stderr: stderr + e.message }));
  child.on('close', (code, sig) => finish({ code: code ?? (sig === 'SIGKILL' ? 137 : -1), stdout, stderr }));
}
function conmon(m) {
  const child = spawn(m.cmd, m.args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], env: { ...process.env, ...m.env }, detached: true, cwd: m.cwd });
  let stderr = '', buf = '', done = false;
  const sync = child.stdio[3], start = child.stdio[4];
  const finish = (r) => {
    if (done) return; done = true; clearTimeout(timer);
    sync.destroy(); child.stderr.destroy(); child.unref();
    parentPort.postMessage({ id: m.id, stderr, ...r });
  };
  const timer = setTimeout(() => finish({ data: -1, conmonPid: 0, error: 'conmon did not report the container pid in time' }), m.timeoutMs);
  child.stderr.on('data', (d) => { stderr += d; });
  child.on('error', (e) => finish({ data: -1, conmonPid: 0, error: 'cannot run conmon: ' + e.message }));
  start.on('error', () => {});
  start.end('0');
  sync.on('data', async (d) => {
    buf += d;
    const nl = buf.indexOf('\\n');
    let msg;
    try { msg = JSON.parse(nl >= 0 ? buf.slice(0, nl) : buf); } catch { return; }
    let conmonPid = 0;
    if (msg.data >= 0) {
      for (let i = 0; i < 400 && conmonPid === 0; i++) {
        try { conmonPid = parseInt(fs.readFileSync(m.pidFile, 'utf8').trim(), 10) || 0; } catch { await new Promise((r) => setTimeout(r, 5)); }
      }
    }
    finish({ data: msg.data, message: msg.message, conmonPid });
  });
  sync.on('end', () => finish({ data: -1, conmonPid: 0, error: 'conmon closed the sync pipe without a pid' + (buf ? ': ' + buf : '') }));
}
parentPort.on('message', (m) => {
  if (m.kind === 'run') run(m);
  else if (m.kind === 'conmon') conmon(m);
  else if (m.kind === 'abort') children.get(m.target)?.kill('SIGKILL');
});
`;

interface Pending {
  resolve: (v: unknown) => void;
  worker: PoolWorker;
}

interface PoolWorker {
  worker: Worker;
  busy: number;
}

export class SpawnPool {
  readonly #size: number;
  readonly #idleMs: number;
  readonly #workers: PoolWorker[] = [];
  readonly #pending = new Map<number, Pending>();
  #next = 1;
  #idleTimer: NodeJS.Timeout | undefined;
  #shell: ShellSpawner | undefined;

  /**
   * One worker per CPU beyond the first, at most 4: every spawn forks the whole daemon, and forks
   * from two threads at once cost more in copy-on-write faults than they gain on 2 CPUs (one
   * worker there: 6% less daemon CPU per start in a 50-container burst, 15% less for rm -f, the
   * same wall time, one V8 heap less).
   */
  constructor(size = Math.min(4, Math.max(1, os.availableParallelism() - 1)), idleMs = 15_000) {
    this.#size = size;
    this.#idleMs = idleMs;
  }

  #pick(): PoolWorker {
    if (this.#idleTimer) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
    }
    let best = this.#workers.reduce<PoolWorker | undefined>((b, w) => (b === undefined || w.busy < b.busy ? w : b), undefined);
    if (!best || (best.busy > 0 && this.#workers.length < this.#size)) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, env: process.env });
      worker.unref();
      const pw: PoolWorker = { worker, busy: 0 };
      worker.on('message', (msg: { id: number }) => {
        const p = this.#pending.get(msg.id);
        if (!p) return;
        this.#pending.delete(msg.id);
        p.worker.busy--;
        this.#maybeIdle();
        p.resolve(msg);
      });
      worker.on('error', () => this.#drop(pw));
      worker.on('exit', () => this.#drop(pw));
      this.#workers.push(pw);
      best = pw;
    }
    return best;
  }

  #drop(pw: PoolWorker): void {
    const i = this.#workers.indexOf(pw);
    if (i >= 0) this.#workers.splice(i, 1);
    for (const [id, p] of this.#pending) {
      if (p.worker !== pw) continue;
      this.#pending.delete(id);
      p.resolve({ code: -1, stdout: '', stderr: 'spawn worker exited', data: -1, conmonPid: 0, error: 'spawn worker exited' });
    }
  }

  #maybeIdle(): void {
    if (this.#pending.size > 0 || this.#idleTimer) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#pending.size > 0) return;
      for (const w of this.#workers.splice(0)) void w.worker.terminate();
    }, this.#idleMs);
    this.#idleTimer.unref();
  }

  #send<T>(msg: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    const w = this.#pick();
    const id = this.#next++;
    w.busy++;
    return new Promise<T>((resolve) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, worker: w });
      if (signal) {
        const onAbort = (): void => w.worker.postMessage({ kind: 'abort', target: id });
        if (signal.aborted) queueMicrotask(onAbort);
        else signal.addEventListener('abort', onAbort, { once: true });
      }
      w.worker.postMessage({ ...msg, id });
    });
  }

  /**
   * From now on spawn through a long-lived shell (shell-spawner.ts) instead of the worker threads,
   * for every request it can carry; `undefined` goes back to the workers.
   */
  useShell(shell: ShellSpawner | undefined): void {
    this.#shell?.close();
    this.#shell = shell;
  }

  /** The shell, when there is a working one that can carry this request. */
  #shellFor(req: { cmd: string; args: readonly string[]; cwd?: string; env?: Record<string, string> }): ShellSpawner | undefined {
    return this.#shell && !this.#shell.broken && ShellSpawner.accepts(req) ? this.#shell : undefined;
  }

  run(req: RunRequest, signal?: AbortSignal): Promise<RunResult> {
    const shell = this.#shellFor(req);
    if (shell) return shell.run(req, signal);
    return this.#send<RunResult>({ kind: 'run', ...req, args: [...req.args] }, signal);
  }

  conmon(req: ConmonRequest): Promise<ConmonResult> {
    const shell = this.#shellFor(req);
    if (shell) return shell.conmon(req);
    return this.#send<ConmonResult>({ kind: 'conmon', ...req, args: [...req.args] });
  }

  async close(): Promise<void> {
    this.#shell?.close();
    this.#shell = undefined;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    await Promise.all(this.#workers.splice(0).map((w) => w.worker.terminate()));
  }
}

/** The daemon's pool (runtime commands and conmon launches). */
export const spawnPool = new SpawnPool();
