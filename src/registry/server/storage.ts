// The registry's filesystem storage: content-addressed blobs, resumable uploads that stream to a
// temp file while hashing (fsync, verify, rename: an unfinished or wrong upload is never a visible
// blob), and per-repository links for blobs, manifests, tags and referrers. No HTTP here.
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { digestFromHex, type Digest } from '../../oci/index.js';
import { registryError } from './errors.js';
import { exists, fsyncDir, fsyncFile, listDir, readFileOrUndefined, writeFileAtomic } from './fs-util.js';
import { RegistryLayout, type ReferrerDescriptor, type RevisionRecord } from './layout.js';
import { checkDigest, isDigestReference, isValidTag } from './names.js';
import { validateManifest } from './manifest.js';

export interface BlobInfo {
  digest: Digest;
  size: number;
  path: string;
}

export interface UploadStatus {
  uuid: string;
  repo: string;
  /** Bytes received so far. */
  size: number;
}

export interface ManifestInfo {
  digest: Digest;
  mediaType: string;
  size: number;
  path: string;
}

export interface PutManifestResult {
  digest: Digest;
  subject?: Digest;
}

/** Where a chunk claims to go (PATCH Content-Range / Content-Length). */
export interface ChunkRange {
  start?: number;
  end?: number;
  length?: number;
}

interface UploadState {
  repo: string;
  hash: Hash;
  size: number;
  /** Serialises operations on one upload. */
  tail: Promise<unknown>;
}

/** Manifests larger than this are refused (the spec asks registries to accept at least 4 MiB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const ERRNO = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

export class FsRegistryStorage {
  readonly layout: RegistryLayout;
  readonly #uploads = new Map<string, UploadState>();

  constructor(root: string) {
    this.layout = new RegistryLayout(root);
  }

  /** Create the layout and empty the scratch directory (leftovers of a crash). */
  async init(): Promise<void> {
    const l = this.layout;
    await fs.mkdir(l.blobsDir, { recursive: true });
    await fs.mkdir(l.uploadsDir, { recursive: true });
    await fs.mkdir(l.reposDir, { recursive: true });
    await fs.rm(l.tmpDir, { recursive: true, force: true });
    await fs.mkdir(l.tmpDir, { recursive: true });
  }

  // ---------------------------------------------------------------- blobs

  async #blobSize(d: Digest): Promise<number | undefined> {
    try {
      return (await fs.stat(this.layout.blob(d))).size;
    } catch (e) {
      if (ERRNO(e) === 'ENOENT') return undefined;
      throw e;
    }
  }

  async hasBlob(d: Digest): Promise<boolean> {
    return (await this.#blobSize(d)) !== undefined;
  }

  /** A blob of the repository (linked to it and present); BLOB_UNKNOWN otherwise. */
  async statBlob(repo: string, d: Digest): Promise<BlobInfo> {
    const size = (await exists(this.layout.layerLink(repo, d))) ? await this.#blobSize(d) : undefined;
    if (size === undefined) throw registryError('BLOB_UNKNOWN', { detail: { digest: d } });
    return { digest: d, size, path: this.layout.blob(d) };
  }

  /** Unlink a blob from the repository (the bytes go at the next gc). */
  async deleteBlob(repo: string, d: Digest): Promise<void> {
    await this.statBlob(repo, d);
    await fs.rm(this.layout.layerLink(repo, d), { force: true });
  }

  async #linkBlob(repo: string, d: Digest): Promise<void> {
    const link = this.layout.layerLink(repo, d);
    if (await exists(link)) return;
    await writeFileAtomic(link, '');
  }

  /**
   * Cross-repository mount: link `d` into `repo` when `from` holds it (or, with no `from`, when the
   * registry holds it at all). Returns false when there is nothing to mount.
   */
  async mountBlob(repo: string, d: Digest, from: string | undefined): Promise<BlobInfo | undefined> {
    const size = await this.#blobSize(d);
    if (size === undefined) return undefined;
    if (from !== undefined && !(await exists(this.layout.layerLink(from, d)))) return undefined;
    await this.#linkBlob(repo, d);
    return { digest: d, size, path: this.layout.blob(d) };
  }

  // ---------------------------------------------------------------- uploads

  async startUpload(repo: string): Promise<UploadStatus> {
    const uuid = randomUUID();
    const dir = this.layout.upload(uuid);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'data'), '');
    await fs.writeFile(path.join(dir, 'info.json'), JSON.stringify({ repo, startedAt: new Date().toISOString() }));
    this.#uploads.set(uuid, { repo, hash: createHash('sha256'), size: 0, tail: Promise.resolve() });
    return { uuid, repo, size: 0 };
  }

  /** Run `fn` on the upload's state, one operation at a time; BLOB_UPLOAD_UNKNOWN when absent. */
  async #withUpload<T>(repo: string, uuid: string, fn: (st: UploadState, data: string) => Promise<T>): Promise<T> {
    if (!/^[a-f0-9-]{36}$/.test(uuid)) throw registryError('BLOB_UPLOAD_UNKNOWN', { detail: { uuid } });
    let st = this.#uploads.get(uuid);
    if (!st) st = await this.#loadUpload(uuid);
    if (!st || st.repo !== repo) throw registryError('BLOB_UPLOAD_UNKNOWN', { detail: { uuid } });
    const state = st;
    const data = path.join(this.layout.upload(uuid), 'data');
    const run = state.tail.then(async () => {
      if (this.#uploads.get(uuid) !== state) throw registryError('BLOB_UPLOAD_UNKNOWN', { detail: { uuid } });
      return fn(state, data);
    });
    state.tail = run.catch(() => undefined);
    return run;
  }

  /** An upload from before a restart: re-hash what was received. */
  async #loadUpload(uuid: string): Promise<UploadState | undefined> {
    const dir = this.layout.upload(uuid);
    const info = await readFileOrUndefined(path.join(dir, 'info.json'));
    if (info === undefined) return undefined;
    const { repo } = JSON.parse(info) as { repo: string };
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of createReadStream(path.join(dir, 'data'))) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
    } catch (e) {
      if (ERRNO(e) === 'ENOENT') return undefined;
      throw e;
    }
    const again = this.#uploads.get(uuid);
    if (again) return again;
    const st: UploadState = { repo, hash, size, tail: Promise.resolve() };
    this.#uploads.set(uuid, st);
    return st;
  }

  async uploadStatus(repo: string, uuid: string): Promise<UploadStatus> {
    return this.#withUpload(repo, uuid, async (st) => ({ uuid, repo, size: st.size }));
  }

  /**
   * Append a chunk, hashing as it streams. Out-of-order chunks are RANGE_INVALID (416); a chunk
   * that fails midway (client gone) is rolled back, so the upload stays at its previous offset.
   */
  async appendUpload(repo: string, uuid: string, body: Readable, range: ChunkRange = {}): Promise<UploadStatus> {
    return this.#withUpload(repo, uuid, async (st, data) => {
      await this.#append(st, data, body, range);
      return { uuid, repo, size: st.size };
    });
  }

  async #append(st: UploadState, data: string, body: Readable, range: ChunkRange): Promise<void> {
    const rangeHeader = { Range: `0-${Math.max(0, st.size - 1)}` };
    if (range.start !== undefined) {
      if (range.start !== st.size || (range.end !== undefined && range.end < range.start)) {
        throw registryError('RANGE_INVALID', { detail: { expectedStart: st.size, start: range.start, end: range.end }, headers: rangeHeader });
      }
      if (range.end !== undefined && range.length !== undefined && range.end - range.start + 1 !== range.length) {
        throw registryError('RANGE_INVALID', { message: 'Content-Range does not match Content-Length', headers: rangeHeader });
      }
    }
    const before = st.size;
    const rollbackHash = st.hash.copy();
    let written = 0;
    const hash = st.hash;
    const counter = new Transform({
      transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
        hash.update(chunk);
        written += chunk.length;
        cb(null, chunk);
      },
    });
    try {
      await pipeline(body, counter, createWriteStream(data, { flags: 'r+', start: before }));
      if (range.length !== undefined && written !== range.length) {
        throw registryError('SIZE_INVALID', { detail: { expected: range.length, received: written } });
      }
      st.size = before + written;
    } catch (e) {
      // Roll back: the bytes of a failed chunk are not part of the upload.
      await fs.truncate(data, before).catch(() => undefined);
      st.hash = rollbackHash;
      st.size = before;
      throw e;
    }
  }

  /**
   * Finish an upload: append the last chunk (if any), fsync, verify the digest and rename into
   * the blob store. A mismatch is DIGEST_INVALID and discards the upload (nothing becomes visible).
   */
  async finishUpload(repo: string, uuid: string, expected: Digest, body: Readable | undefined, range: ChunkRange = {}): Promise<BlobInfo> {
    return this.#withUpload(repo, uuid, async (st, data) => {
      if (body) await this.#append(st, data, body, range);
      const actual = `sha256:${st.hash.copy().digest('hex')}` as Digest;
      if (actual !== expected) {
        await this.#dropUpload(uuid);
        throw registryError('DIGEST_INVALID', { detail: { expected, actual } });
      }
      await fsyncFile(data);
      const target = this.layout.blob(actual);
      if (await exists(target)) await fs.rm(data, { force: true });
      else {
        await fs.rename(data, target);
        await fsyncDir(this.layout.blobsDir);
      }
      await this.#linkBlob(repo, actual);
      await this.#dropUpload(uuid);
      return { digest: actual, size: st.size, path: target };
    });
  }

  async cancelUpload(repo: string, uuid: string): Promise<void> {
    await this.#withUpload(repo, uuid, async () => {
      await this.#dropUpload(uuid);
    });
  }

  async #dropUpload(uuid: string): Promise<void> {
    this.#uploads.delete(uuid);
    await fs.rm(this.layout.upload(uuid), { recursive: true, force: true });
  }

  /** POST ?digest= with the whole blob as the body. */
  async putBlob(repo: string, expected: Digest, body: Readable, length: number | undefined): Promise<BlobInfo> {
    const up = await this.startUpload(repo);
    try {
      return await this.finishUpload(repo, up.uuid, expected, body, length === undefined ? {} : { length });
    } catch (e) {
      await this.#dropUpload(up.uuid);
      throw e;
    }
  }

  // ---------------------------------------------------------------- manifests and tags

  async #resolve(repo: string, ref: string): Promise<Digest> {
    if (isDigestReference(ref)) return checkDigest(ref);
    if (!isValidTag(ref)) throw registryError('TAG_INVALID', { detail: { tag: ref } });
    const d = await readFileOrUndefined(this.layout.tag(repo, ref));
    if (d === undefined) throw registryError('MANIFEST_UNKNOWN', { detail: { tag: ref } });
    return checkDigest(d.trim());
  }

  async #revision(repo: string, d: Digest): Promise<RevisionRecord | undefined> {
    const raw = await readFileOrUndefined(this.layout.revision(repo, d));
    return raw === undefined ? undefined : (JSON.parse(raw) as RevisionRecord);
  }

  async getManifest(repo: string, ref: string): Promise<ManifestInfo> {
    const d = await this.#resolve(repo, ref);
    const rev = await this.#revision(repo, d);
    const size = rev ? await this.#blobSize(d) : undefined;
    if (!rev || size === undefined) throw registryError('MANIFEST_UNKNOWN', { detail: isDigestReference(ref) ? { digest: ref } : { tag: ref } });
    return { digest: d, mediaType: rev.mediaType, size, path: this.layout.blob(d) };
  }

  async readManifest(repo: string, ref: string): Promise<{ info: ManifestInfo; bytes: Buffer }> {
    const info = await this.getManifest(repo, ref);
    return { info, bytes: await fs.readFile(info.path) };
  }

  /** Whether `d` is a manifest of the repository. */
  async hasManifest(repo: string, d: Digest): Promise<boolean> {
    return exists(this.layout.revision(repo, d));
  }

  /**
   * Store a manifest under a tag or its digest: the body must be a supported manifest whose
   * referenced blobs (and, for an index, manifests) the repository holds.
   */
  async putManifest(repo: string, ref: string, bytes: Buffer, contentType: string | undefined): Promise<PutManifestResult> {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;
    let tag: string | undefined;
    if (isDigestReference(ref)) {
      const want = checkDigest(ref);
      if (want !== digest) throw registryError('DIGEST_INVALID', { detail: { expected: want, actual: digest } });
    } else {
      if (!isValidTag(ref)) throw registryError('TAG_INVALID', { detail: { tag: ref } });
      tag = ref;
    }
    const m = validateManifest(bytes, contentType);
    for (const b of m.blobs) {
      const size = (await exists(this.layout.layerLink(repo, b.digest))) ? await this.#blobSize(b.digest) : undefined;
      if (size === undefined) throw registryError('MANIFEST_BLOB_UNKNOWN', { detail: { digest: b.digest } });
      if (b.size !== size) throw registryError('MANIFEST_INVALID', { message: `blob ${b.digest} has size ${size}, manifest says ${b.size}`, detail: { digest: b.digest } });
    }
    for (const c of m.manifests) {
      if (!(await this.hasManifest(repo, c))) throw registryError('MANIFEST_UNKNOWN', { status: 400, message: 'manifest references a manifest unknown to the repository', detail: { digest: c } });
    }
    // Bytes first (temp, fsync, rename), then the links that make them visible.
    const target = this.layout.blob(digest);
    if (!(await exists(target))) {
      const tmp = path.join(this.layout.tmpDir, `manifest-${randomUUID()}`);
      await fs.writeFile(tmp, bytes);
      await fsyncFile(tmp);
      await fs.rename(tmp, target);
      await fsyncDir(this.layout.blobsDir);
    }
    const rev: RevisionRecord = { mediaType: m.mediaType, size: bytes.length, ...(m.subject ? { subject: m.subject } : {}) };
    await writeFileAtomic(this.layout.revision(repo, digest), JSON.stringify(rev));
    if (m.subject) {
      const desc: ReferrerDescriptor = {
        mediaType: m.mediaType,
        digest,
        size: bytes.length,
        ...(m.artifactType ? { artifactType: m.artifactType } : {}),
        ...(m.annotations ? { annotations: m.annotations } : {}),
      };
      await writeFileAtomic(this.layout.referrer(repo, m.subject, digest), JSON.stringify(desc));
    }
    if (tag !== undefined) await writeFileAtomic(this.layout.tag(repo, tag), digest);
    return { digest, ...(m.subject ? { subject: m.subject } : {}) };
  }

  /** DELETE by tag removes the tag; by digest removes the manifest and every tag on it. */
  async deleteManifest(repo: string, ref: string): Promise<void> {
    if (!isDigestReference(ref)) {
      await this.#resolve(repo, ref);
      await fs.rm(this.layout.tag(repo, ref), { force: true });
      return;
    }
    const d = checkDigest(ref);
    const rev = await this.#revision(repo, d);
    if (!rev) throw registryError('MANIFEST_UNKNOWN', { detail: { digest: d } });
    await this.removeRevision(repo, d, rev);
  }

  /** Drop a manifest from a repository: its tags, its referrer link, its revision link. */
  async removeRevision(repo: string, d: Digest, rev: RevisionRecord | undefined): Promise<void> {
    for (const t of await listDir(this.layout.tagsDir(repo))) {
      const v = await readFileOrUndefined(this.layout.tag(repo, t));
      if (v?.trim() === d) await fs.rm(this.layout.tag(repo, t), { force: true });
    }
    if (rev?.subject) await fs.rm(this.layout.referrer(repo, rev.subject as Digest, d), { force: true });
    await fs.rm(this.layout.revision(repo, d), { force: true });
  }

  async repositoryExists(repo: string): Promise<boolean> {
    return (await exists(path.join(this.layout.repo(repo), '_manifests'))) || exists(path.join(this.layout.repo(repo), '_layers'));
  }

  /** Tags in lexical order; NAME_UNKNOWN for a repository the registry has never seen. */
  async listTags(repo: string): Promise<string[]> {
    if (!(await this.repositoryExists(repo))) throw registryError('NAME_UNKNOWN', { detail: { name: repo } });
    return (await listDir(this.layout.tagsDir(repo))).filter((t) => !t.startsWith('.')).sort(compareLexical);
  }

  /** The tags of a repository with their digests (gc). */
  async tagTargets(repo: string): Promise<Map<string, Digest>> {
    const out = new Map<string, Digest>();
    for (const t of await listDir(this.layout.tagsDir(repo))) {
      if (t.startsWith('.')) continue;
      const v = await readFileOrUndefined(this.layout.tag(repo, t));
      if (v !== undefined) out.set(t, checkDigest(v.trim()));
    }
    return out;
  }

  /** Every repository holding manifests, in lexical order. */
  async listRepositories(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        if (e.name === '_manifests') out.push(prefix);
        else if (!e.name.startsWith('_') && !e.name.startsWith('.')) await walk(path.join(dir, e.name), prefix === '' ? e.name : `${prefix}/${e.name}`);
      }
    };
    await walk(this.layout.reposDir, '');
    return out.filter((n) => n !== '').sort(compareLexical);
  }

  /** Digests of the repository's manifests. */
  async listRevisions(repo: string): Promise<Digest[]> {
    return (await listDir(this.layout.revisionsDir(repo))).filter((h) => /^[a-f0-9]{64}$/.test(h)).map((h) => digestFromHex(h));
  }

  async revisionRecord(repo: string, d: Digest): Promise<RevisionRecord | undefined> {
    return this.#revision(repo, d);
  }

  /** Digests of the blobs linked to the repository. */
  async listBlobLinks(repo: string): Promise<Digest[]> {
    return (await listDir(this.layout.layersDir(repo))).filter((h) => /^[a-f0-9]{64}$/.test(h)).map((h) => digestFromHex(h));
  }

  /** The manifests of the repository whose subject is `subject`, optionally of one artifact type. */
  async referrers(repo: string, subject: Digest, artifactType?: string): Promise<ReferrerDescriptor[]> {
    const dir = this.layout.referrersDir(repo, subject);
    const out: ReferrerDescriptor[] = [];
    for (const h of (await listDir(dir)).sort()) {
      if (!/^[a-f0-9]{64}$/.test(h)) continue;
      const raw = await readFileOrUndefined(path.join(dir, h));
      if (raw === undefined) continue;
      const desc = JSON.parse(raw) as ReferrerDescriptor;
      if (!(await this.hasManifest(repo, desc.digest as Digest))) continue;
      if (artifactType !== undefined && desc.artifactType !== artifactType) continue;
      out.push(desc);
    }
    return out;
  }
}

/** Byte-wise string order (Go's sort.Strings), which the spec's "lexical order" means. */
export function compareLexical(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
