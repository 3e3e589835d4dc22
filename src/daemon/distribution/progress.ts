// Typed progress of pulls and pushes (the API renders Docker's JSON lines from these), and the
// small plumbing both use: an async event channel and a counting semaphore.

export interface ProgressEvent {
  /** "latest", a 12-hex layer id, or absent for whole-operation lines */
  id?: string;
  status: string;
  /** bytes done / total: rendered as progressDetail and the bar */
  current?: number;
  total?: number;
  /** status lines of a layer carry an empty progressDetail, as Docker's */
  detail?: boolean;
  aux?: Record<string, unknown>;
}

/** A queue of events written by a running task and read as an async iterable. */
export class Channel<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #wake: (() => void) | undefined;
  #done = false;
  #error: unknown;
  #failed = false;

  push(item: T): void {
    if (this.#done) return;
    this.#items.push(item);
    this.#wake?.();
  }

  close(err?: unknown): void {
    if (this.#done) return;
    this.#done = true;
    if (err !== undefined) {
      this.#failed = true;
      this.#error = err;
    }
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.#done) {
        if (this.#failed) throw this.#error;
        return;
      }
      await new Promise<void>((r) => (this.#wake = r));
      this.#wake = undefined;
    }
  }
}

/** At most `n` holders at a time (max-concurrent-downloads / -uploads). */
export class Semaphore {
  #free: number;
  readonly #queue: (() => void)[] = [];

  constructor(n: number) {
    this.#free = n;
  }

  /** True when a slot is free right now. */
  get available(): boolean {
    return this.#free > 0;
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.#free > 0) {
      this.#free--;
      return this.#releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const go = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const i = this.#queue.indexOf(go);
        if (i >= 0) this.#queue.splice(i, 1);
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(go);
    });
    return this.#releaser();
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#queue.shift();
      if (next) next();
      else this.#free++;
    };
  }
}

/** Call `fn` at most every `ms` (the last call of a burst is dropped; callers send a final event). */
export function throttle<A extends unknown[]>(ms: number, fn: (...a: A) => void): (...a: A) => void {
  let last = 0;
  return (...a: A) => {
    const now = Date.now();
    if (now - last < ms) return;
    last = now;
    fn(...a);
  };
}

/** moby's stringid.TruncateID of a digest: 12 hex digits. */
export function shortDigest(d: string): string {
  return d.replace(/^[a-z0-9]+:/, '').slice(0, 12);
}
