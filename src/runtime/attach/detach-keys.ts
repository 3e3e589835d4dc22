// Docker's detach keys: a comma-separated list of keys ("ctrl-p,ctrl-q", the default), each a
// single character or ctrl-<a..z|@|[|\|]|^|_>. The daemon watches client stdin for the
// sequence and detaches (the container keeps running) when it sees it whole; a sequence
// broken off half-way is passed on to the container.
import { invalidArgument } from '../../errdefs/index.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** Parse a detach-keys spec into the bytes to watch for. An empty spec disables detaching. */
export function parseDetachKeys(spec: string): Buffer {
  if (spec === '') return Buffer.alloc(0);
  const out: number[] = [];
  for (const key of spec.split(',')) {
    const k = key.trim();
    if (k.length === 1) {
      out.push(k.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/.exec(k.toLowerCase());
    const c = m?.[1];
    if (c !== undefined && c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 0x60);
    else if (c === '@') out.push(0);
    else if (c === '[') out.push(27);
    else if (c === '\\') out.push(28);
    else if (c === ']') out.push(29);
    else if (c === '^') out.push(30);
    else if (c === '_') out.push(31);
    else throw invalidArgument(`Invalid detach keys (${spec}) provided`);
  }
  return Buffer.from(out);
}

/** Watches a byte stream for the detach sequence (moby's escape proxy). */
export class DetachWatcher {
  readonly #keys: Buffer;
  #held: number[] = [];

  constructor(keys: Buffer) {
    this.#keys = keys;
  }

  /** Feed client input; returns the bytes to pass on and whether the sequence was completed. */
  push(chunk: Buffer): { forward: Buffer; detach: boolean } {
    if (this.#keys.length === 0) return { forward: chunk, detach: false };
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.#keys[this.#held.length]) {
        this.#held.push(b);
        if (this.#held.length === this.#keys.length) {
          this.#held = [];
          return { forward: Buffer.from(out), detach: true };
        }
        continue;
      }
      // Mismatch: the held prefix was ordinary input after all.
      out.push(...this.#held);
      this.#held = [];
      if (b === this.#keys[0]) this.#held.push(b);
      else out.push(b);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}
