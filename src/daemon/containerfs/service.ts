// Container filesystem operations: stat/get/put of paths (docker cp), changes (docker diff),
// export and commit. A running container's files are reached through /proc/<pid>/root (its own
// mount namespace, so volumes and binds appear where the container sees them); a stopped one's
// rootfs is mounted for the operation (reference-counted) and unmounted after. Every path is
// resolved inside the container's root by ScopedRoot, never by the host's path walk.
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { BerthError, invalidArgument, notFound, systemError, wrap } from '../../errdefs/index.js';
import { childChainId, sha256 } from '../../oci/digest.js';
import { MediaTypes } from '../../oci/media-types.js';
import type { ImageConfig, ImageManifest } from '../../oci/types.js';
import type { ContentStore, Digest } from '../../store/content/types.js';
import { layerTar } from '../../store/snapshots/diff.js';
import type { ChainId, RootfsMounter, Snapshotter } from '../../store/snapshots/types.js';
import type { ContainerConfig } from '../../engine-api/container.js';
import type { ContainerRecord } from '../containers/types.js';
import type { EventsService } from '../events.js';
import { applyChanges } from '../images/changes.js';
import { ImageService } from '../images/service.js';
import type { ImageRunConfig } from '../images/types.js';
import { overlayChanges, type Change } from './changes.js';
import { childImageConfig, EMPTY_LAYER_DIFF_ID, mergeConfig, withoutInitPaths } from './commit.js';
import { containerAbsPath, fdPath, goBase, ScopedRoot, splitPath, type Frame } from './scoped-root.js';
import { tarWalk } from './tar-walk.js';
import { untar } from './untar.js';

/** Docker's container.PathStat (X-Docker-Container-Path-Stat), mode as a Go os.FileMode. */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** What the service needs from the container service. */
export interface ContainerFsBackend {
  get(idOrName: string): ContainerRecord;
  pause(idOrName: string): Promise<void>;
  unpause(idOrName: string): Promise<void>;
}

export interface CommitOptions {
  container: string;
  repo?: string | undefined;
  tag?: string | undefined;
  comment?: string | undefined;
  author?: string | undefined;
  pause?: boolean | undefined;
  changes?: string[] | undefined;
  /** the request body (a container config), as Docker's POST /commit takes it */
  config?: ContainerConfig | undefined;
}

export interface ContainerFsOptions {
  containers: ContainerFsBackend;
  rootfs: RootfsMounter;
  snapshots: Pick<Snapshotter, 'lowerDirs' | 'apply' | 'get'>;
  content: Pick<ContentStore, 'read' | 'write' | 'readBytes' | 'info'>;
  images: Pick<ImageService, 'pushSource' | 'addPulled' | 'discardUnused'>;
  events: EventsService;
  logger: Logger;
  /** docker_version in committed image configs */
  version: string;
}

const GO_MODE = { dir: 1 << 31, symlink: 1 << 27, device: 1 << 26, pipe: 1 << 25, socket: 1 << 24, setuid: 1 << 23, setgid: 1 << 22, char: 1 << 21, sticky: 1 << 20 };

/** os.FileMode of a stat, as Go builds it. */
export function goFileMode(st: fs.Stats | fs.BigIntStats): number {
  const mode = Number(st.mode);
  let m = mode & 0o777;
  if (st.isDirectory()) m |= GO_MODE.dir;
  else if (st.isSymbolicLink()) m |= GO_MODE.symlink;
  else if (st.isBlockDevice()) m |= GO_MODE.device;
  else if (st.isCharacterDevice()) m |= GO_MODE.device | GO_MODE.char;
  else if (st.isFIFO()) m |= GO_MODE.pipe;
  else if (st.isSocket()) m |= GO_MODE.socket;
  if (mode & 0o4000) m |= GO_MODE.setuid;
  if (mode & 0o2000) m |= GO_MODE.setgid;
  if (mode & 0o1000) m |= GO_MODE.sticky;
  return m >>> 0;
}

/** RFC 3339 with nanoseconds, as Go marshals a time.Time in UTC. */
export function rfc3339Nano(ns: bigint): string {
  const sec = ns / 1_000_000_000n;
  const frac = ns % 1_000_000_000n;
  const base = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  const f = frac === 0n ? '' : `.${frac.toString().padStart(9, '0').replace(/0+$/, '')}`;
  return `${base}${f}Z`;
}

const isLive = (r: ContainerRecord): boolean => (r.state.status === 'running' || r.state.status === 'paused') && r.state.pid > 0;

function pidAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

interface Opened {
  root: ScopedRoot;
  release(): Promise<void>;
}

export class ContainerFsService {
  readonly #o: ContainerFsOptions;
  readonly #mounts = new Map<string, { count: number; ready: Promise<string> }>();

  constructor(o: ContainerFsOptions) {
    this.#o = o;
  }

  // ---------------------------------------------------------------- the container's root

  /** The container's root: its own view when running, else its rootfs mounted for the call. */
  async #open(rec: ContainerRecord): Promise<Opened> {
    if (isLive(rec) && pidAlive(rec.state.pid)) {
      try {
        const root = new ScopedRoot(`/proc/${rec.state.pid}/root`);
        return { root, release: async () => root.close() };
      } catch {
        /* exited meanwhile: fall through to a mount */
      }
    }
    const merged = await this.#mount(rec);
    try {
      const root = new ScopedRoot(merged);
      return {
        root,
        release: async () => {
          root.close();
          await this.#unmount(rec);
        },
      };
    } catch (err) {
      await this.#unmount(rec);
      throw err;
    }
  }

  async #mount(rec: ContainerRecord): Promise<string> {
    const m = this.#mounts.get(rec.id);
    if (m) {
      m.count++;
      return m.ready;
    }
    const ready = this.#o.rootfs.mountRootfs(rec.chainId as ChainId | undefined, rec.paths.dir);
    this.#mounts.set(rec.id, { count: 1, ready });
    try {
      return await ready;
    } catch (err) {
      this.#mounts.delete(rec.id);
      throw wrap(err, `mounting the filesystem of container ${rec.id.slice(0, 12)}`);
    }
  }

  async #unmount(rec: ContainerRecord): Promise<void> {
    const m = this.#mounts.get(rec.id);
    if (!m) return;
    if (--m.count > 0) return;
    this.#mounts.delete(rec.id);
    // the container started meanwhile: its mount is the container service's now
    if (rec.state.status === 'running' || rec.state.status === 'paused' || rec.state.status === 'restarting') return;
    await this.#o.rootfs.unmountRootfs(rec.paths.dir).catch((err: unknown) => this.#o.logger.warn({ err, id: rec.id.slice(0, 12) }, 'unmounting a container rootfs failed'));
  }

  #fileNotFound(err: unknown, p: string, name: string): unknown {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return notFound(`Could not find the file ${p} in container ${name}`, { cause: err });
    if (code === 'ELOOP') return invalidArgument(`too many levels of symbolic links: ${p}`, { cause: err });
    if (err instanceof BerthError) return err;
    return systemError((err as Error).message, { cause: err });
  }

  // ---------------------------------------------------------------- stat / archive / extract

  /** The directory frames and last name of `p` as Docker's ResolvePath (the dir part followed). */
  #resolvePath(root: ScopedRoot, abs: string): { dir: Frame[]; base: string } {
    const { dir, base } = splitPath(abs);
    return { dir: root.resolveDir(dir), base };
  }

  #stat(root: ScopedRoot, abs: string): { stat: PathStat; dir: Frame[]; base: string; isDir: boolean } {
    const { dir, base } = this.#resolvePath(root, abs);
    const top = dir[dir.length - 1] as Frame;
    const st = base === '' || base === '.' ? fs.fstatSync(top.fd, { bigint: true }) : fs.lstatSync(fdPath(top.fd, base), { bigint: true });
    let linkTarget = '';
    if (st.isSymbolicLink()) {
      const r = root.resolve(abs, { followLast: true });
      linkTarget = ScopedRoot.containerPath(r.stack, r.last);
    }
    const stat: PathStat = { name: goBase(abs), size: Number(st.size), mode: goFileMode(st), mtime: rfc3339Nano(st.mtimeNs), linkTarget };
    return { stat, dir, base, isDir: st.isDirectory() };
  }

  /** HEAD /containers/{id}/archive */
  async statPath(name: string, p: string): Promise<PathStat> {
    const rec = this.#o.containers.get(name);
    const opened = await this.#open(rec);
    try {
      return this.#stat(opened.root, containerAbsPath(p)).stat;
    } catch (err) {
      throw this.#fileNotFound(err, p, name);
    } finally {
      await opened.release();
    }
  }

  /** GET /containers/{id}/archive: the stat and the tar (entries named after the path's base). */
  async archivePath(name: string, p: string): Promise<{ stat: PathStat; stream: Readable }> {
    const rec = this.#o.containers.get(name);
    const opened = await this.#open(rec);
    let handedOff = false;
    try {
      const abs = containerAbsPath(p);
      let s;
      try {
        s = this.#stat(opened.root, abs);
      } catch (err) {
        throw this.#fileNotFound(err, p, name);
      }
      const top = s.dir[s.dir.length - 1] as Frame;
      const own = s.base === '' || s.base === '.';
      const stream = tarWalk(opened.root, { dir: top.fd, name: own ? undefined : s.base, prefix: s.stat.name }, () => void opened.release());
      handedOff = true;
      this.#event(rec, 'archive-path', { path: p });
      return { stat: s.stat, stream };
    } finally {
      if (!handedOff) await opened.release();
    }
  }

  /** PUT /containers/{id}/archive: extract a tar into the directory `p`. */
  async extractToDir(name: string, p: string, source: Readable, o: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean; signal?: AbortSignal }): Promise<void> {
    const rec = this.#o.containers.get(name);
    const opened = await this.#open(rec);
    try {
      const abs = containerAbsPath(p);
      let dest: Frame[];
      try {
        dest = opened.root.resolveDir(abs);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') {
          // the path exists but is not a directory
          let exists = false;
          try {
            opened.root.resolve(abs, { followLast: true });
            exists = true;
          } catch {
            exists = false;
          }
          if (exists) throw invalidArgument('extraction point is not a directory');
        }
        throw this.#fileNotFound(err, p, name);
      }
      const destPath = ScopedRoot.containerPath(dest);
      if (rec.hostConfig.ReadonlyRootfs && !(rec.mounts ?? []).some((m) => m.rw && (destPath === m.destination || destPath.startsWith(`${m.destination.replace(/\/+$/, '')}/`)))) {
        throw invalidArgument('container rootfs is marked read-only');
      }
      let chown: { uid: number; gid: number } | undefined = { uid: 0, gid: 0 };
      if (o.copyUIDGID) chown = undefined;
      try {
        await untar(opened.root, dest, source, { noOverwriteDirNonDir: o.noOverwriteDirNonDir, chown, destName: p, ...(o.signal ? { signal: o.signal } : {}) });
      } catch (err) {
        if (err instanceof BerthError) throw err;
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EROFS') throw invalidArgument('container rootfs is marked read-only', { cause: err });
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') throw invalidArgument(`cannot extract into ${p}: ${(err as Error).message}`, { cause: err });
        if (/tar header|Unexpected end of data/i.test((err as Error).message)) throw invalidArgument(`invalid tar archive: ${(err as Error).message}`, { cause: err });
        throw systemError((err as Error).message, { cause: err });
      }
      this.#event(rec, 'extract-to-dir', { path: p });
    } finally {
      source.resume();
      await opened.release();
    }
  }

  // ---------------------------------------------------------------- diff / export

  /** GET /containers/{id}/changes */
  async changes(name: string): Promise<Change[]> {
    const rec = this.#o.containers.get(name);
    const lowers = rec.chainId ? this.#o.snapshots.lowerDirs(rec.chainId as ChainId) : [];
    return overlayChanges(path.join(rec.paths.dir, 'upper'), lowers);
  }

  /** GET /containers/{id}/export: the merged filesystem (volumes left out, as Docker does). */
  async export(name: string): Promise<Readable> {
    const rec = this.#o.containers.get(name);
    const merged = await this.#mount(rec);
    let root: ScopedRoot;
    try {
      root = new ScopedRoot(merged);
    } catch (err) {
      await this.#unmount(rec);
      throw err;
    }
    const stream = tarWalk(root, { dir: root.root.fd, name: undefined, prefix: '', oneFileSystem: true }, () => {
      root.close();
      void this.#unmount(rec);
    });
    this.#event(rec, 'export');
    return stream;
  }

  // ---------------------------------------------------------------- commit

  /** POST /commit: returns the new image ID. */
  async commit(o: CommitOptions): Promise<{ id: Digest }> {
    const rec = this.#o.containers.get(o.container);
    // everything that can be refused is checked before anything is written
    const ref = ImageService.repoTag(o.repo, o.tag);
    const base = (o.config && Object.keys(o.config).length > 0 ? o.config : rec.config) as ContainerConfig;
    const changed = applyChanges(base as ImageRunConfig, o.changes ?? []) as ContainerConfig;
    const config = mergeConfig(changed, rec.config);
    const parentSource = this.#o.images.pushSource(rec.imageId as Digest);
    const parent = JSON.parse((await this.#o.content.readBytes(rec.imageId as Digest)).toString('utf8')) as ImageConfig;

    const paused = o.pause !== false && rec.state.status === 'running';
    if (paused) await this.#o.containers.pause(rec.id);
    let blob: { digest: Digest; size: number };
    try {
      blob = await this.#o.content.write(withoutInitPaths(layerTar(path.join(rec.paths.dir, 'upper'))));
    } finally {
      if (paused) await this.#o.containers.unpause(rec.id).catch((err: unknown) => this.#o.logger.warn({ err, id: rec.id.slice(0, 12) }, 'unpause after commit failed'));
    }

    const parentLayers = parentSource.layers;
    let chain: ChainId | undefined;
    const layers: { chainId: ChainId; diffId: Digest; blob: Digest; blobSize: number; mediaType: string }[] = [];
    for (const l of parentLayers) {
      chain = childChainId(chain, l.diffId) as ChainId;
      layers.push({ chainId: chain, diffId: l.diffId, blob: l.blob, blobSize: l.size, mediaType: l.mediaType });
    }
    const empty = blob.digest === EMPTY_LAYER_DIFF_ID;
    const newChains: ChainId[] = [];
    try {
      if (!empty) {
        const before = this.#o.snapshots.get(childChainId(chain, blob.digest) as ChainId);
        const info = await this.#o.snapshots.apply(chain, this.#o.content.read(blob.digest), { expectedDiffId: blob.digest });
        if (!before) newChains.push(info.chainId);
        layers.push({ chainId: info.chainId, diffId: info.diffId, blob: blob.digest, blobSize: blob.size, mediaType: MediaTypes.ociLayer });
      }
      const created = new Date().toISOString();
      const imageConfig = childImageConfig({
        parent,
        config,
        containerId: rec.id,
        containerConfig: rec.config,
        author: o.author ?? '',
        comment: o.comment ?? '',
        diffId: empty ? undefined : blob.digest,
        dockerVersion: this.#o.version,
        created,
      });
      const configBytes = Buffer.from(JSON.stringify(imageConfig));
      const manifest: ImageManifest = {
        schemaVersion: 2,
        mediaType: MediaTypes.ociManifest,
        config: { mediaType: MediaTypes.ociConfig, digest: sha256(configBytes), size: configBytes.length },
        layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.blob, size: l.blobSize })),
      };
      const { id } = await this.#o.images.addPulled({ configBytes, manifest: { bytes: Buffer.from(JSON.stringify(manifest)), mediaType: MediaTypes.ociManifest }, layers, tag: ref, digestRef: undefined });
      if (empty) await this.#o.images.discardUnused([blob.digest], []).catch(() => undefined);
      this.#event(rec, 'commit', { comment: o.comment ?? '', imageID: id, imageRef: ref ? ref.familiarString() : '' });
      return { id };
    } catch (err) {
      await this.#o.images.discardUnused([blob.digest], newChains).catch(() => undefined);
      throw err;
    }
  }

  #event(rec: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.#o.events.publish('container', action, rec.id, { ...extra, image: rec.config.Image ?? '', name: rec.name.replace(/^\//, '') });
  }
}
