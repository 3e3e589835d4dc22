// Push (moby's distribution/push_v2.go): every layer blob of the image as stored (the compressed
// bytes a pull or load kept, so digests never change), skipped when the registry has it (HEAD),
// mounted from another repository of the same registry when the image came from one, else
// uploaded (one streamed PATCH + PUT); then the config and the stored manifest under the tag.
import { pipeline } from 'node:stream/promises';
import { Transform, type TransformCallback } from 'node:stream';
import type { Logger } from 'pino';
import { isCanceled } from '../../errdefs/index.js';
import type { Digest } from '../../oci/digest.js';
import { parseReference, type Reference } from '../../oci/reference.js';
import type { ContentStore } from '../../store/content/types.js';
import type { ImageService } from '../images/service.js';
import type { Repository } from '../../registry/client/client.js';
import { Semaphore, shortDigest, throttle, type ProgressEvent } from './progress.js';

export interface PushDeps {
  images: ImageService;
  content: ContentStore;
  logger: Logger;
  uploads: Semaphore;
}

type Emit = (e: ProgressEvent) => void;

export interface PushResult {
  tag: string;
  digest: Digest;
  size: number;
}

/** Push one tag (ref has a tag) of image `id`. */
export async function pushTag(deps: PushDeps, opts: { ref: Reference; id: Digest; repo: Repository; signal: AbortSignal; emit: Emit }): Promise<PushResult> {
  const { repo, signal, emit, ref } = opts;
  const src = deps.images.pushSource(opts.id);
  // other repositories of the same registry that hold this image: mount sources
  const mountFrom = [...new Set(src.refs.map((r) => parseReference(r)).filter((r) => r.domain === ref.domain && r.path !== ref.path).map((r) => r.path))];
  const layers = [...src.layers].reverse();
  const seen = new Set<string>();
  for (const l of layers) {
    const id = shortDigest(l.diffId);
    if (!seen.has(id)) emit({ id, status: 'Preparing', detail: true });
    seen.add(id);
  }
  const abort = new AbortController();
  const onAbort = (): void => abort.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const done = new Map<string, Promise<void>>();
    const tasks = layers.map((l) => {
      const running = done.get(l.blob);
      if (running) return running;
      const p = pushLayer(deps, repo, l, mountFrom, abort.signal, emit);
      p.catch(() => abort.abort());
      done.set(l.blob, p);
      return p;
    });
    const results = await Promise.allSettled(tasks);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
    if (failed.length > 0) throw failed.find((e) => !isCanceled(e) && (e as Error).name !== 'AbortError') ?? failed[0];
    // the config blob, then the manifest under the tag
    if ((await repo.statBlob(src.id, abort.signal)) === undefined) {
      const loc = await repo.startUpload(abort.signal);
      await repo.uploadBlob(loc, src.id, src.configSize, deps.content.read(src.id), { chunked: false, signal: abort.signal });
    }
    const manifestBytes = await deps.content.readBytes(src.manifest.digest);
    const tag = ref.tag ?? 'latest';
    const digest = await repo.putManifest(tag, manifestBytes, src.manifest.mediaType, abort.signal);
    deps.images.addDigestRef(ref.trimNamed().withDigest(digest), opts.id);
    emit({ status: `${tag}: digest: ${digest} size: ${manifestBytes.length}` });
    emit({ status: '', detail: true, aux: { Tag: tag, Digest: digest, Size: manifestBytes.length } });
    return { tag, digest, size: manifestBytes.length };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

async function pushLayer(deps: PushDeps, repo: Repository, l: { blob: Digest; size: number; diffId: Digest }, mountFrom: string[], signal: AbortSignal, emit: Emit): Promise<void> {
  const id = shortDigest(l.diffId);
  if (!deps.uploads.available) emit({ id, status: 'Waiting', detail: true });
  const release = await deps.uploads.acquire(signal);
  try {
    if ((await repo.statBlob(l.blob, signal)) !== undefined) {
      emit({ id, status: 'Layer already exists', detail: true });
      return;
    }
    let location: string | undefined;
    for (const from of mountFrom) {
      const m = await repo.mountBlob(l.blob, from, signal).catch((err: unknown) => {
        deps.logger.debug({ err, blob: l.blob, from }, 'cross-repository mount failed');
        return { mounted: false as const, location: undefined };
      });
      if (m.mounted) {
        emit({ id, status: `Mounted from ${from}`, detail: true });
        return;
      }
      location ??= m.location;
    }
    location ??= await repo.startUpload(signal);
    let n = 0;
    const report = throttle(100, () => emit({ id, status: 'Pushing', current: n, total: l.size }));
    const counter = new Transform({
      highWaterMark: 1 << 20,
      transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
        n += chunk.length;
        report();
        cb(null, chunk);
      },
    });
    const reading = pipeline(deps.content.read(l.blob), counter).catch((err: unknown) => {
      counter.destroy(err as Error);
    });
    try {
      await repo.uploadBlob(location, l.blob, l.size, counter, { chunked: true, signal });
    } catch (err) {
      counter.destroy();
      throw err;
    } finally {
      await reading;
    }
    emit({ id, status: 'Pushing', current: l.size, total: l.size });
    emit({ id, status: 'Pushed', detail: true });
  } finally {
    release();
  }
}

