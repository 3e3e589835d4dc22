// Content digests (OCI image-spec "descriptor.md#digests"): "sha256:<64 lowercase hex>", a branded
// string type, a hashing passthrough stream for pipelines, and chain IDs.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { invalidArgument } from '../errdefs/index.js';

/** "sha256:<64 hex>" */
export type Digest = string & { readonly __brand: 'Digest' };

const SHA256_RE = /^sha256:[a-f0-9]{64}$/;
/** go-digest's DigestRegexp (any algorithm, hex of at least 32). */
const ANY_DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export function isDigest(s: string): s is Digest {
  return SHA256_RE.test(s);
}

/**
 * Validate a digest string as go-digest's Parse does (only sha256 is supported here): errors are
 * invalid-argument "invalid checksum digest format" / "invalid checksum digest length" /
 * "unsupported digest algorithm".
 */
export function parseDigest(s: string): Digest {
  if (SHA256_RE.test(s)) return s as Digest;
  const i = s.indexOf(':');
  if (i <= 0 || i + 1 === s.length) throw invalidArgument('invalid checksum digest format');
  const alg = s.slice(0, i);
  const hex = s.slice(i + 1);
  if (alg !== 'sha256') {
    if (!ANY_DIGEST_RE.test(s)) throw invalidArgument('invalid checksum digest format');
    throw invalidArgument('unsupported digest algorithm');
  }
  if (hex.length !== 64) throw invalidArgument('invalid checksum digest length');
  throw invalidArgument('invalid checksum digest format');
}

/** The hex part of a sha256 digest. */
export function digestHex(d: Digest): string {
  return d.slice(7);
}

export function digestFromHex(hex: string): Digest {
  return parseDigest(`sha256:${hex}`);
}

export function sha256(data: Buffer | Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}` as Digest;
}

/**
 * A passthrough Transform that hashes every byte going through it. After the stream has
 * finished (`end` on the readable side, or the pipeline resolved), `digest()` and `size` are final.
 */
export class DigestStream extends Transform {
  readonly #hash: Hash = createHash('sha256');
  #size = 0;
  #digest: Digest | undefined;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#hash.update(chunk);
    this.#size += chunk.length;
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.#digest = `sha256:${this.#hash.digest('hex')}` as Digest;
    cb();
  }

  /** Bytes seen so far. */
  get size(): number {
    return this.#size;
  }

  /** The digest of everything written; throws if the stream has not ended yet. */
  digest(): Digest {
    if (this.#digest === undefined) throw new Error('DigestStream: digest() before the stream ended');
    return this.#digest;
  }
}

/**
 * ChainID per OCI image-spec (config.md#layer-chainid): ChainID(L1) = DiffID(L1);
 * ChainID(L1..Ln) = sha256(ChainID(L1..Ln-1) + " " + DiffID(Ln)).
 * Returns the chain ID of every prefix (index i = chain of layers 0..i).
 */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  let cur: Digest | undefined;
  for (const d of diffIds) {
    cur = cur === undefined ? d : sha256(`${cur} ${d}`);
    out.push(cur);
  }
  return out;
}

/** The chain ID of the whole stack; undefined for an image with no layers. */
export function chainId(diffIds: readonly Digest[]): Digest | undefined {
  return chainIds(diffIds).at(-1);
}

/** The chain ID of `diffId` applied on top of `parent` (undefined parent = base layer). */
export function childChainId(parent: Digest | undefined, diffId: Digest): Digest {
  return parent === undefined ? diffId : sha256(`${parent} ${diffId}`);
}
