// Process spawning through a long-lived shell. Every fork of berthd copies the page tables of a
// ~70 MB process and then pays copy-on-write faults; on this kind of VM that is 8-15 ms of CPU per
// spawn, a fifth of the CPU of a container start. A static busybox sh (or /bin/sh) forks in well
// under a millisecond. berthd starts one such shell and writes it one line per command; the shell
// runs each in a background subshell and reports on its stdout, one line per event (each a single
// write below PIPE_BUF, so lines from concurrent jobs never interleave):
//
//   <id> p <pid>      the command runs with this pid (for timeouts and aborts)
//   <id> x <status>   it has exited: its status (128+n for signal n), or -1 if it could not start
//   <id> s <line>     conmon's first sync-pipe message (fd 3 of conmon is a pipe to a `read`;
//                     an empty line when conmon closed it without one or could not start)
//
// stdout and stderr of a command go to files in a private directory of the exec root, read and
// removed when it has exited. Commands with a newline in an argument fall back to the worker pool
// (the protocol is one line per command).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { ConmonRequest, ConmonResult, RunRequest, RunResult } from './spawn-pool.js';
import { findBinary } from './which.js';

/** The shell's loop: each line is a complete command list, run as is. */
const LOOP = 'while IFS= read -r l; do eval "$l"; done';

/**
 * The command as an absolute path. busybox's shell runs its own applet for a bare name it has one
 * for (`ip`, `mount`, `unshare`...) before it looks at PATH; a spawner must run what the caller
 * named, as spawn() would: the program found on PATH. Looked up once per name.
 */
const resolved = new Map<string, string>();
export function resolveCommand(cmd: string): string {
  if (cmd.includes('/')) return cmd;
  let hit = resolved.get(cmd);
  if (hit === undefined) {
    // not found: left bare (run() then fails as spawn() would); looked up again next time
    hit = findBinary(cmd);
    if (hit === undefined) return cmd;
    resolved.set(cmd, hit);
  }
  return hit;
}

/** A word for sh: single-quoted, with embedded quotes closed and escaped. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `K='v' ` assignments for a command's environment (names are checked by accepts()). */
function envWords(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `${k}=${shQuote(v)} `)
    .join('');
}

interface Job {
  onLine: (kind: string, rest: string) => void;
  fail: (message: string) => void;
}

export class ShellSpawner {
  readonly #shell: readonly string[];
  readonly #dir: string;
  #child: ChildProcess | undefined;
  #buf = '';
  #next = 1;
  readonly #jobs = new Map<number, Job>();
  #broken = false;

  /** `shell`: argv of a POSIX shell (['/bin/busybox', 'sh'] or ['/bin/sh']); `dir`: for output files */
  constructor(shell: readonly string[], dir: string) {
    this.#shell = shell;
    this.#dir = dir;
  }

  /** The shell could not be started (the pool then goes back to its workers). */
  get broken(): boolean {
    return this.#broken;
  }

  /** Can this request go through the shell (no newline in anything that becomes a word)? */
  static accepts(req: { cmd: string; args: readonly string[]; cwd?: string; env?: Record<string, string> }): boolean {
    const words = [req.cmd, ...req.args, req.cwd ?? '', ...Object.entries(req.env ?? {}).flat()];
    return words.every((w) => !w.includes('\n') && !w.includes('\0')) && Object.keys(req.env ?? {}).every((k) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k));
  }

  #ensure(): ChildProcess {
    if (this.#child) return this.#child;
    fs.mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    const child = spawn(this.#shell[0] ?? '/bin/sh', [...this.#shell.slice(1), '-c', LOOP], { stdio: ['pipe', 'pipe', 'ignore'], cwd: '/' });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => this.#onData(d));
    child.stdin?.on('error', () => undefined);
    const gone = (why: string): void => {
      if (this.#child !== child) return;
      this.#child = undefined;
      for (const j of this.#jobs.values()) j.fail(why);
      this.#jobs.clear();
    };
    child.on('error', (e) => {
      this.#broken = true;
      gone(`cannot run ${this.#shell.join(' ')}: ${e.message}`);
    });
    child.on('exit', (code) => {
      // a shell that cannot run its loop at all is not tried again
      if (code === 126 || code === 127 || code === 2) this.#broken = true;
      gone(`the spawn shell exited (${code ?? 'signal'})`);
    });
    this.#child = child;
    this.#holdLoop(false);
    return child;
  }

  /** The shell keeps the event loop alive only while it has jobs (an idle daemon can exit). */
  #holdLoop(hold: boolean): void {
    const c = this.#child;
    if (!c) return;
    const streams = [c.stdout, c.stdin] as unknown as ({ ref?: () => void; unref?: () => void } | null)[];
    if (hold) {
      c.ref();
      for (const st of streams) st?.ref?.();
    } else {
      c.unref();
      for (const st of streams) st?.unref?.();
    }
  }

  #remove(id: number): void {
    if (this.#jobs.delete(id) && this.#jobs.size === 0) this.#holdLoop(false);
  }

  #onData(d: string): void {
    this.#buf += d;
    let nl: number;
    while ((nl = this.#buf.indexOf('\n')) >= 0) {
      const line = this.#buf.slice(0, nl);
      this.#buf = this.#buf.slice(nl + 1);
      const m = /^(\d+) ([pxs]) ?(.*)$/.exec(line);
      if (!m) continue;
      this.#jobs.get(Number(m[1]))?.onLine(m[2] as string, m[3] ?? '');
    }
  }

  /**
   * Hand the shell one job. The job's text goes into a file that the shell sources: its `read`
   * takes one byte per system call from a pipe, which made a conmon command line (~600 bytes)
   * cost more than the fork it asks for.
   */
  async #send(id: number, job: Job, text: string): Promise<void> {
    this.#ensure();
    const script = this.#files(id).script;
    try {
      await fsp.writeFile(script, `${text}\n`, { mode: 0o600 });
    } catch (err) {
      job.fail(`cannot write the spawn script: ${(err as Error).message}`);
      return;
    }
    if (this.#jobs.size === 0) this.#holdLoop(true);
    this.#jobs.set(id, {
      onLine: (kind, rest) => {
        if (kind !== 'p') void fsp.unlink(script).catch(() => undefined);
        job.onLine(kind, rest);
      },
      fail: (message) => {
        void fsp.unlink(script).catch(() => undefined);
        job.fail(message);
      },
    });
    // the shell may have gone while the file was written
    const child = this.#ensure();
    child.stdin?.write(`. ${shQuote(script)}\n`);
  }

  #files(id: number): { out: string; err: string; input: string; script: string } {
    const base = path.join(this.#dir, String(id));
    return { out: `${base}.out`, err: `${base}.err`, input: `${base}.in`, script: `${base}.sh` };
  }

  async run(req: RunRequest, signal?: AbortSignal): Promise<RunResult> {
    const id = this.#next++;
    const f = this.#files(id);
    const bin = resolveCommand(req.cmd);
    // as spawn() says it (the shell would look the bare name up again, applets first)
    if (!bin.includes('/')) return { code: -1, stdout: '', stderr: `spawn ${req.cmd} ENOENT` };
    this.#ensure();
    if (req.input) await fsp.writeFile(f.input, req.input, { mode: 0o600 });
    const max = req.maxOutput ?? 1048576;
    const cd = req.cwd ? `cd ${shQuote(req.cwd)} 2>${shQuote(f.err)} || { printf '%s\\n' "${id} x -1"; exit; }; ` : '';
    const cmd = envWords(req.env ?? {}) + [bin, ...req.args].map(shQuote).join(' ');
    const stdin = req.input ? shQuote(f.input) : '/dev/null';
    const line = `(${cd}${cmd} <${stdin} >${shQuote(f.out)} 2>${shQuote(f.err)} & p=$!; printf '%s\\n' "${id} p $p"; wait $p; printf '%s\\n' "${id} x $?") &`;
    const code = await new Promise<number | string>((resolve) => {
      let pid = 0;
      let killed = false;
      const kill = (): void => {
        killed = true;
        try {
          if (pid > 0) process.kill(pid, 'SIGKILL');
        } catch {
          /* gone already */
        }
      };
      const timer = req.timeoutMs ? setTimeout(kill, req.timeoutMs) : undefined;
      const onAbort = (): void => kill();
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = (v: number | string): void => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#remove(id);
        resolve(v);
      };
      void this.#send(id, {
        onLine: (kind, rest) => {
          if (kind === 'p') {
            pid = Number(rest) || 0;
            if (killed || signal?.aborted) kill();
          } else if (kind === 'x') done(Number(rest));
        },
        fail: (message) => done(message),
      }, line);
    });
    const read = async (p: string): Promise<string> => {
      const text = await fsp.readFile(p, 'utf8').catch(() => '');
      return text.length > max ? text.slice(0, max) : text;
    };
    const [stdout, stderr] = await Promise.all([read(f.out), read(f.err)]);
    void Promise.all([f.out, f.err, f.input].map((p) => fsp.unlink(p).catch(() => undefined)));
    if (typeof code === 'string') return { code: -1, stdout, stderr: stderr + code };
    return { code, stdout, stderr };
  }

  async conmon(req: ConmonRequest): Promise<ConmonResult> {
    const id = this.#next++;
    const f = this.#files(id);
    const env = envWords(Object.fromEntries(Object.entries(req.env).filter(([k]) => k !== '_OCI_SYNCPIPE' && k !== '_OCI_STARTPIPE')));
    // fd 3: the sync pipe, to a `read` of its first line; fd 4: the start pipe, at EOF at once
    // (conmon waits for one read of it; end of file is as good as the worker pool's '0')
    const start = req.env['_OCI_STARTPIPE'] ? `_OCI_STARTPIPE=4 ` : '';
    const cmd = [resolveCommand(req.cmd), ...req.args].map(shQuote).join(' ');
    // the pipeline's first process changes directory and becomes conmon: two forks in all (conmon
    // and the reader), none for a subshell around them
    const line = `{ cd ${shQuote(req.cwd)} 2>${shQuote(f.err)} && ${env}${start}_OCI_SYNCPIPE=3 exec ${cmd} 3>&1 >/dev/null 2>${shQuote(f.err)} </dev/null 4</dev/null; } | { IFS= read -r s; printf '%s\\n' "${id} s $s"; } &`;
    const r = await new Promise<{ sync?: string; error?: string }>((resolve) => {
      const timer = setTimeout(() => done({ error: 'conmon did not report the container pid in time' }), req.timeoutMs);
      const done = (v: { sync?: string; error?: string }): void => {
        clearTimeout(timer);
        this.#remove(id);
        resolve(v);
      };
      void this.#send(id, {
        onLine: (kind, rest) => {
          if (kind === 's') done({ sync: rest });
        },
        fail: (message) => done({ error: message }),
      }, line);
    });
    const stderr = await fsp.readFile(f.err, 'utf8').catch(() => '');
    void fsp.unlink(f.err).catch(() => undefined);
    if (r.error) return { data: -1, conmonPid: 0, stderr, error: r.error };
    let msg: { data?: number; message?: string } | undefined;
    try {
      msg = r.sync ? (JSON.parse(r.sync) as { data?: number; message?: string }) : undefined;
    } catch {
      msg = undefined;
    }
    if (!msg || typeof msg.data !== 'number') return { data: -1, conmonPid: 0, stderr, error: `conmon closed the sync pipe without a pid${r.sync ? `: ${r.sync}` : ''}` };
    let conmonPid = 0;
    if (msg.data >= 0) {
      for (let i = 0; i < 400 && conmonPid === 0; i++) {
        try {
          conmonPid = Number.parseInt((await fsp.readFile(req.pidFile, 'utf8')).trim(), 10) || 0;
        } catch {
          await new Promise((res) => setTimeout(res, 5));
        }
      }
    }
    return { data: msg.data, ...(msg.message !== undefined ? { message: msg.message } : {}), conmonPid, stderr };
  }

  close(): void {
    const child = this.#child;
    this.#child = undefined;
    child?.stdin?.end();
  }
}
