// A client of conmon's attach socket. It is an AF_UNIX SOCK_SEQPACKET socket, which Node's
// `net` cannot open (EPROTOTYPE), so node-unix-socket (a prebuilt N-API addon) is used.
// conmon → us: packets [1 byte stream: 2 stdout, 3 stderr][≤8192 bytes]; every attached client
// gets every packet, and nothing written before the connection is replayed.
// us → conmon: raw bytes for the container's stdin (or the pty with -t). Shutting down our
// write side (or closing) makes conmon close the container's stdin, unless it runs with
// --leave-stdin-open.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { SeqpacketSocket as SeqpacketSocketType } from 'node-unix-socket';
import { systemError, conflict } from '../../errdefs/index.js';
import type { LogStream } from '../logs/index.js';

const require = createRequire(import.meta.url);
/** The addon, loaded at the first attach (an idle daemon does not need it mapped). */
let addon: typeof import('node-unix-socket') | undefined;
const seqpacket = (): typeof import('node-unix-socket') => (addon ??= require('node-unix-socket') as typeof import('node-unix-socket'));

export const CONMON_STDOUT = 2;
export const CONMON_STDERR = 3;

export interface AttachSocketEvents {
  output: [stream: LogStream, data: Buffer];
  end: [];
}

export class ConmonAttachSocket extends EventEmitter<AttachSocketEvents> {
  readonly #sock: SeqpacketSocketType;
  #ended = false;
  #closed = false;
  #stdinClosed = false;
  readonly ended: Promise<void>;

  private constructor(sock: SeqpacketSocketType) {
    super();
    this.#sock = sock;
    let resolveEnded!: () => void;
    this.ended = new Promise((r) => (resolveEnded = r));
    const finish = (): void => {
      if (this.#ended) return;
      this.#ended = true;
      resolveEnded();
      this.emit('end');
    };
    sock.on('data', (buf: Buffer) => {
      if (buf.length < 1) return;
      const id = buf[0];
      const stream: LogStream | undefined = id === CONMON_STDOUT ? 'stdout' : id === CONMON_STDERR ? 'stderr' : undefined;
      if (stream && buf.length > 1) this.emit('output', stream, buf.subarray(1));
    });
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', finish);
  }

  /** Connect to a container's (or exec session's) attach socket. */
  static connect(socketPath: string): Promise<ConmonAttachSocket> {
    return new Promise((resolve, reject) => {
      if (!fs.existsSync(socketPath)) {
        reject(conflict(`container is not running (no attach socket at ${socketPath})`));
        return;
      }
      const sock = new (seqpacket().SeqpacketSocket)();
      const onError = (err: Error): void => reject(systemError(`cannot connect to the attach socket: ${err.message}`, { cause: err }));
      sock.once('error', onError);
      try {
        sock.connect(socketPath, () => {
          sock.off('error', onError);
          resolve(new ConmonAttachSocket(sock));
        });
      } catch (err) {
        reject(systemError(`cannot connect to the attach socket: ${(err as Error).message}`, { cause: err }));
      }
    });
  }

  get isEnded(): boolean {
    return this.#ended;
  }

  /** Send bytes to the container's stdin; resolves once they are handed to the kernel. */
  write(data: Buffer): Promise<void> {
    if (this.#closed || this.#stdinClosed || this.#ended || data.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      try {
        // SOCK_SEQPACKET keeps message boundaries; conmon reads up to 32 KiB per packet.
        this.#sock.write(data, 0, data.length, () => resolve());
      } catch {
        resolve();
      }
    });
  }

  /** Half-close: conmon closes the container's stdin (no --leave-stdin-open); output keeps coming. */
  closeStdin(): void {
    if (this.#stdinClosed || this.#closed) return;
    this.#stdinClosed = true;
    try {
      this.#sock.end();
    } catch {
      /* already gone */
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#sock.destroy();
    } catch {
      /* already gone */
    }
  }
}

/** Resize a tty through conmon's control FIFO ("1 <rows> <cols>\n"). */
export async function resizeTty(ctlFifo: string, rows: number, cols: number): Promise<void> {
  await writeCtl(ctlFifo, `1 ${rows} ${cols}\n`);
}

/** Ask conmon to reopen its log files ("2 0 0\n"), e.g. after they were moved away. */
export async function reopenLogs(ctlFifo: string): Promise<void> {
  await writeCtl(ctlFifo, '2 0 0\n');
}

async function writeCtl(fifo: string, msg: string): Promise<void> {
  let fh: fs.promises.FileHandle;
  try {
    // Non-blocking: with nobody reading (conmon gone) this fails with ENXIO instead of hanging.
    fh = await fs.promises.open(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENXIO' || code === 'ENOENT') throw conflict('container is not running', { cause: err });
    throw systemError(`cannot open conmon's control FIFO: ${(err as Error).message}`, { cause: err });
  }
  try {
    await fh.write(msg);
  } catch (err) {
    // conmon closed its end while we opened ours: it is exiting.
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') throw conflict('container is not running', { cause: err });
    throw err;
  } finally {
    await fh.close();
  }
}
