// Names in URLs: repository names (distribution spec "<name>" grammar), tags and digests.
import { isDigest, type Digest } from '../../oci/index.js';
import { registryError } from './errors.js';

/** path-component ("/" path-component)*, each [a-z0-9]+ joined by ".", "_", "__" or "-"+ (spec). */
const NAME_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** distribution's limit (hostname included, so 255 for the path part too). */
export const MAX_NAME_LENGTH = 255;

export function isValidRepositoryName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME_LENGTH && NAME_RE.test(name);
}

export function checkRepositoryName(name: string): string {
  if (!isValidRepositoryName(name)) throw registryError('NAME_INVALID', { detail: { name } });
  return name;
}

export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

export function isDigestReference(ref: string): boolean {
  return ref.includes(':');
}

/** A digest from a URL or query parameter; only sha256 is stored here. */
export function checkDigest(s: string | undefined): Digest {
  if (s === undefined || s === '') throw registryError('DIGEST_INVALID', { message: 'digest missing' });
  if (isDigest(s)) return s;
  if (!s.startsWith('sha256:') && /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(s)) {
    throw registryError('DIGEST_INVALID', { message: 'unsupported digest algorithm', detail: { digest: s } });
  }
  throw registryError('DIGEST_INVALID', { message: 'invalid digest', detail: { digest: s } });
}
