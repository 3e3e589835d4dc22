// Read an unpacked image archive: `docker save`'s format (manifest.json, config, layer tars; old
// and 25+ layouts) or an OCI image layout (oci-layout, index.json, blobs/). Returns what the image
// service needs to store each image; verifies every name that claims a digest.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { invalidArgument } from '../../errdefs/index.js';
import { sha256, isDigest } from '../../oci/digest.js';
import { MediaTypes, isIndexMediaType, isManifestMediaType, isLayerMediaType } from '../../oci/media-types.js';
import { Annotations } from '../../oci/types.js';
import type { Descriptor, DockerArchiveManifestEntry, ImageConfig, ImageIndex, ImageManifest } from '../../oci/index.js';
import type { Digest } from '../../store/content/types.js';
import { archiveFile } from './extract.js';

const JSON_LIMIT = 8 * 1024 * 1024;

export interface ArchiveLayer {
  /** name in the archive ("blobs/sha256/<hex>", "<id>/layer.tar") */
  name: string;
  file: string;
  /** digest the archive claims for the file (OCI descriptor or blobs/sha256/<hex> name) */
  digest?: Digest;
  size?: number;
  mediaType?: string;
}

export interface ArchiveImage {
  format: 'docker-archive' | 'oci-layout';
  config: { bytes: Buffer; digest: Digest; parsed: ImageConfig };
  layers: ArchiveLayer[];
  /** names as written in the archive (familiar "busybox:latest" or full) */
  names: string[];
  /** the manifest as received, when the archive has one for this image */
  manifest?: { bytes: Buffer; digest: Digest; mediaType: string };
}

async function exists(p: string): Promise<boolean> {
  return fsp.stat(p).then(
    () => true,
    () => false,
  );
}

async function readSmall(root: string, name: string): Promise<Buffer> {
  const file = await archiveFile(root, name);
  const st = await fsp.stat(file);
  if (st.size > JSON_LIMIT) throw invalidArgument(`invalid archive: ${name} is too large (${st.size} bytes)`);
  return fsp.readFile(file);
}

function parseJson<T>(name: string, bytes: Buffer): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (e) {
    throw invalidArgument(`invalid archive: ${name}: ${(e as Error).message}`);
  }
}

/** The digest a file name claims: blobs/sha256/<hex>, <hex>.json (old config names). */
export function claimedDigest(name: string): Digest | undefined {
  const m = /(?:^|\/)(?:blobs\/sha256\/)?([a-f0-9]{64})(?:\.json)?$/.exec(name.replace(/^\.\//, ''));
  if (!m || !(name.includes('blobs/sha256/') || name.endsWith('.json'))) return undefined;
  return `sha256:${m[1]}` as Digest;
}

function checkDigest(name: string, bytes: Buffer, expected: Digest | undefined): Digest {
  const actual = sha256(bytes);
  if (expected !== undefined && actual !== expected) {
    throw invalidArgument(`invalid archive: digest mismatch for ${name}: expected ${expected}, got ${actual}`);
  }
  return actual;
}

function parseConfig(name: string, bytes: Buffer): ImageConfig {
  const c = parseJson<ImageConfig>(name, bytes);
  if (typeof c !== 'object' || c === null || typeof c.rootfs !== 'object' || c.rootfs === null || !Array.isArray(c.rootfs.diff_ids)) {
    throw invalidArgument(`invalid archive: ${name} is not an image config (no rootfs.diff_ids)`);
  }
  for (const d of c.rootfs.diff_ids) if (typeof d !== 'string' || !isDigest(d)) throw invalidArgument(`invalid archive: ${name}: invalid diff ID ${JSON.stringify(d)}`);
  return c;
}

function blobName(d: Digest): string {
  return `blobs/sha256/${d.slice(7)}`;
}

/** Read every image an unpacked archive holds. */
export async function readArchive(root: string): Promise<ArchiveImage[]> {
  if (await exists(path.join(root, 'manifest.json'))) return readDockerArchive(root);
  if ((await exists(path.join(root, 'index.json'))) && (await exists(path.join(root, 'oci-layout')))) return readOciLayout(root);
  throw invalidArgument('invalid archive: no manifest.json (docker save format) or index.json and oci-layout (OCI layout) found');
}

/** Manifests an index.json points at (for docker save 25+ archives: keep the manifest as received). */
async function indexManifests(root: string): Promise<Map<Digest, { bytes: Buffer; digest: Digest; mediaType: string; manifest: ImageManifest }>> {
  const out = new Map<Digest, { bytes: Buffer; digest: Digest; mediaType: string; manifest: ImageManifest }>();
  if (!(await exists(path.join(root, 'index.json')))) return out;
  try {
    const index = parseJson<ImageIndex>('index.json', await readSmall(root, 'index.json'));
    for (const d of index.manifests ?? []) {
      if (!isManifestMediaType(d.mediaType) || !isDigest(d.digest)) continue;
      const name = blobName(d.digest);
      const bytes = await readSmall(root, name);
      if (sha256(bytes) !== d.digest) continue;
      const manifest = parseJson<ImageManifest>(name, bytes);
      out.set(manifest.config.digest, { bytes, digest: d.digest, mediaType: d.mediaType, manifest });
    }
  } catch {
    /* manifest.json is authoritative in this format; a broken index.json only loses the original manifest */
  }
  return out;
}

async function readDockerArchive(root: string): Promise<ArchiveImage[]> {
  const entries = parseJson<DockerArchiveManifestEntry[]>('manifest.json', await readSmall(root, 'manifest.json'));
  if (!Array.isArray(entries)) throw invalidArgument('invalid archive: manifest.json is not a list');
  const manifests = await indexManifests(root);
  const images: ArchiveImage[] = [];
  for (const e of entries) {
    if (typeof e?.Config !== 'string' || !Array.isArray(e.Layers)) throw invalidArgument('invalid archive: manifest.json entry without Config or Layers');
    const bytes = await readSmall(root, e.Config);
    const digest = checkDigest(e.Config, bytes, claimedDigest(e.Config));
    const parsed = parseConfig(e.Config, bytes);
    if (parsed.rootfs.diff_ids.length !== e.Layers.length) {
      throw invalidArgument(`invalid manifest, layers length mismatch: expected ${parsed.rootfs.diff_ids.length}, got ${e.Layers.length}`);
    }
    const layers: ArchiveLayer[] = [];
    for (const name of e.Layers) {
      if (typeof name !== 'string') throw invalidArgument('invalid archive: manifest.json layer is not a string');
      const claimed = claimedDigest(name);
      layers.push({ name, file: await archiveFile(root, name), ...(claimed ? { digest: claimed } : {}) });
    }
    const img: ArchiveImage = { format: 'docker-archive', config: { bytes, digest, parsed }, layers, names: (e.RepoTags ?? []).filter((t) => typeof t === 'string') };
    const m = manifests.get(digest);
    if (m && m.manifest.layers.length === layers.length && m.manifest.layers.every((l, i) => layers[i]?.digest === l.digest)) {
      img.manifest = { bytes: m.bytes, digest: m.digest, mediaType: m.mediaType };
      layers.forEach((l, i) => {
        const d = m.manifest.layers[i];
        if (d) Object.assign(l, { size: d.size, mediaType: d.mediaType });
      });
    }
    images.push(img);
  }
  return images;
}

const HOST_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

async function readOciLayout(root: string): Promise<ArchiveImage[]> {
  const layout = parseJson<{ imageLayoutVersion?: string }>('oci-layout', await readSmall(root, 'oci-layout'));
  if (layout.imageLayoutVersion !== '1.0.0') throw invalidArgument(`invalid archive: unsupported OCI layout version ${JSON.stringify(layout.imageLayoutVersion)}`);
  const index = parseJson<ImageIndex>('index.json', await readSmall(root, 'index.json'));
  if (!Array.isArray(index.manifests)) throw invalidArgument('invalid archive: index.json has no manifests');
  const byConfig = new Map<Digest, ArchiveImage>();
  const visit = async (d: Descriptor, names: string[], depth: number): Promise<void> => {
    if (!isDigest(d.digest)) throw invalidArgument(`invalid archive: invalid digest ${JSON.stringify(d.digest)} in index.json`);
    if (isIndexMediaType(d.mediaType)) {
      if (depth > 4) throw invalidArgument('invalid archive: indexes nested too deep');
      const name = blobName(d.digest);
      const bytes = await readSmall(root, name);
      checkDigest(name, bytes, d.digest);
      const child = parseJson<ImageIndex>(name, bytes);
      const arch = HOST_ARCH[process.arch] ?? process.arch;
      const pick = (child.manifests ?? []).find((m) => isManifestMediaType(m.mediaType) && m.platform?.os === 'linux' && m.platform.architecture === arch) ?? (child.manifests ?? []).find((m) => isManifestMediaType(m.mediaType) && m.annotations?.['vnd.docker.reference.type'] === undefined);
      if (!pick) throw invalidArgument(`invalid archive: no image for linux/${arch} in ${name}`);
      return visit(pick, names, depth + 1);
    }
    if (!isManifestMediaType(d.mediaType)) return;
    const name = blobName(d.digest);
    const bytes = await readSmall(root, name);
    checkDigest(name, bytes, d.digest);
    const manifest = parseJson<ImageManifest>(name, bytes);
    if (!manifest.config || !isDigest(manifest.config.digest) || !Array.isArray(manifest.layers)) throw invalidArgument(`invalid archive: ${name} is not an image manifest`);
    const existing = byConfig.get(manifest.config.digest);
    if (existing) {
      existing.names.push(...names.filter((n) => !existing.names.includes(n)));
      return;
    }
    const cname = blobName(manifest.config.digest);
    const cbytes = await readSmall(root, cname);
    checkDigest(cname, cbytes, manifest.config.digest);
    const parsed = parseConfig(cname, cbytes);
    const layers: ArchiveLayer[] = [];
    for (const l of manifest.layers) {
      if (!isLayerMediaType(l.mediaType) || !isDigest(l.digest)) throw invalidArgument(`invalid archive: unsupported layer ${l.digest} (${l.mediaType})`);
      layers.push({ name: blobName(l.digest), file: await archiveFile(root, blobName(l.digest)), digest: l.digest, size: l.size, mediaType: l.mediaType });
    }
    if (parsed.rootfs.diff_ids.length !== layers.length) {
      throw invalidArgument(`invalid manifest, layers length mismatch: expected ${parsed.rootfs.diff_ids.length}, got ${layers.length}`);
    }
    byConfig.set(manifest.config.digest, {
      format: 'oci-layout',
      config: { bytes: cbytes, digest: manifest.config.digest, parsed },
      layers,
      names: [...names],
      manifest: { bytes, digest: d.digest, mediaType: d.mediaType ?? manifest.mediaType ?? MediaTypes.ociManifest },
    });
  };
  for (const d of index.manifests) {
    const names: string[] = [];
    const full = d.annotations?.[Annotations.containerdImageName];
    const refName = d.annotations?.[Annotations.refName];
    if (full) names.push(full);
    else if (refName && /[:/]/.test(refName) && !refName.startsWith(':')) names.push(refName);
    await visit(d, names, 0);
  }
  return [...byConfig.values()];
}
