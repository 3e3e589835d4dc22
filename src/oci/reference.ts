// Docker image references, parsed and normalised exactly as distribution/reference does
// (regexp.go, reference.go, normalize.go): the grammar, its errors and the familiar form.
//
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [domain '/'] remote-name
//   domain    := host [':' port-number]
import { invalidArgument, type BerthError } from '../errdefs/index.js';
import type { Digest } from './digest.js';

export const DEFAULT_DOMAIN = 'docker.io';
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
export const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
export const NAME_TOTAL_LENGTH_MAX = 255;

// --- grammar (distribution/reference regexp.go) ---
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const optionalPort = '(?::[0-9]+)?';
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}';
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = `${host}${optionalPort}`;
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePat = `(?:${domainAndPort}/)?${remoteName}`;

const referenceRegexp = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const anchoredNameRegexp = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const anchoredTagRegexp = new RegExp(`^${tagPat}$`);
const anchoredDigestRegexp = new RegExp(`^${digestPat}$`);
const anchoredIdentifierRegexp = /^[a-f0-9]{64}$/;
const anchoredDomainRegexp = new RegExp(`^${domainAndPort}$`);

/** go-digest's algorithms and their hex lengths. */
const DIGEST_ALGORITHMS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

// --- errors (distribution/reference's messages) ---
export const ReferenceErrors = {
  invalidFormat: 'invalid reference format',
  tagInvalidFormat: 'invalid tag format',
  digestInvalidFormat: 'invalid digest format',
  nameContainsUppercase: 'repository name must be lowercase',
  nameEmpty: 'repository name must have at least one component',
  nameTooLong: `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`,
  nameNotCanonical: 'repository name must be canonical',
} as const;

function refError(message: string): BerthError {
  // distribution's errors read "invalid reference format: repository name must be lowercase" when
  // wrapped by moby; the bare messages are kept for the generic cases.
  return invalidArgument(message);
}

/** A parsed reference. `domain` is '' only for references from parseReference (not normalised). */
export class Reference {
  readonly domain: string;
  readonly path: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;

  constructor(fields: { domain: string; path: string; tag?: string | undefined; digest?: string | undefined }) {
    this.domain = fields.domain;
    this.path = fields.path;
    this.tag = fields.tag || undefined;
    this.digest = fields.digest || undefined;
  }

  /** Full repository name: "docker.io/library/busybox". */
  name(): string {
    return this.domain === '' ? this.path : `${this.domain}/${this.path}`;
  }

  /** Full reference: "docker.io/library/busybox:latest", "name@sha256:...", "name:tag@sha256:...". */
  toString(): string {
    return this.name() + (this.tag !== undefined ? `:${this.tag}` : '') + (this.digest !== undefined ? `@${this.digest}` : '');
  }

  /** The short form Docker shows: "busybox", "myuser/app", "localhost:5000/a/b". */
  familiarName(): string {
    if (this.domain !== DEFAULT_DOMAIN) return this.name();
    if (this.path.startsWith(OFFICIAL_REPO_PREFIX) && !this.path.slice(OFFICIAL_REPO_PREFIX.length).includes('/')) {
      return this.path.slice(OFFICIAL_REPO_PREFIX.length);
    }
    return this.path;
  }

  /** familiarName plus tag and digest: "busybox:latest". */
  familiarString(): string {
    return this.familiarName() + (this.tag !== undefined ? `:${this.tag}` : '') + (this.digest !== undefined ? `@${this.digest}` : '');
  }

  /** True when neither tag nor digest is set. */
  isNameOnly(): boolean {
    return this.tag === undefined && this.digest === undefined;
  }

  withTag(tag: string): Reference {
    if (!anchoredTagRegexp.test(tag)) throw refError(ReferenceErrors.tagInvalidFormat);
    return new Reference({ domain: this.domain, path: this.path, tag, digest: this.digest });
  }

  withDigest(digest: string): Reference {
    if (!anchoredDigestRegexp.test(digest)) throw refError(ReferenceErrors.digestInvalidFormat);
    return new Reference({ domain: this.domain, path: this.path, tag: this.tag, digest });
  }

  /** Only the repository name (drops tag and digest). */
  trimNamed(): Reference {
    return new Reference({ domain: this.domain, path: this.path });
  }
}

/** go-digest's Validate (the algorithms it knows: sha256, sha384, sha512). */
function validateDigest(d: string): void {
  const i = d.indexOf(':');
  if (i <= 0 || i + 1 === d.length) throw invalidArgument('invalid checksum digest format');
  const alg = d.slice(0, i);
  const hex = d.slice(i + 1);
  const len = DIGEST_ALGORITHMS[alg];
  if (len === undefined) {
    if (!anchoredDigestRegexp.test(d)) throw invalidArgument('invalid checksum digest format');
    throw invalidArgument('unsupported digest algorithm');
  }
  if (hex.length !== len) throw invalidArgument('invalid checksum digest length');
  if (!/^[a-f0-9]+$/.test(hex)) throw invalidArgument('invalid checksum digest format');
}

/**
 * distribution/reference Parse: the grammar only, no normalisation (no docker.io, no library/).
 * Throws invalid-argument with distribution's messages.
 */
export function parseReference(s: string): Reference {
  const m = referenceRegexp.exec(s);
  if (!m) {
    if (s === '') throw refError(ReferenceErrors.nameEmpty);
    if (referenceRegexp.test(s.toLowerCase())) throw refError(ReferenceErrors.nameContainsUppercase);
    throw refError(ReferenceErrors.invalidFormat);
  }
  const name = m[1] ?? '';
  if (name.length > NAME_TOTAL_LENGTH_MAX) throw refError(ReferenceErrors.nameTooLong);
  const nm = anchoredNameRegexp.exec(name);
  const domain = nm?.[1] ?? '';
  const path = nm ? (nm[2] ?? '') : name;
  const digest = m[3];
  if (digest !== undefined) validateDigest(digest);
  return new Reference({ domain, path, tag: m[2], digest });
}

/** normalize.go splitDockerDomain. */
function splitDockerDomain(name: string): { domain: string; remainder: string } {
  let domain: string;
  let remainder: string;
  const i = name.indexOf('/');
  const first = i === -1 ? '' : name.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/** True for a full 64-hex image ID (which can never be used as a repository name). */
export function isFullIdentifier(s: string): boolean {
  return anchoredIdentifierRegexp.test(s);
}

/**
 * distribution/reference ParseNormalizedNamed: "busybox" -> docker.io/library/busybox (no tag
 * added). Errors as Docker's: "invalid reference format",
 * "invalid reference format: repository name (library/Busybox) must be lowercase",
 * "invalid repository name (<64 hex>), cannot specify 64-byte hexadecimal strings".
 */
export function parseNormalizedNamed(s: string): Reference {
  if (anchoredIdentifierRegexp.test(s)) {
    throw refError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const { domain, remainder } = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw refError(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  const ref = parseReference(`${domain}/${remainder}`);
  if (ref.domain === '' && ref.path === '') throw refError(ReferenceErrors.nameEmpty);
  return ref;
}

/** TagNameOnly: add ":latest" when the reference has neither tag nor digest. */
export function tagNameOnly(ref: Reference): Reference {
  return ref.isNameOnly() ? ref.withTag(DEFAULT_TAG) : ref;
}

/**
 * ParseDockerRef: normalise, add ":latest" when there is no tag or digest, and drop the tag
 * when both a tag and a digest are given (the digest wins), as Docker does for pulls.
 */
export function parseDockerRef(s: string): Reference {
  const named = parseNormalizedNamed(s);
  if (named.tag !== undefined && named.digest !== undefined) {
    return new Reference({ domain: named.domain, path: named.path, digest: named.digest });
  }
  return tagNameOnly(named);
}

/** What parseAnyReference found: an image ID (full hex or sha256:hex) or a name. */
export type AnyReference = { kind: 'id'; id: Digest } | { kind: 'named'; ref: Reference };

/** ParseAnyReference: a 64-hex string or "sha256:<64 hex>" is an ID, anything else a name. */
export function parseAnyReference(s: string): AnyReference {
  if (anchoredIdentifierRegexp.test(s)) return { kind: 'id', id: `sha256:${s}` as Digest };
  if (s.startsWith('sha256:')) {
    const hex = s.slice(7);
    if (anchoredIdentifierRegexp.test(hex)) return { kind: 'id', id: s as Digest };
  }
  return { kind: 'named', ref: parseNormalizedNamed(s) };
}

/** FamiliarString of a normalised reference string ("docker.io/library/busybox:latest" -> "busybox:latest"). */
export function familiarString(s: string): string {
  return parseReference(s).familiarString();
}

/** True when `tag` is a valid tag. */
export function isValidTag(tag: string): boolean {
  return anchoredTagRegexp.test(tag);
}

/** True when `d` is a valid registry domain (host[:port]). */
export function isValidDomain(d: string): boolean {
  return anchoredDomainRegexp.test(d);
}
