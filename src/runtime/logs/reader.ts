// Read a container's k8s-file log as Docker's `logs` shows it: whole messages, optionally the
// last N only, filtered by time, and (follow) the messages written later, until the container
// stops. The file is on disk, so this works for exited containers and after a daemon restart.
// Following copes with conmon's rotation (a new file renamed over the path) and truncation.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { LineSplitter, MessageAssembler, parseRecord, type LogMessage } from './k8s-file.js';

export interface ReadLogsOptions {
  /** Only the last N messages (before filtering by time); undefined means all. */
  tail?: number | undefined;
  /** Only messages at or after this time (ns since the epoch). */
  since?: bigint | undefined;
  /** Only messages at or before this time (ns since the epoch); a follow ends when it passes. */
  until?: bigint | undefined;
  follow?: boolean | undefined;
  /** Settles when the container has stopped: a follow then reads what is left and ends. */
  stopped?: Promise<unknown> | undefined;
  signal?: AbortSignal | undefined;
  /** Fallback polling interval while following (fs.watch is the fast path). */
  pollMs?: number | undefined;
}

const CHUNK = 64 * 1024;

export async function* readLogs(file: string, opts: ReadLogsOptions = {}): AsyncGenerator<LogMessage> {
  for await (const batch of readLogBatches(file, opts)) yield* batch;
}

/** As readLogs, in batches (the messages of one read of up to 64 KiB): far fewer awaits per line. */
export async function* readLogBatches(file: string, opts: ReadLogsOptions = {}): AsyncGenerator<LogMessage[]> {
  const { signal } = opts;
  const follow = opts.follow === true;
  const waker = new Waker(opts.pollMs ?? 250);
  let stopping = false;
  const stop = (): void => {
    stopping = true;
    waker.wake();
  };
  opts.stopped?.then(stop, stop);
  let untilTimer: NodeJS.Timeout | undefined;
  if (follow && opts.until !== undefined) {
    const ms = Number((opts.until - BigInt(Date.now()) * 1_000_000n) / 1_000_000n);
    untilTimer = setTimeout(stop, Math.max(0, ms) + 1);
  }
  const onAbort = (): void => waker.wake();
  signal?.addEventListener('abort', onAbort);
  let watcher: fs.FSWatcher | undefined;
  if (follow) {
    try {
      const base = path.basename(file);
      watcher = fs.watch(path.dirname(file), { persistent: false }, (_ev, name) => {
        if (name === null || name === base || name === `${base}.tmp`) waker.wake();
      });
      watcher.on('error', () => undefined);
    } catch {
      /* polling only */
    }
  }

  const assembler = new MessageAssembler();
  const lines = new LineSplitter();
  let fh: fsp.FileHandle | undefined;
  let ino = -1;
  let pos = 0;
  let first = true;
  const keep = (m: LogMessage): 'yes' | 'skip' | 'end' => {
    if (opts.until !== undefined && m.time > opts.until) return 'end';
    if (opts.since !== undefined && m.time < opts.since) return 'skip';
    return 'yes';
  };

  try {
    for (;;) {
      if (signal?.aborted) return;
      const finalPass = stopping;
      if (!fh) {
        fh = await openIfExists(file);
        if (fh) {
          const st = await fh.stat();
          ino = st.ino;
          pos = first && opts.tail !== undefined ? await tailOffset(fh, st.size, opts.tail) : 0;
          first = false;
          lines.reset();
        } else if (!follow) {
          return;
        }
      }
      if (fh) {
        // Read what is there now.
        for (;;) {
          const buf = Buffer.allocUnsafe(CHUNK);
          const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
          if (bytesRead === 0) break;
          pos += bytesRead;
          const batch: LogMessage[] = [];
          let end = false;
          for (const line of lines.push(buf.subarray(0, bytesRead))) {
            const rec = parseRecord(line);
            if (!rec) continue;
            const msg = assembler.push(rec);
            if (!msg) continue;
            const k = keep(msg);
            if (k === 'end') {
              end = true;
              break;
            }
            if (k === 'yes') batch.push(msg);
          }
          if (batch.length > 0) yield batch;
          if (end || signal?.aborted) return;
        }
        if (follow) {
          // Rotated (a new file took the path) or truncated?
          const now = await statIfExists(file);
          if (now && now.ino !== ino) {
            await fh.close();
            fh = undefined;
            continue; // read the new file from its start
          }
          const st = await fh.stat();
          if (st.size < pos) {
            pos = 0;
            lines.reset();
            continue;
          }
        }
      }
      if (!follow || finalPass) break;
      await waker.wait();
    }
    const rest: LogMessage[] = [];
    for (const msg of assembler.flush()) {
      const k = keep(msg);
      if (k === 'end') break;
      if (k === 'yes') rest.push(msg);
    }
    if (rest.length > 0) yield rest;
  } finally {
    if (untilTimer) clearTimeout(untilTimer);
    signal?.removeEventListener('abort', onAbort);
    watcher?.close();
    waker.close();
    await fh?.close();
  }
}

async function openIfExists(file: string): Promise<fsp.FileHandle | undefined> {
  try {
    return await fsp.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function statIfExists(file: string): Promise<fs.Stats | undefined> {
  try {
    return await fsp.stat(file);
  } catch {
    return undefined;
  }
}

/** Whether a record line ends a message (tag F), without a full parse. */
function endsMessage(line: Buffer): boolean {
  const a = line.indexOf(0x20);
  const b = a < 0 ? -1 : line.indexOf(0x20, a + 1);
  return b >= 0 && line[b + 1] === 0x46 /* F */ && (line.length === b + 2 || line[b + 2] === 0x20);
}

/**
 * The offset where the last `n` messages start, found by scanning backwards from the end in
 * chunks (a multi-gigabyte log is not read whole). n <= 0 gives the end of the file.
 */
export async function tailOffset(fh: fsp.FileHandle, size: number, n: number): Promise<number> {
  if (n <= 0) return size;
  let pos = size;
  let carry: Buffer = Buffer.alloc(0);
  let complete = false; // the segment after the last newline is not a record yet
  let count = 0;
  while (pos > 0) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const chunk = Buffer.alloc(len);
    await fh.read(chunk, 0, len, pos);
    const buf = carry.length ? Buffer.concat([chunk, carry]) : chunk;
    let end = buf.length;
    for (;;) {
      const nl = end > 0 ? buf.lastIndexOf(0x0a, end - 1) : -1;
      if (nl < 0) break;
      if (complete && endsMessage(buf.subarray(nl + 1, end))) {
        // The line after the (n+1)th message end from the bottom starts the last n messages
        // (their P chunks included).
        count++;
        if (count === n + 1) return pos + end + 1;
      }
      complete = true;
      end = nl;
    }
    carry = Buffer.from(buf.subarray(0, end));
  }
  // The first line of the file is the (n+1)th message end: skip just that line.
  if (complete && count === n && endsMessage(carry)) return carry.length + 1;
  return 0;
}

/** Wakes a waiting loop on an event or after a polling interval. */
class Waker {
  readonly #ms: number;
  #resolve: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #flag = false;

  constructor(ms: number) {
    this.#ms = ms;
  }

  wake(): void {
    this.#flag = true;
    this.#resolve?.();
  }

  wait(): Promise<void> {
    if (this.#flag) {
      this.#flag = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.#resolve = () => {
        this.#resolve = undefined;
        if (this.#timer) clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#flag = false;
        resolve();
      };
      this.#timer = setTimeout(() => this.#resolve?.(), this.#ms);
    });
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#resolve?.();
  }
}
