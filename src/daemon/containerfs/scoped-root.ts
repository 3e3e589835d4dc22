// Path resolution confined to a container's root, done one component at a time on directory
// file descriptors (the effect of openat2's RESOLVE_IN_ROOT, or Docker's FollowSymlinkInScope
// run inside a chroot). Node has no openat(), so each step goes through the directory's
// /proc/self/fd/<fd> magic link: the kernel jumps to exactly the directory we hold and looks up
// one name in it, never following a symlink there (O_NOFOLLOW, lstat, readlink). Symlinks are
// read and resolved by this code against the container's root, and ".." never goes above it.
// A directory swapped for a symlink between two steps (CVE-2018-15664) makes the next open fail
// with ELOOP/ENOTDIR (then the step is retried as a symlink, resolved in the root), so nothing
// outside the root is ever opened.
import fs from 'node:fs';
import path from 'node:path';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;
export const DIR_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
const MAX_LINKS = 40;

/** The path of `name` inside the directory open as `fd` (or of the directory itself). */
export function fdPath(fd: number, name?: string): string {
  return name === undefined || name === '' ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;
}

/** lstat of `name` in `dir`, or fstat of `dir` itself (its magic link must not be lstat'ed). */
export function statAt(dir: number, name: string | undefined): fs.Stats {
  return name === undefined || name === '' ? fs.fstatSync(dir) : fs.lstatSync(fdPath(dir, name));
}

export interface Frame {
  fd: number;
  /** the component name ('' for the root) */
  name: string;
}

export interface Resolved {
  /** the directories from the root down to the one holding `last` */
  stack: Frame[];
  /** the final component inside stack's top, or undefined when the path is that directory */
  last: string | undefined;
}

function errno(code: string, message: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: ${message}`) as NodeJS.ErrnoException;
  e.code = code;
  return e;
}

export function splitComponents(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

/** A container root held open; every fd it opens is closed by close(). */
export class ScopedRoot {
  readonly root: Frame;
  readonly #owned = new Set<number>();

  constructor(rootDir: string) {
    // the root itself is trusted (the daemon's merged mount or /proc/<pid>/root)
    const fd = fs.openSync(rootDir, O_RDONLY | O_DIRECTORY);
    this.#owned.add(fd);
    this.root = { fd, name: '' };
  }

  close(): void {
    for (const fd of this.#owned) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already closed */
      }
    }
    this.#owned.clear();
  }

  /** Open a child directory of `dir` without following a symlink; the fd is owned by this root. */
  openDir(dir: number, name: string): number {
    const fd = fs.openSync(fdPath(dir, name), DIR_FLAGS);
    this.#owned.add(fd);
    return fd;
  }

  /** Close an fd this root opened (long walks release as they go). */
  release(fd: number): void {
    if (fd === this.root.fd || !this.#owned.delete(fd)) return;
    try {
      fs.closeSync(fd);
    } catch {
      /* gone */
    }
  }

  /** Track an fd opened elsewhere (closed with the root). */
  adopt(fd: number): number {
    this.#owned.add(fd);
    return fd;
  }

  /**
   * Resolve `p` (absolute in the container, or relative to `from`) in scope. Symlinks in the
   * middle are always followed in the root; the last one only with `followLast`. With
   * `create`, missing intermediate directories are made (mode 0755, owned by `create`'s ids).
   * Errors are Node errno errors (ENOENT, ENOTDIR, ELOOP).
   */
  resolve(p: string, opts: { followLast: boolean; from?: Frame[]; create?: { uid: number; gid: number }; createLast?: boolean }): Resolved {
    let stack: Frame[] = p.startsWith('/') || !opts.from ? [this.root] : [...opts.from];
    const queue = splitComponents(p);
    let links = 0;
    while (queue.length > 0) {
      const c = queue.shift() as string;
      if (c === '..') {
        if (stack.length > 1) stack = stack.slice(0, -1);
        continue;
      }
      const top = stack[stack.length - 1] as Frame;
      const isLast = queue.length === 0;
      let st: fs.Stats;
      try {
        st = fs.lstatSync(fdPath(top.fd, c));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && opts.create && (!isLast || opts.createLast === true)) {
          try {
            fs.mkdirSync(fdPath(top.fd, c), { mode: 0o755 });
            fs.lchownSync(fdPath(top.fd, c), opts.create.uid, opts.create.gid);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
          }
          queue.unshift(c);
          continue;
        }
        throw err;
      }
      if (st.isSymbolicLink() && (!isLast || opts.followLast)) {
        if (++links > MAX_LINKS) throw errno('ELOOP', `too many levels of symbolic links resolving ${p}`);
        const target = fs.readlinkSync(fdPath(top.fd, c));
        if (target.startsWith('/')) stack = [this.root];
        queue.unshift(...splitComponents(target));
        continue;
      }
      if (isLast) return { stack, last: c };
      if (!st.isDirectory()) throw errno('ENOTDIR', `not a directory: ${c}`);
      let fd: number;
      try {
        fd = this.openDir(top.fd, c);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // swapped for a symlink (or a file) since the lstat: look again
        if ((code === 'ELOOP' || code === 'ENOTDIR') && ++links <= MAX_LINKS) {
          queue.unshift(c);
          continue;
        }
        throw err;
      }
      stack = [...stack, { fd, name: c }];
    }
    return { stack, last: undefined };
  }

  /** Resolve to a directory (following everything) and return its frames. */
  resolveDir(p: string, opts: { from?: Frame[]; create?: { uid: number; gid: number } } = {}): Frame[] {
    const r = this.resolve(p, { followLast: true, ...opts, createLast: opts.create !== undefined });
    if (r.last === undefined) return r.stack;
    const top = r.stack[r.stack.length - 1] as Frame;
    let fd: number;
    try {
      fd = this.openDir(top.fd, r.last);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw errno('ENOTDIR', `not a directory: ${p}`);
      throw err;
    }
    return [...r.stack, { fd, name: r.last }];
  }

  /** The container path of resolved frames ("/a/b"). */
  static containerPath(stack: readonly Frame[], last?: string): string {
    const parts = stack.slice(1).map((f) => f.name);
    if (last !== undefined) parts.push(last);
    return `/${parts.join('/')}`;
  }

  /**
   * Remove `name` in `dir` and everything under it without following any symlink: each
   * directory is opened with O_NOFOLLOW and emptied through its own fd.
   */
  removeAll(dir: number, name: string): void {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(fdPath(dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (!st.isDirectory()) {
      fs.unlinkSync(fdPath(dir, name));
      return;
    }
    const fd = this.openDir(dir, name);
    try {
      for (const child of fs.readdirSync(fdPath(fd))) this.removeAll(fd, child);
    } finally {
      this.release(fd);
    }
    fs.rmdirSync(fdPath(dir, name));
  }
}

/** Go's filepath.Split: the directory part keeps its trailing slash. */
export function splitPath(p: string): { dir: string; base: string } {
  const i = p.lastIndexOf('/');
  return { dir: p.slice(0, i + 1), base: p.slice(i + 1) };
}

/** Go's filepath.Base. */
export function goBase(p: string): string {
  if (p === '') return '.';
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/**
 * archive.PreserveTrailingDotOrSeparator(filepath.Join("/", p), p): the cleaned absolute path
 * with the original's trailing "/." or "/" kept.
 */
export function containerAbsPath(p: string): string {
  let clean = path.posix.normalize(`/${p}`);
  if (clean.length > 1) clean = clean.replace(/\/+$/, '');
  if ((p.endsWith('/.') || p === '.') && !clean.endsWith('/.')) return clean === '/' ? '/.' : `${clean}/.`;
  if (p.endsWith('/') && !clean.endsWith('/')) return `${clean}/`;
  return clean;
}
