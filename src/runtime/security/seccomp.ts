// Seccomp as Docker applies it (moby profiles/seccomp): the default profile embedded in the repo
// (seccomp-default.json, Apache-2.0, see NOTICE.md), its rules filtered by the container's
// capabilities, the architecture and the kernel version (includes/excludes: caps, arches,
// minKernel), rendered to the OCI linux.seccomp form. Rendered profiles are cached by what they
// depend on (the capability set, or the custom profile's text), so a start does no work here.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { invalidArgument } from '../../errdefs/index.js';

export interface SeccompFilter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

export interface SeccompRule {
  name?: string;
  names?: string[];
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo?: number; op: string }[] | null;
  comment?: string;
  includes?: SeccompFilter;
  excludes?: SeccompFilter;
}

/** Docker's profile format. */
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[] | null;
  archMap?: { architecture: string; subArchitectures: string[] | null }[] | null;
  listenerPath?: string;
  listenerMetadata?: string;
  flags?: string[];
  syscalls?: SeccompRule[] | null;
}

/** OCI runtime-spec linux.seccomp. */
export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls: { names: string[]; action: string; errnoRet?: number; args?: { index: number; value: number; valueTwo?: number; op: string }[] }[];
}

const ACTIONS = new Set(['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY']);
const OPS = new Set(['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ']);

/** Go's GOARCH for the host, as the profile's includes/excludes name it. */
export function goArch(nodeArch: string = process.arch): string {
  return ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', mips64el: 'mips64le' } as Record<string, string>)[nodeArch] ?? nodeArch;
}

/** libseccomp's native architecture name for a GOARCH. */
function nativeScmpArch(arch: string): string {
  return ({ amd64: 'SCMP_ARCH_X86_64', '386': 'SCMP_ARCH_X86', arm64: 'SCMP_ARCH_AARCH64', arm: 'SCMP_ARCH_ARM', ppc64le: 'SCMP_ARCH_PPC64LE', s390x: 'SCMP_ARCH_S390X', riscv64: 'SCMP_ARCH_RISCV64', mips64le: 'SCMP_ARCH_MIPSEL64' } as Record<string, string>)[arch] ?? `SCMP_ARCH_${arch.toUpperCase()}`;
}

function kernelAtLeast(release: string, want: string): boolean {
  const parse = (v: string): number[] => v.split(/[.-]/).slice(0, 2).map((x) => Number.parseInt(x, 10) || 0);
  const [a = 0, b = 0] = parse(release);
  const [c = 0, d = 0] = parse(want);
  return a > c || (a === c && b >= d);
}

/** Where the embedded default profile lives: <repo>/src/runtime/security (this file is dist/src/runtime/security/seccomp.js or src/...). */
function defaultProfilePath(): string {
  const here = path.dirname(new URL(import.meta.url).pathname);
  const candidates = [path.join(here, 'seccomp-default.json'), path.resolve(here, '../../../../src/runtime/security/seccomp-default.json')];
  return candidates.find((p) => fs.existsSync(p)) ?? (candidates[1] as string);
}

let defaultProfile: SeccompProfile | undefined;
export function dockerDefaultProfile(): SeccompProfile {
  defaultProfile ??= parseProfile(fs.readFileSync(defaultProfilePath(), 'utf8'));
  return defaultProfile;
}

/** Decode and check a profile (Docker's message: "Decoding seccomp profile failed: ..."). */
export function parseProfile(text: string): SeccompProfile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`Decoding seccomp profile failed: ${(err as Error).message}`);
  }
  const fail = (m: string): never => {
    throw invalidArgument(`Decoding seccomp profile failed: ${m}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('json: cannot unmarshal into Go value of type seccomp.Seccomp: expected an object');
  const p = raw as Record<string, unknown>;
  if (typeof p['defaultAction'] !== 'string') return fail('json: cannot unmarshal into Go struct field Seccomp.defaultAction of type string');
  if (!ACTIONS.has(p['defaultAction'])) return fail(`invalid default action "${p['defaultAction']}"`);
  for (const k of ['architectures', 'flags'] as const) {
    if (p[k] !== undefined && p[k] !== null && (!Array.isArray(p[k]) || !(p[k] as unknown[]).every((x) => typeof x === 'string'))) return fail(`json: cannot unmarshal into Go struct field Seccomp.${k} of type []string`);
  }
  if (p['syscalls'] !== undefined && p['syscalls'] !== null && !Array.isArray(p['syscalls'])) return fail('json: cannot unmarshal into Go struct field Seccomp.syscalls of type []*seccomp.Syscall');
  for (const s of (p['syscalls'] as unknown[] | undefined) ?? []) {
    if (typeof s !== 'object' || s === null) return fail('json: cannot unmarshal into Go struct field Seccomp.syscalls of type seccomp.Syscall');
    const r = s as Record<string, unknown>;
    if (typeof r['action'] !== 'string' || !ACTIONS.has(r['action'])) return fail(`invalid action "${String(r['action'])}"`);
    if (r['names'] !== undefined && r['names'] !== null && (!Array.isArray(r['names']) || !(r['names'] as unknown[]).every((x) => typeof x === 'string'))) return fail('json: cannot unmarshal into Go struct field Syscall.syscalls.names of type []string');
    if (r['name'] !== undefined && typeof r['name'] !== 'string') return fail('json: cannot unmarshal into Go struct field Syscall.syscalls.name of type string');
    for (const a of (r['args'] as unknown[] | null | undefined) ?? []) {
      const arg = a as Record<string, unknown>;
      if (typeof arg['index'] !== 'number' || typeof arg['value'] !== 'number' || typeof arg['op'] !== 'string' || !OPS.has(arg['op'])) return fail(`invalid syscall argument ${JSON.stringify(a)}`);
    }
  }
  return p as unknown as SeccompProfile;
}

export interface RenderContext {
  /** the container's bounding capabilities */
  caps: readonly string[];
  arch?: string;
  kernelRelease?: string;
}

/** moby's setupSeccomp: the profile, filtered for the container, in OCI form. */
export function renderProfile(p: SeccompProfile, ctx: RenderContext): OciSeccomp {
  const arch = ctx.arch ?? goArch();
  const release = ctx.kernelRelease ?? os.release();
  if (p.architectures && p.architectures.length > 0 && p.archMap && p.archMap.length > 0) {
    throw invalidArgument("both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'");
  }
  const out: OciSeccomp = { defaultAction: p.defaultAction, syscalls: [] };
  if (p.defaultErrnoRet !== undefined) out.defaultErrnoRet = p.defaultErrnoRet;
  if (p.architectures && p.architectures.length > 0) out.architectures = [...p.architectures];
  else if (p.archMap) {
    const native = nativeScmpArch(arch);
    for (const a of p.archMap) {
      if (a.architecture === native) {
        out.architectures = [a.architecture, ...(a.subArchitectures ?? [])];
        break;
      }
    }
  }
  if (p.flags && p.flags.length > 0) out.flags = [...p.flags];
  if (p.listenerPath) out.listenerPath = p.listenerPath;
  if (p.listenerMetadata) out.listenerMetadata = p.listenerMetadata;
  const caps = new Set(ctx.caps);
  for (const call of p.syscalls ?? []) {
    let names = call.names ?? [];
    if (call.name) {
      if (names.length > 0) throw invalidArgument("use either 'name' or 'names'");
      names = [call.name];
    }
    const ex = call.excludes;
    if (ex) {
      if (ex.arches?.includes(arch)) continue;
      if (ex.caps?.some((c) => caps.has(c))) continue;
      if (ex.minKernel && kernelAtLeast(release, ex.minKernel)) continue;
    }
    const inc = call.includes;
    if (inc) {
      if (inc.arches && inc.arches.length > 0 && !inc.arches.includes(arch)) continue;
      if (inc.caps && inc.caps.some((c) => !caps.has(c))) continue;
      if (inc.minKernel && !kernelAtLeast(release, inc.minKernel)) continue;
    }
    const rule: OciSeccomp['syscalls'][number] = { names: [...names], action: call.action };
    if (call.errnoRet !== undefined) rule.errnoRet = call.errnoRet;
    if (call.args && call.args.length > 0) rule.args = call.args.map((a) => ({ ...a }));
    out.syscalls.push(rule);
  }
  return out;
}

/** Rendered profiles by their inputs: the default per capability set, custom ones per text + caps. */
export class SeccompCache {
  readonly #cache = new Map<string, OciSeccomp>();
  renders = 0;

  /** the default profile for these capabilities */
  forDefault(caps: readonly string[]): OciSeccomp {
    return this.#get(`default|${[...caps].sort().join(',')}`, () => renderProfile(dockerDefaultProfile(), { caps }));
  }

  /** a custom profile (its JSON text, as `--security-opt seccomp=` carries it) */
  forCustom(text: string, caps: readonly string[]): OciSeccomp {
    const h = crypto.createHash('sha256').update(text).digest('hex');
    return this.#get(`custom|${h}|${[...caps].sort().join(',')}`, () => renderProfile(parseProfile(text), { caps }));
  }

  #get(key: string, make: () => OciSeccomp): OciSeccomp {
    let v = this.#cache.get(key);
    if (!v) {
      v = make();
      this.renders++;
      if (this.#cache.size > 256) this.#cache.clear();
      this.#cache.set(key, v);
    }
    return v;
  }
}
