// Pull (moby's distribution/pull_v2.go, with containerd's content/snapshot split): resolve the
// tag or digest to a manifest (picking the platform from a list/index), fetch the config, then
// download the layers in parallel (max-concurrent-downloads). Each download streams through
// digest verification into the content store and, at the same time, into the snapshotter's
// prepare (one read of the network, no second write of the blob): every layer extracts while it
// downloads, in parallel with the others, into a temp dir that needs no parent. Prepared layers
// are committed in chain order. A blob stored already is unpacked from the store, not fetched;
// a layer present in both stores is skipped; two pulls of one layer share the download. A failed
// or interrupted pull removes what it alone added (ingest temp files and unpack dirs are removed
// by the stores).
import { pipeline } from 'node:stream/promises';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { Logger } from 'pino';
import { BerthError, invalidArgument, isCanceled, kindOf, notFound } from '../../errdefs/index.js';
import { chainIds, sha256, type Digest } from '../../oci/digest.js';
import { isIndexMediaType, isManifestMediaType, MediaTypes, isLayerMediaType, isConfigMediaType } from '../../oci/media-types.js';
import type { Reference } from '../../oci/reference.js';
import type { ImageConfig, ImageIndex, ImageManifest } from '../../oci/types.js';
import type { ContentStore } from '../../store/content/types.js';
import type { ChainId, PreparedLayer, Snapshotter } from '../../store/snapshots/types.js';
import type { ImageService } from '../images/service.js';
import { formatPlatform, normalizePlatform, selectPlatform, type PlatformSpec } from '../../registry/client/platform.js';
import type { Repository } from '../../registry/client/client.js';
import { RegistryError } from '../../registry/client/errors.js';
import { Semaphore, shortDigest, throttle, type ProgressEvent } from './progress.js';
import { Tee, VerifyStream } from './streams.js';

const CONFIG_LIMIT = 8 * 1024 * 1024;
/** stream buffer per stage: small, so parallel downloads stay within a few MB each */
const HWM = 256 * 1024;

export interface PullDeps {
  images: ImageService;
  content: ContentStore;
  snapshots: Snapshotter;
  logger: Logger;
  downloads: Semaphore;
  maxDownloadAttempts: number;
  /** shared downloads and what running pulls hold (so a failed pull keeps what another uses) */
  transfers: Transfers;
}

type Emit = (e: ProgressEvent) => void;

/** One layer download shared by the pulls that need it. */
interface Transfer {
  done: Promise<void>;
  listeners: Set<Emit>;
  users: number;
  abort: AbortController;
}

export class Transfers {
  readonly #running = new Map<string, Transfer>();
  /** blob digests and chain IDs held by running pulls -> count */
  readonly #held = new Map<string, number>();

  hold(keys: readonly string[]): () => void {
    for (const k of keys) this.#held.set(k, (this.#held.get(k) ?? 0) + 1);
    return () => {
      for (const k of keys) {
        const n = (this.#held.get(k) ?? 1) - 1;
        if (n <= 0) this.#held.delete(k);
        else this.#held.set(k, n);
      }
    };
  }

  isHeld(k: string): boolean {
    return (this.#held.get(k) ?? 0) > 0;
  }

  /**
   * Join the running transfer for `key`, or start one with `start`. `done` settles with the
   * transfer, or rejects as soon as `signal` aborts; the transfer itself stops only once its
   * last user has left. `settled()` then waits until it has stopped, if this caller was its last
   * user (resolves at once while others still use it): what it stored after the caller gave up
   * is the caller's to clean up.
   */
  join(key: string, emit: Emit, signal: AbortSignal | undefined, start: (signal: AbortSignal, emit: Emit) => Promise<void>): { done: Promise<void>; shared: boolean; settled: () => Promise<void> } {
    let t = this.#running.get(key);
    const shared = t !== undefined;
    if (!t) {
      const abort = new AbortController();
      const listeners = new Set<Emit>();
      const fanout: Emit = (e) => {
        for (const l of listeners) l(e);
      };
      const created: Transfer = { listeners, users: 0, abort, done: Promise.resolve() };
      // the first puller hears the transfer's first events (Waiting) too
      listeners.add(emit);
      created.done = start(abort.signal, fanout).finally(() => {
        if (this.#running.get(key) === created) this.#running.delete(key);
      });
      created.done.catch(() => undefined);
      this.#running.set(key, created);
      t = created;
    }
    const tr = t;
    tr.listeners.add(emit);
    tr.users++;
    const leave = (): void => {
      tr.listeners.delete(emit);
      if (--tr.users === 0) tr.abort.abort(signal?.reason);
    };
    const onAbort = (): void => leave();
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = tr.done.finally(() => {
      signal?.removeEventListener('abort', onAbort);
      tr.listeners.delete(emit);
    });
    return {
      shared,
      done: signal
        ? Promise.race([done, new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason ?? new BerthError('canceled', 'context canceled')), { once: true }))])
        : done,
      settled: () => (tr.users === 0 ? tr.done.catch(() => undefined) : Promise.resolve()),
    };
  }
}

export interface PullOptions {
  ref: Reference;
  repo: Repository;
  platform: PlatformSpec | undefined;
  signal: AbortSignal;
  emit: Emit;
}

export interface PullTagResult {
  id: Digest;
  /** manifest (or index) digest the name resolved to */
  digest: Digest;
  /** the image or the tag changed */
  updated: boolean;
}

/** moby's translatePullError: registry errors about the repository or tag, in Docker's words. */
export function translatePullError(err: unknown, ref: Reference): unknown {
  if (!(err instanceof RegistryError)) return err;
  switch (err.code) {
    case 'DENIED':
      return new BerthError('not-found', `pull access denied for ${ref.familiarName()}, repository does not exist or may require 'docker login': ${err.message}`, { cause: err });
    case 'MANIFEST_UNKNOWN':
      return new BerthError('not-found', `manifest for ${ref.familiarString()} not found: ${err.message}`, { cause: err });
    case 'NAME_UNKNOWN':
      return new BerthError('not-found', `repository ${ref.familiarName()} not found: ${err.message}`, { cause: err });
    default:
      return err;
  }
}

function parseJson<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (err) {
    throw invalidArgument(`invalid ${what}: ${(err as Error).message}`);
  }
}

const SCHEMA1_REMOVED =
  'support for Docker Image Format v1 and Docker Image manifest version 2, schema 1 has been removed. Suggest the author of REF to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/';

async function readSmallBlob(repo: Repository, digest: Digest, signal: AbortSignal): Promise<Buffer> {
  const { body } = await repo.getBlob(digest, 0, signal);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += c.length;
    if (n > CONFIG_LIMIT) {
      body.destroy();
      throw invalidArgument(`blob ${digest} is too large`);
    }
    chunks.push(c);
  }
  const b = Buffer.concat(chunks);
  if (sha256(b) !== digest) throw invalidArgument(`image config verification failed for digest ${digest}`);
  return b;
}

/** Pull one tag or digest. Emits Docker's per-layer progress; the caller emits Digest/Status. */
export async function pullTag(deps: PullDeps, opts: PullOptions): Promise<PullTagResult> {
  const { ref, repo, signal, emit } = opts;
  const tagOrDigest = ref.digest ?? ref.tag ?? 'latest';
  // a name this daemon does not have is a cold pull: its layers will be unpacked, so the unpack
  // worker boots while the manifest and config are fetched (A/B, 8 pairs: median 1.56 -> 1.49 s,
  // +3 MB RSS). A name it has may well be up to date: no worker for that.
  if (deps.images.refTarget(ref.toString()) === undefined) deps.snapshots.warmUp?.();
  let top;
  try {
    top = await repo.getManifest(tagOrDigest, signal);
  } catch (err) {
    throw translatePullError(err, ref);
  }
  let manifestBytes = top.bytes;
  let manifestType = top.mediaType;
  if (manifestType === MediaTypes.dockerManifestV1 || manifestType === MediaTypes.dockerManifestV1Signed) {
    throw invalidArgument(SCHEMA1_REMOVED.replace('REF', ref.familiarString()));
  }
  if (isIndexMediaType(manifestType)) {
    const index = parseJson<ImageIndex>(top.bytes, 'manifest list');
    const want = opts.platform ?? normalizePlatform({ os: 'linux', architecture: hostArch(), variant: '' });
    const desc = selectPlatform(index.manifests ?? [], want);
    let m;
    try {
      m = await repo.getManifest(desc.digest, signal);
    } catch (err) {
      throw translatePullError(err, ref);
    }
    manifestBytes = m.bytes;
    manifestType = m.mediaType;
  }
  if (!isManifestMediaType(manifestType)) throw invalidArgument(`unsupported manifest media type ${JSON.stringify(manifestType)} for ${ref.familiarString()}`);
  const manifest = parseJson<ImageManifest>(manifestBytes, 'manifest');
  if (!manifest.config || !Array.isArray(manifest.layers)) throw invalidArgument(`invalid manifest for ${ref.familiarString()}`);
  if (manifest.config.mediaType && !isConfigMediaType(manifest.config.mediaType)) {
    throw invalidArgument(`Encountered remote ${JSON.stringify(manifest.config.mediaType)}(unknown) when fetching`);
  }
  // moby names the repository by its path on the registry ("library/busybox", "team/app")
  emit({ id: tagOrDigest, status: `Pulling from ${ref.path}` });
  const configDigest = manifest.config.digest;
  const local = deps.images.has(configDigest);
  const configBytes = local ? await deps.content.readBytes(configDigest) : await readSmallBlob(repo, configDigest, signal);
  const config = parseJson<ImageConfig>(configBytes, 'image config');
  if (opts.platform && !isIndexMediaType(top.mediaType)) {
    // moby checks the pulled image against --platform (also when it was there already)
    const have = normalizePlatform({ os: config.os, architecture: config.architecture, variant: config.variant });
    const want = opts.platform;
    if (have.os !== want.os || have.architecture !== want.architecture || (want.variant !== '' && have.variant !== want.variant)) {
      throw notFound(`image with reference ${ref.toString()} was found but does not match the specified platform: wanted ${formatPlatform(want)}, actual: ${formatPlatform(have)}`);
    }
  }
  if (local) {
    const tagged = ref.tag !== undefined && ref.digest === undefined ? deps.images.refTarget(ref.toString()) === configDigest : true;
    await finish(deps, opts, { configBytes: undefined, manifestBytes, manifestType, layers: [], topDigest: top.digest, configDigest });
    return { id: configDigest, digest: top.digest, updated: !tagged };
  }
  const diffIds = config.rootfs?.diff_ids ?? [];
  const layerDescs = manifest.layers;
  if (diffIds.length !== layerDescs.length) throw invalidArgument(`invalid image ${ref.familiarString()}: ${layerDescs.length} layers in the manifest, ${diffIds.length} diff IDs in the config`);
  for (const l of layerDescs) if (!isLayerMediaType(l.mediaType)) throw invalidArgument(`unsupported layer media type ${JSON.stringify(l.mediaType)}`);
  const chains = chainIds(diffIds);
  const release = once(deps.transfers.hold([...layerDescs.map((l) => l.digest), ...chains]));
  const created = { blobs: [] as Digest[], chains: [] as ChainId[] };
  try {
    const layers = await pullLayers(deps, opts, layerDescs.map((l, i) => ({ blob: l.digest, size: l.size, mediaType: l.mediaType, diffId: diffIds[i] as Digest, chainId: chains[i] as ChainId, parent: i > 0 ? (chains[i - 1] as ChainId) : undefined })), created);
    await finish(deps, opts, { configBytes, manifestBytes, manifestType, layers, topDigest: top.digest, configDigest });
    return { id: configDigest, digest: top.digest, updated: true };
  } catch (err) {
    release();
    await deps.images.discardUnused(created.blobs, created.chains, (k) => deps.transfers.isHeld(k)).catch((e: unknown) => deps.logger.warn({ err: e }, 'could not remove what a failed pull stored'));
    throw err;
  } finally {
    release();
  }
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (!done) fn();
    done = true;
  };
}

function hostArch(): string {
  const m: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', ia32: '386' };
  return m[process.arch] ?? process.arch;
}

interface LayerPlan {
  blob: Digest;
  size: number;
  mediaType: string;
  diffId: Digest;
  chainId: ChainId;
  parent: ChainId | undefined;
}

async function finish(
  deps: PullDeps,
  opts: PullOptions,
  a: { configBytes: Buffer | undefined; manifestBytes: Buffer; manifestType: string; layers: LayerPlan[]; topDigest: Digest; configDigest: Digest },
): Promise<{ id: Digest }> {
  const tag = opts.ref.digest === undefined ? opts.ref : undefined;
  const digestRef = opts.ref.trimNamed().withDigest(a.topDigest);
  if (a.configBytes === undefined) {
    // present already: only the names
    await deps.images.addPulled({ configBytes: await deps.content.readBytes(a.configDigest), manifest: { bytes: a.manifestBytes, mediaType: a.manifestType }, layers: [], tag, digestRef });
    return { id: a.configDigest };
  }
  const r = await deps.images.addPulled({
    configBytes: a.configBytes,
    manifest: { bytes: a.manifestBytes, mediaType: a.manifestType },
    layers: a.layers.map((l) => ({ chainId: l.chainId, diffId: l.diffId, blob: l.blob, blobSize: l.size, mediaType: l.mediaType })),
    tag,
    digestRef,
  });
  return { id: r.id };
}

async function pullLayers(deps: PullDeps, opts: PullOptions, plan: LayerPlan[], created: { blobs: Digest[]; chains: ChainId[] }): Promise<LayerPlan[]> {
  const { emit } = opts;
  const abort = new AbortController();
  const onAbort = (): void => abort.abort(opts.signal.reason);
  opts.signal.addEventListener('abort', onAbort, { once: true });
  const signal = abort.signal;
  // which layers are there already (blob and unpacked layer)
  const present: boolean[] = [];
  for (const l of plan) present.push(deps.snapshots.get(l.chainId) !== undefined && (await deps.content.info(l.blob)) !== undefined);
  const seen = new Set<string>();
  for (const [i, l] of plan.entries()) {
    const id = shortDigest(l.blob);
    if (seen.has(id)) continue;
    seen.add(id);
    emit(present[i] ? { id, status: 'Already exists', detail: true } : { id, status: 'Pulling fs layer', detail: true });
  }
  const unpacked: Promise<void>[] = [];
  try {
    for (const [i, l] of plan.entries()) {
      const prev = i > 0 ? unpacked[i - 1] : Promise.resolve();
      if (present[i]) {
        unpacked.push(prev as Promise<void>);
        continue;
      }
      unpacked.push(layerTask(deps, opts.repo, l, prev as Promise<void>, signal, emit, created));
      // a rejected earlier step must not be unhandled while later ones are set up
      (unpacked[i] as Promise<void>).catch(() => abort.abort());
    }
    const results = await Promise.allSettled(unpacked);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      // the first real failure, not the cancellations it caused
      const real = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !isCanceled(r.reason) && (r.reason as Error).name !== 'AbortError');
      throw (real ?? failed).reason;
    }
    return plan;
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Download one layer (shared with other pulls) and unpack it while it downloads, into a prepared
 * (not yet visible) snapshot: layers of an image extract in parallel, whatever their order. The
 * prepared layer is committed once its parent is, so chains still appear bottom-up.
 */
async function layerTask(deps: PullDeps, repo: Repository, l: LayerPlan, parentReady: Promise<void>, signal: AbortSignal, emit: Emit, created: { blobs: Digest[]; chains: ChainId[] }): Promise<void> {
  const id = shortDigest(l.blob);
  const key = `${l.blob}|${l.chainId}`;
  let prepared: PreparedLayer | undefined;
  /** this task has ended: a copy the transfer prepares from now on is discarded by the transfer */
  let left = false;
  const keep = async (p: PreparedLayer): Promise<void> => {
    if (left) await deps.snapshots.discard(p);
    else prepared = p;
  };
  try {
    const { done, settled } = deps.transfers.join(key, emit, signal, async (tsignal, temit) => {
      const release = await acquire(deps.downloads, id, tsignal, temit);
      try {
        const blobBefore = await deps.content.info(l.blob);
        const unpack = deps.snapshots.get(l.chainId) === undefined;
        if (blobBefore) {
          // stored already (an earlier pull, a load): unpack it from the store, no download
          if (unpack) await keep(await prepareStored(deps, l, tsignal, temit));
          return;
        }
        try {
          const p = await download(deps, repo, l, tsignal, temit, unpack);
          if (p) await keep(p);
        } finally {
          // what this download stored, even when a later step failed, is this pull's to remove
          if (!blobBefore && (await deps.content.info(l.blob))) created.blobs.push(l.blob);
        }
      } finally {
        release();
      }
    });
    try {
      await done;
    } catch (err) {
      // cancelled (another layer failed): the transfer is stopping, unless another pull uses it;
      // wait for it, or the blob and the copy it was finishing would outlive this pull's clean-up
      await settled();
      throw err;
    }
    await parentReady;
    if (!deps.snapshots.get(l.chainId)) {
      // a pull that joined another's download has no prepared copy: unpack the stored blob
      prepared ??= await prepareStored(deps, l, signal, emit);
      await deps.snapshots.commit(l.parent, prepared);
      created.chains.push(l.chainId);
    }
  } finally {
    left = true;
    if (prepared) await deps.snapshots.discard(prepared);
  }
  emit({ id, status: 'Pull complete', detail: true });
}

async function acquire(sem: Semaphore, id: string, signal: AbortSignal, emit: Emit): Promise<() => void> {
  if (!sem.available) emit({ id, status: 'Waiting', detail: true });
  return sem.acquire(signal);
}

/**
 * The blob's bytes from the registry, resuming with Range after a dropped connection. The
 * response bodies are piped through as they come (no async iteration: read() of a paused stream
 * concatenates its buffered chunks, which copies every byte once more).
 */
class BlobSource extends Readable {
  readonly #deps: PullDeps;
  readonly #repo: Repository;
  readonly #l: LayerPlan;
  readonly #signal: AbortSignal;
  #offset = 0;
  #attempt = 0;
  /** the response being read (streaming), or why there is none */
  #body: Readable | undefined;
  #state: 'idle' | 'opening' | 'streaming' | 'backoff' | 'done' = 'idle';

  constructor(deps: PullDeps, repo: Repository, l: LayerPlan, signal: AbortSignal) {
    super({ highWaterMark: HWM });
    this.#deps = deps;
    this.#repo = repo;
    this.#l = l;
    this.#signal = signal;
  }

  override _read(): void {
    if (this.#state === 'streaming') this.#body?.resume();
    else if (this.#state === 'idle') void this.#open();
  }

  async #open(): Promise<void> {
    this.#state = 'opening';
    this.#attempt++;
    let body: Readable;
    try {
      const r = await this.#repo.getBlob(this.#l.blob, this.#offset, this.#signal);
      // undici's body is a Readable; a resumed download from a registry that ignores Range is not
      body = r.body instanceof Readable ? r.body : Readable.from(r.body, { objectMode: false });
    } catch (err) {
      this.#retry(err);
      return;
    }
    if (this.destroyed) {
      body.destroy();
      return;
    }
    this.#body = body;
    this.#state = 'streaming';
    let over = false;
    const fail = (err: unknown): void => {
      if (over) return;
      over = true;
      this.#body = undefined;
      this.#retry(err);
    };
    body.on('data', (c: Buffer) => {
      this.#offset += c.length;
      if (!this.push(c)) body.pause();
    });
    body.on('end', () => {
      if (over) return;
      over = true;
      this.#body = undefined;
      this.#state = 'done';
      this.push(null);
    });
    body.on('error', fail);
    body.on('close', () => fail(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })));
  }

  #retry(err: unknown): void {
    if (this.destroyed) return;
    this.#state = 'backoff';
    const signal = this.#signal;
    if (signal.aborted || err instanceof BerthError || this.#attempt >= Math.max(1, this.#deps.maxDownloadAttempts)) {
      this.destroy((err instanceof BerthError || signal.aborted ? err : eofError(err)) as Error);
      return;
    }
    this.#deps.logger.warn({ err, blob: this.#l.blob, attempt: this.#attempt, offset: this.#offset }, 'layer download interrupted: retrying');
    setTimeout(() => {
      if (!this.destroyed) void this.#open();
    }, Math.min(1000 * this.#attempt, 5000));
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#body?.destroy();
    this.#body = undefined;
    cb(err);
  }
}

function eofError(err: unknown): Error {
  const code = (err as { code?: string }).code ?? '';
  if (/UND_ERR_SOCKET|ECONNRESET|UND_ERR_ABORTED|ERR_STREAM_PREMATURE_CLOSE/.test(code) || /other side closed|terminated/i.test((err as Error).message ?? '')) {
    return new BerthError('unavailable', 'unexpected EOF', { cause: err });
  }
  return new BerthError('unavailable', (err as Error).message ?? String(err), { cause: err });
}

async function download(deps: PullDeps, repo: Repository, l: LayerPlan, signal: AbortSignal, emit: Emit, teed: boolean): Promise<PreparedLayer | undefined> {
  const id = shortDigest(l.blob);
  const src = new BlobSource(deps, repo, l, signal);
  const verify = new VerifyStream(l.blob, l.size > 0 ? l.size : undefined);
  const progress = throttle(100, (n: number) => emit({ id, status: 'Downloading', current: n, total: l.size }));
  verify.onBytes = progress;
  // the store's branch is ended, not destroyed, on failure (and gets no signal): it then fails its
  // own size/digest check and removes its ingest file after closing it
  const tee = new Tee(teed ? 2 : 1, [true, false]);
  const [toStore, toUnpack] = tee.outputs;
  // the store takes the digest `verify` computes instead of hashing the blob again
  const storing = deps.content.write(toStore as Readable, { digest: l.blob, ...(l.size > 0 ? { size: l.size } : {}) }, undefined, { hashed: verify });
  const unpacking = teed && toUnpack ? deps.snapshots.prepare(toUnpack, { parent: l.parent, expectedDiffId: l.diffId, signal }) : undefined;
  storing.catch(() => undefined);
  unpacking?.catch(() => undefined);
  let verified = false;
  const downloading = pipeline(src, verify, tee, { signal }).then(() => {
    verified = true;
  });
  const settled = await Promise.allSettled([downloading, storing, ...(unpacking ? [unpacking] : [])]);
  const rejected = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  if (rejected.length > 0) {
    const p = settled[2];
    if (p?.status === 'fulfilled') await deps.snapshots.discard(p.value as PreparedLayer);
    // the download's own verdict (bad digest, EOF) explains best, then the unpacker's (hostile tar)
    const order = [settled[0], settled[2], settled[1]].filter((r): r is PromiseRejectedResult => r?.status === 'rejected').map((r) => r.reason as unknown);
    const best = order.find((e) => e instanceof BerthError && kindOf(e) !== 'canceled') ?? rejected[0];
    throw unwrapAbort(best, signal);
  }
  void verified;
  emit({ id, status: 'Verifying Checksum', detail: true });
  emit({ id, status: 'Download complete', detail: true });
  if (!teed) return undefined;
  emit({ id, status: 'Extracting', current: l.size, total: l.size });
  return (settled[2] as PromiseFulfilledResult<PreparedLayer>).value;
}

function unwrapAbort(err: unknown, signal: AbortSignal): unknown {
  if (signal.aborted && (err as Error).name === 'AbortError') return signal.reason instanceof Error ? signal.reason : new BerthError('canceled', 'context canceled', { cause: err });
  return err;
}

/** Unpack a stored blob into a prepared layer (any time: the parent is not needed), reporting Extracting progress. */
async function prepareStored(deps: PullDeps, l: LayerPlan, signal: AbortSignal, emit: Emit): Promise<PreparedLayer> {
  const id = shortDigest(l.blob);
  let n = 0;
  const report = throttle(100, () => emit({ id, status: 'Extracting', current: n, total: l.size }));
  const counter = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      n += chunk.length;
      report();
      cb(null, chunk);
    },
  });
  const src = deps.content.read(l.blob);
  const feeding = pipeline(src, counter).catch(() => undefined);
  let prepared: PreparedLayer;
  try {
    prepared = await deps.snapshots.prepare(counter, { parent: l.parent, expectedDiffId: l.diffId, signal });
  } catch (err) {
    counter.destroy(err as Error);
    throw err;
  } finally {
    await feeding;
  }
  emit({ id, status: 'Extracting', current: l.size, total: l.size });
  return prepared;
}

