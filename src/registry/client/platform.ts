// Platforms as containerd's platforms package normalises and matches them (what dockerd uses to
// pick a manifest from a manifest list / OCI index): "linux/arm64/v8" == "linux/arm64";
// "arm" means v7; amd64 accepts variants v1..vN below the one asked; entries for unknown/unknown
// (buildx attestations) are never picked.
import { invalidArgument } from '../../errdefs/index.js';
import type { Descriptor } from '../../oci/types.js';

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant: string;
}

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', ia32: '386', riscv64: 'riscv64' };

export function hostPlatform(): PlatformSpec {
  return normalizePlatform({ os: 'linux', architecture: GOARCH[process.arch] ?? process.arch, variant: '' });
}

export function normalizePlatform(p: { os?: string | undefined; architecture?: string | undefined; variant?: string | undefined }): PlatformSpec {
  const os = (p.os ?? '').toLowerCase() === 'macos' ? 'darwin' : (p.os ?? '').toLowerCase();
  let arch = (p.architecture ?? '').toLowerCase();
  let variant = (p.variant ?? '').toLowerCase();
  switch (arch) {
    case 'i386':
      arch = '386';
      variant = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      arch = 'amd64';
      if (variant === 'v1') variant = '';
      break;
    case 'aarch64':
    case 'arm64':
      arch = 'arm64';
      if (['8', 'v8', 'v8.0'].includes(variant)) variant = '';
      break;
    case 'armhf':
      arch = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      arch = 'arm';
      variant = 'v6';
      break;
    case 'arm':
      if (variant === '' || variant === '7') variant = 'v7';
      else if (/^[5-8]$/.test(variant)) variant = `v${variant}`;
      break;
  }
  return { os, architecture: arch, variant };
}

/** "linux/arm64", "linux/arm/v7", "linux" (host architecture), "arm64" (linux). */
export function parsePlatformSpec(s: string): PlatformSpec {
  const parts = s.trim().toLowerCase().split('/');
  const host = hostPlatform();
  if (parts.some((x) => x === '') || parts.length > 3) throw invalidArgument(`"${s}": unknown operating system or architecture: invalid argument`);
  const known = ['linux', 'windows', 'darwin', 'freebsd', 'netbsd', 'openbsd', 'solaris', 'illumos', 'android', 'ios', 'aix', 'plan9', 'js', 'wasip1'];
  if (parts.length === 1) {
    const one = parts[0] as string;
    if (known.includes(one)) return normalizePlatform({ os: one, architecture: host.architecture, variant: host.variant });
    return normalizePlatform({ os: 'linux', architecture: one });
  }
  return normalizePlatform({ os: parts[0], architecture: parts[1], variant: parts[2] });
}

/**
 * The API's `platform` parameter: "os/arch[/variant]" (pull) or the JSON of an OCI platform,
 * as the docker CLI sends it for push and save ({"architecture":"amd64","os":"linux"}).
 */
export function parsePlatformParam(s: string): PlatformSpec {
  if (!s.trim().startsWith('{')) return parsePlatformSpec(s);
  let o: { os?: unknown; architecture?: unknown; variant?: unknown };
  try {
    o = JSON.parse(s) as typeof o;
  } catch (err) {
    throw invalidArgument(`invalid platform: ${(err as Error).message}`);
  }
  if (typeof o.os !== 'string' || typeof o.architecture !== 'string' || o.os === '' || o.architecture === '') throw invalidArgument(`invalid platform ${s}: needs "os" and "architecture"`);
  return normalizePlatform({ os: o.os, architecture: o.architecture, variant: typeof o.variant === 'string' ? o.variant : '' });
}

export function formatPlatform(p: PlatformSpec): string {
  return [p.os, p.architecture, p.variant].filter((x) => x !== '').join('/');
}

function variantRank(v: string): number {
  const m = /^v(\d+)/.exec(v);
  return m ? Number(m[1]) : 0;
}

/** Does `have` run on `want`? Exact match scores 2, a compatible older variant 1, else 0. */
export function platformScore(want: PlatformSpec, have: PlatformSpec): number {
  if (want.os !== have.os || want.architecture !== have.architecture) return 0;
  if (want.variant === have.variant) return 2;
  if (want.architecture === 'arm' || want.architecture === 'amd64') {
    if (variantRank(have.variant) <= variantRank(want.variant)) return 1;
    return 0;
  }
  if (want.variant === '') return 1;
  return 0;
}

/** Pick the manifest for `want` from an index's entries (best match, then index order). */
export function selectPlatform(manifests: readonly Descriptor[], want: PlatformSpec): Descriptor {
  let best: Descriptor | undefined;
  let bestScore = 0;
  for (const d of manifests) {
    const p = d.platform;
    if (!p || p.os === 'unknown' || p.architecture === 'unknown') continue;
    if (d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') continue;
    const score = platformScore(want, normalizePlatform(p));
    if (score > bestScore) {
      best = d;
      bestScore = score;
    }
  }
  if (!best) return notFoundManifest(want);
  return best;
}

function notFoundManifest(want: PlatformSpec): never {
  throw invalidArgument(`no matching manifest for ${formatPlatform(want)} in the manifest list entries`);
}
