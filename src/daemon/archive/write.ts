// Write images as `docker save` 25+ does: one tar that is both a docker-archive (manifest.json,
// repositories) and an OCI image layout (oci-layout, index.json, blobs/sha256/*), so every Docker
// since 1.10 and every OCI tool loads it. Blobs are the stored ones (configs, manifests, layers
// exactly as received), so saving twice gives the same bytes and the same digests.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack, type Pack } from 'tar-stream';
import { MediaTypes } from '../../oci/media-types.js';
import type { Descriptor, DockerArchiveManifestEntry, ImageIndex } from '../../oci/index.js';
import type { ContentProvider, Digest } from '../../store/content/types.js';

export interface SaveImage {
  id: Digest;
  configSize: number;
  manifest: { digest: Digest; mediaType: string; size: number };
  layers: { blob: Digest; size: number; diffId: Digest }[];
  /** tags to record: full name ("docker.io/library/busybox"), familiar name ("busybox"), tag */
  tags: { full: string; familiar: string; tag: string }[];
  platform: { architecture: string; os: string; variant?: string };
}

const MTIME = new Date(0);

function blobPath(d: Digest): string {
  return `blobs/sha256/${d.slice(7)}`;
}

async function addBytes(p: Pack, name: string, data: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    p.entry({ name, size: data.length, mode: 0o644, mtime: MTIME, uid: 0, gid: 0 }, data, (err) => (err ? reject(err) : resolve()));
  });
}

async function addBlob(p: Pack, content: ContentProvider, digest: Digest, size: number, signal?: AbortSignal): Promise<void> {
  const entry = p.entry({ name: blobPath(digest), size, mode: 0o644, mtime: MTIME, uid: 0, gid: 0 });
  await pipeline(content.read(digest), entry, ...(signal ? [{ signal }] : []));
}

/** The tar stream; errors (a blob vanished, the client went away) destroy it. */
export function writeArchive(images: readonly SaveImage[], content: ContentProvider, signal?: AbortSignal): Readable {
  const p = tarPack();
  const run = async (): Promise<void> => {
    const written = new Set<string>();
    const manifestJson: DockerArchiveManifestEntry[] = [];
    const index: ImageIndex = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] };
    const repositories: Record<string, Record<string, string>> = {};
    for (const img of images) {
      const blobs: [Digest, number][] = [[img.id, img.configSize], ...img.layers.map((l): [Digest, number] => [l.blob, l.size]), [img.manifest.digest, img.manifest.size]];
      for (const [d, size] of blobs) {
        if (written.has(d)) continue;
        written.add(d);
        await addBlob(p, content, d, size, signal);
      }
      const desc: Descriptor = { mediaType: img.manifest.mediaType, digest: img.manifest.digest, size: img.manifest.size };
      if (img.tags.length === 0) index.manifests.push(desc);
      for (const t of img.tags) {
        index.manifests.push({ ...desc, annotations: { 'io.containerd.image.name': `${t.full}:${t.tag}`, 'org.opencontainers.image.ref.name': t.tag } });
        const top = img.layers.at(-1);
        if (top) (repositories[t.familiar] ??= {})[t.tag] = top.diffId.slice(7);
      }
      manifestJson.push({ Config: blobPath(img.id), RepoTags: img.tags.map((t) => `${t.familiar}:${t.tag}`), Layers: img.layers.map((l) => blobPath(l.blob)) });
    }
    await addBytes(p, 'index.json', Buffer.from(`${JSON.stringify(index)}\n`));
    await addBytes(p, 'manifest.json', Buffer.from(`${JSON.stringify(manifestJson)}\n`));
    await addBytes(p, 'oci-layout', Buffer.from('{"imageLayoutVersion": "1.0.0"}'));
    if (Object.keys(repositories).length > 0) await addBytes(p, 'repositories', Buffer.from(`${JSON.stringify(repositories)}\n`));
    p.finalize();
  };
  run().catch((err: unknown) => p.destroy(err instanceof Error ? err : new Error(String(err))));
  return Readable.from(p as AsyncIterable<Buffer>);
}
