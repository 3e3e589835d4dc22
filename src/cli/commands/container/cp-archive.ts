// The client side of docker cp (docker/docker pkg/archive copy.go): local source archives,
// entry rebasing, and extraction into a local directory. Extraction never leaves the target
// directory: names with "..", and parents that are symlinks created by the archive, are refused.
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createRequire } from 'node:module';
import type TarStream from 'tar-stream';
import { StatusError } from '../../exit-codes.js';

// tar-stream is CommonJS (it requires 'events'), which the client's ESM bundle cannot inline: it
// is loaded from node_modules at run time instead.
const tar = createRequire(import.meta.url)('tar-stream') as typeof TarStream;

export interface CopyInfo {
  path: string;
  exists: boolean;
  isDir: boolean;
  rebaseName: string;
}

/** pkg/archive SplitPathDirEntry: "a/b/." -> ["a/b", "."] */
export function splitPathDirEntry(p: string): [string, string] {
  let cleaned = path.posix.normalize(p);
  if (cleaned.length > 1) cleaned = cleaned.replace(/\/+$/, '');
  if (p === '.' || p.endsWith('/.')) cleaned = cleaned === '/' ? '/.' : `${cleaned}/.`;
  return [path.posix.dirname(cleaned), path.posix.basename(cleaned) || '/'];
}

/** pkg/archive GetRebaseName */
export function getRebaseName(p: string, resolved: string): [string, string] {
  let r = resolved;
  if ((p.endsWith('/.') || p === '.') && !r.endsWith('/.')) r += '/.';
  else if (p.endsWith('/') && !r.endsWith('/')) r += '/';
  const base = path.posix.basename(p.replace(/\/+$/, '') || '/');
  let rebase = '';
  if (path.posix.basename(r.replace(/\/+$/, '') || '/') !== base) rebase = base;
  return [r, rebase];
}

export const assertsDirectory = (p: string): boolean => p.endsWith('/') || p.endsWith('/.') || p === '.';

/** Rename the first path component `oldBase` to `newBase` in every entry (and hardlink target). */
export function rebaseEntries(src: Readable, oldBase: string, newBase: string): Readable {
  const extract = tar.extract();
  const pack = tar.pack();
  const re = (n: string): string => {
    const name = n.replace(/^\.\/(?=.)/, oldBase === '.' ? './' : '');
    if (name === oldBase || name === `${oldBase}/`) return name.replace(oldBase, newBase);
    if (name.startsWith(`${oldBase}/`)) return `${newBase}${name.slice(oldBase.length)}`;
    return name;
  };
  const piping = pipeline(src, extract);
  piping.catch(() => undefined);
  void (async () => {
    for await (const entry of extract) {
      const h = { ...entry.header, name: re(entry.header.name) };
      if (h.type === 'link' && h.linkname) h.linkname = re(h.linkname);
      let sink!: ReturnType<TarStream.Pack['entry']>;
      const done = new Promise<void>((res, rej) => {
        sink = pack.entry(h, (err?: Error | null) => (err ? rej(err) : res()));
      });
      done.catch(() => undefined);
      await pipeline(entry, sink);
      await done;
    }
    await piping;
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(err as Error));
  pack.on('error', () => undefined);
  return Readable.from(pack, { objectMode: false });
}

/** A tar of a local file or directory; entries named `base` (the source's own name, or the rebase name). */
export function tarLocal(src: string, opts: { rebaseName: string }): Readable {
  const [dir, base] = splitPathDirEntry(src);
  const top = opts.rebaseName !== '' ? opts.rebaseName : base;
  const pack = tar.pack();
  const seen = new Map<string, string>();
  const add = async (abs: string, name: string): Promise<void> => {
    const st = fs.lstatSync(abs);
    const h = { name, uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, mtime: st.mtime };
    const put = (header: Parameters<TarStream.Pack['entry']>[0], body?: Buffer): Promise<void> =>
      new Promise((res, rej) => {
        const cb = (err?: Error | null): void => (err ? rej(err) : res());
        if (body) pack.entry(header, body, cb);
        else pack.entry(header, cb);
      });
    if (st.isDirectory()) {
      await put({ ...h, name: `${name}/`, type: 'directory' });
      for (const c of fs.readdirSync(abs).sort()) await add(path.join(abs, c), `${name}/${c}`);
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? seen.get(key) : undefined;
      if (first) return put({ ...h, type: 'link', linkname: first });
      if (st.nlink > 1) seen.set(key, name);
      let sink!: ReturnType<TarStream.Pack['entry']>;
      const done = new Promise<void>((res, rej) => {
        sink = pack.entry({ ...h, type: 'file', size: st.size }, (err?: Error | null) => (err ? rej(err) : res()));
      });
      done.catch(() => undefined);
      await pipeline(fs.createReadStream(abs), sink);
      await done;
    } else if (st.isSymbolicLink()) {
      await put({ ...h, type: 'symlink', linkname: fs.readlinkSync(abs) });
    } else if (st.isFIFO()) {
      await put({ ...h, type: 'fifo' });
    }
  };
  void (async () => {
    await add(base === '.' ? dir : path.join(dir, base), top === '.' ? '.' : top);
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(err as Error));
  pack.on('error', () => undefined);
  return Readable.from(pack, { objectMode: false });
}

/** pkg/archive PrepareArchiveCopy: where to extract and how to rename the entries. */
export function prepareArchiveCopy(content: Readable, src: CopyInfo, dst: CopyInfo): { dir: string; archive: Readable } {
  const [dstDir, dstBase] = splitPathDirEntry(dst.path);
  let [, srcBase] = splitPathDirEntry(src.path);
  if (dst.exists && dst.isDir) return { dir: dst.path, archive: content };
  if (dst.exists && src.isDir) throw new StatusError(1, 'cannot copy directory');
  if (src.rebaseName !== '') srcBase = src.rebaseName;
  if (!dst.exists && !src.isDir && assertsDirectory(dst.path)) throw new StatusError(1, 'no such directory');
  return { dir: dstDir, archive: rebaseEntries(content, srcBase, dstBase) };
}

/** A local destination (pkg/archive CopyInfoDestinationPath, symlinks followed). */
export function localDestination(p: string): CopyInfo {
  let cur = p;
  for (let i = 0; i < 64; i++) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(cur);
    } catch {
      const parent = path.dirname(cur.replace(/\/+$/, '') || '/');
      if (!fs.existsSync(parent)) throw new StatusError(1, `lstat ${parent}: no such file or directory`);
      return { path: cur, exists: false, isDir: false, rebaseName: '' };
    }
    if (!st.isSymbolicLink()) return { path: cur, exists: true, isDir: st.isDirectory(), rebaseName: '' };
    const t = fs.readlinkSync(cur);
    cur = path.isAbsolute(t) ? t : path.join(path.dirname(cur), t);
  }
  throw new StatusError(1, `too many symlinks in ${p}`);
}

/** Extract into a local directory (NoLchown, NoOverwriteDirNonDir), never outside it. */
export async function untarLocal(src: Readable, dest: string, opts: { chown: boolean }): Promise<void> {
  const extract = tar.extract();
  const root = path.resolve(dest);
  const dirTimes: [string, Date][] = [];
  const inside = (p: string): boolean => p === root || p.startsWith(`${root}/`);
  extract.on('entry', (h, stream, next) => {
    const run = async (): Promise<void> => {
      const rel = path.posix.normalize(h.name).replace(/^\/+/, '').replace(/\/+$/, '');
      if (rel === '..' || rel.startsWith('../')) throw new StatusError(1, `invalid archive entry ${JSON.stringify(h.name)}: outside of ${dest}`);
      const target = rel === '' || rel === '.' ? root : path.join(root, rel);
      // parents must be real directories inside the destination
      const parent = path.dirname(target);
      if (!inside(fs.realpathSync(fs.existsSync(parent) ? parent : root))) throw new StatusError(1, `invalid archive entry ${JSON.stringify(h.name)}: outside of ${dest}`);
      fs.mkdirSync(parent, { recursive: true });
      if (!inside(fs.realpathSync(parent))) throw new StatusError(1, `invalid archive entry ${JSON.stringify(h.name)}: outside of ${dest}`);
      let existing: fs.Stats | undefined;
      try {
        existing = fs.lstatSync(target);
      } catch {
        existing = undefined;
      }
      const isDir = h.type === 'directory';
      if (existing) {
        if (existing.isDirectory() && !isDir) throw new StatusError(1, `cannot overwrite directory ${JSON.stringify(target)} with non-directory ${JSON.stringify(h.name)}`);
        if (!existing.isDirectory() && isDir) throw new StatusError(1, `cannot overwrite non-directory ${JSON.stringify(target)} with directory ${JSON.stringify(h.name)}`);
        if (!isDir) fs.rmSync(target, { force: true });
      }
      const mode = (h.mode ?? 0o644) & 0o7777;
      const mtime = h.mtime ?? new Date();
      switch (h.type) {
        case 'directory':
          if (!existing) fs.mkdirSync(target, { mode });
          else if (target !== root) fs.chmodSync(target, mode);
          dirTimes.push([target, mtime]);
          break;
        case 'file':
        case 'contiguous-file':
          await pipeline(stream, fs.createWriteStream(target, { flags: 'wx', mode }));
          fs.chmodSync(target, mode);
          fs.utimesSync(target, mtime, mtime);
          break;
        case 'symlink':
          fs.symlinkSync(h.linkname ?? '', target);
          break;
        case 'link': {
          const lrel = path.posix.normalize(h.linkname ?? '').replace(/^\/+/, '');
          if (lrel.startsWith('../')) throw new StatusError(1, `invalid hardlink ${JSON.stringify(h.linkname)}`);
          fs.linkSync(path.join(root, lrel), target);
          break;
        }
        default:
          break;
      }
      if (opts.chown && h.type !== 'link') fs.lchownSync(target, h.uid ?? 0, h.gid ?? 0);
    };
    run().then(
      () => {
        stream.resume();
        next();
      },
      (err: unknown) => {
        stream.resume();
        next(err as Error);
      },
    );
  });
  await pipeline(src, extract);
  for (const [d, t] of dirTimes.reverse()) {
    try {
      fs.utimesSync(d, t, t);
    } catch {
      /* gone */
    }
  }
}

/** Count the bytes passing through (the "Successfully copied" summary). */
export function counter(): Transform & { bytes: number } {
  const t = new Transform({
    transform(chunk: Buffer, _e, cb) {
      (t as unknown as { bytes: number }).bytes += chunk.length;
      cb(null, chunk);
    },
  }) as Transform & { bytes: number };
  t.bytes = 0;
  return t;
}

export const devNull = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });
