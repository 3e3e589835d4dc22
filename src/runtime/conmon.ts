// conmon as the per-container shim: it runs `runtime create`, holds the container's stdio
// (k8s-file log, attach socket, ctl/winsz FIFOs), writes the exit status to --exit-dir and to
// its persist dir, and outlives berthd (it double-forks and setsid()s). We talk to it over
// the sync pipe (fd 3: {"data": pid} or {"data": -1, "message": ...}) and the start pipe (fd 4).
import { spawnPool } from './spawn-pool.js';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { BerthError, systemError } from '../errdefs/index.js';
import type { ContainerPaths, RuntimeHandle } from '../daemon/containers/types.js';
import { execEnv, execPath } from './pinned-binary.js';

export const CONMON = process.env['BERTH_CONMON'] ?? '/usr/bin/conmon';

export interface ConmonOptions {
  id: string;
  name: string;
  runtime: RuntimeHandle;
  paths: ContainerPaths;
  exitDir: string;
  socketDir: string;
  tty: boolean;
  openStdin: boolean;
  stdinOnce: boolean;
  logSizeMax?: number;
  timeoutMs?: number;
}

export interface ConmonStarted {
  /** the container's init pid (created, not started yet) */
  pid: number;
  conmonPid: number;
}

/** A container that could not be created: the exit code Docker records (125/126/127). */
export class CreateError extends BerthError {
  readonly exitCode: number;
  constructor(kind: 'invalid-argument' | 'system', message: string, exitCode: number) {
    super(kind, message, { details: { exitCode } });
    this.exitCode = exitCode;
  }
}

/** Map the runtime's create error to Docker's message and exit code. */
export function mapCreateError(raw: string): CreateError {
  const text = raw.trim().split('\n').filter(Boolean).map((l) => l.replace(/^time="[^"]*" level=\w+ msg="(.*)"$/, '$1').replace(/\\"/g, '"')).join('; ');
  // crun: executable file `foo` not found in $PATH: No such file or directory
  const crunNf = /executable file `([^`]*)` not found in \$PATH/.exec(text);
  if (crunNf) return new CreateError('invalid-argument', `exec: "${crunNf[1]}": executable file not found in $PATH`, 127);
  // runc: exec: "foo": executable file not found in $PATH
  const runcNf = /exec: "([^"]*)": executable file not found in \$PATH/.exec(text);
  if (runcNf) return new CreateError('invalid-argument', `exec: "${runcNf[1]}": executable file not found in $PATH`, 127);
  const noFile = /(?:exec(?:ve)?|open) [`"]?([^`"\s:]+)[`"]?: no such file or directory/i.exec(text);
  if (noFile || /no such file or directory/i.test(text)) {
    const what = noFile?.[1];
    return new CreateError('invalid-argument', what ? `exec: "${what}": stat ${what}: no such file or directory` : text, 127);
  }
  if (/permission denied/i.test(text)) {
    const m = /exec(?:ve)?[: ]+[`"]?([^`"\s:]+)[`"]?.*permission denied/i.exec(text);
    return new CreateError('invalid-argument', m ? `exec: "${m[1]}": permission denied` : text, 126);
  }
  return new CreateError('system', `OCI runtime create failed: ${text}`, 125);
}

export function conmonArgs(o: ConmonOptions): string[] {
  // the runtime binary (conmon's -r, or an argument of its wrapper) from its read-only pin
  const a = ['--api-version', '1', '-c', o.id, '-u', o.id, '-n', o.name.replace(/^\//, ''), '-r', execPath(o.runtime.createPath)];
  for (const arg of o.runtime.createArgs) a.push('--runtime-arg', execPath(arg));
  a.push(
    '-b', o.paths.bundle,
    '-p', o.paths.pidFile,
    '-P', o.paths.conmonPidFile,
    '-l', `k8s-file:${o.paths.logPath}`,
    '--exit-dir', o.exitDir,
    '--socket-dir-path', o.socketDir,
    '-0', o.paths.persistDir,
    '--log-level', 'error',
  );
  if (o.logSizeMax !== undefined && o.logSizeMax > 0) a.push('--log-size-max', String(o.logSizeMax));
  if (o.openStdin) a.push('-i');
  if (o.tty) a.push('-t');
  if (o.openStdin && !o.stdinOnce) a.push('--leave-stdin-open');
  return a;
}

/** Launch conmon (which runs `runtime create`); resolves once the container exists, not started. */
export async function launchConmon(o: ConmonOptions): Promise<ConmonStarted> {
  fs.rmSync(o.paths.pidFile, { force: true });
  fs.rmSync(o.paths.conmonPidFile, { force: true });
  const r = await spawnPool.conmon({ cmd: CONMON, args: conmonArgs(o), env: { _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', ...execEnv(o.runtime.path) }, cwd: o.paths.bundle, pidFile: o.paths.conmonPidFile, timeoutMs: o.timeoutMs ?? 30_000 });
  if (r.error) throw systemError(`${r.error}${r.stderr ? `: ${r.stderr.trim()}` : ''}`);
  if (r.data < 0) throw mapCreateError(r.message ?? r.stderr);
  return { pid: r.data, conmonPid: r.conmonPid };
}

/** Is the process alive (and not a zombie)? */
export function pidAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The exit status conmon recorded (exit dir first, then the persist dir), if any. */
export function readExitStatus(paths: ContainerPaths): { code: number; at: Date; oom: boolean } | undefined {
  for (const f of [paths.exitFile, `${paths.persistDir}/exit`]) {
    // existsSync first: this runs every second for every running container (the exit poll), and
    // a failed readFileSync costs an exception with a stack trace
    if (!fs.existsSync(f)) continue;
    try {
      const text = fs.readFileSync(f, 'utf8').trim();
      if (text === '') continue;
      const st = fs.statSync(f);
      return { code: Number.parseInt(text, 10), at: st.mtime, oom: fs.existsSync(`${paths.persistDir}/oom`) };
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Remove what conmon leaves behind (exit file, socket symlink, FIFOs, persist files). */
export async function cleanupConmon(paths: ContainerPaths, socketLink: string): Promise<void> {
  // all plain files, FIFOs, sockets or symlinks: one unlink each (fsp.rm would lstat first)
  const unlink = (f: string): Promise<void> => fsp.unlink(f).catch(() => undefined);
  // the socket goes before the symlink to its directory
  await unlink(paths.attachSocket);
  await Promise.all(
    [paths.exitFile, `${paths.bundle}/attach`, socketLink, paths.ctlFifo, paths.winszFifo, `${paths.persistDir}/exit`, `${paths.persistDir}/oom`, `${paths.bundle}/oom`, paths.pidFile, paths.conmonPidFile].map(unlink),
  );
}
