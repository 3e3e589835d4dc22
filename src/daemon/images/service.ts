// The image service: images kept as content-store blobs (config, manifest and layer blobs exactly
// as received) plus one unpacked snapshot per chain ID (shared between images), indexed in the
// metadata database. Image ID = config digest; names are normalised as Docker does.
// Offline operations: import, load, save, list, inspect, history, tag, remove, prune.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { conflict, invalidArgument, isNotFound, notFound } from '../../errdefs/index.js';
import { sha256 } from '../../oci/digest.js';
import { MediaTypes } from '../../oci/media-types.js';
import { parseAnyReference, parseNormalizedNamed, parseReference, tagNameOnly, type Reference } from '../../oci/reference.js';
import type { ImageConfig, ImageManifest } from '../../oci/index.js';
import type { ContentStore, Digest } from '../../store/content/types.js';
import type { ChainId, Snapshotter } from '../../store/snapshots/types.js';
import type { MetadataDb } from '../../store/metadata/db.js';
import type { EventsService, Filters } from '../events.js';
import { decompressError, fileCompression, type Compression } from '../archive/compression.js';
import { extractArchive } from '../archive/extract.js';
import { readArchive, type ArchiveImage } from '../archive/read.js';
import { writeArchive, type SaveImage } from '../archive/write.js';
import { applyChanges } from './changes.js';
import { boolFilter, globToRegExp, labelsMatch, parseUntil } from './filters.js';
import { ImageRecords, type ImageRow, type LayerRow } from './records.js';
import type { ImageResolver, ImageRunConfig, ImageUsage, ResolvedImage } from './types.js';

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', ia32: '386' };
export const HOST_ARCH = GOARCH[process.arch] ?? process.arch;
const CONFIG_LIMIT = 8 * 1024 * 1024;

export interface ImageServiceOptions {
  db: MetadataDb;
  content: ContentStore;
  snapshots: Snapshotter;
  events: EventsService;
  logger: Logger;
  /** a directory on the data root's filesystem for unpacking archives (emptied at start-up) */
  tmpDir: string;
}

/** What inspect shows (domain form; api/compat turns it into Docker's JSON). */
export interface ImageDetails {
  id: Digest;
  repoTags: string[];
  repoDigests: string[];
  parent: string;
  comment: string;
  created: string;
  dockerVersion: string;
  author: string;
  config: ImageRunConfig & Record<string, unknown>;
  architecture: string;
  variant: string | undefined;
  os: string;
  osVersion: string | undefined;
  size: number;
  /** topmost first: the unpacked layer directories */
  layerDirs: string[];
  diffIds: Digest[];
  lastTagTime: Date | undefined;
  manifest: { digest: Digest; mediaType: string; size: number };
}

export interface ImageListItem {
  id: Digest;
  parentId: string;
  repoTags: string[];
  repoDigests: string[];
  created: number; // seconds
  size: number;
  sharedSize: number;
  labels: Record<string, string>;
  containers: number;
}

export interface HistoryItem {
  id: string;
  created: number; // seconds
  createdBy: string;
  tags: string[];
  size: number;
  comment: string;
}

export type DeleteItem = { untagged: string } | { deleted: string };

export interface ImportOptions {
  source: Readable;
  repo?: string;
  tag?: string;
  changes?: string[];
  message?: string;
  platform?: string;
  signal?: AbortSignal;
}

export interface LoadResult {
  id: Digest;
  /** familiar names that now point at the image */
  names: string[];
  /** names that moved here from another image: [name, old image ID] */
  moved: [string, Digest][];
}

export interface ListOptions {
  all?: boolean;
  filters?: Filters;
  sharedSize?: boolean;
}

const LIST_FILTERS = ['dangling', 'label', 'label!', 'before', 'since', 'reference', 'until'];
const PRUNE_FILTERS = ['dangling', 'label', 'label!', 'until'];

function layerMediaType(c: Compression): string {
  return c === 'gzip' ? MediaTypes.ociLayerGzip : c === 'zstd' ? MediaTypes.ociLayerZstd : MediaTypes.ociLayer;
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** One asynchronous mutation at a time: stores and the database change together. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

export class ImageService implements ImageResolver {
  readonly #records: ImageRecords;
  readonly #content: ContentStore;
  readonly #snapshots: Snapshotter;
  readonly #events: EventsService;
  readonly #log: Logger;
  readonly #tmpDir: string;
  readonly #configs = new Map<string, ImageConfig>();
  readonly #mutex = new Mutex();
  #usage: ImageUsage | undefined;

  constructor(opts: ImageServiceOptions) {
    this.#records = new ImageRecords(opts.db);
    this.#content = opts.content;
    this.#snapshots = opts.snapshots;
    this.#events = opts.events;
    this.#log = opts.logger;
    this.#tmpDir = opts.tmpDir;
    fs.mkdirSync(this.#tmpDir, { recursive: true, mode: 0o700 });
  }

  /** Containers say which images are in use (rmi conflicts, prune). */
  setUsage(usage: ImageUsage): void {
    this.#usage = usage;
  }

  // --- start-up ---------------------------------------------------------------------------

  /**
   * Start-up recovery: remove interrupted archive unpacks, then drop every image whose config,
   * manifest or layer blobs or snapshots are missing (logged), and remove snapshots and blobs no
   * image references. Returns the IDs of the dropped images.
   */
  async recover(): Promise<Digest[]> {
    for (const name of await fsp.readdir(this.#tmpDir)) {
      if (name.startsWith('images-')) await fsp.rm(path.join(this.#tmpDir, name), { recursive: true, force: true });
    }
    const dropped: Digest[] = [];
    for (const img of this.#records.all()) {
      const missing: string[] = [];
      for (const d of [img.id, img.manifest_digest]) if (!(await this.#content.info(d))) missing.push(`blob ${d}`);
      for (const l of this.#records.layers(img.id)) {
        if (!(await this.#content.info(l.blob))) missing.push(`layer blob ${l.blob}`);
        if (!this.#snapshots.get(l.chain_id)) missing.push(`layer ${l.chain_id}`);
      }
      if (missing.length === 0) {
        try {
          this.#config(img.id);
          continue;
        } catch (err) {
          missing.push(`config (${(err as Error).message})`);
        }
      }
      this.#log.error({ image: img.id, missing, tags: this.#records.refs(img.id).map((r) => r.name) }, 'image is incomplete on disk: dropping it');
      this.#records.delete(img.id);
      this.#configs.delete(img.id);
      dropped.push(img.id);
    }
    await this.#collectOrphans();
    return dropped;
  }

  // --- resolution -------------------------------------------------------------------------

  #config(id: string): ImageConfig {
    let c = this.#configs.get(id);
    if (!c) {
      const bytes = fs.readFileSync(this.#content.path(id as Digest));
      if (bytes.length > CONFIG_LIMIT) throw invalidArgument(`image config ${id} is too large`);
      c = JSON.parse(bytes.toString('utf8')) as ImageConfig;
      this.#configs.set(id, c);
    }
    return c;
  }

  /** The image ID a name, ID or ID prefix points at; not-found "No such image: <ref>". */
  resolveId(refOrId: string): Digest {
    if (refOrId === '') throw notFound('No such image: ');
    let any;
    try {
      any = parseAnyReference(refOrId);
    } catch (err) {
      // Not a valid name, but maybe an ID prefix ("3f57d9401f8d" parses; "sha256:3f57" does not).
      const id = this.#byPrefix(refOrId);
      if (id) return id;
      throw err;
    }
    if (any.kind === 'id') {
      if (this.#records.get(any.id)) return any.id;
      throw notFound(`No such image: ${refOrId}`);
    }
    const ref = tagNameOnly(any.ref);
    const row = this.#records.ref(ref.toString());
    if (row) return row.image_id;
    if (ref.digest !== undefined) {
      // name@digest where the digest is the manifest's (or the config's) digest
      const img = this.#records.all().find((i) => i.manifest_digest === ref.digest || i.id === ref.digest);
      if (img && this.#records.refs(img.id).some((r) => parseReference(r.name).name() === ref.name())) return img.id;
    }
    if (any.ref.isNameOnly()) {
      const id = this.#byPrefix(refOrId);
      if (id) return id;
    }
    throw notFound(`No such image: ${ref.familiarString()}`);
  }

  #byPrefix(s: string): Digest | undefined {
    const hex = s.startsWith('sha256:') ? s.slice(7) : s;
    if (!/^[a-f0-9]{1,64}$/.test(hex)) return undefined;
    const ids = this.#records.byPrefix(hex);
    return ids.length === 1 ? ids[0] : undefined;
  }

  resolve(refOrId: string): ResolvedImage {
    const id = this.resolveId(refOrId);
    const row = this.#records.get(id);
    if (!row) throw notFound(`No such image: ${refOrId}`);
    const cfg = this.#config(id);
    let ref: string | undefined;
    try {
      const any = parseAnyReference(refOrId);
      if (any.kind === 'named') ref = tagNameOnly(any.ref).toString();
    } catch {
      ref = undefined;
    }
    return { id, ref, config: (cfg.config ?? {}) as ImageRunConfig, chainId: row.chain_id ?? undefined, os: cfg.os, architecture: cfg.architecture };
  }

  count(): number {
    return this.#records.count();
  }

  // --- import -----------------------------------------------------------------------------

  /** Parse repo and tag as Docker's import and tag do (RepoTagReference). */
  static repoTag(repo: string | undefined, tag: string | undefined): Reference | undefined {
    if (repo === undefined || repo === '') return undefined;
    const ref = parseNormalizedNamed(repo);
    if (ref.digest !== undefined) throw invalidArgument('cannot import digest reference');
    const tagged = tag !== undefined && tag !== '' ? ref.withTag(tag) : tagNameOnly(ref);
    if (tagged.familiarName() === 'sha256') throw invalidArgument('refusing to create an ambiguous tag using digest algorithm as name');
    return tagged;
  }

  /** `docker import`: one layer from a (compressed) tar; returns the image ID. */
  async import(opts: ImportOptions): Promise<Digest> {
    const ref = ImageService.repoTag(opts.repo, opts.tag);
    const runConfig = applyChanges({}, opts.changes ?? []);
    const platform = parsePlatform(opts.platform);
    return this.#mutex.run(async () => {
      const created = new Date().toISOString();
      const comment = opts.message || 'Imported from -';
      const newBlobs: Digest[] = [];
      const newChains: ChainId[] = [];
      try {
        const blob = await this.#content.write(opts.source, undefined, opts.signal).catch((e: unknown) => {
          throw decompressError(e);
        });
        if (this.#records.blobUsers(blob.digest) === 0) newBlobs.push(blob.digest);
        const compression = await fileCompression(this.#content.path(blob.digest));
        if (compression === 'bzip2' || compression === 'xz') throw invalidArgument(`unsupported compression format ${compression}`);
        const layer = await this.#applyLayer(undefined, blob.digest, undefined, opts.signal, newChains);
        const config: ImageConfig = {
          created,
          architecture: platform.architecture,
          os: platform.os,
          ...(platform.variant ? { variant: platform.variant } : {}),
          config: runConfig as NonNullable<ImageConfig['config']>,
          rootfs: { type: 'layers', diff_ids: [layer.diffId] },
          history: [{ created, comment }],
          comment,
        };
        const layers: LayerRow[] = [{ image_id: '' as Digest, idx: 0, chain_id: layer.chainId, diff_id: layer.diffId, blob: blob.digest, blob_size: blob.size, media_type: layerMediaType(compression) }];
        const id = await this.#commit({ configBytes: Buffer.from(JSON.stringify(config)), layers, manifest: undefined, newBlobs });
        if (ref) this.#setTag(ref, id);
        this.#events.publish('image', 'import', id, { name: ref ? ref.familiarString() : id });
        return id;
      } catch (err) {
        await this.#rollback(newBlobs, newChains);
        throw err;
      }
    });
  }

  /** Unpack a stored layer blob on top of parent; records chains this call created. */
  async #applyLayer(parent: ChainId | undefined, blob: Digest, expectedDiffId: Digest | undefined, signal: AbortSignal | undefined, newChains: ChainId[]): Promise<{ chainId: ChainId; diffId: Digest; size: number }> {
    const opts: { expectedDiffId?: Digest; signal?: AbortSignal } = {};
    if (expectedDiffId !== undefined) opts.expectedDiffId = expectedDiffId;
    if (signal) opts.signal = signal;
    const before = new Set(this.#snapshots.list().map((l) => l.chainId));
    let info;
    try {
      info = await this.#snapshots.apply(parent, this.#content.read(blob), opts);
    } catch (err) {
      throw decompressError(err);
    }
    if (!before.has(info.chainId)) newChains.push(info.chainId);
    return { chainId: info.chainId, diffId: info.diffId, size: info.size };
  }

  /** Store config + manifest blobs and the image row. Returns the image ID. */
  async #commit(args: { configBytes: Buffer; layers: LayerRow[]; manifest: { bytes: Buffer; mediaType: string } | undefined; newBlobs: Digest[] }): Promise<Digest> {
    const id = sha256(args.configBytes);
    if (this.#records.blobUsers(id) === 0 && !(await this.#content.info(id))) args.newBlobs.push(id);
    const cfg = await this.#content.writeBytes(args.configBytes, { digest: id });
    let manifestBytes = args.manifest?.bytes;
    let manifestType = args.manifest?.mediaType ?? MediaTypes.ociManifest;
    if (!manifestBytes) {
      const m: ImageManifest = {
        schemaVersion: 2,
        mediaType: MediaTypes.ociManifest,
        config: { mediaType: MediaTypes.ociConfig, digest: id, size: cfg.size },
        layers: args.layers.map((l) => ({ mediaType: l.media_type, digest: l.blob, size: l.blob_size })),
      };
      manifestBytes = Buffer.from(JSON.stringify(m));
      manifestType = MediaTypes.ociManifest;
    }
    const mdigest = sha256(manifestBytes);
    if (this.#records.blobUsers(mdigest) === 0 && !(await this.#content.info(mdigest))) args.newBlobs.push(mdigest);
    await this.#content.writeBytes(manifestBytes, { digest: mdigest });
    const parsed = JSON.parse(args.configBytes.toString('utf8')) as ImageConfig;
    const size = args.layers.reduce((n, l) => n + (this.#snapshots.get(l.chain_id)?.size ?? 0), 0);
    this.#records.add({
      image: {
        id,
        manifest_digest: mdigest,
        manifest_media_type: manifestType,
        manifest_size: manifestBytes.length,
        config_size: cfg.size,
        chain_id: args.layers.at(-1)?.chain_id ?? null,
        size,
        created: parsed.created ? Date.parse(parsed.created) || 0 : 0,
        added: Date.now(),
      },
      layers: args.layers.map(({ image_id: _unused, ...l }) => l),
    });
    this.#configs.set(id, parsed);
    return id;
  }

  /** Undo a failed import/load: blobs and chains it created that no image references. */
  async #rollback(blobs: Digest[], chains: ChainId[]): Promise<void> {
    for (const c of [...chains].reverse()) {
      if (this.#records.chainUsers(c) === 0 && this.#snapshots.get(c)) await this.#snapshots.remove(c).catch((e: unknown) => this.#log.warn({ err: e, chain: c }, 'rollback: could not remove layer'));
    }
    for (const b of blobs) {
      if (this.#records.blobUsers(b) === 0) await this.#content.delete(b).catch((e: unknown) => isNotFound(e) || this.#log.warn({ err: e, blob: b }, 'rollback: could not remove blob'));
    }
  }

  #setTag(ref: Reference, id: Digest): Digest | undefined {
    const before = this.#records.setRef(ref.toString(), id, ref.digest !== undefined ? 'digest' : 'tag', Date.now());
    return before !== id ? before : undefined;
  }

  // --- distribution (pull / push) ----------------------------------------------------------

  /** Whether an image with this ID (config digest) is stored. */
  has(id: Digest): boolean {
    return this.#records.get(id) !== undefined;
  }

  /** The image a normalised reference ("docker.io/library/busybox:latest" or "...@sha256:") points at. */
  refTarget(ref: string): Digest | undefined {
    return this.#records.ref(ref)?.image_id;
  }

  /**
   * Record a pulled image whose layer blobs and snapshots are in the stores already: the config
   * and manifest blobs are written, the image row added (if new), then the tag and the digest
   * reference set. Returns the image ID and whether the tag moved or was new.
   */
  addPulled(args: {
    configBytes: Buffer;
    manifest: { bytes: Buffer; mediaType: string };
    layers: { chainId: ChainId; diffId: Digest; blob: Digest; blobSize: number; mediaType: string }[];
    tag: Reference | undefined;
    digestRef: Reference | undefined;
  }): Promise<{ id: Digest; tagChanged: boolean }> {
    return this.#mutex.run(async () => {
      const newBlobs: Digest[] = [];
      const id = sha256(args.configBytes);
      if (!this.#records.get(id)) {
        for (const l of args.layers) {
          if (!this.#snapshots.get(l.chainId)) throw notFound(`layer ${l.chainId} disappeared during the pull`);
          if (!(await this.#content.info(l.blob))) throw notFound(`layer blob ${l.blob} disappeared during the pull`);
        }
        const layers: LayerRow[] = args.layers.map((l, idx) => ({ image_id: id, idx, chain_id: l.chainId, diff_id: l.diffId, blob: l.blob, blob_size: l.blobSize, media_type: l.mediaType }));
        try {
          await this.#commit({ configBytes: args.configBytes, layers, manifest: args.manifest, newBlobs });
        } catch (err) {
          await this.#rollback(newBlobs, []);
          throw err;
        }
      }
      let tagChanged = false;
      if (args.tag) tagChanged = this.#records.ref(args.tag.toString())?.image_id !== id;
      if (args.tag) this.#setTag(args.tag, id);
      if (args.digestRef) this.#setTag(args.digestRef, id);
      return { id, tagChanged };
    });
  }

  /**
   * Remove blobs and layers a failed pull stored that no image references (`keep` says which
   * are still in use by other running pulls).
   */
  discardUnused(blobs: readonly Digest[], chains: readonly ChainId[], keep: (d: string) => boolean = () => false): Promise<void> {
    return this.#mutex.run(async () => {
      await this.#rollback(blobs.filter((b) => !keep(b)), chains.filter((c) => !keep(c)));
    });
  }

  /** What a push sends: the stored manifest, config and layer blobs of an image. */
  pushSource(id: Digest): { id: Digest; manifest: { digest: Digest; mediaType: string; size: number }; configSize: number; layers: { blob: Digest; size: number; mediaType: string; diffId: Digest }[]; refs: string[] } {
    const row = this.#records.get(id);
    if (!row) throw notFound(`No such image: ${id}`);
    return {
      id,
      manifest: { digest: row.manifest_digest, mediaType: row.manifest_media_type, size: row.manifest_size },
      configSize: row.config_size,
      layers: this.#records.layers(id).map((l) => ({ blob: l.blob, size: l.blob_size, mediaType: l.media_type, diffId: l.diff_id })),
      refs: this.#records.refs(id).map((r) => r.name),
    };
  }

  /** Tags of a repository (normalised name, e.g. "127.0.0.1:5000/app"): [tag, image ID]. */
  repositoryTags(name: string): [string, Digest][] {
    return this.#records
      .allRefs()
      .filter((r) => r.kind === 'tag')
      .map((r) => ({ r, p: parseReference(r.name) }))
      .filter(({ p }) => p.name() === name && p.tag !== undefined)
      .map(({ r, p }) => [p.tag as string, r.image_id]);
  }

  /** Record a repository digest after a push (name@digest -> image). */
  addDigestRef(ref: Reference, id: Digest): void {
    this.#setTag(ref, id);
  }

  /** Publish an image event (pull, push) for the distribution service. */
  publish(action: string, id: string, name: string): void {
    this.#events.publish('image', action, id, { name });
  }

  // --- load / save ------------------------------------------------------------------------

  /** `docker load`: a docker-archive or OCI-layout tar (optionally compressed). */
  async load(source: Readable, opts: { signal?: AbortSignal } = {}): Promise<LoadResult[]> {
    const dir = await fsp.mkdtemp(path.join(this.#tmpDir, 'images-load-'));
    try {
      await extractArchive(source, dir, opts.signal);
      const images = await readArchive(dir);
      // Names are checked before anything is stored.
      const named = images.map((img) => ({ img, refs: img.names.map((n) => tagNameOnly(parseNormalizedNamed(n))) }));
      return await this.#mutex.run(async () => {
        const results: LoadResult[] = [];
        for (const { img, refs } of named) results.push(await this.#loadOne(img, refs, opts.signal));
        return results;
      });
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }

  async #loadOne(img: ArchiveImage, refs: Reference[], signal: AbortSignal | undefined): Promise<LoadResult> {
    const newBlobs: Digest[] = [];
    const newChains: ChainId[] = [];
    try {
      const diffIds = img.config.parsed.rootfs.diff_ids;
      const layers: LayerRow[] = [];
      let parent: ChainId | undefined;
      for (const [i, l] of img.layers.entries()) {
        const expected: { digest?: Digest; size?: number } = {};
        if (l.digest) expected.digest = l.digest;
        if (l.size !== undefined) expected.size = l.size;
        const existed = l.digest ? await this.#content.info(l.digest) : undefined;
        const blob = existed ?? (await this.#content.write(fs.createReadStream(l.file), expected, signal));
        if (!existed && this.#records.blobUsers(blob.digest) === 0) newBlobs.push(blob.digest);
        const compression = await fileCompression(l.file);
        const applied = await this.#applyLayer(parent, blob.digest, diffIds[i], signal, newChains);
        layers.push({ image_id: '' as Digest, idx: i, chain_id: applied.chainId, diff_id: applied.diffId, blob: blob.digest, blob_size: blob.size, media_type: l.mediaType ?? layerMediaType(compression) });
        parent = applied.chainId;
      }
      const id = await this.#commit({ configBytes: img.config.bytes, layers, manifest: img.manifest ? { bytes: img.manifest.bytes, mediaType: img.manifest.mediaType } : undefined, newBlobs });
      const moved: [string, Digest][] = [];
      for (const ref of refs) {
        const old = this.#setTag(ref, id);
        if (old) moved.push([ref.familiarString(), old]);
      }
      this.#events.publish('image', 'load', id, { name: id });
      return { id, names: refs.map((r) => r.familiarString()), moved };
    } catch (err) {
      await this.#rollback(newBlobs, newChains);
      throw err;
    }
  }

  /** `docker save`: names are checked first (not-found before any byte is sent). */
  save(names: readonly string[], signal?: AbortSignal): Readable {
    if (names.length === 0) throw invalidArgument('no images specified');
    const byId = new Map<Digest, SaveImage>();
    const add = (id: Digest, ref: Reference | undefined): void => {
      let s = byId.get(id);
      if (!s) {
        const row = this.#records.get(id);
        if (!row) throw notFound(`No such image: ${id}`);
        const cfg = this.#config(id);
        s = {
          id,
          configSize: row.config_size,
          manifest: { digest: row.manifest_digest, mediaType: row.manifest_media_type, size: row.manifest_size },
          layers: this.#records.layers(id).map((l) => ({ blob: l.blob, size: l.blob_size, diffId: l.diff_id })),
          tags: [],
          platform: { architecture: cfg.architecture, os: cfg.os, ...(cfg.variant ? { variant: cfg.variant } : {}) },
        };
        if (s.layers.length === 0) throw invalidArgument('empty export - not implemented');
        byId.set(id, s);
      }
      if (ref?.tag !== undefined && ref.digest === undefined && !s.tags.some((t) => t.full === ref.name() && t.tag === ref.tag)) {
        s.tags.push({ full: ref.name(), familiar: ref.familiarName(), tag: ref.tag });
      }
    };
    for (const name of names) {
      const any = (() => {
        try {
          return parseAnyReference(name);
        } catch (err) {
          if (this.#byPrefix(name)) return undefined;
          throw err;
        }
      })();
      if (any?.kind === 'named' && any.ref.isNameOnly()) {
        const tagged = this.#records.allRefs().filter((r) => r.kind === 'tag' && parseReference(r.name).name() === any.ref.name());
        if (tagged.length > 0) {
          for (const r of tagged) add(r.image_id, parseReference(r.name));
          continue;
        }
      }
      const id = this.resolveId(name);
      add(id, any?.kind === 'named' && this.#records.ref(tagNameOnly(any.ref).toString())?.image_id === id ? tagNameOnly(any.ref) : undefined);
    }
    const images = [...byId.values()];
    for (const img of images) this.#events.publish('image', 'save', img.id, { name: img.id });
    return writeArchive(images, this.#content, signal);
  }

  // --- queries ----------------------------------------------------------------------------

  #tags(id: string): string[] {
    return this.#records.refs(id).filter((r) => r.kind === 'tag').map((r) => parseReference(r.name).familiarString());
  }

  #digests(id: string): string[] {
    return this.#records.refs(id).filter((r) => r.kind === 'digest').map((r) => parseReference(r.name).familiarString());
  }

  #inUse(): Map<Digest, string[]> {
    return this.#usage?.imagesInUse() ?? new Map();
  }

  list(opts: ListOptions = {}): ImageListItem[] {
    const f = opts.filters ?? {};
    for (const k of Object.keys(f)) if (!LIST_FILTERS.includes(k)) throw invalidArgument(`invalid filter '${k}'`);
    const dangling = boolFilter(f, 'dangling');
    const refPatterns = (f['reference'] ?? []).map((p) => ({ p, re: globToRegExp(p) }));
    const bound = (key: string): number | undefined => {
      const v = f[key];
      if (!v || v.length === 0) return undefined;
      const times = v.map((r) => this.#records.get(this.resolveId(r))?.created ?? 0);
      return key === 'before' ? Math.min(...times) : Math.max(...times);
    };
    const before = bound('before');
    const since = bound('since');
    const until = f['until']?.map((u) => parseUntil(u));
    const rows = this.#records.all();
    const chainCount = new Map<string, number>();
    if (opts.sharedSize) for (const l of this.#records.allLayers()) chainCount.set(l.chain_id, (chainCount.get(l.chain_id) ?? 0) + 1);
    const out: ImageListItem[] = [];
    for (const row of rows) {
      const refs = this.#records.refs(row.id);
      const tags = refs.filter((r) => r.kind === 'tag');
      if (dangling === true && tags.length > 0) continue;
      if (dangling === false && tags.length === 0) continue;
      if (before !== undefined && row.created >= before) continue;
      if (since !== undefined && row.created <= since) continue;
      if (until && !until.every((u) => row.created < u)) continue;
      const cfg = this.#config(row.id);
      const labels = cfg.config?.Labels ?? {};
      if (!labelsMatch(f, labels)) continue;
      let repoTags = tags.map((r) => parseReference(r.name));
      if (refPatterns.length > 0) {
        repoTags = repoTags.filter((r) => refPatterns.some(({ re }) => re.test(r.familiarString()) || re.test(r.familiarName())));
        if (repoTags.length === 0) continue;
      }
      let shared = -1;
      if (opts.sharedSize) {
        shared = 0;
        for (const l of this.#records.layers(row.id)) if ((chainCount.get(l.chain_id) ?? 0) > 1) shared += this.#snapshots.get(l.chain_id)?.size ?? 0;
      }
      out.push({
        id: row.id,
        parentId: '',
        repoTags: repoTags.map((r) => r.familiarString()),
        repoDigests: refs.filter((r) => r.kind === 'digest').map((r) => parseReference(r.name).familiarString()),
        created: Math.floor(row.created / 1000),
        size: row.size,
        sharedSize: shared,
        labels,
        containers: -1,
      });
    }
    return out;
  }

  inspect(refOrId: string): ImageDetails {
    const id = this.resolveId(refOrId);
    const row = this.#records.get(id);
    if (!row) throw notFound(`No such image: ${refOrId}`);
    const cfg = this.#config(id);
    const layerDirs = row.chain_id ? this.#snapshots.lowerDirs(row.chain_id) : [];
    const ltt = row.last_tag_time === null ? undefined : new Date(row.last_tag_time);
    return {
      id,
      repoTags: this.#tags(id),
      repoDigests: this.#digests(id),
      parent: cfg.parent ?? '',
      comment: cfg.comment ?? '',
      created: cfg.created ?? '',
      dockerVersion: cfg.docker_version ?? '',
      author: cfg.author ?? '',
      config: (cfg.config ?? {}) as ImageDetails['config'],
      architecture: cfg.architecture,
      variant: cfg.variant,
      os: cfg.os,
      osVersion: cfg['os.version'],
      size: row.size,
      layerDirs,
      diffIds: cfg.rootfs.diff_ids,
      lastTagTime: ltt,
      manifest: { digest: row.manifest_digest, mediaType: row.manifest_media_type, size: row.manifest_size },
    };
  }

  history(refOrId: string): HistoryItem[] {
    const id = this.resolveId(refOrId);
    const cfg = this.#config(id);
    const layers = this.#records.layers(id);
    const items: HistoryItem[] = [];
    let li = 0;
    for (const h of cfg.history ?? []) {
      let size = 0;
      if (!h.empty_layer) {
        const l = layers[li++];
        size = l ? (this.#snapshots.get(l.chain_id)?.size ?? 0) : 0;
      }
      items.push({ id: '<missing>', created: h.created ? Math.floor(Date.parse(h.created) / 1000) || 0 : 0, createdBy: h.created_by ?? '', tags: [], size, comment: h.comment ?? '' });
    }
    items.reverse();
    const top = items[0];
    if (top) {
      top.id = id;
      top.tags = this.#tags(id);
    }
    return items;
  }

  // --- tag / remove / prune ---------------------------------------------------------------

  /** `docker tag`: point repo:tag at the image. */
  tag(source: string, repo: string, tag: string | undefined): void {
    const ref = ImageService.repoTag(repo, tag);
    if (!ref) throw invalidArgument('repository name must have at least one component');
    const id = this.resolveId(source);
    this.#setTag(ref, id);
    this.#events.publish('image', 'tag', id, { name: ref.familiarString(), ...this.#labels(id) });
  }

  #labels(id: string): Record<string, string> {
    try {
      return { ...(this.#config(id).config?.Labels ?? {}) };
    } catch {
      return {};
    }
  }

  /** `docker rmi` with Docker's untag/delete rules and conflicts. */
  remove(refOrId: string, opts: { force?: boolean; noPrune?: boolean } = {}): Promise<DeleteItem[]> {
    return this.#mutex.run(() => this.#remove(refOrId, opts.force ?? false));
  }

  async #remove(refOrId: string, force: boolean): Promise<DeleteItem[]> {
    const id = this.resolveId(refOrId);
    const records: DeleteItem[] = [];
    const users = this.#inUse().get(id) ?? [];
    const hex = id.slice(7);
    const isIdPrefix = id.startsWith(refOrId) || hex.startsWith(refOrId);
    let refs = this.#records.refs(id);
    if (!isIdPrefix) {
      const ref = tagNameOnly(parseNormalizedNamed(refOrId));
      if (!force && isSingleReference(refs.map((r) => r.name)) && users.length > 0) {
        throw conflict(`conflict: unable to remove repository reference "${refOrId}" (must force) - container ${shortId(users[0] ?? '')} is using its referenced image ${shortId(id)}`);
      }
      const stored = this.#records.ref(ref.toString()) ? ref.toString() : refs.find((r) => r.kind === 'digest' && parseReference(r.name).digest === ref.digest)?.name;
      if (stored) {
        this.#records.deleteRef(stored);
        records.push({ untagged: parseReference(stored).familiarString() });
        this.#events.publish('image', 'untag', id, { name: id, ...this.#labels(id) });
      }
      refs = this.#records.refs(id);
      if (ref.digest === undefined && !refs.some((r) => r.kind === 'tag' && parseReference(r.name).name() === ref.name())) {
        for (const r of refs.filter((x) => x.kind === 'digest' && parseReference(x.name).name() === ref.name())) {
          this.#records.deleteRef(r.name);
          records.push({ untagged: parseReference(r.name).familiarString() });
        }
        refs = this.#records.refs(id);
      }
      if (refs.length > 0) return records;
    } else if (isSingleReference(refs.map((r) => r.name))) {
      this.#checkConflict(id, users, force, false);
      for (const r of refs) {
        this.#records.deleteRef(r.name);
        records.push({ untagged: parseReference(r.name).familiarString() });
        this.#events.publish('image', 'untag', id, { name: id, ...this.#labels(id) });
      }
    }
    // After removing the last name the delete is quiet: an image a container uses stays (dangling).
    if (!isIdPrefix && users.length > 0) return records;
    this.#checkConflict(id, users, force, true);
    if (users.length > 0) {
      // force with a stopped container: the image loses its names but stays (its layers are the container's base).
      for (const r of this.#records.refs(id)) {
        this.#records.deleteRef(r.name);
        records.push({ untagged: parseReference(r.name).familiarString() });
        this.#events.publish('image', 'untag', id, { name: id, ...this.#labels(id) });
      }
      return records;
    }
    for (const r of this.#records.refs(id)) {
      records.push({ untagged: parseReference(r.name).familiarString() });
      this.#events.publish('image', 'untag', id, { name: id, ...this.#labels(id) });
    }
    const labels = this.#labels(id);
    const removed = await this.#deleteImage(id);
    this.#events.publish('image', 'delete', id, { name: id, ...labels });
    records.push({ deleted: id });
    for (const c of removed.chains) records.push({ deleted: c });
    return records;
  }

  #checkConflict(id: Digest, users: string[], force: boolean, activeRefs: boolean): void {
    const running = users.find((c) => this.#usage?.isRunning?.(c) ?? true);
    if (running) throw conflict(`conflict: unable to delete ${shortId(id)} (cannot be forced) - image is being used by running container ${shortId(running)}`);
    if (force) return;
    if (activeRefs && this.#records.refs(id).length > 0) throw conflict(`conflict: unable to delete ${shortId(id)} (must be forced) - image is referenced in multiple repositories`);
    const stopped = users[0];
    if (stopped) throw conflict(`conflict: unable to delete ${shortId(id)} (must be forced) - image is being used by stopped container ${shortId(stopped)}`);
  }

  /** Delete the image row, then its blobs and layers that nothing else references. */
  async #deleteImage(id: Digest): Promise<{ chains: ChainId[]; bytes: number }> {
    const row = this.#records.get(id) as ImageRow;
    const layers = this.#records.layers(id);
    this.#records.delete(id);
    this.#configs.delete(id);
    const blobs = [id, row.manifest_digest, ...layers.map((l) => l.blob)];
    return this.#collect(blobs, layers.map((l) => l.chain_id).reverse());
  }

  async #collect(blobs: Digest[], chains: ChainId[] = []): Promise<{ chains: ChainId[]; bytes: number }> {
    const removed: ChainId[] = [];
    let bytes = 0;
    for (const c of chains) {
      if (this.#records.chainUsers(c) > 0) continue;
      const info = this.#snapshots.get(c);
      if (!info) continue;
      await this.#snapshots.remove(c);
      removed.push(c);
      bytes += info.size;
    }
    for (const b of new Set(blobs)) {
      if (this.#records.blobUsers(b) > 0) continue;
      const info = await this.#content.info(b);
      if (!info) continue;
      await this.#content.delete(b).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
    }
    return { chains: removed, bytes };
  }

  /** Remove snapshots and blobs no image references (start-up, after a crash mid-delete). */
  async #collectOrphans(): Promise<void> {
    const chains = new Set(this.#records.allLayers().map((l) => l.chain_id));
    const orphanChains = this.#snapshots.list().filter((l) => !chains.has(l.chainId));
    // children before parents
    const depth = (c: ChainId): number => {
      let d = 0;
      for (let p = this.#snapshots.get(c)?.parent; p; p = this.#snapshots.get(p)?.parent) d++;
      return d;
    };
    orphanChains.sort((a, b) => depth(b.chainId) - depth(a.chainId));
    for (const l of orphanChains) {
      this.#log.warn({ chain: l.chainId }, 'removing a layer no image references');
      await this.#snapshots.remove(l.chainId).catch((err: unknown) => this.#log.error({ err, chain: l.chainId }, 'could not remove an orphaned layer'));
    }
    for await (const b of this.#content.list()) {
      if (this.#records.blobUsers(b.digest) > 0) continue;
      this.#log.warn({ blob: b.digest }, 'removing a blob no image references');
      await this.#content.delete(b.digest).catch(() => undefined);
    }
  }

  /** `docker image prune`: dangling (default) or all unused images. */
  prune(filters: Filters = {}): Promise<{ deleted: DeleteItem[]; spaceReclaimed: number }> {
    for (const k of Object.keys(filters)) if (!PRUNE_FILTERS.includes(k)) throw invalidArgument(`invalid filter '${k}'`);
    const danglingOnly = boolFilter(filters, 'dangling') ?? true;
    const until = filters['until']?.map((u) => parseUntil(u));
    return this.#mutex.run(async () => {
      const used = this.#inUse();
      const deleted: DeleteItem[] = [];
      let space = 0;
      for (const row of this.#records.all()) {
        if ((used.get(row.id)?.length ?? 0) > 0) continue;
        const refs = this.#records.refs(row.id);
        if (danglingOnly && refs.some((r) => r.kind === 'tag')) continue;
        if (until && !until.every((u) => row.created < u)) continue;
        if (!labelsMatch(filters, this.#labels(row.id))) continue;
        for (const r of refs) {
          this.#records.deleteRef(r.name);
          deleted.push({ untagged: parseReference(r.name).familiarString() });
          this.#events.publish('image', 'untag', row.id, { name: row.id });
        }
        const labels = this.#labels(row.id);
        const removed = await this.#deleteImage(row.id);
        this.#events.publish('image', 'delete', row.id, { name: row.id, ...labels });
        deleted.push({ deleted: row.id });
        for (const c of removed.chains) deleted.push({ deleted: c });
        space += removed.bytes;
      }
      this.#events.publish('image', 'prune', '', { reclaimed: String(space) });
      return { deleted, spaceReclaimed: space };
    });
  }

  /** /system/df's images part. */
  async diskUsage(): Promise<{ layersSize: number; images: ImageListItem[] }> {
    const images = this.list({ sharedSize: true });
    const used = this.#inUse();
    for (const i of images) i.containers = used.get(i.id)?.length ?? 0;
    const chains = new Set(this.#records.allLayers().map((l) => l.chain_id));
    let layersSize = 0;
    for (const c of chains) layersSize += this.#snapshots.get(c)?.size ?? 0;
    return { layersSize, images };
  }
}

/** moby's isSingleReference: one tag (plus digests of the same repository). */
function isSingleReference(refs: string[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  let single: Reference | undefined;
  const canonical = new Set<string>();
  for (const r of refs.map((x) => parseReference(x))) {
    if (r.digest !== undefined) canonical.add(r.name());
    else if (!single) single = r;
    else return false;
  }
  const s = single ?? parseReference(refs[0] ?? '');
  return canonical.size === 1 && canonical.has(s.name());
}

function parsePlatform(p: string | undefined): { os: string; architecture: string; variant?: string } {
  if (p === undefined || p === '') return { os: 'linux', architecture: HOST_ARCH };
  const [os = '', arch, variant] = p.toLowerCase().split('/');
  if (os !== 'linux') throw invalidArgument(`"${p}": unsupported platform: operating system "${os}" is not supported`);
  return { os, architecture: arch || HOST_ARCH, ...(variant ? { variant } : {}) };
}
