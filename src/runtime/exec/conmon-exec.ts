// An exec session under conmon (`conmon -e --exec-process-spec`): conmon runs
// `runtime exec --process <spec> --detach [--tty --console-socket]`, holds the process's stdio
// (attach socket and ctl FIFO in its own bundle dir, so -t gets a pty and resize works) and
// reports the pid and then the exit code on the sync pipe.
//
// With an attaching client, conmon is started with --exec-attach: it sets up the attach
// socket, says so on the attach pipe, and waits for a second write to the start pipe before
// it runs the process, so no output is lost.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { BerthError, systemError } from '../../errdefs/index.js';
import { execEnv, execPath } from '../pinned-binary.js';

export const CONMON = process.env['BERTH_CONMON'] ?? '/usr/bin/conmon';

export interface ConmonExecOptions {
  containerId: string;
  execId: string;
  /** Per-exec directory: conmon's bundle (attach socket target, ctl FIFO), pid, exit and log files. */
  dir: string;
  /** conmon's --socket-dir-path (the attach socket is <socketDir>/<execId>/attach). */
  socketDir: string;
  /** The OCI runtime binary and its global args (--root ...). */
  runtimePath: string;
  runtimeArgs: readonly string[];
  /** The OCI process (runtime-spec "process" object) to run. */
  process: Record<string, unknown>;
  tty: boolean;
  stdin: boolean;
  /** A client attaches: conmon waits for `attached` before running the process. */
  attach: boolean;
  timeoutMs?: number;
}

/** The process could not be started (runtime error): Docker's exit code 126/127 and message. */
export class ExecStartError extends BerthError {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super('system', message, { details: { exitCode } });
    this.exitCode = exitCode;
  }
}

export function mapExecError(raw: string): ExecStartError {
  const text = raw
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/^time="[^"]*" level=\w+ msg="(.*)"$/, '$1'))
    .join('; ');
  const nf = /executable file `([^`]*)` not found in \$PATH/.exec(text) ?? /exec: "([^"]*)": executable file not found in \$PATH/.exec(text);
  if (nf) return new ExecStartError(`OCI runtime exec failed: exec failed: unable to start container process: exec: "${nf[1]}": executable file not found in $PATH: unknown`, 127);
  if (/no such file or directory/i.test(text)) return new ExecStartError(`OCI runtime exec failed: exec failed: unable to start container process: ${text}: unknown`, 127);
  if (/permission denied/i.test(text)) return new ExecStartError(`OCI runtime exec failed: exec failed: unable to start container process: ${text}: unknown`, 126);
  return new ExecStartError(`OCI runtime exec failed: ${text || 'unknown error'}: unknown`, 126);
}

export interface ExecSession {
  pid: number;
  /** Settles with the exit code when the process ends. */
  exited: Promise<number>;
  attachSocket: string;
  ctlFifo: string;
}

/** Reads {"data": n, "message"?: s} lines from a conmon pipe. */
class PipeReader {
  #buf = '';
  #waiters: ((m: { data: number; message?: string } | undefined) => void)[] = [];
  #queue: { data: number; message?: string }[] = [];
  #ended = false;

  constructor(stream: Readable) {
    stream.on('data', (d: Buffer) => {
      this.#buf += d.toString();
      let nl: number;
      while ((nl = this.#buf.indexOf('\n')) >= 0) {
        const line = this.#buf.slice(0, nl).trim();
        this.#buf = this.#buf.slice(nl + 1);
        if (!line) continue;
        try {
          this.#deliver(JSON.parse(line) as { data: number; message?: string });
        } catch {
          /* ignore a garbled line */
        }
      }
    });
    const end = (): void => {
      if (this.#buf.trim()) {
        try {
          this.#deliver(JSON.parse(this.#buf) as { data: number; message?: string });
        } catch {
          /* ignore */
        }
        this.#buf = '';
      }
      this.#ended = true;
      for (const w of this.#waiters.splice(0)) w(undefined);
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  }

  #deliver(m: { data: number; message?: string }): void {
    const w = this.#waiters.shift();
    if (w) w(m);
    else this.#queue.push(m);
  }

  next(timeoutMs?: number): Promise<{ data: number; message?: string } | undefined> {
    const q = this.#queue.shift();
    if (q) return Promise.resolve(q);
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const w = (m: { data: number; message?: string } | undefined): void => {
        if (timer) clearTimeout(timer);
        resolve(m);
      };
      this.#waiters.push(w);
      if (timeoutMs !== undefined)
        timer = setTimeout(() => {
          const i = this.#waiters.indexOf(w);
          if (i >= 0) this.#waiters.splice(i, 1);
          resolve(undefined);
        }, timeoutMs);
    });
  }
}

export function conmonExecArgs(o: ConmonExecOptions): string[] {
  const a = ['--api-version', '1', '-c', o.containerId, '-u', o.execId, '-r', execPath(o.runtimePath)];
  for (const arg of o.runtimeArgs) a.push('--runtime-arg', arg);
  a.push(
    '-b', o.dir,
    '-p', path.join(o.dir, 'exec.pid'),
    '-e',
    '--exec-process-spec', path.join(o.dir, 'process.json'),
    '-l', `k8s-file:${path.join(o.dir, 'exec.log')}`,
    '--exit-dir', path.join(o.dir, 'exit'),
    '--socket-dir-path', o.socketDir,
    '--log-level', 'error',
    // the exec log is thrown away with the session: no fsync at the end
    '--no-sync-log',
  );
  if (o.attach) a.push('--exec-attach');
  if (o.stdin) a.push('-i');
  if (o.tty) a.push('-t');
  return a;
}

/**
 * Start an exec session. `onAttachReady` runs once conmon's attach socket exists and before the
 * process runs (connect there); it is only called when `attach` is set.
 */
export async function startExec(o: ConmonExecOptions, onAttachReady?: (socketPath: string) => Promise<void>): Promise<ExecSession> {
  fs.mkdirSync(path.join(o.dir, 'exit'), { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(o.dir, 'process.json'), JSON.stringify(o.process));
  const timeoutMs = o.timeoutMs ?? 30_000;
  const stdio: ('ignore' | 'pipe')[] = ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'];
  const env: NodeJS.ProcessEnv = { ...process.env, _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', ...execEnv(o.runtimePath) };
  if (o.attach) {
    stdio.push('pipe');
    env['_OCI_ATTACHPIPE'] = '5';
  }
  const child = spawn(CONMON, conmonExecArgs(o), { stdio, env, detached: true, cwd: o.dir });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', (e) => reject(systemError(`cannot run conmon: ${e.message}`, { cause: e }))));
  spawnFailed.catch(() => undefined);
  const sync = new PipeReader(child.stdio[3] as Readable);
  const start = child.stdio[4] as Writable;
  start.on('error', () => undefined);
  const attachSocket = path.join(o.socketDir, o.execId, 'attach');
  const ctlFifo = path.join(o.dir, 'ctl');
  try {
    if (o.attach) {
      const attachStream = (child.stdio as unknown as (Readable | null)[])[5];
      if (!attachStream) throw systemError('conmon attach pipe missing');
      const attachPipe = new PipeReader(attachStream);
      start.write('0'); // conmon forks and sets up the attach socket
      const ready = await Promise.race([attachPipe.next(timeoutMs), spawnFailed]);
      if (!ready || ready.data < 0) throw systemError(`conmon did not set up the exec attach socket${ready?.message ? `: ${ready.message}` : stderr ? `: ${stderr.trim()}` : ''}`);
      await onAttachReady?.(attachSocket);
      attachStream.destroy();
    }
    start.end('1'); // run the process
    const first = await Promise.race([sync.next(timeoutMs), spawnFailed]);
    if (!first) throw systemError(`conmon closed the sync pipe without a pid${stderr ? `: ${stderr.trim()}` : ''}`);
    if (first.data < 0) throw mapExecError(first.message ?? stderr);
    const exited = sync.next().then((m) => {
      (child.stdio[3] as Readable).destroy();
      if (m && m.data >= 0) return m.data;
      // No exit code on the pipe: fall back to the exit file conmon wrote.
      return readExitFile(path.join(o.dir, 'exit', o.containerId)) ?? 137;
    });
    return { pid: first.data, exited, attachSocket, ctlFifo };
  } catch (err) {
    (child.stdio[3] as Readable).destroy();
    throw err;
  } finally {
    child.stderr?.destroy();
    child.unref();
  }
}

function readExitFile(file: string): number | undefined {
  try {
    const n = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isNaN(n) ? undefined : n;
  } catch {
    return undefined;
  }
}

/** Remove an exec session's directory and conmon's socket symlink. */
export function cleanupExec(dir: string, socketDir: string, execId: string): void {
  fs.rmSync(path.join(socketDir, execId), { force: true });
  fs.rmSync(dir, { recursive: true, force: true });
}
