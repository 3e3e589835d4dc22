// OverlaySnapshotter: one unpacked layer directory per chain ID under <dataRoot>/layers, the
// metadata in the snapshots table of the metadata database. A layer is unpacked into
// <dataRoot>/tmp/unpack-*, synced, renamed into layers/<chainhex>, and only then recorded in the
// database, so a row always names a complete directory (a crash leaves at most an orphan
// directory, which verify() removes at start-up).
//
// layers/<chainhex>/diff    the layer, whiteouts in overlay form
// layers/<chainhex>/link    the layer's short id
// layers/l/<short>          -> ../<chainhex>/diff (short lowerdir paths, like Docker's overlay2)
// layers/empty              the lower dir of an image without layers
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { conflict, errnoCode, invalidArgument, notFound, systemError } from '../../errdefs/index.js';
import { childChainId, digestHex, isDigest, type Digest } from '../../oci/digest.js';
import type { MetadataDb } from '../metadata/db.js';
import { layerTar } from './diff.js';
import { ExtractPool } from './extract-pool.js';
import { runHelper } from './helper-exec.js';
import { isMountPoint, mountOverlay, unmount } from './mount.js';
import { spreadSubdirs } from './spread.js';
import type { ChainId, LayerInfo, PreparedLayer, PrepareOptions, RootfsMounter, Snapshotter } from './types.js';

export interface OverlaySnapshotterOptions {
  dataRoot: string;
  db: MetadataDb;
  /** worker threads that unpack layers (0: on the main thread); default: the CPUs, at least 2 */
  unpackWorkers?: number;
}

const MIGRATIONS = [
  `CREATE TABLE snapshots (
     chain_id TEXT PRIMARY KEY,
     diff_id TEXT NOT NULL,
     parent TEXT REFERENCES snapshots(chain_id),
     size INTEGER NOT NULL,
     link TEXT NOT NULL UNIQUE,
     created INTEGER NOT NULL
   );
   CREATE INDEX snapshots_parent ON snapshots(parent);`,
];

interface Row {
  chain_id: string;
  diff_id: string;
  parent: string | null;
  size: number;
  link: string;
}

/** One unpacked temp dir, shared by the handles of prepares that deduplicated onto it. */
interface Unpacked {
  /** tmp/unpack-* (holding diff/) until committed or dropped; undefined for a chain that existed */
  tmp: string | undefined;
  diffId: Digest;
  size: number;
  /** handles not yet committed or discarded; the dir is removed when the last one lets go */
  refs: number;
  /** order in which unpacks finished (for coalesced syncs) */
  seq: number;
}

interface Handle {
  u: Unpacked;
  state: 'prepared' | 'committed' | 'discarded';
}

const UNPACK_PREFIX = 'unpack-';
const REMOVE_PREFIX = 'remove-';
const SHORT_ID_LEN = 26;

function toInfo(r: Row): LayerInfo {
  return { chainId: r.chain_id as ChainId, diffId: r.diff_id as Digest, parent: (r.parent ?? undefined) as ChainId | undefined, size: r.size };
}

export class OverlaySnapshotter implements Snapshotter, RootfsMounter {
  readonly dataRoot: string;
  readonly layersDir: string;
  readonly #db: MetadataDb;
  readonly #tmpDir: string;
  readonly #linkDir: string;
  readonly #emptyDir: string;
  readonly #inflight = new Map<string, Promise<Unpacked>>();
  readonly #unpackers: ExtractPool;
  readonly #prepared = new WeakMap<PreparedLayer, Handle>();
  /** unpacks finished so far / covered by a completed syncfs */
  #seq = 0;
  #synced = 0;
  #syncing: { covers: number; done: Promise<void> } | undefined;
  /** tmp/ flagged so that ext4 spreads the unpack dirs over its block groups (spread.ts), once */
  #spread: Promise<boolean> | undefined;

  constructor(opts: OverlaySnapshotterOptions) {
    this.dataRoot = opts.dataRoot;
    this.#db = opts.db;
    this.layersDir = path.join(opts.dataRoot, 'layers');
    this.#tmpDir = path.join(opts.dataRoot, 'tmp');
    this.#linkDir = path.join(this.layersDir, 'l');
    this.#emptyDir = path.join(this.layersDir, 'empty');
    this.#unpackers = new ExtractPool(opts.unpackWorkers !== undefined ? { size: opts.unpackWorkers } : {});
    fs.mkdirSync(this.#linkDir, { recursive: true, mode: 0o700 });
    fs.mkdirSync(this.#emptyDir, { recursive: true, mode: 0o755 });
    fs.mkdirSync(this.#tmpDir, { recursive: true, mode: 0o700 });
    fs.chmodSync(this.layersDir, 0o710);
    this.#db.migrate('snapshots', MIGRATIONS);
  }

  #layerDir(chainId: ChainId): string {
    return path.join(this.layersDir, digestHex(chainId));
  }

  /** The layer's directory as seen by overlayfs (layers/<chainhex>/diff). */
  diffDir(chainId: ChainId): string {
    return path.join(this.#layerDir(chainId), 'diff');
  }

  #row(chainId: ChainId): Row | undefined {
    return this.#db.get<Row>('SELECT chain_id, diff_id, parent, size, link FROM snapshots WHERE chain_id = ?', chainId);
  }

  get(chainId: ChainId): LayerInfo | undefined {
    const r = this.#row(chainId);
    return r ? toInfo(r) : undefined;
  }

  list(): LayerInfo[] {
    return this.#db.all<Row>('SELECT chain_id, diff_id, parent, size, link FROM snapshots ORDER BY chain_id').map(toInfo);
  }

  /** The chain from `chainId` down to its base layer (topmost first). */
  #chain(chainId: ChainId): Row[] {
    const out: Row[] = [];
    let cur: string | null = chainId;
    while (cur !== null) {
      const r = this.#row(cur as ChainId);
      if (!r) throw notFound(`snapshot ${cur} does not exist`);
      out.push(r);
      cur = r.parent;
      if (out.length > 1000) throw new Error(`snapshot chain of ${chainId} is cyclic`);
    }
    return out;
  }

  lowerDirs(chainId: ChainId): string[] {
    return this.#chain(chainId).map((r) => this.diffDir(r.chain_id as ChainId));
  }

  async apply(parent: ChainId | undefined, source: Readable, opts: { expectedDiffId?: Digest; signal?: AbortSignal } = {}): Promise<LayerInfo> {
    if (parent !== undefined && !this.#row(parent)) {
      source.destroy();
      throw notFound(`parent snapshot ${parent} does not exist`);
    }
    const prepared = await this.prepare(source, { ...opts, parent });
    try {
      return await this.commit(parent, prepared);
    } finally {
      await this.discard(prepared);
    }
  }

  warmUp(): void {
    this.#unpackers.warm();
  }

  async prepare(source: Readable, opts: PrepareOptions = {}): Promise<PreparedLayer> {
    const { expectedDiffId } = opts;
    if (expectedDiffId === undefined) return this.#handle(await this.#unpack(source, opts));
    if (!isDigest(expectedDiffId)) {
      source.destroy();
      throw invalidArgument(`invalid diff ID ${expectedDiffId}`);
    }
    const key = childChainId(opts.parent, expectedDiffId);
    const existing = this.get(key);
    if (existing) return this.#drainInto(source, { tmp: undefined, diffId: existing.diffId, size: existing.size, refs: 0, seq: 0 });
    // the same chain is being unpacked already (two pulls of one image): wait for it, then drain
    // this source; if that unpack failed or was dropped meanwhile, unpack this source's bytes
    const running = this.#inflight.get(key);
    if (running) {
      const u = await running.catch(() => undefined);
      if (u && (u.tmp !== undefined || this.get(key))) return this.#drainInto(source, u);
    }
    const p = this.#unpack(source, opts);
    this.#inflight.set(key, p);
    try {
      return this.#handle(await p);
    } finally {
      if (this.#inflight.get(key) === p) this.#inflight.delete(key);
    }
  }

  /** A second handle on an unpack (or on a committed chain): the source is read and dropped. */
  async #drainInto(source: Readable, u: Unpacked): Promise<PreparedLayer> {
    const h = this.#handle(u);
    try {
      for await (const _ of source) void _;
    } catch (err) {
      await this.discard(h);
      throw err;
    }
    return h;
  }

  #handle(u: Unpacked): PreparedLayer {
    u.refs++;
    const h: PreparedLayer = Object.freeze({ diffId: u.diffId, size: u.size });
    this.#prepared.set(h, { u, state: 'prepared' });
    return h;
  }

  async #unpack(source: Readable, opts: PrepareOptions): Promise<Unpacked> {
    await (this.#spread ??= spreadSubdirs(this.#tmpDir));
    const tmp = await fsp.mkdtemp(path.join(this.#tmpDir, UNPACK_PREFIX));
    try {
      const diff = path.join(tmp, 'diff');
      await fsp.mkdir(diff, { mode: 0o755 });
      // no sync here: commit syncs once for every layer prepared before it (see #syncBefore)
      const r = await this.#unpackers.extract(source, diff, opts.signal ? { signal: opts.signal } : {});
      if (opts.expectedDiffId !== undefined && r.diffId !== opts.expectedDiffId) {
        throw invalidArgument(`layer diff ID mismatch: expected ${opts.expectedDiffId}, got ${r.diffId}`);
      }
      return { tmp, diffId: r.diffId, size: r.unpackedSize, refs: 0, seq: ++this.#seq };
    } catch (err) {
      await fsp.rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  async commit(parent: ChainId | undefined, prepared: PreparedLayer): Promise<LayerInfo> {
    const h = this.#prepared.get(prepared);
    if (!h) throw invalidArgument('not a layer prepared by this snapshotter');
    if (h.state === 'discarded') throw invalidArgument(`prepared layer ${prepared.diffId} was discarded`);
    const chainId = childChainId(parent, h.u.diffId);
    if (h.state === 'committed') {
      const again = this.get(chainId);
      if (!again) throw notFound(`snapshot ${chainId} does not exist`);
      return again;
    }
    if (h.u.tmp !== undefined) await this.#syncBefore(h.u.seq);
    if (h.state !== 'prepared') return this.commit(parent, prepared); // committed or discarded while syncing
    const info = this.#commitSync(parent, chainId, h.u);
    h.state = 'committed';
    await this.#release(h.u);
    return info;
  }

  /** Synchronous, so two commits of the same chain cannot interleave here. */
  #commitSync(parent: ChainId | undefined, chainId: ChainId, u: Unpacked): LayerInfo {
    const existing = this.get(chainId);
    if (existing) return existing; // committed concurrently or before: the temp dir is discarded
    if (parent !== undefined && !this.#row(parent)) throw notFound(`parent snapshot ${parent} does not exist`);
    if (u.tmp === undefined) throw notFound(`snapshot ${chainId} was removed while it was being prepared`);
    const link = digestHex(chainId).slice(0, SHORT_ID_LEN);
    fs.writeFileSync(path.join(u.tmp, 'link'), link);
    const dir = this.#layerDir(chainId);
    // a directory without a row is a leftover of a crash between rename and insert
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(u.tmp, dir);
    u.tmp = undefined;
    const linkPath = path.join(this.#linkDir, link);
    fs.rmSync(linkPath, { force: true });
    fs.symlinkSync(path.join('..', digestHex(chainId), 'diff'), linkPath);
    syncDirSync(this.layersDir);
    this.#db.transaction(() => {
      this.#db.run('INSERT INTO snapshots (chain_id, diff_id, parent, size, link, created) VALUES (?, ?, ?, ?, ?, ?)', chainId, u.diffId, parent ?? null, u.size, link, Date.now());
    });
    return { chainId, diffId: u.diffId, parent, size: u.size };
  }

  async discard(prepared: PreparedLayer): Promise<void> {
    const h = this.#prepared.get(prepared);
    if (!h || h.state !== 'prepared') return;
    h.state = 'discarded';
    await this.#release(h.u);
  }

  async #release(u: Unpacked): Promise<void> {
    if (--u.refs > 0 || u.tmp === undefined) return;
    const tmp = u.tmp;
    u.tmp = undefined;
    await fsp.rm(tmp, { recursive: true, force: true });
  }

  /**
   * syncfs the data root's filesystem unless a sync that started after unpack `seq` finished has
   * completed (or is running: then wait for it). Layers committed together share one sync.
   */
  async #syncBefore(seq: number): Promise<void> {
    for (;;) {
      if (this.#synced >= seq) return;
      if (this.#syncing && this.#syncing.covers >= seq) {
        await this.#syncing.done;
        continue;
      }
      if (this.#syncing) {
        await this.#syncing.done.catch(() => undefined);
        continue;
      }
      const covers = this.#seq;
      const done = syncfs(this.#tmpDir).then(() => {
        this.#synced = Math.max(this.#synced, covers);
      });
      this.#syncing = { covers, done };
      try {
        await done;
      } finally {
        if (this.#syncing?.done === done) this.#syncing = undefined;
      }
    }
  }

  async remove(chainId: ChainId): Promise<void> {
    const row = this.#row(chainId);
    if (!row) throw notFound(`snapshot ${chainId} does not exist`);
    const children = this.#db.get<{ n: number }>('SELECT COUNT(*) AS n FROM snapshots WHERE parent = ?', chainId)?.n ?? 0;
    if (children > 0) throw conflict(`snapshot ${chainId} is the parent of ${children} other layer(s)`);
    this.#db.transaction(() => {
      this.#db.run('DELETE FROM snapshots WHERE chain_id = ?', chainId);
    });
    await this.#removeDir(chainId, row.link);
  }

  async #removeDir(chainId: ChainId, link: string | undefined): Promise<void> {
    if (link !== undefined) await fsp.rm(path.join(this.#linkDir, link), { force: true });
    const dir = this.#layerDir(chainId);
    const trash = path.join(this.#tmpDir, `${REMOVE_PREFIX}${randomBytes(8).toString('hex')}`);
    try {
      await fsp.rename(dir, trash);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw err;
    }
    await fsp.rm(trash, { recursive: true, force: true });
  }

  diff(chainId: ChainId): Readable {
    if (!this.#row(chainId)) throw notFound(`snapshot ${chainId} does not exist`);
    return layerTar(this.diffDir(chainId));
  }

  /** Bytes used by the layer's files (symlinks by their length, hardlinks once), for df. */
  async usage(chainId: ChainId): Promise<number> {
    if (!this.#row(chainId)) throw notFound(`snapshot ${chainId} does not exist`);
    return dirUsage(this.diffDir(chainId));
  }

  async mountRootfs(chainId: ChainId | undefined, containerDir: string): Promise<string> {
    const upper = path.join(containerDir, 'upper');
    const work = path.join(containerDir, 'work');
    const merged = path.join(containerDir, 'merged');
    for (const d of [upper, work, merged]) await fsp.mkdir(d, { recursive: true, mode: 0o755 });
    if (await isMountPoint(merged)) return merged;
    const lowers = chainId === undefined ? ['empty'] : this.#chain(chainId).map((r) => `l/${r.link}`);
    await mountOverlay({ lowers, upper: path.resolve(upper), work: path.resolve(work), target: path.resolve(merged), cwd: this.layersDir });
    return merged;
  }

  async unmountRootfs(containerDir: string): Promise<void> {
    await unmount(path.join(containerDir, 'merged'));
  }

  /**
   * Start-up recovery. Removes rows whose directory is missing (and the layers stacked on them),
   * directories without a row, stale l/ links and interrupted unpacks; recreates missing links.
   * Returns a description of every repair.
   */
  async verify(): Promise<string[]> {
    const repaired: string[] = [];
    const rows = this.#db.all<Row>('SELECT chain_id, diff_id, parent, size, link FROM snapshots');
    const byChain = new Map(rows.map((r) => [r.chain_id, r]));
    const broken = new Set<string>();
    for (const r of rows) {
      if (!fs.existsSync(this.diffDir(r.chain_id as ChainId))) broken.add(r.chain_id);
    }
    // layers stacked on a broken layer are broken too
    let grew = true;
    while (grew) {
      grew = false;
      for (const r of rows) {
        if (!broken.has(r.chain_id) && r.parent !== null && (broken.has(r.parent) || !byChain.has(r.parent))) {
          broken.add(r.chain_id);
          grew = true;
        }
      }
    }
    if (broken.size > 0) {
      const depth = (c: string): number => {
        let n = 0;
        for (let r = byChain.get(c); r?.parent; r = byChain.get(r.parent)) n++;
        return n;
      };
      const order = [...broken].sort((a, b) => depth(b) - depth(a));
      this.#db.transaction(() => {
        for (const c of order) this.#db.run('DELETE FROM snapshots WHERE chain_id = ?', c);
      });
      for (const c of order) {
        const r = byChain.get(c);
        await this.#removeDir(c as ChainId, r?.link);
        const why = r?.parent != null && (broken.has(r.parent) || !byChain.has(r.parent)) ? `its parent ${r.parent} is gone` : 'its directory is missing';
        repaired.push(`removed snapshot ${c}: ${why}`);
        byChain.delete(c);
      }
    }
    // directories without a row
    for (const name of await fsp.readdir(this.layersDir)) {
      if (!/^[a-f0-9]{64}$/.test(name)) continue;
      if (byChain.has(`sha256:${name}`)) continue;
      await this.#removeDir(`sha256:${name}` as ChainId, undefined);
      repaired.push(`removed layer directory ${name}: no snapshot record`);
    }
    // links
    const wanted = new Map([...byChain.values()].map((r) => [r.link, r.chain_id]));
    for (const name of await fsp.readdir(this.#linkDir)) {
      if (!wanted.has(name)) {
        await fsp.rm(path.join(this.#linkDir, name), { recursive: true, force: true });
        repaired.push(`removed stale link l/${name}`);
      }
    }
    for (const [link, chain] of wanted) {
      const p = path.join(this.#linkDir, link);
      const target = path.join('..', digestHex(chain as ChainId), 'diff');
      let ok = false;
      try {
        ok = (await fsp.readlink(p)) === target;
      } catch {
        ok = false;
      }
      if (!ok) {
        await fsp.rm(p, { recursive: true, force: true });
        await fsp.symlink(target, p);
        repaired.push(`recreated link l/${link} for ${chain}`);
      }
    }
    // interrupted unpacks and removals
    for (const name of await fsp.readdir(this.#tmpDir)) {
      if (name.startsWith(UNPACK_PREFIX) || name.startsWith(REMOVE_PREFIX)) {
        await fsp.rm(path.join(this.#tmpDir, name), { recursive: true, force: true });
        repaired.push(`removed interrupted ${name.startsWith(UNPACK_PREFIX) ? 'unpack' : 'removal'} tmp/${name}`);
      }
    }
    return repaired;
  }
}

/** syncfs(2) of the filesystem holding `p` (Node has none: coreutils' sync -f). */
async function syncfs(p: string): Promise<void> {
  const r = await runHelper('sync', ['-f', p]);
  if (r.code !== 0) throw systemError(`syncing ${p} failed: ${r.stderr || `sync exited with status ${r.code}`}`);
}

function syncDirSync(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Like Docker's directory.Size: lstat sizes of everything but directories, hardlinks once. */
export async function dirUsage(root: string): Promise<number> {
  let total = 0;
  const seen = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const d of await fsp.readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, d.name);
      if (d.isDirectory()) {
        await walk(p);
        continue;
      }
      const st = await fsp.lstat(p);
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      total += st.size;
    }
  };
  await walk(root);
  return total;
}
