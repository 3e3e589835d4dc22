// Stream an overlayfs layer directory back as an OCI layer tar: sorted (tree order, names
// compared bytewise within a directory), deterministic (no uname/gname, mtimes in whole seconds),
// overlay whiteouts turned back into ".wh." entries, hardlinks emitted once and linked after.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { systemError } from '../../errdefs/index.js';
import { OPAQUE_XATTR, WHITEOUT_OPAQUE, WHITEOUT_PREFIX } from './extract.js';

const SMALL_FILE = 256 * 1024;
const CHUNK = 256 * 1024;

/** The layer at `root` as a tar stream. Errors (a missing dir, a read error) destroy the stream. */
export function layerTar(root: string): Readable {
  const pack = tar.pack();
  void (async () => {
    const opaque = await opaqueDirs(root);
    const seen = new Map<string, string>();
    await walk(pack, root, '', opaque, seen);
    pack.finalize();
  })().catch((err: unknown) => {
    pack.destroy(err as Error);
  });
  // a node Readable over the streamx pack: destroying it (a client went away) destroys the pack,
  // which stops the walk and closes any open file
  // (errors reach the consumer through the iterator; this listener only keeps streamx from
  // treating a destroy by the consumer as an unhandled 'error')
  pack.on('error', () => undefined);
  return Readable.from(pack, { objectMode: false });
}

function cmp(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function seconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

async function walk(pack: tar.Pack, root: string, rel: string, opaque: Set<string>, seen: Map<string, string>): Promise<void> {
  const names = fs.readdirSync(rel === '' ? root : path.join(root, rel)).sort(cmp);
  for (const name of names) {
    const r = rel === '' ? name : `${rel}/${name}`;
    const abs = path.join(root, r);
    const st = fs.lstatSync(abs);
    const base = { uid: st.uid, gid: st.gid, mtime: seconds(st.mtime) };
    if (st.isDirectory()) {
      await entry(pack, { ...base, name: `${r}/`, type: 'directory', mode: st.mode & 0o7777 });
      if (opaque.has(r)) await entry(pack, { ...base, name: `${r}/${WHITEOUT_OPAQUE}`, type: 'file', mode: 0, size: 0 }, Buffer.alloc(0));
      await walk(pack, root, r, opaque, seen);
    } else if (st.isCharacterDevice() && st.rdev === 0) {
      const wh = rel === '' ? `${WHITEOUT_PREFIX}${name}` : `${rel}/${WHITEOUT_PREFIX}${name}`;
      await entry(pack, { ...base, name: wh, type: 'file', mode: 0, size: 0 }, Buffer.alloc(0));
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? seen.get(key) : undefined;
      if (first !== undefined) {
        await entry(pack, { ...base, name: r, type: 'link', linkname: first, mode: st.mode & 0o7777, size: 0 });
        continue;
      }
      if (st.nlink > 1) seen.set(key, r);
      const header = { ...base, name: r, type: 'file' as const, mode: st.mode & 0o7777, size: st.size };
      if (st.size <= SMALL_FILE) await entry(pack, header, fs.readFileSync(abs));
      else await fileEntry(pack, header, abs);
    } else if (st.isSymbolicLink()) {
      await entry(pack, { ...base, name: r, type: 'symlink', linkname: fs.readlinkSync(abs), mode: st.mode & 0o7777 });
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      await entry(pack, { ...base, name: r, type: st.isCharacterDevice() ? 'character-device' : 'block-device', mode: st.mode & 0o7777, devmajor: major(st.rdev), devminor: minor(st.rdev) });
    } else if (st.isFIFO()) {
      await entry(pack, { ...base, name: r, type: 'fifo', mode: st.mode & 0o7777 });
    }
    // sockets are not archived (as Docker)
  }
}

function entry(pack: tar.Pack, header: Parameters<tar.Pack['entry']>[0], body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error | null) => (err ? reject(err) : resolve());
    if (body !== undefined) pack.entry(header, body, cb);
    else pack.entry(header, cb);
  });
}

async function fileEntry(pack: tar.Pack, header: Parameters<tar.Pack['entry']>[0], abs: string): Promise<void> {
  let sink!: ReturnType<tar.Pack['entry']>;
  const done = new Promise<void>((res, rej) => {
    sink = pack.entry(header, (err?: Error | null) => (err ? rej(err) : res()));
  });
  done.catch(() => undefined);
  sink.on('error', () => undefined); // reported through the entry callback (done)
  // the file is read in chunks and written with backpressure from the pack's consumer; the file
  // handle is closed on every path (a consumer that goes away rejects drained())
  const fh = await fsp.open(abs, 'r');
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      if (!sink.write(bytesRead === CHUNK ? buf : buf.subarray(0, bytesRead))) await drained(sink, pack);
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

/** Wait for 'drain'; reject when the sink closes first (the consumer went away). */
function drained(sink: ReturnType<tar.Pack['entry']>, pack: tar.Pack): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (pack.destroyed || sink.destroyed) {
      reject(new Error('the layer tar stream was closed'));
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
    const onClose = (): void => done(new Error('the layer tar stream was closed'));
    sink.on('drain', onDrain);
    sink.on('close', onClose);
    pack.on('close', onClose);
  });
}

/** Linux dev_t encoding (glibc's gnu_dev_major/minor). */
export function major(rdev: number): number {
  const d = BigInt(rdev);
  return Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
}

export function minor(rdev: number): number {
  const d = BigInt(rdev);
  return Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
}

/** Directories (relative) carrying trusted.overlay.opaque=y, found with one `getfattr -R`. */
export async function opaqueDirs(root: string): Promise<Set<string>> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('getfattr', ['-R', '-P', '-h', '--absolute-names', '-d', '-m', `^${OPAQUE_XATTR.replace(/\./g, '\\.')}$`, '-e', 'text', root], { stdio: ['ignore', 'pipe', 'pipe'] });
    const o: Buffer[] = [];
    const e: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => o.push(d));
    child.stderr.on('data', (d: Buffer) => e.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdout = Buffer.concat(o).toString('latin1');
      if (code === 0 || stdout.length > 0) resolve(stdout);
      else reject(systemError(`getfattr failed (exit ${code}): ${Buffer.concat(e).toString().trim()}`));
    });
  });
  const result = new Set<string>();
  let file: string | undefined;
  for (const line of out.split('\n')) {
    if (line.startsWith('# file: ')) {
      file = unescapeAttrPath(line.slice(8));
    } else if (file !== undefined && line === `${OPAQUE_XATTR}="y"`) {
      const rel = path.relative(root, file);
      if (!rel.startsWith('..')) result.add(rel === '' ? '' : rel);
    }
  }
  return result;
}

/** getfattr escapes bytes in names as \ooo and backslash as \\ (latin1 in, utf8 out). */
function unescapeAttrPath(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c && s[i + 1] === '\\') {
      bytes.push(0x5c);
      i++;
    } else if (c === 0x5c && /^[0-7]{3}$/.test(s.slice(i + 1, i + 4))) {
      bytes.push(parseInt(s.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(c & 0xff);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
