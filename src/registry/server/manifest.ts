// Checking a pushed manifest: its media type (body field vs Content-Type), its shape, and what it
// references (blobs for an image manifest, manifests for an index, an optional subject).
import { MediaTypes, isDigest, type Digest } from '../../oci/index.js';
import { registryError } from './errors.js';

export const SUPPORTED_MANIFEST_TYPES: readonly string[] = [MediaTypes.ociManifest, MediaTypes.ociIndex, MediaTypes.dockerManifest, MediaTypes.dockerManifestList];

export interface CheckedManifest {
  mediaType: string;
  /** Blobs the repository must hold (config and layers, foreign layers excluded). */
  blobs: Array<{ digest: Digest; size: number }>;
  /** Manifests the repository must hold (index entries). */
  manifests: Digest[];
  subject?: Digest;
  /** For the referrers API: artifactType, else the config's media type (image manifests). */
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** "application/x; charset=..." -> "application/x" */
export function bareMediaType(ct: string | undefined): string | undefined {
  const v = ct?.split(';')[0]?.trim().toLowerCase();
  return v === '' ? undefined : v;
}

function invalid(message: string, detail?: unknown): never {
  throw registryError('MANIFEST_INVALID', { message: `manifest invalid: ${message}`, ...(detail === undefined ? {} : { detail }) });
}

interface RawDescriptor {
  mediaType?: unknown;
  digest?: unknown;
  size?: unknown;
  urls?: unknown;
  artifactType?: unknown;
}

function descriptor(v: unknown, where: string): { mediaType: string; digest: Digest; size: number; foreign: boolean } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) invalid(`${where} is not a descriptor`);
  const d = v as RawDescriptor;
  if (typeof d.mediaType !== 'string' || d.mediaType === '') invalid(`${where} has no mediaType`);
  if (typeof d.digest !== 'string' || !isDigest(d.digest)) invalid(`${where} has an invalid digest`, { digest: d.digest });
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) invalid(`${where} has an invalid size`);
  const foreign = Array.isArray(d.urls) && d.urls.length > 0;
  return { mediaType: d.mediaType, digest: d.digest, size: d.size, foreign };
}

function stringMap(v: unknown): Record<string, string> | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
}

export function validateManifest(bytes: Buffer, contentType: string | undefined): CheckedManifest {
  let doc: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) invalid('not a JSON object');
    doc = parsed as Record<string, unknown>;
  } catch (e) {
    if (e instanceof SyntaxError) invalid(`invalid JSON: ${e.message}`);
    throw e;
  }
  const ct = bareMediaType(contentType);
  const field = typeof doc['mediaType'] === 'string' ? doc['mediaType'] : undefined;
  if (doc['schemaVersion'] === 1) invalid('schema 1 manifests are not supported');
  if (doc['schemaVersion'] !== 2) invalid('schemaVersion must be 2');
  if (field !== undefined && ct !== undefined && ct !== field && ct !== 'application/json' && ct !== 'application/octet-stream') {
    invalid(`mediaType ${field} does not match Content-Type ${ct}`);
  }
  let mediaType = field ?? (ct !== undefined && SUPPORTED_MANIFEST_TYPES.includes(ct) ? ct : undefined);
  mediaType ??= Array.isArray(doc['manifests']) ? MediaTypes.ociIndex : MediaTypes.ociManifest;
  if (!SUPPORTED_MANIFEST_TYPES.includes(mediaType)) invalid(`unsupported media type ${mediaType}`);

  const out: CheckedManifest = { mediaType, blobs: [], manifests: [] };
  if (mediaType === MediaTypes.ociIndex || mediaType === MediaTypes.dockerManifestList) {
    if (!Array.isArray(doc['manifests'])) invalid('index has no manifests array');
    (doc['manifests'] as unknown[]).forEach((m, i) => out.manifests.push(descriptor(m, `manifests[${i}]`).digest));
    if (typeof doc['artifactType'] === 'string') out.artifactType = doc['artifactType'];
  } else {
    const config = descriptor(doc['config'], 'config');
    out.blobs.push({ digest: config.digest, size: config.size });
    if (!Array.isArray(doc['layers'])) {
      if (mediaType === MediaTypes.dockerManifest || doc['layers'] !== undefined) invalid('layers must be an array');
    } else {
      (doc['layers'] as unknown[]).forEach((l, i) => {
        const d = descriptor(l, `layers[${i}]`);
        if (!d.foreign) out.blobs.push({ digest: d.digest, size: d.size });
      });
    }
    out.artifactType = typeof doc['artifactType'] === 'string' ? doc['artifactType'] : config.mediaType;
  }
  if (doc['subject'] !== undefined) out.subject = descriptor(doc['subject'], 'subject').digest;
  const ann = stringMap(doc['annotations']);
  if (ann && Object.keys(ann).length > 0) out.annotations = ann;
  return out;
}
