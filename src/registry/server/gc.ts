// Mark and sweep over the registry root: from every tag, mark the manifest, the manifests an
// index names, the referrers of every marked manifest, and the config and layers of every marked
// image manifest; then remove the unmarked manifests (with their tags' leftovers and referrer
// links), the unmarked blob links of each repository, and every blob no repository still marks.
// Run it while the server is stopped or read-only: a push in flight has blobs no tag reaches yet.
import fs from 'node:fs/promises';
import path from 'node:path';
import { digestFromHex, isDigest, type Digest } from '../../oci/index.js';
import { listDir, readFileOrUndefined } from './fs-util.js';
import { FsRegistryStorage } from './storage.js';

export interface GcOptions {
  root: string;
  dryRun?: boolean;
  /** Uploads older than this are removed too (default 24 hours). */
  uploadMaxAgeMs?: number;
  /** One line per removal. */
  out?: (line: string) => void;
}

export interface GcResult {
  manifests: Array<{ repo: string; digest: Digest }>;
  links: Array<{ repo: string; digest: Digest }>;
  blobs: Array<{ digest: Digest; size: number }>;
  uploads: string[];
  freedBytes: number;
}

export async function collectGarbage(opts: GcOptions): Promise<GcResult> {
  const storage = new FsRegistryStorage(opts.root);
  const l = storage.layout;
  if (!(await fs.stat(l.root).catch(() => undefined))?.isDirectory()) throw new Error(`registry root ${l.root} does not exist`);
  const dry = opts.dryRun === true;
  const say = opts.out ?? (() => undefined);
  const verb = dry ? 'would remove' : 'removed';
  const result: GcResult = { manifests: [], links: [], blobs: [], uploads: [], freedBytes: 0 };
  const keep = new Set<string>();

  for (const repo of await allRepositories(storage)) {
    const manifests = new Set<string>();
    const blobs = new Set<string>();
    const queue: Digest[] = [...(await storage.tagTargets(repo)).values()];
    while (queue.length > 0) {
      const d = queue.pop() as Digest;
      if (manifests.has(d) || !(await storage.hasManifest(repo, d))) continue;
      manifests.add(d);
      keep.add(d);
      const doc = await readJson(l.blob(d));
      for (const child of descriptors(doc?.['manifests'])) queue.push(child);
      for (const b of [...descriptors(doc?.['config'] === undefined ? [] : [doc['config']]), ...descriptors(doc?.['layers'])]) {
        blobs.add(b);
        keep.add(b);
      }
      for (const h of await listDir(l.referrersDir(repo, d))) if (/^[a-f0-9]{64}$/.test(h)) queue.push(digestFromHex(h));
    }
    for (const d of await storage.listRevisions(repo)) {
      if (manifests.has(d)) continue;
      result.manifests.push({ repo, digest: d });
      say(`${verb} manifest ${repo}@${d}`);
      if (!dry) await storage.removeRevision(repo, d, await storage.revisionRecord(repo, d));
    }
    for (const d of await storage.listBlobLinks(repo)) {
      if (blobs.has(d)) continue;
      result.links.push({ repo, digest: d });
      say(`${verb} blob link ${repo}@${d}`);
      if (!dry) await fs.rm(l.layerLink(repo, d), { force: true });
    }
    // Tags whose manifest is gone, and empty referrer folders.
    if (!dry) {
      for (const [t, d] of await storage.tagTargets(repo)) if (!(await storage.hasManifest(repo, d))) await fs.rm(l.tag(repo, t), { force: true });
      const refRoot = path.join(l.repo(repo), '_referrers', 'sha256');
      for (const h of await listDir(refRoot)) if ((await listDir(path.join(refRoot, h))).length === 0) await fs.rm(path.join(refRoot, h), { recursive: true, force: true });
    }
  }

  for (const h of (await listDir(l.blobsDir)).sort()) {
    if (!/^[a-f0-9]{64}$/.test(h)) continue;
    const d = digestFromHex(h);
    if (keep.has(d)) continue;
    const size = (await fs.stat(l.blob(d)).catch(() => undefined))?.size ?? 0;
    result.blobs.push({ digest: d, size });
    result.freedBytes += size;
    say(`${verb} blob ${d} (${size} bytes)`);
    if (!dry) await fs.rm(l.blob(d), { force: true });
  }

  const maxAge = opts.uploadMaxAgeMs ?? 24 * 3600_000;
  for (const uuid of await listDir(l.uploadsDir)) {
    const st = await fs.stat(path.join(l.upload(uuid), 'data')).catch(() => fs.stat(l.upload(uuid)).catch(() => undefined));
    if (!st || Date.now() - st.mtimeMs < maxAge) continue;
    result.uploads.push(uuid);
    say(`${verb} upload ${uuid}`);
    if (!dry) await fs.rm(l.upload(uuid), { recursive: true, force: true });
  }
  return result;
}

/** Every repository with manifests or blob links. */
async function allRepositories(storage: FsRegistryStorage): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    if (prefix !== '' && entries.some((e) => e.isDirectory() && (e.name === '_manifests' || e.name === '_layers'))) out.push(prefix);
    for (const e of entries) {
      if (e.isDirectory() && !e.name.startsWith('_') && !e.name.startsWith('.')) await walk(path.join(dir, e.name), prefix === '' ? e.name : `${prefix}/${e.name}`);
    }
  };
  await walk(storage.layout.reposDir, '');
  return out.sort();
}

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  const raw = await readFileOrUndefined(file);
  if (raw === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(raw);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function descriptors(v: unknown): Digest[] {
  if (!Array.isArray(v)) return [];
  const out: Digest[] = [];
  for (const d of v) {
    const digest = (d as { digest?: unknown } | null)?.digest;
    if (typeof digest === 'string' && isDigest(digest)) out.push(digest);
  }
  return out;
}
