// Docker's mount parsing (moby volume/mounts linux_parser): `-v` strings (HostConfig.Binds),
// `--mount` specs (HostConfig.Mounts) and `--volumes-from` entries, with Docker's exact errors.
// Pure: nothing here touches the disk except the existence check of --mount bind sources.
import fs from 'node:fs';
import path from 'node:path';
import { invalidArgument } from '../../errdefs/index.js';
import type { MountSpec } from '../../engine-api/container.js';
import type { MountPointRecord } from './types.js';

const RW_MODES = new Set(['rw', 'ro']);
const LABEL_MODES = new Set(['z', 'Z']);
const PROPAGATION_MODES = new Set(['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared']);
const COPY_MODES = new Set(['nocopy']);
const CONSISTENCY_MODES = new Set(['consistent', 'cached', 'delegated']);
const BIND_RECURSIVE = new Set(['enabled', 'disabled', 'writable', 'readonly']);
export const DEFAULT_PROPAGATION = 'rprivate';

export function validMountMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = [0, 0, 0, 0, 0];
  for (const o of mode.split(',')) {
    if (RW_MODES.has(o)) counts[0]!++;
    else if (LABEL_MODES.has(o)) counts[1]!++;
    else if (PROPAGATION_MODES.has(o)) counts[2]!++;
    else if (COPY_MODES.has(o)) counts[3]!++;
    else if (CONSISTENCY_MODES.has(o)) counts[4]!++;
    else return false;
  }
  return counts.every((c) => c <= 1);
}

function readWrite(mode: string): boolean {
  return validMountMode(mode) && !mode.split(',').includes('ro');
}

function propagationOf(mode: string): string | undefined {
  return mode.split(',').find((o) => PROPAGATION_MODES.has(o));
}

const cleanPath = (p: string): string => path.posix.normalize(p.replace(/\\/g, '/')).replace(/(.)\/+$/, '$1');

function mountConfigError(type: string | undefined, msg: string): Error {
  return invalidArgument(`invalid mount config for type ${JSON.stringify(type ?? '')}: ${msg}`);
}

function targetError(target: string): string | undefined {
  const p = target.replace(/\\/g, '/');
  if (path.posix.normalize(p) === '/' || /^\/+$/.test(p)) return "invalid specification: destination can't be '/'";
  if (!p.startsWith('/')) return `invalid mount path: '${p}' mount path must be absolute`;
  return undefined;
}

/** Size suffix as Docker's ConvertTmpfsOptions picks it. */
function tmpfsSize(n: number): string {
  for (const [s, d] of [['g', 2 ** 30], ['m', 2 ** 20], ['k', 2 ** 10]] as const) if (n % d === 0) return `${n / d}${s}`;
  return String(n);
}

export function tmpfsDataOf(m: MountSpec): string {
  const o: string[] = [];
  if (m.ReadOnly) o.push('ro');
  const t = m.TmpfsOptions;
  if (t?.Mode) o.push(`mode=${t.Mode.toString(8)}`);
  if (t?.SizeBytes) o.push(`size=${tmpfsSize(t.SizeBytes)}`);
  for (const opt of t?.Options ?? []) {
    if (opt.length < 1 || opt.length > 2) throw new Error('invalid option array length');
    if (opt[0] !== 'exec' && opt[0] !== 'noexec') throw new Error(`invalid option: ${opt[0]}`);
    o.push(opt.length === 1 ? opt[0] : `${opt[0]}=${opt[1]}`);
  }
  return o.join(',');
}

function base(type: MountPointRecord['type'], destination: string): MountPointRecord {
  return { type, destination: cleanPath(destination), source: '', name: '', driver: '', rw: true, mode: '', propagation: '', copyData: false, anonymous: false };
}

/** A --mount spec (moby ParseMountSpec): errors are "invalid mount config for type ...". */
export function parseMountSpec(m: MountSpec, opts: { checkBindSource?: boolean } = {}): MountPointRecord {
  const type = m.Type;
  if (type !== 'bind' && m.BindOptions) throw mountConfigError(type, 'field BindOptions must not be specified');
  if (type !== 'volume' && m.VolumeOptions) throw mountConfigError(type, 'field VolumeOptions must not be specified');
  if (type !== 'tmpfs' && m.TmpfsOptions) throw mountConfigError(type, 'field TmpfsOptions must not be specified');
  if (!m.Target) throw mountConfigError(type, 'field Target must not be empty');
  const te = targetError(m.Target);
  if (te) throw mountConfigError(type, te);
  switch (type) {
    case 'bind': {
      if (!m.Source) throw mountConfigError(type, 'field Source must not be empty');
      const prop = m.BindOptions?.Propagation;
      if (prop && !PROPAGATION_MODES.has(prop)) throw mountConfigError(type, `invalid propagation mode: ${prop}`);
      if (!m.Source.replace(/\\/g, '/').startsWith('/')) throw mountConfigError(type, `invalid mount path: '${m.Source}' mount path must be absolute`);
      const create = m.BindOptions?.CreateMountpoint === true;
      if (opts.checkBindSource !== false && !create && !fs.existsSync(m.Source)) throw mountConfigError(type, `bind source path does not exist: ${m.Source}`);
      const r = base('bind', m.Target);
      r.source = cleanPath(m.Source);
      r.rw = !m.ReadOnly;
      r.propagation = prop || DEFAULT_PROPAGATION;
      r.createSource = create;
      const b = m.BindOptions as { NonRecursive?: boolean; ReadOnlyNonRecursive?: boolean; ReadOnlyForceRecursive?: boolean } | undefined;
      if (b?.NonRecursive) r.bindRecursive = 'disabled';
      else if (b?.ReadOnlyForceRecursive) r.bindRecursive = 'readonly';
      else if (b?.ReadOnlyNonRecursive) r.bindRecursive = 'writable';
      return r;
    }
    case 'volume': {
      const sub = m.VolumeOptions?.Subpath;
      if (sub) {
        if (!m.Source) throw mountConfigError(type, 'must not set Subpath when using anonymous volumes');
        const n = path.posix.normalize(sub);
        if (sub.startsWith('/') || n === '..' || n.startsWith('../')) throw mountConfigError(type, 'subpath must be a relative path within the volume');
      }
      const r = base('volume', m.Target);
      r.name = m.Source ?? '';
      r.anonymous = !m.Source;
      r.rw = !m.ReadOnly;
      r.driver = m.VolumeOptions?.DriverConfig?.Name ?? '';
      r.copyData = m.VolumeOptions?.NoCopy !== true;
      if (sub) r.subpath = sub;
      return r;
    }
    case 'tmpfs': {
      if (m.Source) throw mountConfigError(type, 'field Source must not be specified');
      let data: string;
      try {
        data = tmpfsDataOf(m);
      } catch (err) {
        throw mountConfigError(type, (err as Error).message);
      }
      const r = base('tmpfs', m.Target);
      r.rw = !m.ReadOnly;
      r.tmpfsData = data;
      return r;
    }
    case 'image':
    case 'npipe':
    case 'cluster':
      throw invalidArgument(`mount type ${JSON.stringify(type)} is not supported`);
    default:
      throw mountConfigError(type, 'mount type unknown');
  }
}

/** A -v string (moby ParseMountRaw): errors are "invalid volume specification: '...'". */
export function parseBind(raw: string, volumeDriver: string): MountPointRecord {
  const spec = (): Error => invalidArgument(`invalid volume specification: '${raw}'`);
  const arr = splitN(raw, ':', 4);
  if (arr[0] === '') throw spec();
  let source = '';
  let target = '';
  let mode = '';
  switch (arr.length) {
    case 1:
      target = arr[0] ?? '';
      break;
    case 2:
      if (validMountMode(arr[1] ?? '')) throw spec();
      source = arr[0] ?? '';
      target = arr[1] ?? '';
      break;
    case 3:
      source = arr[0] ?? '';
      target = arr[1] ?? '';
      mode = arr[2] ?? '';
      break;
    default:
      throw spec();
  }
  if (!validMountMode(mode)) throw invalidArgument(`invalid mode: ${mode}`);
  const isBind = source.startsWith('/');
  const type = isBind ? 'bind' : 'volume';
  const bad = (msg: string): Error => invalidArgument(`invalid volume specification: '${raw}': invalid mount config for type "${type}": ${msg}`);
  const hasCopyMode = mode.split(',').some((m) => COPY_MODES.has(m));
  if (!isBind && propagationOf(mode)) throw bad('field BindOptions must not be specified');
  if (isBind && hasCopyMode) throw bad('field VolumeOptions must not be specified');
  if (!target) throw bad('field Target must not be empty');
  const te = targetError(target);
  if (te) throw bad(te);
  const r = base(type, target);
  r.mode = mode;
  r.rw = readWrite(mode);
  if (isBind) {
    r.source = cleanPath(source);
    r.propagation = propagationOf(mode) ?? DEFAULT_PROPAGATION;
    r.createSource = true;
  } else {
    r.name = source;
    r.anonymous = source === '';
    r.driver = volumeDriver;
    r.copyData = !hasCopyMode;
  }
  return r;
}

/** A --volumes-from entry: "container[:ro|rw]". */
export function parseVolumesFrom(spec: string): { id: string; mode: string } {
  if (spec === '') throw invalidArgument('volumes-from specification cannot be an empty string');
  const i = spec.indexOf(':');
  const id = i < 0 ? spec : spec.slice(0, i);
  const mode = i < 0 ? '' : spec.slice(i + 1);
  if (mode === '') return { id, mode: 'rw' };
  if (!validMountMode(mode) || propagationOf(mode) || mode.split(',').some((m) => COPY_MODES.has(m))) throw invalidArgument(`invalid mode: ${mode}`);
  return { id, mode };
}

export function volumesFromRW(mode: string): boolean {
  return readWrite(mode);
}

export function isValidBindRecursive(v: string): boolean {
  return BIND_RECURSIVE.has(v);
}

function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + 1);
  }
  out.push(rest);
  return out;
}

/** Docker's sortMounts: fewer path separators first, so parents mount before children. */
export function sortByDepth<T extends { destination: string }>(mounts: T[]): T[] {
  const depth = (m: T): number => (cleanPath(m.destination).match(/\//g) ?? []).length;
  return mounts.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m) - depth(b.m) || a.i - b.i).map((x) => x.m);
}
