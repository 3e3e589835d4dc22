// The RootfsMounter used when the daemon remaps user namespaces: the same overlay as the
// snapshotter's, but over per-remap copies of the layers whose owners are shifted into the
// remap range (made once per layer, shared by every container), and an upper dir owned by the
// remapped root. This is dockerd's approach (<data-root>/<uid>.<gid>); crun's idmapped mounts
// would avoid the copy but cannot idmap an overlay rootfs with crun 1.8 here.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { ChainId, RootfsMounter, Snapshotter } from '../../store/snapshots/types.js';
import { isMountPoint, mountOverlay, unmount } from '../../store/snapshots/mount.js';
import { copyTree, shiftOwners, toHost, type Remap } from './userns.js';

export class RemappedRootfs implements RootfsMounter {
  readonly #layers: Pick<Snapshotter, 'lowerDirs'>;
  readonly #remap: Remap;
  readonly #dataRoot: string;
  readonly #root: string;
  readonly #uid: number;
  readonly #gid: number;
  readonly #inflight = new Map<string, Promise<string>>();
  /** milliseconds spent copying and shifting each layer (for reports) */
  readonly timings = new Map<string, number>();

  constructor(o: { layers: Pick<Snapshotter, 'lowerDirs'>; remap: Remap; dataRoot: string }) {
    this.#layers = o.layers;
    this.#remap = o.remap;
    this.#dataRoot = o.dataRoot;
    this.#uid = toHost(o.remap.uidMap, 0);
    this.#gid = toHost(o.remap.gidMap, 0);
    this.#root = path.join(o.dataRoot, `${this.#uid}.${this.#gid}`, 'layers');
    fs.mkdirSync(this.#root, { recursive: true, mode: 0o700 });
  }

  /** The remapped root must be able to walk down to its rootfs and bind sources (dockerd makes its root 0711 too). */
  #traversable(containerDir: string): void {
    for (const d of [this.#dataRoot, path.dirname(containerDir), containerDir]) {
      try {
        const st = fs.statSync(d);
        if ((st.mode & 0o001) === 0) fs.chmodSync(d, (st.mode & 0o7777) | 0o001);
      } catch {
        /* not there yet */
      }
    }
  }

  get hostRoot(): { uid: number; gid: number } {
    return { uid: this.#uid, gid: this.#gid };
  }

  /** The remapped copy of one layer dir (<data-root>/layers/<hex>/diff), made on first use. */
  #copy(diffDir: string): Promise<string> {
    const key = path.basename(path.dirname(diffDir));
    const rel = path.join(key, 'diff');
    const dst = path.join(this.#root, rel);
    if (fs.existsSync(dst)) return Promise.resolve(rel);
    let p = this.#inflight.get(key);
    if (!p) {
      p = (async () => {
        const t0 = performance.now();
        const tmp = path.join(this.#root, `.tmp-${key}-${process.pid}`);
        await fsp.rm(tmp, { recursive: true, force: true });
        await fsp.mkdir(tmp, { recursive: true });
        copyTree(diffDir, path.join(tmp, 'diff'));
        await shiftOwners(path.join(tmp, 'diff'), this.#remap);
        await fsp.rm(path.join(this.#root, key), { recursive: true, force: true });
        await fsp.rename(tmp, path.join(this.#root, key));
        this.timings.set(key, Math.round(performance.now() - t0));
        return rel;
      })().finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, p);
    }
    return p;
  }

  async mountRootfs(chainId: ChainId | undefined, containerDir: string): Promise<string> {
    const upper = path.join(containerDir, 'upper');
    const work = path.join(containerDir, 'work');
    const merged = path.join(containerDir, 'merged');
    for (const d of [upper, work, merged]) await fsp.mkdir(d, { recursive: true, mode: 0o755 });
    this.#traversable(containerDir);
    const st = await fsp.stat(upper);
    if (st.uid === 0 && st.gid === 0) await fsp.chown(upper, this.#uid, this.#gid);
    if (await isMountPoint(merged)) return merged;
    let lowers: string[];
    if (chainId === undefined) {
      await fsp.mkdir(path.join(this.#root, 'empty'), { recursive: true });
      lowers = ['empty'];
    } else {
      lowers = await Promise.all(this.#layers.lowerDirs(chainId).map((d) => this.#copy(d)));
    }
    await mountOverlay({ lowers, upper: path.resolve(upper), work: path.resolve(work), target: path.resolve(merged), cwd: this.#root });
    return merged;
  }

  async unmountRootfs(containerDir: string): Promise<void> {
    await unmount(path.join(containerDir, 'merged'));
  }

  /** Remove copies whose layer is gone (the snapshotter removed it). */
  async sweep(): Promise<string[]> {
    const removed: string[] = [];
    for (const key of await fsp.readdir(this.#root).catch(() => [] as string[])) {
      if (key === 'empty') continue;
      if (key.startsWith('.tmp-') || !fs.existsSync(path.join(this.#dataRoot, 'layers', key, 'diff'))) {
        await fsp.rm(path.join(this.#root, key), { recursive: true, force: true });
        removed.push(key);
      }
    }
    return removed;
  }
}
