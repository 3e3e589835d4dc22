// Layer extraction off the main thread. Decompression, the diff-ID hash, tar parsing and the
// file writes of an unpack (extract.ts) cost seconds of CPU per 250 MB of layers; on the main
// thread they slowed the downloads feeding them and every other request. The pool runs them in
// worker threads (extract-worker.ts). The main thread reads the source and copies it into the
// job's ring (SLOTS slots of 256 KiB in a SharedArrayBuffer, reused by later jobs): a slot is
// refilled only once the worker is done with it, so the source is paced by the unpack as a
// pipeline would be, and no buffer is allocated or collected per batch.
//
// A worker runs several jobs at once (its file writes are synchronous, its decompression runs on
// the thread pool), so few workers are needed: each one costs ~20 MB of RSS, and a second one on
// a 2-CPU machine used more CPU and 60 MB more RSS for no gain. Workers are started on demand,
// shared by jobs (the least busy one is picked), and stopped after `idleMs` without work; an
// idle worker does not keep the process alive.
//
// Semantics are extractLayer's: the same results and errors (kinds, messages); on failure the
// source is destroyed with the error; an aborted signal destroys the source with an AbortError.
// The returned promise settles only once the worker has stopped touching the target directory,
// so the caller can remove it right away.
import fs from 'node:fs';
import os from 'node:os';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BerthError, internal } from '../../errdefs/index.js';
import { classify, extractLayer, type ExtractOptions, type ExtractResult } from './extract.js';
import { deserializeError, type FromWorker, type ToWorker } from './extract-protocol.js';

const WORKER_URL = new URL('./extract-worker.js', import.meta.url);
/** a job's ring: SLOTS slots of BATCH bytes */
const BATCH = 256 * 1024;
const SLOTS = 4;
/** rings kept for the next jobs, at most */
const SPARE_RINGS = 4;
/** how long an aborted job may take to stop before its worker (and its other jobs) is terminated */
const ABORT_GRACE_MS = 10_000;

export interface ExtractPoolOptions {
  /** worker threads at most (0: extract on the calling thread); default defaultExtractWorkers() */
  size?: number;
  /** stop a worker after this long without work (default 5 s) */
  idleMs?: number;
}

/**
 * One worker per CPU beyond the first (the main thread has the downloads, their hashing and the
 * content store's writes), at least one.
 */
export function defaultExtractWorkers(): number {
  return Math.max(1, os.availableParallelism() - 1);
}

type Verdict = { ok: true; result: ExtractResult } | { ok: false; error: Error };

interface Job {
  onMessage(m: FromWorker): void;
  onDeath(err: Error): void;
}

class PoolWorker {
  readonly worker: Worker;
  readonly jobs = new Map<number, Job>();
  dead = false;
  idleTimer: NodeJS.Timeout | undefined;

  constructor(onDeath: (w: PoolWorker) => void) {
    this.worker = new Worker(WORKER_URL, {
      stdout: false,
      stderr: false,
      // a small young generation: the worker's garbage is mostly decompressed chunks, which the
      // worker collects itself (see extract-worker.ts)
      resourceLimits: { maxYoungGenerationSizeMb: 2 },
    });
    const die = (err: Error): void => {
      if (this.dead) return;
      this.dead = true;
      if (this.idleTimer) clearTimeout(this.idleTimer);
      onDeath(this);
      for (const j of this.jobs.values()) j.onDeath(err);
      this.jobs.clear();
    };
    this.worker.on('message', (m: FromWorker) => this.jobs.get(m.id)?.onMessage(m));
    this.worker.on('error', (err) => die(internal(`unpack worker failed: ${err.message}`, { cause: err })));
    this.worker.on('exit', (code) => die(internal(`unpack worker exited (code ${code})`)));
  }

  post(m: ToWorker): void {
    if (!this.dead) this.worker.postMessage(m);
  }
}

export class ExtractPool {
  readonly size: number;
  readonly #idleMs: number;
  readonly #workers = new Set<PoolWorker>();
  /** rings of finished jobs, for the next ones */
  readonly #rings: SharedArrayBuffer[] = [];
  #nextId = 1;

  constructor(opts: ExtractPoolOptions = {}) {
    // bundled into one file (no extract-worker.js next to this one): extract on the calling thread
    this.size = fs.existsSync(fileURLToPath(WORKER_URL)) ? (opts.size ?? defaultExtractWorkers()) : 0;
    this.#idleMs = opts.idleMs ?? 5_000;
  }

  /** extractLayer(source, root, opts), in a worker thread. */
  async extract(source: Readable, root: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
    if (this.size <= 0) return extractLayer(source, root, opts);
    const { signal } = opts;
    if (signal?.aborted) {
      const err = abortError(signal);
      destroy(source, err);
      throw err;
    }
    const w = this.#pick();
    const id = this.#nextId++;
    try {
      return await this.#run(w, id, source, root, opts);
    } finally {
      w.jobs.delete(id);
      if (w.jobs.size === 0 && !w.dead) this.#idle(w);
    }
  }

  /**
   * Start a worker now if there is none, for extractions about to come (a pull that will need
   * its layers): its start-up (~0.1 s of CPU) then overlaps what comes before them. Stopped after
   * the idle time like any other.
   */
  warm(): void {
    if (this.size <= 0 || this.#workers.size > 0) return;
    this.#idle(this.#spawn());
  }

  /** workers running now */
  get workers(): number {
    return this.#workers.size;
  }

  /** Stop every worker; running extractions fail. */
  async close(): Promise<void> {
    await Promise.all([...this.#workers].map((w) => w.worker.terminate()));
  }

  /** The least busy worker, or a new one while there are fewer than `size` and all are busy. */
  #pick(): PoolWorker {
    let best: PoolWorker | undefined;
    for (const w of this.#workers) if (!best || w.jobs.size < best.jobs.size) best = w;
    if (!best || (best.jobs.size > 0 && this.#workers.size < this.size)) best = this.#spawn();
    if (best.idleTimer) {
      clearTimeout(best.idleTimer);
      best.idleTimer = undefined;
      best.worker.ref();
    }
    return best;
  }

  #spawn(): PoolWorker {
    const w = new PoolWorker((dead) => this.#workers.delete(dead));
    this.#workers.add(w);
    return w;
  }

  #idle(w: PoolWorker): void {
    w.worker.unref();
    w.idleTimer = setTimeout(() => {
      this.#workers.delete(w);
      void w.worker.terminate();
    }, this.#idleMs);
    w.idleTimer.unref();
  }

  /** One job on one worker: feed it the source, wait for its verdict. */
  async #run(w: PoolWorker, id: number, source: Readable, root: string, opts: ExtractOptions): Promise<ExtractResult> {
    const { signal } = opts;
    let verdictOf!: (v: Verdict) => void;
    const verdict = new Promise<Verdict>((resolve) => (verdictOf = resolve));
    const ring = this.#rings.pop() ?? new SharedArrayBuffer(SLOTS * BATCH);
    const feeder = new Feeder(source, ring, (slot, len) => w.post({ t: 'data', id, slot, len }));
    let settled = false;
    const conclude = (v: Verdict): void => {
      if (settled) return;
      settled = true;
      verdictOf(v);
      feeder.stop();
    };
    w.jobs.set(id, {
      onMessage(m) {
        if (m.t === 'ack') feeder.free(m.slot);
        else if (m.t === 'done') conclude({ ok: true, result: m.result });
        else conclude({ ok: false, error: deserializeError(m.error) });
      },
      onDeath: (err) => conclude({ ok: false, error: err }),
    });
    let abortErr: Error | undefined;
    const onAbort = (): void => {
      if (settled) return;
      // as pipeline(): the source is destroyed at once
      abortErr = abortError(signal as AbortSignal);
      feeder.stop();
      source.destroy(abortErr);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    w.post({ t: 'start', id, root, sync: opts.sync === true, ring, slotSize: BATCH });

    let sourceError: unknown;
    try {
      if (await feeder.run()) w.post({ t: 'end', id });
    } catch (err) {
      sourceError = err;
    }
    if (!settled && (abortErr !== undefined || sourceError !== undefined)) {
      // stop the worker's job: it answers with an AbortError (or a verdict it had reached already)
      w.post({ t: 'abort', id });
      await waitOrTerminate(w, verdict);
    }
    const v = await verdict;
    signal?.removeEventListener('abort', onAbort);
    // after a failure the thread pool may still be reading a slot of a stopped decompressor
    if (v.ok && this.#rings.length < SPARE_RINGS) this.#rings.push(ring);
    if (abortErr !== undefined) throw abortErr;
    // as extractLayer: the worker's own verdict on an entry wins, then the source's error
    if (sourceError !== undefined && (v.ok || !(v.error instanceof BerthError))) throw classify(sourceError);
    if (!v.ok) {
      // as pipeline(): a failed extraction destroys its source
      source.destroy(v.error);
      throw v.error;
    }
    return v.result;
  }
}

/**
 * Reads a source (a node or streamx Readable) in flowing mode and copies it into the free slots
 * of the job's ring, handing each full slot (and the last, partial one) to `send`; while no slot
 * is free the source is paused. ('data' events rather than async iteration: read() of a paused
 * stream concatenates its buffered chunks, a copy of everything.)
 */
class Feeder {
  readonly #source: Readable;
  readonly #ring: Buffer;
  readonly #send: (slot: number, len: number) => void;
  readonly #free: number[] = [];
  /** the slot being filled (-1: none) and its length */
  #slot = -1;
  #len = 0;
  /** chunks (or their rest) not copied yet */
  readonly #pending: Buffer[] = [];
  #ended = false;
  #paused = false;
  #stopped = false;
  #finish: ((sent: boolean) => void) | undefined;
  #fail: ((err: unknown) => void) | undefined;

  constructor(source: Readable, ring: SharedArrayBuffer, send: (slot: number, len: number) => void) {
    this.#source = source;
    this.#ring = Buffer.from(ring);
    this.#send = send;
    for (let i = SLOTS - 1; i >= 0; i--) this.#free.push(i);
  }

  /** Resolves true once everything was sent, false if stopped; rejects with the source's error. */
  run(): Promise<boolean> {
    const src = this.#source;
    return new Promise<boolean>((resolve, reject) => {
      // the 'error' listener stays: the source may be destroyed with an error later (as
      // pipeline() does), and an 'error' nobody listens to would crash the process
      const cleanup = (): void => {
        src.off('data', onData);
        src.off('end', onEnd);
        src.off('close', onClose);
      };
      this.#finish = (sent) => {
        cleanup();
        resolve(sent);
      };
      this.#fail = (err) => {
        cleanup();
        reject(err);
      };
      const onData = (chunk: Buffer): void => {
        if (this.#stopped) return;
        this.#pending.push(chunk);
        this.#pump();
      };
      const onEnd = (): void => {
        this.#ended = true;
        this.#pump();
      };
      const onError = (err: unknown): void => this.#fail?.(err);
      const onClose = (): void => {
        if (this.#ended || this.#stopped) return;
        const err = new Error('Premature close');
        (err as Error & { code: string }).code = 'ERR_STREAM_PREMATURE_CLOSE';
        this.#fail?.(err);
      };
      src.on('data', onData);
      src.on('end', onEnd);
      src.on('error', onError);
      src.on('close', onClose);
      src.resume();
    });
  }

  /** The worker is done with `slot`. */
  free(slot: number): void {
    this.#free.push(slot);
    this.#pump();
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#pending.length = 0;
    this.#finish?.(false);
  }

  #pump(): void {
    if (this.#stopped) return;
    while (this.#pending.length > 0) {
      if (this.#slot < 0) {
        const slot = this.#free.pop();
        if (slot === undefined) break;
        this.#slot = slot;
        this.#len = 0;
      }
      const chunk = this.#pending[0] as Buffer;
      const n = chunk.copy(this.#ring, this.#slot * BATCH + this.#len, 0, Math.min(chunk.length, BATCH - this.#len));
      this.#len += n;
      if (n === chunk.length) this.#pending.shift();
      else this.#pending[0] = chunk.subarray(n);
      if (this.#len === BATCH) this.#flush();
    }
    if (this.#pending.length > 0) {
      if (!this.#paused) this.#source.pause();
      this.#paused = true;
      return;
    }
    if (this.#ended) {
      if (this.#slot >= 0 && this.#len > 0) this.#flush();
      this.#finish?.(true);
    } else if (this.#paused) {
      this.#paused = false;
      this.#source.resume();
    }
  }

  #flush(): void {
    this.#send(this.#slot, this.#len);
    this.#slot = -1;
    this.#len = 0;
  }
}

/** Wait for the worker's verdict; a worker that does not stop in time is terminated. */
async function waitOrTerminate(w: PoolWorker, verdict: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ABORT_GRACE_MS)));
  const r = await Promise.race([verdict, late]);
  clearTimeout(timer);
  if (r === 'late') {
    await w.worker.terminate();
    await verdict;
  }
}

/** Destroy a source with an error, as pipeline() does (which listens for that error). */
function destroy(source: Readable, err: Error): void {
  source.on('error', () => undefined);
  source.destroy(err);
}

/** What pipeline() rejects with when its signal fires. */
function abortError(signal: AbortSignal): Error {
  const err = new Error('The operation was aborted', { cause: signal.reason });
  err.name = 'AbortError';
  (err as Error & { code: string }).code = 'ABORT_ERR';
  return err;
}
