// Messages between the main thread (extract-pool.ts) and an unpack worker (extract-worker.ts),
// and errors as they cross the thread boundary (structured clone keeps an Error's message but
// drops its kind, code and cause).
import { BerthError, ERROR_KINDS, type ErrorKind } from '../../errdefs/index.js';
import type { ExtractResult } from './extract.js';

/**
 * main -> worker: a job is start, data..., end (or abort at any point). A worker runs several
 * jobs at once (one per layer being pulled), told apart by `id`. The bytes travel through the
 * job's ring, a SharedArrayBuffer of slots of `slotSize` bytes: the main thread fills a free slot
 * and sends its number; the worker acks the slot once it is done with it (then it is free again).
 * No buffer is allocated, transferred or collected per batch on either side.
 */
export type ToWorker =
  | { t: 'start'; id: number; root: string; sync: boolean; ring: SharedArrayBuffer; slotSize: number }
  | { t: 'data'; id: number; slot: number; len: number }
  | { t: 'end'; id: number }
  | { t: 'abort'; id: number };

/** worker -> main: an ack per slot once the extraction is done with it and ready for more (flow control), then done or error */
export type FromWorker = { t: 'ack'; id: number; slot: number } | { t: 'done'; id: number; result: ExtractResult } | { t: 'error'; id: number; error: WireError };

export interface WireError {
  name: string;
  message: string;
  stack?: string;
  kind?: ErrorKind;
  details?: Record<string, unknown>;
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
  dest?: string;
  cause?: WireError;
}

export function serializeError(err: unknown, depth = 0): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const e = err as Error & { kind?: unknown; details?: unknown; code?: unknown; errno?: unknown; syscall?: unknown; path?: unknown; dest?: unknown };
  const w: WireError = { name: e.name, message: e.message };
  if (e.stack !== undefined) w.stack = e.stack;
  if (err instanceof BerthError) {
    w.kind = err.kind;
    try {
      w.details = structuredClone(err.details);
    } catch {
      /* details that cannot cross threads are dropped */
    }
  }
  if (typeof e.code === 'string') w.code = e.code;
  if (typeof e.errno === 'number') w.errno = e.errno;
  if (typeof e.syscall === 'string') w.syscall = e.syscall;
  if (typeof e.path === 'string') w.path = e.path;
  if (typeof e.dest === 'string') w.dest = e.dest;
  if (e.cause !== undefined && depth < 4) w.cause = serializeError(e.cause, depth + 1);
  return w;
}

export function deserializeError(w: WireError): Error {
  const cause = w.cause ? deserializeError(w.cause) : undefined;
  let err: Error;
  if (w.kind !== undefined && (ERROR_KINDS as readonly string[]).includes(w.kind)) {
    err = new BerthError(w.kind, w.message, { ...(cause ? { cause } : {}), ...(w.details ? { details: w.details } : {}) });
  } else {
    err = new Error(w.message, cause ? { cause } : undefined);
    err.name = w.name;
  }
  const extra = err as Error & Record<string, unknown>;
  for (const k of ['code', 'errno', 'syscall', 'path', 'dest'] as const) if (w[k] !== undefined) extra[k] = w[k];
  if (w.stack !== undefined) err.stack = w.stack;
  return err;
}
