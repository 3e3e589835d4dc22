// A tar stream of a file or directory tree reached through a ScopedRoot: every directory is
// opened with O_NOFOLLOW through its parent's fd, every file with O_NOFOLLOW, so a symlink
// swapped in during the walk is archived as a symlink and never followed. Pseudo filesystems
// (proc, sysfs, cgroup, devpts, mqueue) are archived as empty directories, and with
// `oneFileSystem` other mounts (volumes) are too, as `docker export` leaves volumes out.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { fdPath, statAt, type ScopedRoot } from './scoped-root.js';

const { O_RDONLY, O_NOFOLLOW } = fs.constants;
const CHUNK = 256 * 1024;
const PSEUDO_FS = new Set([0x9fa0, 0x62656572, 0x27e0eb, 0x63677270, 0x1cd1, 0x19800202, 0x64626720, 0x73636673, 0x74726163]);

export interface WalkSource {
  /** the directory holding the object */
  dir: number;
  /** the object's name in `dir`, or undefined for `dir` itself */
  name: string | undefined;
  /** the name of the top entry in the archive ("" for a tree archived without a prefix) */
  prefix: string;
  /** skip this path (relative to the top, "a/b") */
  skip?: (rel: string) => boolean;
  oneFileSystem?: boolean;
}

function major(rdev: number): number {
  const d = BigInt(rdev);
  return Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
}

function minor(rdev: number): number {
  const d = BigInt(rdev);
  return Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
}

function entry(pack: tar.Pack, header: Parameters<tar.Pack['entry']>[0], body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
    if (body !== undefined) pack.entry(header, body, cb);
    else pack.entry(header, cb);
  });
}

function waitDrain(sink: NodeJS.EventEmitter & { destroyed: boolean }, pack: tar.Pack): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (pack.destroyed || sink.destroyed) {
      reject(new Error('the archive stream was closed'));
      return;
    }
    const done = (err?: Error): void => {
      sink.off('drain', onDrain);
      sink.off('close', onClose);
      pack.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(new Error('the archive stream was closed'));
    sink.on('drain', onDrain);
    sink.on('close', onClose);
    pack.on('close', onClose);
  });
}

/** Stream exactly `size` bytes of an open file (zero-padded if it shrank meanwhile). */
async function fileEntry(pack: tar.Pack, header: Parameters<tar.Pack['entry']>[0], fd: number): Promise<void> {
  let sink!: ReturnType<tar.Pack['entry']>;
  const done = new Promise<void>((res, rej) => {
    sink = pack.entry(header, (err?: Error | null) => (err ? rej(err) : res()));
  });
  done.catch(() => undefined);
  sink.on('error', () => undefined);
  const fh = await fsp.open(fdPath(fd), 'r');
  try {
    let left = header.size ?? 0;
    while (left > 0) {
      const buf = Buffer.alloc(Math.min(CHUNK, left));
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      const chunk = bytesRead === 0 ? buf : buf.subarray(0, bytesRead);
      left -= chunk.length;
      if (!sink.write(chunk)) await waitDrain(sink, pack);
    }
  } catch (err) {
    sink.destroy(err as Error);
    throw err;
  } finally {
    await fh.close();
  }
  sink.end(undefined);
  await done;
}

/** The archive of `src` as a byte stream; errors destroy the stream. */
export function tarWalk(root: ScopedRoot, src: WalkSource, onDone?: () => void): Readable {
  const pack = tar.pack();
  const seen = new Map<string, string>();
  const join = (a: string, b: string): string => (a === '' ? b : a === '/' ? `/${b}` : `${a}/${b}`);

  const walkDir = async (fd: number, name: string, rel: string, rootDev: number): Promise<void> => {
    const names = fs.readdirSync(fdPath(fd)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const child of names) {
      const r = rel === '' ? child : `${rel}/${child}`;
      if (src.skip?.(r)) continue;
      await one(fd, child, join(name, child), r, rootDev);
    }
  };

  const one = async (dir: number, child: string | undefined, name: string, rel: string, rootDev: number): Promise<void> => {
    const p = fdPath(dir, child);
    let st: fs.Stats;
    try {
      st = statAt(dir, child);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // removed meanwhile
      throw err;
    }
    const base = { uid: st.uid, gid: st.gid, mtime: st.mtime, mode: st.mode & 0o7777 };
    if (st.isDirectory()) {
      let fd: number;
      try {
        fd = child === undefined ? dir : root.openDir(dir, child);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ELOOP' || code === 'ENOTDIR' || code === 'ENOENT') return one(dir, child, name, rel, rootDev);
        throw err;
      }
      try {
        await entry(pack, { ...base, name: name === '' ? './' : name.endsWith('/') ? name : `${name}/`, type: 'directory' });
        const pseudo = PSEUDO_FS.has(fs.statfsSync(fdPath(fd)).type);
        const otherMount = src.oneFileSystem === true && st.dev !== rootDev;
        if (!pseudo && !otherMount) await walkDir(fd, name, rel, rootDev);
      } finally {
        if (fd !== dir) root.release(fd);
      }
      return;
    }
    if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? seen.get(key) : undefined;
      if (first !== undefined) {
        await entry(pack, { ...base, name, type: 'link', linkname: first, size: 0 });
        return;
      }
      let fd: number;
      try {
        fd = fs.openSync(p, O_RDONLY | O_NOFOLLOW);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ELOOP') return one(dir, child, name, rel, rootDev); // now a symlink
        if (code === 'ENOENT') return;
        throw err;
      }
      try {
        const fst = fs.fstatSync(fd);
        if (!fst.isFile()) return;
        if (fst.nlink > 1) seen.set(key, name);
        await fileEntry(pack, { ...base, name, type: 'file', size: fst.size }, fd);
      } finally {
        fs.closeSync(fd);
      }
      return;
    }
    if (st.isSymbolicLink()) {
      await entry(pack, { ...base, name, type: 'symlink', linkname: fs.readlinkSync(p) });
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      await entry(pack, { ...base, name, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major(st.rdev), devminor: minor(st.rdev) });
    } else if (st.isFIFO()) {
      await entry(pack, { ...base, name, type: 'fifo' });
    }
    // sockets are not archived (as Docker)
  };

  void (async () => {
    const rootDev = statAt(src.dir, src.name).dev;
    if (src.prefix === '' && src.name === undefined) await walkDir(src.dir, '', '', rootDev);
    else await one(src.dir, src.name, src.prefix, '', rootDev);
    pack.finalize();
  })()
    .catch((err: unknown) => pack.destroy(err as Error))
    .finally(() => onDone?.());
  pack.on('error', () => undefined);
  return Readable.from(pack, { objectMode: false });
}
