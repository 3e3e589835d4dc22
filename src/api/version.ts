// Engine API version handling: the /vX.Y prefix, defaults and Docker's error texts.
import { invalidArgument } from '../errdefs/index.js';

export const API_VERSION = '1.50';
export const MIN_API_VERSION = '1.24';

/** Compare two "major.minor" versions: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10));
  const pb = b.split('.').map((n) => Number.parseInt(n, 10));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export const versionAtLeast = (v: string, min: string): boolean => compareVersions(v, min) >= 0;

const PREFIX = /^\/v(\d+\.\d+)(\/.*|$)/;

/** Split "/v1.43/containers/json?x" into the version and the rest of the URL. */
export function splitVersionPrefix(url: string): { version: string | undefined; path: string } {
  const m = PREFIX.exec(url);
  if (!m) return { version: undefined, path: url };
  const rest = m[2] ?? '';
  return { version: m[1], path: rest === '' || rest.startsWith('?') ? `/${rest}` : rest };
}

/** The version a request is served at; throws Docker's 400 errors outside the supported range. */
export function negotiateVersion(requested: string | undefined): string {
  if (requested === undefined) return API_VERSION;
  if (compareVersions(requested, API_VERSION) > 0) {
    throw invalidArgument(`client version ${requested} is too new. Maximum supported API version is ${API_VERSION}`);
  }
  if (compareVersions(requested, MIN_API_VERSION) < 0) {
    throw invalidArgument(
      `client version ${requested} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
    );
  }
  return requested;
}
