// OverlaySnapshotter as root: safe extraction (hostile tars built here), whiteouts through a real
// overlay mount, round trips, compression, start-up verification. Skips when not root (fails under CI).
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { isConflict, isInvalidArgument, isNotFound } from '../../errdefs/index.js';
import { chainId, sha256, type Digest } from '../../oci/digest.js';
import { MetadataDb } from '../metadata/db.js';
import { OverlaySnapshotter } from './overlay.js';
import type { ChainId } from './types.js';
import { makeTar, T0, type TarEntry as E } from './test-tar.js';

const IS_ROOT = process.getuid?.() === 0;
const IN_CI = process.env['CI'] === 'true';

function need(t: TestContext): boolean {
  if (IS_ROOT) return true;
  if (IN_CI) assert.fail('the snapshotter tests need root (CI=true)');
  t.skip('needs root (mknod, lchown, overlay mounts)');
  return false;
}

async function collect(r: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of r) out.push(c as Buffer);
  return Buffer.concat(out);
}

interface Env {
  root: string;
  db: MetadataDb;
  snap: OverlaySnapshotter;
  outside: string;
}

const envs: Env[] = [];
function newEnv(): Env {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-snap-'));
  const db = new MetadataDb(path.join(root, 'berth.db'));
  const snap = new OverlaySnapshotter({ dataRoot: root, db });
  const outside = path.join(root, 'outside');
  fs.mkdirSync(outside);
  const env = { root, db, snap, outside };
  envs.push(env);
  return env;
}

after(() => {
  for (const e of envs) {
    // unmount anything a failed test left behind under the root, then remove it
    const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m): m is string => !!m && m.startsWith(e.root));
    for (const m of mounts.reverse()) {
      try {
        execFileSync('umount', ['-l', m]);
      } catch {
        /* already gone */
      }
    }
    e.db.close();
    fs.rmSync(e.root, { recursive: true, force: true });
  }
});

function apply(env: Env, parent: ChainId | undefined, bytes: Buffer, opts: { expectedDiffId?: Digest } = {}) {
  return env.snap.apply(parent, Readable.from([bytes]), opts);
}

function tmpLeftovers(env: Env): string[] {
  return fs.readdirSync(path.join(env.root, 'tmp')).filter((n) => n.startsWith('unpack-'));
}

function xattr(p: string, name: string): string | undefined {
  try {
    return execFileSync('getfattr', ['-h', '--only-values', '-n', name, p], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

describe('OverlaySnapshotter', () => {
  let env: Env;
  before(() => {
    if (IS_ROOT) env = newEnv();
  });

  test('apply: files, dirs, links, devices, ownership, modes, mtimes', async (t) => {
    if (!need(t)) return;
    const layer = await makeTar([
      { name: 'bin/', type: 'directory', mode: 0o755 },
      { name: 'bin/busybox', body: 'ELF...', mode: 0o4755, uid: 0, gid: 0 },
      { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox' },
      { name: 'bin/ls', type: 'link', linkname: 'bin/busybox' },
      { name: 'etc/passwd', body: 'root:x:0:0::/root:/bin/sh\n', mode: 0o644 },
      { name: 'home/user/', type: 'directory', mode: 0o700, uid: 1000, gid: 1000, mtime: new Date('2020-05-05T00:00:00Z') },
      { name: 'home/user/.profile', body: 'x', uid: 1000, gid: 1000 },
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o660, gid: 6 },
      { name: 'run/fifo', type: 'fifo', mode: 0o600 },
      { name: 'tmp/', type: 'directory', mode: 0o1777 },
      { name: './abs-link', type: 'symlink', linkname: '/etc' },
    ]);
    const info = await apply(env, undefined, layer);
    assert.equal(info.diffId, sha256(layer));
    assert.equal(info.chainId, info.diffId);
    assert.equal(info.parent, undefined);
    assert.deepEqual(env.snap.get(info.chainId), info);
    const d = env.snap.diffDir(info.chainId);
    assert.equal(d, path.join(env.root, 'layers', info.chainId.slice(7), 'diff'));
    const bb = fs.lstatSync(path.join(d, 'bin/busybox'));
    assert.equal(bb.mode & 0o7777, 0o4755);
    assert.equal(bb.mtime.getTime(), T0.getTime());
    assert.equal(fs.readlinkSync(path.join(d, 'bin/sh')), '/bin/busybox');
    assert.equal(fs.lstatSync(path.join(d, 'bin/ls')).ino, bb.ino);
    const home = fs.lstatSync(path.join(d, 'home/user'));
    assert.equal(home.uid, 1000);
    assert.equal(home.mode & 0o7777, 0o700);
    assert.equal(home.mtime.toISOString(), '2020-05-05T00:00:00.000Z');
    const dn = fs.lstatSync(path.join(d, 'dev/null'));
    assert.ok(dn.isCharacterDevice());
    assert.equal(dn.rdev, (1 << 8) | 3);
    assert.equal(dn.mode & 0o777, 0o666);
    const sda = fs.lstatSync(path.join(d, 'dev/sda'));
    assert.ok(sda.isBlockDevice());
    assert.equal(sda.gid, 6);
    assert.ok(fs.lstatSync(path.join(d, 'run/fifo')).isFIFO());
    assert.equal(fs.lstatSync(path.join(d, 'tmp')).mode & 0o7777, 0o1777);
    assert.equal(fs.readlinkSync(path.join(d, 'abs-link')), '/etc');
    assert.equal(info.size, 'ELF...'.length + '/bin/busybox'.length + 'root:x:0:0::/root:/bin/sh\n'.length + 1 + '/etc'.length);
    assert.equal(await env.snap.usage(info.chainId), info.size);
    assert.deepEqual(tmpLeftovers(env), []);
    // the same layer again: the existing one is returned
    assert.deepEqual(await apply(env, undefined, layer), info);
    assert.deepEqual(await apply(env, undefined, layer, { expectedDiffId: info.diffId }), info);
  });

  test('whiteouts and opaque dirs hide lower files in a real overlay mount', async (t) => {
    if (!need(t)) return;
    const l1 = await apply(env, undefined, await makeTar([
      { name: 'a/file1', body: 'one' },
      { name: 'a/file2', body: 'two' },
      { name: 'b/x', body: 'x' },
      { name: 'd/keep', body: 'keep' },
      { name: 'e/stay', body: 'stay' },
    ]));
    const l2 = await apply(env, l1.chainId, await makeTar([
      { name: 'a/.wh.file1', body: '' },
      { name: '.wh.b', body: '' },
      { name: 'd/', type: 'directory' },
      { name: 'd/.wh..wh..opq', body: '' },
      { name: 'd/new', body: 'new' },
      { name: 'e/.wh..wh.plnk', body: '' },
    ]));
    assert.equal(l2.parent, l1.chainId);
    assert.equal(l2.chainId, chainId([l1.diffId, l2.diffId]));
    const d2 = env.snap.diffDir(l2.chainId);
    const wh = fs.lstatSync(path.join(d2, 'a/file1'));
    assert.ok(wh.isCharacterDevice() && wh.rdev === 0);
    assert.ok(fs.lstatSync(path.join(d2, 'b')).isCharacterDevice());
    assert.equal(xattr(path.join(d2, 'd'), 'trusted.overlay.opaque'), 'y');
    assert.equal(fs.existsSync(path.join(d2, 'e/.wh..wh.plnk')), false);
    assert.deepEqual(env.snap.lowerDirs(l2.chainId), [d2, env.snap.diffDir(l1.chainId)]);

    const cdir = path.join(env.root, 'containers', 'c1');
    const merged = await env.snap.mountRootfs(l2.chainId, cdir);
    try {
      assert.equal(merged, path.join(cdir, 'merged'));
      assert.equal(await env.snap.mountRootfs(l2.chainId, cdir), merged, 'mounting twice is idempotent');
      assert.deepEqual(fs.readdirSync(merged).sort(), ['a', 'd', 'e']);
      assert.deepEqual(fs.readdirSync(path.join(merged, 'a')), ['file2']);
      assert.deepEqual(fs.readdirSync(path.join(merged, 'd')), ['new']);
      assert.deepEqual(fs.readdirSync(path.join(merged, 'e')), ['stay']);
      fs.writeFileSync(path.join(merged, 'a/written'), 'w');
      assert.equal(fs.readFileSync(path.join(cdir, 'upper/a/written'), 'utf8'), 'w');
    } finally {
      await env.snap.unmountRootfs(cdir);
    }
    await env.snap.unmountRootfs(cdir); // idempotent
    assert.deepEqual(fs.readdirSync(merged), []);

    // an image without layers mounts an empty lower dir
    const edir = path.join(env.root, 'containers', 'c2');
    const em = await env.snap.mountRootfs(undefined, edir);
    try {
      assert.deepEqual(fs.readdirSync(em), []);
      fs.writeFileSync(path.join(em, 'f'), 'x');
      assert.ok(fs.existsSync(path.join(edir, 'upper/f')));
    } finally {
      await env.snap.unmountRootfs(edir);
    }
    assert.deepEqual(fs.readdirSync(path.join(env.root, 'layers', 'empty')), []);
  });

  test('hostile tars fail, write nothing outside and commit nothing', async (t) => {
    if (!need(t)) return;
    const h = newEnv();
    const outside = h.outside;
    const passwdBefore = createHash('sha256').update(fs.readFileSync('/etc/passwd')).digest('hex');
    // the unpack dir is <root>/tmp/unpack-X/diff: three levels up is the data root
    const cases: Array<{ what: string; entries: E[]; entry: string }> = [
      { what: '../etc/passwd', entries: [{ name: '../etc/passwd', body: 'pwned' }], entry: '../etc/passwd' },
      { what: 'climbing out of the data root', entries: [{ name: 'a/../../../../outside/pwned', body: 'pwned' }], entry: 'a/../../../../outside/pwned' },
      { what: 'symlink to a dir outside, then a file through it', entries: [{ name: 'a', type: 'symlink', linkname: outside }, { name: 'a/pwned', body: 'pwned' }], entry: 'a/pwned' },
      { what: 'symlink a -> /etc, then a/passwd', entries: [{ name: 'a', type: 'symlink', linkname: '/etc' }, { name: 'a/passwd', body: 'pwned' }], entry: 'a/passwd' },
      { what: 'symlink to .., then writes through it', entries: [{ name: 'up', type: 'symlink', linkname: '..' }, { name: 'up/up/up/outside/pwned', body: 'pwned' }], entry: 'up/up/up/outside/pwned' },
      { what: 'relative symlink climbing out, then a dir through it', entries: [{ name: 'x/y', type: 'symlink', linkname: '../../../../outside' }, { name: 'x/y/sub/', type: 'directory' }], entry: 'x/y/sub/' },
      { what: 'a dir replaced by a symlink, then a file through it', entries: [{ name: 'd/', type: 'directory' }, { name: 'd', type: 'symlink', linkname: outside }, { name: 'd/pwned', body: 'pwned' }], entry: 'd/pwned' },
      { what: 'hardlink to ../../outside', entries: [{ name: 'h', type: 'link', linkname: '../../outside' }], entry: 'h' },
      { what: 'hardlink to /etc/passwd', entries: [{ name: 'h', type: 'link', linkname: '/etc/passwd' }], entry: 'h' },
      { what: 'hardlink through a symlink', entries: [{ name: 's', type: 'symlink', linkname: '/etc' }, { name: 'h', type: 'link', linkname: 's/passwd' }], entry: 'h' },
      { what: 'device node through a symlink', entries: [{ name: 's', type: 'symlink', linkname: outside }, { name: 's/null', type: 'character-device', devmajor: 1, devminor: 3 }], entry: 's/null' },
      { what: 'whiteout through a symlink', entries: [{ name: 's', type: 'symlink', linkname: outside }, { name: 's/.wh.victim', body: '' }], entry: 's/.wh.victim' },
      { what: 'opaque marker through a symlink', entries: [{ name: 's', type: 'symlink', linkname: outside }, { name: 's/.wh..wh..opq', body: '' }], entry: 's/.wh..wh..opq' },
      { what: 'whiteout of ..', entries: [{ name: 'a/.wh...', body: '' }], entry: 'a/.wh...' },
    ];
    fs.writeFileSync(path.join(outside, 'victim'), 'safe');
    for (const c of cases) {
      await assert.rejects(apply(h, undefined, await makeTar(c.entries)), (err: unknown) => {
        assert.ok(isInvalidArgument(err), `${c.what}: ${String(err)}`);
        assert.ok((err as Error).message.includes(JSON.stringify(c.entry)), `${c.what}: message ${JSON.stringify((err as Error).message)} does not name ${c.entry}`);
        return true;
      }, c.what);
      assert.deepEqual(fs.readdirSync(outside), ['victim'], c.what);
      assert.equal(fs.readFileSync(path.join(outside, 'victim'), 'utf8'), 'safe', c.what);
      assert.deepEqual(h.snap.list(), [], c.what);
      assert.deepEqual(tmpLeftovers(h), [], c.what);
      assert.deepEqual(fs.readdirSync(path.join(h.root, 'layers')).sort(), ['empty', 'l'], c.what);
      assert.deepEqual(fs.readdirSync(path.join(h.root, 'tmp')), [], c.what);
      assert.ok(!fs.existsSync(path.join(h.root, 'etc')) && !fs.existsSync(path.join(h.root, 'tmp', 'etc')), c.what);
    }
    assert.equal(createHash('sha256').update(fs.readFileSync('/etc/passwd')).digest('hex'), passwdBefore);

    // absolute names are made relative (as Docker does): they land inside the layer
    const abs = await apply(h, undefined, await makeTar([{ name: '/abs/path', body: 'inside' }, { name: '/../../escape', body: 'inside too' }]));
    assert.equal(fs.readFileSync(path.join(h.snap.diffDir(abs.chainId), 'abs/path'), 'utf8'), 'inside');
    assert.equal(fs.readFileSync(path.join(h.snap.diffDir(abs.chainId), 'escape'), 'utf8'), 'inside too');
    assert.ok(!fs.existsSync('/abs/path'));
    // a hardlink to a file of the layer, by absolute name, is fine
    const hl = await apply(h, undefined, await makeTar([{ name: 'etc/passwd', body: 'layer passwd' }, { name: 'h', type: 'link', linkname: '/etc/passwd' }]));
    assert.equal(fs.readFileSync(path.join(h.snap.diffDir(hl.chainId), 'h'), 'utf8'), 'layer passwd');
  });

  test('corrupt or mismatching input commits nothing', async (t) => {
    if (!need(t)) return;
    const h = newEnv();
    await assert.rejects(apply(h, undefined, Buffer.from('this is not a tar archive at all'.repeat(40))), isInvalidArgument);
    const good = await makeTar([{ name: 'f', body: 'x'.repeat(5000) }]);
    await assert.rejects(apply(h, undefined, good.subarray(0, 1000)), isInvalidArgument);
    await assert.rejects(apply(h, undefined, zlib.gzipSync(good).subarray(0, 60)), isInvalidArgument);
    const wrong = sha256('something else');
    await assert.rejects(apply(h, undefined, good, { expectedDiffId: wrong }), (err: unknown) => isInvalidArgument(err) && (err as Error).message === `layer diff ID mismatch: expected ${wrong}, got ${sha256(good)}`);
    await assert.rejects(apply(h, sha256('no such parent'), good), isNotFound);
    assert.deepEqual(h.snap.list(), []);
    assert.deepEqual(tmpLeftovers(h), []);
    assert.deepEqual(fs.readdirSync(path.join(h.root, 'layers')).sort(), ['empty', 'l']);
  });

  test('gzip and zstd layers are detected; the diff ID is over the uncompressed tar', async (t) => {
    if (!need(t)) return;
    const h = newEnv();
    const plain = await makeTar([{ name: 'z/data', body: Buffer.alloc(200_000, 0x61) }, { name: 'z/link', type: 'symlink', linkname: 'data' }]);
    const g = await apply(h, undefined, zlib.gzipSync(plain));
    assert.equal(g.diffId, sha256(plain));
    await h.snap.remove(g.chainId);
    const z = await apply(h, undefined, zlib.zstdCompressSync(plain));
    assert.equal(z.diffId, sha256(plain));
    assert.equal(fs.statSync(path.join(h.snap.diffDir(z.chainId), 'z/data')).size, 200_000);
  });

  test('round trip: apply -> diff -> apply gives the same files and the same tar', async (t) => {
    if (!need(t)) return;
    const a = newEnv();
    const b = newEnv();
    const l1 = await apply(a, undefined, await makeTar([
      { name: 'etc/', type: 'directory', mode: 0o755 },
      { name: 'etc/hosts', body: '127.0.0.1 localhost\n' },
      { name: 'usr/bin/prog', body: Buffer.alloc(3 * 1024 * 1024, 0x42), mode: 0o755 },
      { name: 'usr/bin/prog2', type: 'link', linkname: 'usr/bin/prog' },
      { name: 'usr/lib/libc.so', type: 'symlink', linkname: '../../lib/libc.so.6' },
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'p', type: 'fifo' },
      { name: 'd/keep', body: 'k' },
    ]));
    const l2 = await apply(a, l1.chainId, await makeTar([
      { name: 'etc/.wh.hosts', body: '' },
      { name: 'd/.wh..wh..opq', body: '' },
      { name: 'd/new', body: 'n', uid: 7, gid: 8, mode: 0o640 },
      { name: 'sbin/su', body: 'su', mode: 0o4755 },
    ]));
    const t1 = await collect(a.snap.diff(l1.chainId));
    const t2 = await collect(a.snap.diff(l2.chainId));
    const b1 = await apply(b, undefined, t1);
    const b2 = await apply(b, b1.chainId, t2);
    // the same bytes come back out of the copy: diff is deterministic
    assert.deepEqual(await collect(b.snap.diff(b1.chainId)), t1);
    assert.deepEqual(await collect(b.snap.diff(b2.chainId)), t2);
    // and the trees are the same
    const tree = (s: OverlaySnapshotter, c: ChainId): string[] => {
      const root = s.diffDir(c);
      const out: string[] = [];
      const walk = (rel: string): void => {
        for (const n of fs.readdirSync(path.join(root, rel)).sort()) {
          const r = rel ? `${rel}/${n}` : n;
          const st = fs.lstatSync(path.join(root, r));
          let extra = '';
          if (st.isFile()) extra = sha256(fs.readFileSync(path.join(root, r)));
          if (st.isSymbolicLink()) extra = fs.readlinkSync(path.join(root, r));
          if (st.isDirectory()) extra = xattr(path.join(root, r), 'trusted.overlay.opaque') ?? '';
          out.push(`${r} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.rdev} ${st.nlink} ${Math.floor(st.mtimeMs / 1000)} ${extra}`);
          if (st.isDirectory()) walk(r);
        }
      };
      walk('');
      return out;
    };
    assert.deepEqual(tree(b.snap, b1.chainId), tree(a.snap, l1.chainId));
    assert.deepEqual(tree(b.snap, b2.chainId), tree(a.snap, l2.chainId));
    // the whiteouts came back as .wh. entries
    const names: string[] = [];
    const ex = tar.extract();
    const reading = (async () => {
      for await (const e of ex) {
        names.push(e.header.name);
        e.resume();
      }
    })();
    ex.end(t2);
    await reading;
    assert.deepEqual(names, ['d/', 'd/.wh..wh..opq', 'd/new', 'etc/', 'etc/.wh.hosts', 'sbin/', 'sbin/su']);
  });

  test('remove refuses parents, verify repairs the disk and the database', async (t) => {
    if (!need(t)) return;
    const h = newEnv();
    const l1 = await apply(h, undefined, await makeTar([{ name: 'one', body: '1' }]));
    const l2 = await apply(h, l1.chainId, await makeTar([{ name: 'two', body: '2' }]));
    const l3 = await apply(h, undefined, await makeTar([{ name: 'three', body: '3' }]));
    await assert.rejects(h.snap.remove(l1.chainId), isConflict);
    await assert.rejects(h.snap.remove(sha256('nope')), isNotFound);
    assert.deepEqual(await h.snap.verify(), []);

    // a crash left: l3's directory gone, an orphan directory, an interrupted unpack, a stale link
    fs.rmSync(path.join(h.root, 'layers', l3.chainId.slice(7)), { recursive: true });
    const orphan = path.join(h.root, 'layers', 'ab'.repeat(32));
    fs.mkdirSync(path.join(orphan, 'diff'), { recursive: true });
    fs.mkdirSync(path.join(h.root, 'tmp', 'unpack-crashed', 'diff'), { recursive: true });
    fs.symlinkSync('../nowhere/diff', path.join(h.root, 'layers', 'l', 'STALE'));
    // and l1's directory is gone too: l2 (stacked on it) must go as well
    fs.rmSync(path.join(h.root, 'layers', l1.chainId.slice(7)), { recursive: true });
    const repaired = await h.snap.verify();
    assert.equal(repaired.length, 6, repaired.join('\n'));
    assert.ok(repaired.some((r) => r.includes(l3.chainId) && r.includes('directory is missing')));
    assert.ok(repaired.some((r) => r.includes(l2.chainId) && r.includes('parent')));
    assert.ok(repaired.some((r) => r.includes('ab'.repeat(32))));
    assert.ok(repaired.some((r) => r.includes('unpack-crashed')));
    assert.ok(repaired.some((r) => r.includes('STALE')));
    assert.deepEqual(h.snap.list(), []);
    assert.deepEqual(fs.readdirSync(path.join(h.root, 'layers')).sort(), ['empty', 'l']);
    assert.deepEqual(fs.readdirSync(path.join(h.root, 'layers', 'l')), []);
    assert.deepEqual(await h.snap.verify(), []);

    // remove child then parent
    const p = await apply(h, undefined, await makeTar([{ name: 'p', body: 'p' }]));
    const c = await apply(h, p.chainId, await makeTar([{ name: 'c', body: 'c' }]));
    await h.snap.remove(c.chainId);
    await h.snap.remove(p.chainId);
    assert.deepEqual(h.snap.list(), []);
    assert.deepEqual(fs.readdirSync(path.join(h.root, 'layers')).sort(), ['empty', 'l']);
    assert.deepEqual(fs.readdirSync(path.join(h.root, 'layers', 'l')), []);
  });

  test('concurrent applies of the same layer commit it once', async (t) => {
    if (!need(t)) return;
    const h = newEnv();
    const layer = await makeTar(Array.from({ length: 50 }, (_, i) => ({ name: `f/${i}`, body: `file ${i}` })));
    const results = await Promise.all(Array.from({ length: 5 }, () => apply(h, undefined, layer)));
    for (const r of results) assert.deepEqual(r, results[0]);
    assert.equal(h.snap.list().length, 1);
    assert.deepEqual(tmpLeftovers(h), []);
    // with the expected diff ID, concurrent applies wait for the first one
    const other = await makeTar([{ name: 'other', body: 'o' }]);
    const expectedDiffId = sha256(other);
    const again = await Promise.all(Array.from({ length: 4 }, () => apply(h, results[0]?.chainId, other, { expectedDiffId })));
    for (const r of again) assert.deepEqual(r, again[0]);
    assert.equal(h.snap.list().length, 2);
    assert.deepEqual(tmpLeftovers(h), []);
  });

  test('prepare in parallel, commit in chain order; discard and mismatches leave nothing', async (t) => {
    if (!need(t)) return;
    const h = newEnv();
    const tars = await Promise.all([0, 1, 2].map((i) => makeTar([{ name: `layer${i}`, body: `content ${i}` }, { name: 'shared', body: `from ${i}` }])));
    const diffIds = tars.map((b) => sha256(b));
    const chain: ChainId[] = [];
    for (let i = 0; i < diffIds.length; i++) chain.push(chainId(diffIds.slice(0, i + 1)) as ChainId);
    // the top layer first: prepare never needs the parent
    const prepared = await Promise.all([2, 1, 0].map((i) => h.snap.prepare(Readable.from([tars[i] as Buffer]), { parent: i > 0 ? chain[i - 1] : undefined, expectedDiffId: diffIds[i] as Digest })));
    assert.deepEqual(prepared.map((p) => p.diffId), [diffIds[2], diffIds[1], diffIds[0]]);
    assert.equal(h.snap.list().length, 0, 'nothing is visible before commit');
    const [p2, p1, p0] = prepared as [typeof prepared[0], typeof prepared[0], typeof prepared[0]];
    // committing on a parent that is not committed yet fails and keeps the prepared layer
    await assert.rejects(h.snap.commit(chain[0], p1), isNotFound);
    const c0 = await h.snap.commit(undefined, p0);
    const c1 = await h.snap.commit(c0.chainId, p1);
    assert.equal(c1.chainId, chain[1]);
    // a discarded handle cannot be committed; its temp dir is gone
    await h.snap.discard(p2);
    await assert.rejects(h.snap.commit(c1.chainId, p2), isInvalidArgument);
    assert.deepEqual(tmpLeftovers(h), []);
    assert.equal(h.snap.list().length, 2);
    assert.equal(fs.readFileSync(path.join(h.snap.layersDir, (chain[1] as string).slice('sha256:'.length), 'diff', 'layer1'), 'utf8'), 'content 1');
    // a chain that exists already is not unpacked again; committing returns the existing layer
    const again = await h.snap.prepare(Readable.from([tars[0] as Buffer]), { expectedDiffId: diffIds[0] as Digest });
    assert.deepEqual(await h.snap.commit(undefined, again), c0);
    // a wrong expected diff ID fails prepare and leaves no temp dir
    await assert.rejects(h.snap.prepare(Readable.from([tars[2] as Buffer]), { parent: chain[1], expectedDiffId: diffIds[0] as Digest }), isInvalidArgument);
    assert.deepEqual(tmpLeftovers(h), []);
    assert.equal(h.snap.list().length, 2);
  });

  test('a tar entry of an outer archive (docker load) can be the source', async (t) => {
    if (!need(t)) return;
    const h = newEnv();
    const inner = await makeTar([{ name: 'hello', body: 'world' }]);
    const outer = await makeTar([{ name: 'manifest.json', body: '[]' }, { name: 'blobs/sha256/x', body: inner }, { name: 'after', body: 'tail' }]);
    const ex = tar.extract();
    const seen: string[] = [];
    let info: Awaited<ReturnType<OverlaySnapshotter['apply']>> | undefined;
    const reading = (async () => {
      for await (const e of ex) {
        seen.push(e.header.name);
        if (e.header.name === 'blobs/sha256/x') info = await h.snap.apply(undefined, e as unknown as Readable);
        else e.resume();
      }
    })();
    ex.end(outer);
    await reading;
    assert.deepEqual(seen, ['manifest.json', 'blobs/sha256/x', 'after']);
    assert.equal(info?.diffId, sha256(inner));
  });

  test('a consumer that stops reading a diff early leaks nothing', async (t) => {
    if (!need(t)) return;
    const h = newEnv();
    const l = await apply(h, undefined, await makeTar([{ name: 'big', body: Buffer.alloc(8 * 1024 * 1024, 1) }, { name: 'small', body: 's' }]));
    const fdsBefore = fs.readdirSync('/proc/self/fd').length;
    const r = h.snap.diff(l.chainId);
    for await (const _ of r) break; // destroys the stream after the first chunk
    for (let i = 0; i < 50 && fs.readdirSync('/proc/self/fd').length > fdsBefore; i++) await new Promise((res) => setTimeout(res, 20));
    assert.equal(fs.readdirSync('/proc/self/fd').length, fdsBefore);
    assert.throws(() => h.snap.diff(sha256('absent')), isNotFound);
  });
});
