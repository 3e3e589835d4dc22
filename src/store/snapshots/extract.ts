// Safe extraction of an OCI layer tar into an overlayfs layer directory.
//
// The rules (ARCHITECTURE.md "Nothing extracted from an image can write outside its target"):
// - names are normalised; a name that climbs out of the layer ("../x", "a/../../x") is refused,
//   absolute names are made relative (as Docker does);
// - nothing is ever written through a symlink: every parent component is checked with lstat, and
//   a symlink (or any non-directory) parent is an error;
// - hardlinks may only point at files already extracted into this layer;
// - symlink targets are stored verbatim (resolved inside the container at run time, never here);
// - OCI whiteouts become overlay whiteouts: ".wh.NAME" -> char device 0/0 "NAME",
//   ".wh..wh..opq" -> xattr trusted.overlay.opaque=y on the directory.
// Device nodes, fifos and whiteouts need mknod(2)/setxattr(2), which Node lacks: they are
// collected and created by one `sh` per layer (mknod, setfattr), after re-checking their parents.
// Metadata calls are synchronous on purpose: each is a few microseconds, while a thread pool round
// trip costs ~80 us on this kind of VM (10k small files: 0.6 s instead of 6 s).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { BerthError, errnoCode, invalidArgument, systemError } from '../../errdefs/index.js';
import { DigestStream, type Digest } from '../../oci/digest.js';
import { decompressor, decompressStage, detectCompression, type Compression } from './decompress.js';

export const WHITEOUT_PREFIX = '.wh.';
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const WHITEOUT_OPAQUE = '.wh..wh..opq';
export const OPAQUE_XATTR = 'trusted.overlay.opaque';

export interface ExtractResult {
  /** sha256 of the uncompressed tar stream */
  diffId: Digest;
  /** bytes of the uncompressed tar stream */
  tarSize: number;
  /** bytes of regular files and symlinks written */
  unpackedSize: number;
  compression: Compression;
  entries: number;
}

export interface ExtractOptions {
  signal?: AbortSignal;
  /** syncfs the layer's filesystem once everything is written (before the caller commits it) */
  sync?: boolean;
}

/** Stream `source` (plain, gzip or zstd tar) into the existing empty directory `root`. */
export async function extractLayer(source: Readable, root: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const writer = new LayerWriter(root);
  const hasher = new DigestStream();
  let compression: Compression = 'none';
  const extract = tar.extract();
  const piping = pipeline(source, decompressStage((c) => (compression = c)), hasher, extract, opts.signal ? { signal: opts.signal } : {});
  try {
    await unpackEntries(extract, piping, writer);
    await writer.finish(opts.sync === true);
  } finally {
    await writer.closed();
  }
  return { diffId: hasher.digest(), tarSize: hasher.size, unpackedSize: writer.unpackedSize, compression, entries: writer.entries };
}

/**
 * extractLayer for a caller that pushes the (compressed) bytes itself and wants each chunk's
 * memory back once it has been used (the unpack worker, which hands the buffers back to the main
 * thread for its next batches instead of letting both threads allocate and collect them).
 */
export class LayerIngest {
  /** the result, or the failure (as extractLayer's) */
  readonly done: Promise<ExtractResult>;
  readonly #writer: LayerWriter;
  readonly #hasher = new DigestStream();
  readonly #extract = tar.extract();
  readonly #sync: boolean;
  /** the decompressor, or the hasher for a plain tar; chosen by the first bytes */
  #input: Duplex | undefined;
  #settle!: { resolve: (r: ExtractResult) => void; reject: (err: unknown) => void };
  #compression: Compression = 'none';
  /** the first bytes, while fewer than needed to detect the compression */
  #head: Buffer | undefined;

  constructor(root: string, opts: { sync?: boolean } = {}) {
    this.#writer = new LayerWriter(root);
    this.#sync = opts.sync === true;
    this.done = new Promise<ExtractResult>((resolve, reject) => (this.#settle = { resolve, reject }));
    this.done.catch(() => undefined);
  }

  async #run(piping: Promise<void>): Promise<ExtractResult> {
    try {
      await unpackEntries(this.#extract, piping, this.#writer);
      await this.#writer.finish(this.#sync);
    } finally {
      await this.#writer.closed();
    }
    return { diffId: this.#hasher.digest(), tarSize: this.#hasher.size, unpackedSize: this.#writer.unpackedSize, compression: this.#compression, entries: this.#writer.entries };
  }

  /**
   * Take the next bytes. `release` is called once `chunk` is no longer used (it may then be
   * overwritten) and the extraction is ready for more: it is the caller's flow control.
   */
  write(chunk: Buffer, release: () => void): void {
    let data = chunk;
    if (this.#input === undefined) {
      data = this.#head ? Buffer.concat([this.#head, chunk]) : chunk;
      if (data !== chunk) release = once(release, true);
      if (data.length < 4) {
        this.#head = Buffer.from(data);
        release();
        return;
      }
      this.#head = undefined;
      this.#start(detectCompression(data));
    }
    const input = this.#input as Duplex;
    // a plain tar goes straight to tar-stream, which keeps slices of what it is given: a copy
    if (input === this.#hasher && data === chunk) data = Buffer.from(chunk);
    input.write(data, () => release());
  }

  end(): void {
    if (this.#input === undefined) {
      const head = this.#head ?? Buffer.alloc(0);
      this.#head = undefined;
      const input = this.#start(detectCompression(head));
      if (head.length > 0) input.write(head);
    }
    this.#input?.end();
  }

  /** Stop: the extraction fails with `err` (once it has stopped writing). */
  abort(err: Error): void {
    (this.#input ?? this.#start('none')).destroy(err);
  }

  /** Set up the pipeline (at once: it must listen before anything can fail, say an abort). */
  #start(kind: Compression): Duplex {
    this.#compression = kind;
    const input = kind === 'none' ? this.#hasher : decompressor(kind);
    this.#input = input;
    const piping = input === this.#hasher ? pipeline(this.#hasher, this.#extract) : pipeline(input, this.#hasher, this.#extract);
    this.#run(piping).then(this.#settle.resolve, this.#settle.reject);
    return input;
  }
}

function once(fn: () => void, callNow: boolean): () => void {
  let done = false;
  const f = (): void => {
    if (!done) fn();
    done = true;
  };
  if (callNow) f();
  return f;
}

/** Write the entries `extract` yields while `piping` feeds it; throw the layer's verdict. */
async function unpackEntries(extract: tar.Extract, piping: Promise<void>, writer: LayerWriter): Promise<void> {
  piping.catch(() => undefined);
  let entryFailure: unknown;
  let streamFailure: unknown;
  try {
    for await (const entry of extract) {
      await writer.add(entry.header, entry);
    }
  } catch (err) {
    entryFailure = err;
    extract.destroy();
  }
  try {
    await piping;
  } catch (err) {
    streamFailure = err;
  }
  // Our own verdict on an entry wins; otherwise the stream's error (bad gzip, truncated tar)
  // explains better than the "destroyed" an entry body reports when its tar goes away.
  if (entryFailure instanceof BerthError) throw entryFailure;
  if (streamFailure !== undefined) throw classify(streamFailure);
  if (entryFailure !== undefined) throw classify(entryFailure);
}

/** Corrupt input (bad tar header, bad gzip/zstd, truncation) is the client's fault: invalid-argument. */
export function classify(err: unknown): unknown {
  if ((err as { kind?: unknown }).kind !== undefined) return err;
  if ((err as Error).name === 'AbortError') return err;
  const code = errnoCode(err);
  const msg = (err as Error).message ?? String(err);
  if ((code && code.startsWith('Z_')) || code === 'ERR_ZSTD_INVALID_PARAM' || /Invalid tar header|Unexpected end of data|unknown format|incorrect header check|invalid (block|distance|stored)|Unknown frame|zstd|unexpected end of file/i.test(msg)) {
    return invalidArgument(`invalid layer tar: ${msg}`, { cause: err });
  }
  return err;
}

type Special = { kind: 'mknod'; type: 'c' | 'b' | 'p'; major: number; minor: number; mode: number; uid: number; gid: number; mtime: Date | undefined };

interface DirMeta {
  mtime: Date | undefined;
}

const S_ISGID = 0o2000;
const OWN_UID = process.geteuid?.() ?? -1;
const OWN_GID = process.getegid?.() ?? -1;

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

function hostile(name: string, why: string): BerthError {
  return invalidArgument(`invalid layer tar entry ${JSON.stringify(name)}: ${why}`);
}

function isUnder(p: string, dir: string): boolean {
  return dir === '' || p === dir || p.startsWith(`${dir}/`);
}

/**
 * Normalise a tar name to a path relative to the layer root ('' = the root itself). Absolute
 * names are made relative; a name that climbs out of the layer returns undefined.
 */
export function normalizeEntryName(name: string): string | undefined {
  if (name.includes('\0')) return undefined;
  let n: string;
  if (name.startsWith('/')) {
    n = path.posix.normalize(name).replace(/^\/+/, '');
  } else {
    n = path.posix.normalize(name);
    if (n === '..' || n.startsWith('../')) return undefined;
  }
  n = n.replace(/\/+$/, '');
  if (n === '.' || n === '') return '';
  return n;
}

class LayerWriter {
  readonly root: string;
  unpackedSize = 0;
  entries = 0;
  /** relative dirs verified to be real directories (reset whenever something is removed) */
  readonly #safeDirs = new Set<string>(['']);
  readonly #specials = new Map<string, Special>();
  readonly #opaque = new Set<string>();
  readonly #dirs = new Map<string, DirMeta>();
  /**
   * Relative dirs whose group is ours and that have no setgid bit: what is created in them is
   * owned by our uid and gid (whether the filesystem gives new files the creator's group or, with
   * grpid or setgid, the directory's).
   */
  readonly #plain = new Set<string>();
  readonly #writeback = new EarlyWriteback();

  constructor(root: string) {
    this.root = root;
    const st = fs.statSync(root);
    if (st.gid === OWN_GID && !(st.mode & S_ISGID)) this.#plain.add('');
  }

  /** Whether something just created at `rel` is owned by uid:gid already: the chown can be skipped. */
  #ownedAlready(rel: string, uid: number, gid: number): boolean {
    return uid === OWN_UID && gid === OWN_GID && this.#plain.has(parentOf(rel));
  }

  #abs(rel: string): string {
    return rel === '' ? this.root : path.join(this.root, rel);
  }

  async add(h: tar.Header, body: Body): Promise<void> {
    this.entries++;
    const rel = normalizeEntryName(h.name);
    if (rel === undefined) {
      body.resume();
      throw hostile(h.name, 'it is outside of the layer');
    }
    const base = path.posix.basename(rel);
    if (base.startsWith(WHITEOUT_PREFIX)) {
      await drain(body);
      await this.#whiteout(h.name, rel, base, h);
      return;
    }
    switch (h.type as string | null | undefined) {
      case 'directory':
        await drain(body);
        await this.#directory(h.name, rel, h);
        return;
      case 'file':
      case 'contiguous-file':
      case undefined:
      case null:
        await this.#file(h.name, rel, h, body);
        return;
      case 'symlink':
        await drain(body);
        await this.#symlink(h.name, rel, h);
        return;
      case 'link':
        await drain(body);
        await this.#hardlink(h.name, rel, h);
        return;
      case 'character-device':
      case 'block-device':
      case 'fifo':
        await drain(body);
        await this.#special(h.name, rel, h);
        return;
      default:
        body.resume();
        throw hostile(h.name, `unsupported entry type ${String(h.type)}`);
    }
  }

  /** Make sure every parent of `rel` is a real directory inside the layer, creating missing ones. */
  async #parents(name: string, rel: string, create = true): Promise<void> {
    const parts = rel.split('/');
    parts.pop();
    let cur = '';
    for (const part of parts) {
      cur = cur === '' ? part : `${cur}/${part}`;
      if (this.#safeDirs.has(cur)) continue;
      if (this.#specials.has(cur)) throw hostile(name, `parent ${cur} is not a directory`);
      const st = fs.lstatSync(this.#abs(cur), { throwIfNoEntry: false });
      if (st === undefined) {
        if (!create) throw hostile(name, `${cur} does not exist in this layer`);
        fs.mkdirSync(this.#abs(cur), { mode: 0o755 });
        if (this.#plain.has(parentOf(cur))) this.#plain.add(cur);
      } else if (st.isSymbolicLink()) {
        throw hostile(name, `parent ${cur} is a symlink: refusing to write through it`);
      } else if (!st.isDirectory()) {
        throw hostile(name, `parent ${cur} is not a directory`);
      }
      this.#safeDirs.add(cur);
    }
  }

  /** Remove whatever is at `rel` (unless both it and the new entry are directories). */
  async #clear(rel: string, keepDir: boolean): Promise<'dir-kept' | 'cleared'> {
    if (this.#specials.delete(rel)) return 'cleared';
    if (rel === '') return 'dir-kept';
    const st = fs.lstatSync(this.#abs(rel), { throwIfNoEntry: false });
    if (st === undefined) return 'cleared';
    if (st.isDirectory()) {
      if (keepDir) return 'dir-kept';
      fs.rmSync(this.#abs(rel), { recursive: true, force: true });
      this.#forget(rel);
    } else {
      fs.unlinkSync(this.#abs(rel));
    }
    return 'cleared';
  }

  /** Forget everything recorded at or below a removed directory. */
  #forget(rel: string): void {
    for (const d of this.#safeDirs) if (d !== '' && isUnder(d, rel)) this.#safeDirs.delete(d);
    for (const s of this.#specials.keys()) if (isUnder(s, rel)) this.#specials.delete(s);
    for (const o of this.#opaque) if (isUnder(o, rel)) this.#opaque.delete(o);
    for (const d of this.#dirs.keys()) if (isUnder(d, rel)) this.#dirs.delete(d);
    for (const d of this.#plain) if (d !== '' && isUnder(d, rel)) this.#plain.delete(d);
  }

  async #meta(rel: string, h: tar.Header, kind: 'dir' | 'symlink'): Promise<void> {
    const p = this.#abs(rel);
    const uid = h.uid ?? 0;
    const gid = h.gid ?? 0;
    // a directory kept from an earlier entry may have been chowned since
    if (kind === 'dir' || !this.#ownedAlready(rel, uid, gid)) fs.lchownSync(p, uid, gid);
    if (kind === 'dir') {
      // chmod after chown: chown clears setuid/setgid
      const mode = (h.mode ?? 0o755) & 0o7777;
      fs.chmodSync(p, mode);
      if (gid === OWN_GID && !(mode & S_ISGID)) this.#plain.add(rel);
      else this.#plain.delete(rel);
    } else if (h.mtime) fs.lutimesSync(p, h.mtime, h.mtime);
  }

  async #directory(name: string, rel: string, h: tar.Header): Promise<void> {
    await this.#parents(name, rel);
    const r = await this.#clear(rel, true);
    if (r === 'cleared') fs.mkdirSync(this.#abs(rel), { mode: 0o755 });
    this.#safeDirs.add(rel);
    await this.#meta(rel, h, 'dir');
    this.#dirs.set(rel, { mtime: h.mtime });
  }

  async #file(name: string, rel: string, h: tar.Header, body: Body): Promise<void> {
    const uid = h.uid ?? 0;
    const gid = h.gid ?? 0;
    let fd: number;
    try {
      if (rel === '') throw hostile(name, 'a file cannot replace the layer root');
      await this.#parents(name, rel);
      // O_CREAT|O_EXCL never follows a symlink and fails on anything in the way: only then is
      // there something to remove (an earlier entry of this layer), which saves an lstat per file
      this.#specials.delete(rel);
      fd = openNew(this.#abs(rel));
      if (fd < 0) {
        await this.#clear(rel, false);
        fd = fs.openSync(this.#abs(rel), 'wx', 0o600);
      }
    } catch (err) {
      body.resume();
      throw err;
    }
    const owned = this.#ownedAlready(rel, uid, gid);
    try {
      // synchronous writes: this runs in an unpack worker (extract-pool.ts), where a thread-pool
      // round trip per chunk would only add latency
      for await (const c of body) writeAll(fd, c as Buffer);
      this.unpackedSize += h.size ?? 0;
      if (!owned) fs.fchownSync(fd, uid, gid);
      // chmod after chown: chown clears setuid/setgid (and the umask cut the mode at creation)
      fs.fchmodSync(fd, (h.mode ?? 0o644) & 0o7777);
      if (h.mtime) fs.futimesSync(fd, h.mtime, h.mtime);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    if ((h.size ?? 0) < WRITEBACK_MIN || !this.#writeback.add(fd)) fs.closeSync(fd);
  }

  async #symlink(name: string, rel: string, h: tar.Header): Promise<void> {
    const target = h.linkname ?? '';
    if (rel === '') throw hostile(name, 'a symlink cannot replace the layer root');
    if (target === '' || target.includes('\0')) throw hostile(name, 'empty symlink target');
    await this.#parents(name, rel);
    await this.#clear(rel, false);
    fs.symlinkSync(target, this.#abs(rel));
    this.unpackedSize += Buffer.byteLength(target);
    await this.#meta(rel, h, 'symlink');
  }

  async #hardlink(name: string, rel: string, h: tar.Header): Promise<void> {
    const linkname = h.linkname ?? '';
    const target = normalizeEntryName(linkname);
    if (target === undefined) throw hostile(name, `hardlink target ${JSON.stringify(linkname)} is outside of the layer`);
    if (target === '' || rel === '') throw hostile(name, 'hardlink to or of the layer root');
    if (target === rel) throw hostile(name, 'hardlink to itself');
    // the target's parents must already exist in this layer and be real directories
    await this.#parents(name, target, false);
    if (this.#specials.has(target)) await this.#flush(false);
    const st = fs.lstatSync(this.#abs(target), { throwIfNoEntry: false });
    if (st === undefined) throw hostile(name, `hardlink target ${JSON.stringify(linkname)} is not in this layer`);
    if (st.isDirectory()) throw hostile(name, `hardlink target ${JSON.stringify(linkname)} is a directory`);
    await this.#parents(name, rel);
    await this.#clear(rel, false);
    fs.linkSync(this.#abs(target), this.#abs(rel));
  }

  async #special(name: string, rel: string, h: tar.Header): Promise<void> {
    if (rel === '') throw hostile(name, 'a device cannot replace the layer root');
    await this.#parents(name, rel);
    await this.#clear(rel, false);
    const type = h.type === 'character-device' ? 'c' : h.type === 'block-device' ? 'b' : 'p';
    this.#specials.set(rel, { kind: 'mknod', type, major: h.devmajor ?? 0, minor: h.devminor ?? 0, mode: (h.mode ?? 0o644) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0, mtime: h.mtime });
  }

  async #whiteout(name: string, rel: string, base: string, h: tar.Header): Promise<void> {
    const dir = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
    if (base === WHITEOUT_OPAQUE) {
      await this.#parents(name, rel);
      this.#opaque.add(dir);
      return;
    }
    if (base.startsWith(WHITEOUT_META_PREFIX)) return; // aufs metadata (.wh..wh.plnk ...): ignored, as Docker does
    const hidden = base.slice(WHITEOUT_PREFIX.length);
    if (hidden === '' || hidden === '.' || hidden === '..') throw hostile(name, 'invalid whiteout');
    const target = dir === '' ? hidden : `${dir}/${hidden}`;
    await this.#parents(name, target);
    await this.#clear(target, false);
    this.#specials.set(target, { kind: 'mknod', type: 'c', major: 0, minor: 0, mode: 0, uid: h.uid ?? 0, gid: h.gid ?? 0, mtime: h.mtime });
  }

  /** Re-check (uncached) that no parent of `rel` is a symlink before a shell touches it. */
  async #recheck(rel: string): Promise<void> {
    const parts = rel.split('/');
    parts.pop();
    let cur = '';
    for (const part of parts) {
      cur = cur === '' ? part : `${cur}/${part}`;
      const st = fs.lstatSync(this.#abs(cur));
      if (!st.isDirectory()) throw invalidArgument(`invalid layer tar: ${cur} is not a directory`);
    }
  }

  /** Create the pending device nodes, fifos, whiteouts and opaque markers with one shell. */
  async #flush(sync: boolean): Promise<void> {
    const lines: string[] = ['set -e'];
    const specials = [...this.#specials.entries()];
    const opaque = [...this.#opaque];
    for (const [rel] of specials) await this.#recheck(rel);
    for (const rel of opaque) {
      if (rel !== '') await this.#recheck(`${rel}/x`);
      const st = fs.lstatSync(this.#abs(rel));
      if (!st.isDirectory()) throw invalidArgument(`invalid layer tar: opaque marker in ${rel}, which is not a directory`);
    }
    for (const [rel, s] of specials) {
      const dev = s.type === 'p' ? '' : ` ${s.major} ${s.minor}`;
      lines.push(`mknod -m ${(s.mode & 0o777).toString(8).padStart(4, '0')} ${shq(this.#abs(rel))} ${s.type}${dev}`);
    }
    for (const rel of opaque) lines.push(`setfattr -h -n ${OPAQUE_XATTR} -v y ${shq(this.#abs(rel))}`);
    if (sync) lines.push(`sync -f ${shq(this.root)}`);
    this.#specials.clear();
    this.#opaque.clear();
    if (lines.length === 1) return;
    await runShell(lines.join('\n') + '\n');
    for (const [rel, s] of specials) {
      const p = this.#abs(rel);
      fs.lchownSync(p, s.uid, s.gid);
      if (s.mode & 0o7000) fs.chmodSync(p, s.mode);
      if (s.mtime) fs.lutimesSync(p, s.mtime, s.mtime);
    }
  }

  /** Resolves once the writer holds no descriptor (see EarlyWriteback): after a failure too. */
  closed(): Promise<void> {
    return this.#writeback.close();
  }

  async finish(sync: boolean): Promise<void> {
    // directory mtimes last, deepest first (writing children changed them)
    const dirs = [...this.#dirs.entries()].sort((a, b) => b[0].split('/').length - a[0].split('/').length);
    await this.#flush(false);
    for (const [rel, m] of dirs) if (m.mtime) fs.lutimesSync(this.#abs(rel), m.mtime, m.mtime);
    if (sync) await runShell(`sync -f ${shq(this.root)}\n`);
  }
}

/** files at least this big are written back early (EarlyWriteback) */
const WRITEBACK_MIN = 1024 * 1024;
/** descriptors waiting for their writeback, at most */
const WRITEBACK_QUEUE = 32;

/**
 * Writes big files back while the layer is still being unpacked: fdatasync on the thread pool,
 * one file at a time (more would hold up the pool's decompression), then close. The commit's
 * syncfs then finds most bytes on disk already: it was the last 0.2-0.3 s of the pull bench,
 * with both CPUs idle (same-session A/B, 8 runs each: median 2.25 -> 2.12 s). Durability does not
 * depend on it: the syncfs before the commit is still what counts, so errors here are ignored.
 * At most WRITEBACK_QUEUE descriptors wait; beyond that a file is closed at once and left to the
 * syncfs, and so are those still waiting when the layer ends (close()): on a disk where each
 * fdatasync costs a cache flush, the end of a layer waits for one of them at most.
 */
class EarlyWriteback {
  readonly #queue: number[] = [];
  #busy = false;
  #idle: Promise<void> = Promise.resolve();
  #resolveIdle: (() => void) | undefined;

  /** Take `fd` (it is closed once written back); false when the queue is full (close it yourself). */
  add(fd: number): boolean {
    if (this.#queue.length >= WRITEBACK_QUEUE) return false;
    this.#queue.push(fd);
    if (!this.#busy) {
      this.#busy = true;
      this.#idle = new Promise((resolve) => (this.#resolveIdle = resolve));
      this.#next();
    }
    return true;
  }

  /** Close the descriptors still waiting; resolves once the one being written back is closed too. */
  close(): Promise<void> {
    for (const fd of this.#queue.splice(0)) fs.closeSync(fd);
    return this.#idle;
  }

  #next(): void {
    const fd = this.#queue.shift();
    if (fd === undefined) {
      this.#busy = false;
      this.#resolveIdle?.();
      return;
    }
    fs.fdatasync(fd, () => fs.close(fd, () => this.#next()));
  }
}

/** Create a new file for writing (0600 until its metadata is set), or -1 if the name is taken. */
function openNew(p: string): number {
  try {
    return fs.openSync(p, 'wx', 0o600);
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return -1;
    throw err;
  }
}

function writeAll(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length; ) off += fs.writeSync(fd, buf, off, buf.length - off);
}

/** A tar entry's body (a streamx Readable). */
type Body = AsyncIterable<unknown> & { resume(): unknown };

async function drain(body: Body): Promise<void> {
  for await (const _ of body) void _;
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function runShell(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-s'], { stdio: ['pipe', 'ignore', 'pipe'] });
    const err: Buffer[] = [];
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(systemError(`creating device nodes and whiteouts failed (exit ${code}): ${Buffer.concat(err).toString().trim()}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(script);
  });
}
