// `docker exec`: exec instances (create, start, resize, inspect) run as conmon exec sessions in
// per-exec directories under the container's directory. An instance lives in memory only
// (as in Docker) and is gone when its container stops.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { conflict, invalidArgument, notFound, BerthError } from '../../errdefs/index.js';
import { ConmonAttachSocket, parseDetachKeys, pump, resizeTty, DEFAULT_DETACH_KEYS, type AttachClient, type PumpResult } from '../../runtime/attach/index.js';
import { startExec, cleanupExec, ExecStartError, type ExecSession } from '../../runtime/exec/conmon-exec.js';
import { resolveUser } from '../../runtime/user.js';
import { ALL_CAPS } from '../../runtime/spec.js';
import type { ContainerBackend, ContainerRecord } from '../containers/index.js';
import type { EventsService } from '../events.js';
import { containerEventAttributes } from './attach.js';

export interface ExecCreateOptions {
  cmd: string[];
  env: string[];
  user: string;
  workingDir: string;
  tty: boolean;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  detachKeys: string | undefined;
  privileged: boolean;
  /** [height, width] */
  consoleSize: [number, number] | undefined;
}

export interface ExecState {
  id: string;
  containerId: string;
  options: ExecCreateOptions;
  running: boolean;
  /** null until the process has ended */
  exitCode: number | null;
  pid: number;
  /** set when the instance was started once (an instance runs at most once) */
  started: boolean;
  /** the detach keys that apply (the instance's own, else the default) */
  detachKeys: Buffer;
}

export interface ExecStartOptions {
  detach: boolean;
  /** Tty from the start request (Docker lets it override the create-time value). */
  tty?: boolean | undefined;
  consoleSize?: [number, number] | undefined;
}

export interface PreparedExecStart {
  tty: boolean;
  detach: boolean;
  /** Runs the process; with a client, streams until it ends; resolves once the exit code is known. */
  run(client?: AttachClient): Promise<PumpResult | 'detached-start'>;
}

interface ExecEntry extends ExecState {
  session?: ExecSession;
  /** a resize that came while the process was still being started */
  pendingSize?: [number, number];
  dir: string;
  socketDir: string;
}

const RUNNING = new Set(['running', 'paused', 'restarting']);

/** Capabilities this daemon itself may hand out (its bounding set); privileged execs get these. */
function ownCapabilities(): string[] {
  try {
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (!m?.[1]) return [...ALL_CAPS];
    const mask = BigInt(`0x${m[1]}`);
    const CAP_NUMBERS: Record<string, number> = {
      CAP_CHOWN: 0, CAP_DAC_OVERRIDE: 1, CAP_DAC_READ_SEARCH: 2, CAP_FOWNER: 3, CAP_FSETID: 4, CAP_KILL: 5, CAP_SETGID: 6, CAP_SETUID: 7,
      CAP_SETPCAP: 8, CAP_LINUX_IMMUTABLE: 9, CAP_NET_BIND_SERVICE: 10, CAP_NET_BROADCAST: 11, CAP_NET_ADMIN: 12, CAP_NET_RAW: 13,
      CAP_IPC_LOCK: 14, CAP_IPC_OWNER: 15, CAP_SYS_MODULE: 16, CAP_SYS_RAWIO: 17, CAP_SYS_CHROOT: 18, CAP_SYS_PTRACE: 19,
      CAP_SYS_PACCT: 20, CAP_SYS_ADMIN: 21, CAP_SYS_BOOT: 22, CAP_SYS_NICE: 23, CAP_SYS_RESOURCE: 24, CAP_SYS_TIME: 25,
      CAP_SYS_TTY_CONFIG: 26, CAP_MKNOD: 27, CAP_LEASE: 28, CAP_AUDIT_WRITE: 29, CAP_AUDIT_CONTROL: 30, CAP_SETFCAP: 31,
      CAP_MAC_OVERRIDE: 32, CAP_MAC_ADMIN: 33, CAP_SYSLOG: 34, CAP_WAKE_ALARM: 35, CAP_BLOCK_SUSPEND: 36, CAP_AUDIT_READ: 37,
      CAP_PERFMON: 38, CAP_BPF: 39, CAP_CHECKPOINT_RESTORE: 40,
    };
    return ALL_CAPS.filter((c) => {
      const n = CAP_NUMBERS[c];
      return n !== undefined && ((mask >> BigInt(n)) & 1n) === 1n;
    });
  } catch {
    return [...ALL_CAPS];
  }
}

/** Docker's env merge: later KEY=... entries replace earlier ones, order kept. */
export function mergeEnv(base: readonly string[], extra: readonly string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...extra]) {
    const eq = e.indexOf('=');
    out.set(eq < 0 ? e : e.slice(0, eq), e);
  }
  return [...out.values()];
}

export class ExecService {
  readonly #containers: ContainerBackend;
  readonly #events: EventsService;
  readonly #execs = new Map<string, ExecEntry>();
  readonly #watching = new Set<string>();
  readonly #unsubscribe: () => void;

  constructor(containers: ContainerBackend, events: EventsService) {
    this.#containers = containers;
    this.#events = events;
    // Exec instances go away when their container stops.
    this.#unsubscribe = containers.onChange(undefined, (c) => {
      if (!RUNNING.has(c.state.status)) this.#dropFor(c.id);
    });
  }

  close(): void {
    this.#unsubscribe();
  }

  /** Exec IDs of a container (for inspect's ExecIDs). */
  execIds(containerId: string): string[] {
    return [...this.#execs.values()].filter((e) => e.containerId === containerId).map((e) => e.id);
  }

  create(idOrName: string, o: ExecCreateOptions): string {
    const c = this.#containers.get(idOrName);
    if (!RUNNING.has(c.state.status)) throw conflict(`container ${c.id} is not running`);
    if (c.state.status === 'paused') throw conflict(`Container ${c.id} is paused, unpause the container before exec`);
    if (c.state.status === 'restarting') throw conflict(`Container ${c.id} is restarting, wait until the container is running`);
    if (o.cmd.length === 0) throw invalidArgument('No exec command specified');
    const keys = parseDetachKeys(o.detachKeys ?? DEFAULT_DETACH_KEYS);
    const id = crypto.randomBytes(32).toString('hex');
    const socketDir = path.dirname(path.dirname(c.paths.attachSocket));
    this.#execs.set(id, {
      id,
      containerId: c.id,
      options: o,
      running: false,
      exitCode: null,
      pid: 0,
      started: false,
      detachKeys: keys,
      dir: path.join(c.paths.dir, 'exec', id.slice(0, 16)),
      socketDir,
    });
    this.#events.publish('container', `exec_create: ${o.cmd.join(' ')}`, c.id, { ...containerEventAttributes(c), execID: id });
    return id;
  }

  #get(id: string): ExecEntry {
    const e = this.#execs.get(id);
    if (!e) throw notFound(`No such exec instance: ${id}`);
    return e;
  }

  inspect(id: string): ExecState & { container: ContainerRecord | undefined } {
    const e = this.#get(id);
    let container: ContainerRecord | undefined;
    try {
      container = this.#containers.get(e.containerId);
    } catch {
      container = undefined;
    }
    const { session: _s, dir: _d, socketDir: _sd, pendingSize: _p, ...state } = e;
    return { ...state, container };
  }

  prepareStart(id: string, so: ExecStartOptions): PreparedExecStart {
    const e = this.#get(id);
    if (e.running) throw conflict(`Error: Exec command ${id} is already running`);
    if (e.started) throw conflict(`Error: Exec command ${id} has already run`);
    const c = this.#containers.get(e.containerId);
    if (!RUNNING.has(c.state.status)) throw conflict(`container ${c.id} is not running`);
    if (c.state.status === 'paused') throw conflict(`Container ${c.id} is paused, unpause the container before exec`);
    const tty = so.tty ?? e.options.tty;
    return { tty, detach: so.detach, run: (client) => this.#start(e, c, { ...so, tty }, client) };
  }

  async #start(e: ExecEntry, c: ContainerRecord, so: ExecStartOptions & { tty: boolean }, client: AttachClient | undefined): Promise<PumpResult | 'detached-start'> {
    e.started = true;
    e.running = true;
    const o = e.options;
    const attach = !so.detach && client !== undefined && (o.attachStdin || o.attachStdout || o.attachStderr);
    let conn: ConmonAttachSocket | undefined;
    let pumping: Promise<PumpResult> | undefined;
    const attrs = containerEventAttributes(c);
    this.#events.publish('container', `exec_start: ${o.cmd.join(' ')}`, c.id, { ...attrs, execID: e.id });
    try {
      const processSpec = this.#processSpec(c, o, so);
      const session = await startExec(
        {
          containerId: c.id,
          execId: e.id,
          dir: e.dir,
          socketDir: e.socketDir,
          runtimePath: c.runtime.path,
          runtimeArgs: c.runtime.args,
          process: processSpec,
          tty: so.tty,
          stdin: attach && o.attachStdin,
          attach,
        },
        async (socketPath) => {
          conn = await ConmonAttachSocket.connect(socketPath);
          if (client)
            pumping = pump(conn, { ...client, stdin: o.attachStdin ? client.stdin : undefined }, {
              stdout: o.attachStdout,
              stderr: o.attachStderr,
              detachKeys: e.detachKeys,
              closeStdinOnEof: true,
            });
        },
      );
      e.session = session;
      e.pid = session.pid;
      const size = e.pendingSize ?? so.consoleSize;
      if (so.tty && size) void resizeTty(session.ctlFifo, size[0], size[1]).catch(() => undefined);
      const exited = session.exited.then((code) => {
        e.exitCode = code;
        e.running = false;
        e.pid = 0;
        delete e.session;
        this.#events.publish('container', 'exec_die', c.id, { ...attrs, execID: e.id, exitCode: String(code) });
        cleanupExec(e.dir, e.socketDir, e.id);
        return code;
      });
      if (!pumping) {
        void exited;
        return 'detached-start';
      }
      const why = await pumping;
      conn?.close();
      // The client reads the exit code right after the stream ends: have it recorded first.
      if (why === 'exited') await exited;
      return why;
    } catch (err) {
      conn?.close();
      e.running = false;
      e.exitCode = err instanceof ExecStartError ? err.exitCode : 126;
      cleanupExec(e.dir, e.socketDir, e.id);
      this.#events.publish('container', 'exec_die', c.id, { ...attrs, execID: e.id, exitCode: String(e.exitCode) });
      throw err;
    }
  }

  #processSpec(c: ContainerRecord, o: ExecCreateOptions, so: { tty: boolean; consoleSize?: [number, number] | undefined }): Record<string, unknown> {
    let spec: { process?: Record<string, unknown> };
    try {
      spec = JSON.parse(fs.readFileSync(c.paths.configJson, 'utf8')) as { process?: Record<string, unknown> };
    } catch (err) {
      throw new BerthError('system', `cannot read the container's OCI spec: ${(err as Error).message}`, { cause: err });
    }
    const base = spec.process ?? {};
    const proc: Record<string, unknown> = { ...base };
    proc['args'] = o.cmd;
    proc['terminal'] = so.tty;
    proc['env'] = mergeEnv((base['env'] as string[] | undefined) ?? [], o.env);
    if (o.workingDir) proc['cwd'] = o.workingDir;
    else proc['cwd'] = c.config.WorkingDir || (base['cwd'] as string | undefined) || '/';
    if (o.user) {
      const u = resolveUser(c.paths.rootfs, o.user);
      proc['user'] = { uid: u.uid, gid: u.gid, additionalGids: u.additionalGids };
    }
    const size = so.consoleSize ?? o.consoleSize;
    if (so.tty && size && size[0] > 0 && size[1] > 0) proc['consoleSize'] = { height: size[0], width: size[1] };
    else delete proc['consoleSize'];
    if (o.privileged) {
      const caps = ownCapabilities();
      proc['capabilities'] = { bounding: caps, effective: caps, permitted: caps };
    }
    return proc;
  }

  async resize(id: string, height: number, width: number): Promise<void> {
    const e = this.#get(id);
    if (!e.running) throw conflict(`Exec ${id} is not running`);
    if (!e.session) {
      e.pendingSize = [height, width]; // applied as soon as the process runs
      return;
    }
    await resizeTty(e.session.ctlFifo, height, width);
  }

  #dropFor(containerId: string): void {
    for (const e of this.#execs.values()) {
      if (e.containerId !== containerId) continue;
      if (!e.running) {
        this.#execs.delete(e.id);
        continue;
      }
      // Still reporting its end: keep it a moment so the client can read the exit code.
      if (this.#watching.has(e.id)) continue;
      this.#watching.add(e.id);
      const session = e.session;
      const later = (): void => {
        setTimeout(() => {
          this.#execs.delete(e.id);
          this.#watching.delete(e.id);
        }, 2000).unref();
      };
      if (session) session.exited.then(later, later);
      else later();
    }
  }
}
