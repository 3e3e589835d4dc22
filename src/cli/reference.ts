// Image references as docker's CLI normalizes them (distribution/reference): familiar names
// ("busybox") to full names ("docker.io/library/busybox"), tags, digests, and validation.
import { StatusError } from './exit-codes.js';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;

export interface ParsedReference {
  /** Full repository name: docker.io/library/busybox */
  name: string;
  tag?: string;
  digest?: string;
}

export function invalidReference(value: string, why = 'invalid reference format'): StatusError {
  void value;
  return new StatusError(1, why);
}

/** reference.ParseNormalizedNamed */
export function parseNormalizedNamed(value: string): ParsedReference {
  let rest = value;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalidReference(value);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalidReference(value);
  }
  if (rest === '') throw invalidReference(value);
  const parts = rest.split('/');
  let domain = 'docker.io';
  const first = parts[0] as string;
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())) {
    domain = first;
    parts.shift();
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && parts.length === 1) parts.unshift('library');
  const path = parts.join('/');
  if (path !== path.toLowerCase()) throw invalidReference(value, `invalid reference format: repository name (${path}) must be lowercase`);
  if (!parts.every((p) => COMPONENT.test(p))) throw invalidReference(value);
  if (/^[a-f0-9]{64}$/.test(rest)) throw invalidReference(value, `invalid repository name (${rest}), cannot specify 64-byte hexadecimal strings`);
  const out: ParsedReference = { name: `${domain}/${path}` };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

/** reference.FamiliarName: docker.io/library/busybox -> busybox */
export function familiarName(name: string): string {
  if (name.startsWith('docker.io/library/')) return name.slice('docker.io/library/'.length);
  if (name.startsWith('docker.io/')) return name.slice('docker.io/'.length);
  return name;
}

/** Familiar string of a parsed reference with the default tag added when it has neither. */
export function familiarString(ref: ParsedReference, defaultTag = true): string {
  let s = familiarName(ref.name);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  else if (ref.digest === undefined && defaultTag) s += ':latest';
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** Split "repo:tag" (tag after the last slash) without validating. */
export function splitRepoTag(s: string): { repo: string; tag: string } {
  const at = s.indexOf('@');
  const base = at >= 0 ? s.slice(0, at) : s;
  const colon = base.lastIndexOf(':');
  if (colon > base.lastIndexOf('/')) return { repo: base.slice(0, colon), tag: base.slice(colon + 1) };
  return { repo: base, tag: '' };
}
