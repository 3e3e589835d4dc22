// Extract a tar stream into a directory of a container's root (PUT /containers/{id}/archive).
// Every entry's parent is resolved in the container's root through ScopedRoot (symlinks in the
// middle resolved in scope, as inside a chroot), the entry itself is created relative to the
// parent's fd without following anything, and files are written through their own fds. Docker's
// rules: entries may not leave the destination ("..", symlinks pointing outside it), an existing
// entry is replaced unless both are directories, and with noOverwriteDirNonDir a directory and a
// non-directory never replace each other.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { invalidArgument } from '../../errdefs/index.js';
import { fdPath, ScopedRoot, type Frame } from './scoped-root.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;

export interface UntarOptions {
  noOverwriteDirNonDir: boolean;
  /** owner for every entry; undefined keeps the archive's uid/gid */
  chown: { uid: number; gid: number } | undefined;
  /** the destination as the user gave it (for messages) */
  destName: string;
  signal?: AbortSignal;
}

/** Clean an entry name relative to the destination; undefined for the destination itself. */
export function cleanEntryName(name: string): string | undefined {
  const n = path.posix.normalize(`/${name}`).replace(/\/+$/, '');
  if (n === '' || n === '/') return undefined;
  return n.slice(1);
}

function breakout(message: string): Error {
  return invalidArgument(message);
}

class FileSink extends Writable {
  readonly #fd: number;
  constructor(fd: number) {
    super();
    this.#fd = fd;
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    fs.write(this.#fd, chunk, 0, chunk.length, null, (err) => cb(err));
  }
}

export async function untar(root: ScopedRoot, dest: Frame[], source: Readable, o: UntarOptions): Promise<void> {
  const extract = tar.extract();
  const destPath = ScopedRoot.containerPath(dest);
  const dirs: { fd: number; mtime: Date }[] = [];
  const parents = new Map<string, Frame[]>();
  const ids = (h: tar.Header): { uid: number; gid: number } => o.chown ?? { uid: h.uid ?? 0, gid: h.gid ?? 0 };

  const parentOf = (rel: string): Frame[] => {
    const dir = path.posix.dirname(rel);
    if (dir === '.') return dest;
    const cached = parents.get(dir);
    if (cached) return cached;
    const frames = root.resolveDir(dir, { from: dest, create: o.chown ?? { uid: 0, gid: 0 } });
    parents.set(dir, frames);
    return frames;
  };

  const handle = async (h: tar.Header, body: Readable): Promise<void> => {
    const rel = cleanEntryName(h.name);
    if (h.name.split('/').includes('..') && path.posix.normalize(`/__dest__/${h.name}`).split('/')[1] !== '__dest__') {
      throw breakout(`invalid archive: ${JSON.stringify(h.name)} is outside of ${JSON.stringify(o.destName)}`);
    }
    if (rel === undefined) {
      // "." or "/": the destination's own metadata
      if (h.type === 'directory') dirs.push({ fd: dest[dest.length - 1]?.fd as number, mtime: h.mtime ?? new Date() });
      return;
    }
    const frames = parentOf(rel);
    const dir = (frames[frames.length - 1] as Frame).fd;
    const name = path.posix.basename(rel);
    const p = fdPath(dir, name);
    let existing: fs.Stats | undefined;
    try {
      existing = fs.lstatSync(p);
    } catch {
      existing = undefined;
    }
    const isDir = h.type === 'directory';
    if (existing) {
      if (o.noOverwriteDirNonDir && existing.isDirectory() && !isDir) {
        throw invalidArgument(`cannot overwrite directory ${JSON.stringify(`${destPath === '/' ? '' : destPath}/${rel}`)} with non-directory ${JSON.stringify(o.destName)}`);
      }
      if (o.noOverwriteDirNonDir && !existing.isDirectory() && isDir) {
        throw invalidArgument(`cannot overwrite non-directory ${JSON.stringify(`${destPath === '/' ? '' : destPath}/${rel}`)} with directory ${JSON.stringify(o.destName)}`);
      }
      if (!(existing.isDirectory() && isDir)) {
        root.removeAll(dir, name);
        for (const k of [...parents.keys()]) if (k === rel || k.startsWith(`${rel}/`)) parents.delete(k);
        existing = undefined;
      }
    }
    const { uid, gid } = ids(h);
    const mode = (h.mode ?? 0o644) & 0o7777;
    const mtime = h.mtime ?? new Date();
    switch (h.type) {
      case 'directory': {
        if (!existing) fs.mkdirSync(p, { mode: 0o700 });
        const fd = root.openDir(dir, name);
        fs.fchownSync(fd, uid, gid);
        fs.fchmodSync(fd, mode);
        dirs.push({ fd, mtime });
        parents.set(rel, [...frames, { fd, name }]);
        return;
      }
      case 'file':
      case 'contiguous-file': {
        const fd = fs.openSync(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
        try {
          await pipeline(body, new FileSink(fd), ...(o.signal ? [{ signal: o.signal }] : []));
          fs.fchownSync(fd, uid, gid);
          fs.fchmodSync(fd, mode);
          fs.futimesSync(fd, mtime, mtime);
        } finally {
          fs.closeSync(fd);
        }
        return;
      }
      case 'symlink': {
        const link = h.linkname ?? '';
        const target = path.posix.join(path.posix.dirname(`/__dest__/${rel}`), link);
        if (target !== '/__dest__' && !target.startsWith('/__dest__/')) throw breakout(`invalid symlink ${JSON.stringify(`${destPath === '/' ? '' : destPath}/${rel}`)} -> ${JSON.stringify(link)}`);
        fs.symlinkSync(link, p);
        fs.lchownSync(p, uid, gid);
        fs.lutimesSync(p, mtime, mtime);
        return;
      }
      case 'link': {
        const linkRel = cleanEntryName(h.linkname ?? '');
        if (linkRel === undefined || path.posix.normalize(`/__dest__/${h.linkname ?? ''}`).split('/')[1] !== '__dest__') {
          throw breakout(`invalid hardlink ${JSON.stringify(h.linkname)} -> ${JSON.stringify(h.name)}`);
        }
        const src = root.resolve(linkRel, { followLast: false, from: dest });
        if (src.last === undefined) throw breakout(`invalid hardlink ${JSON.stringify(h.linkname)}: a directory`);
        fs.linkSync(fdPath((src.stack[src.stack.length - 1] as Frame).fd, src.last), p);
        return;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        // Node has no mknod(2): mknod(1) through this process's fd of the parent directory
        const type = h.type === 'fifo' ? 'p' : h.type === 'block-device' ? 'b' : 'c';
        const args = ['-m', (mode & 0o777).toString(8), `/proc/${process.pid}/fd/${dir}/${name}`, type];
        if (type !== 'p') args.push(String(h.devmajor ?? 0), String(h.devminor ?? 0));
        const r = spawnSync('mknod', args, { encoding: 'utf8' });
        if (r.status !== 0) throw invalidArgument(`cannot create ${h.type} ${rel}: ${r.stderr.trim()}`);
        fs.lchownSync(p, uid, gid);
        return;
      }
      default:
        return; // unsupported entry types are skipped, as Docker's untar does
    }
  };

  extract.on('entry', (h, stream, next) => {
    handle(h, stream as unknown as Readable)
      .then(() => {
        stream.resume();
        next();
      })
      .catch((err: unknown) => {
        stream.resume();
        next(err as Error);
      });
  });
  await pipeline(source, extract, ...(o.signal ? [{ signal: o.signal }] : []));
  // directory times last, deepest first, so creating their children did not change them
  for (const d of dirs.reverse()) {
    try {
      fs.futimesSync(d.fd, d.mtime, d.mtime);
    } catch {
      /* gone */
    }
  }
}
