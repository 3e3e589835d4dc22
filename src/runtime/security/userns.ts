// Daemon-wide user namespace remapping (dockerd --userns-remap): "default" creates a `berth`
// user and group with /etc/subuid and /etc/subgid ranges (as dockerd's "dockremap"); "user",
// "uid", "user:group" use that user's ranges. Container root maps to the first host id of the
// range. Image layers are made to look right inside with a per-remap copy whose owners are
// shifted into the range (dockerd's <data-root>/<uid>.<gid> layout), made once per layer.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { invalidArgument, systemError } from '../../errdefs/index.js';

export interface IdMap {
  containerID: number;
  hostID: number;
  size: number;
}

export interface Remap {
  user: string;
  group: string;
  uidMap: IdMap[];
  gidMap: IdMap[];
}

export const DEFAULT_REMAP_USER = 'berth';

function lookup(file: string, key: string): { name: string; id: number } | undefined {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3) continue;
    if (f[0] === key || f[2] === key) return { name: f[0] as string, id: Number(f[2]) };
  }
  return undefined;
}

/** Ranges of `name` (or its numeric id) in a subordinate id file, in file order. */
export function subIdRanges(text: string, name: string, id: number | undefined): IdMap[] {
  const out: IdMap[] = [];
  let next = 0;
  for (const line of text.split('\n')) {
    const f = line.trim().split(':');
    if (f.length !== 3 || line.trim().startsWith('#')) continue;
    if (f[0] !== name && (id === undefined || f[0] !== String(id))) continue;
    const start = Number(f[1]);
    const size = Number(f[2]);
    if (!Number.isInteger(start) || !Number.isInteger(size) || size <= 0) continue;
    out.push({ containerID: next, hostID: start, size });
    next += size;
  }
  return out;
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Append "name:start:65536" after the highest range in use (at least 100000). */
function addRange(file: string, name: string): void {
  const text = readOr(file);
  let top = 100000;
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length === 3) top = Math.max(top, Number(f[1]) + Number(f[2]));
  }
  fs.appendFileSync(file, `${text !== '' && !text.endsWith('\n') ? '\n' : ''}${name}:${top}:65536\n`);
}

/** dockerd's "default": the remap user exists (created if not) and has subordinate ranges. */
function ensureDefaultUser(etc: string): void {
  if (!lookup(path.join(etc, 'passwd'), DEFAULT_REMAP_USER)) {
    const r = spawnSync('useradd', ['--system', '--no-create-home', '--user-group', '--shell', '/bin/false', DEFAULT_REMAP_USER], { encoding: 'utf8' });
    if (r.status !== 0) throw systemError(`cannot create the ${DEFAULT_REMAP_USER} user for userns-remap: ${(r.stderr || r.error?.message || '').trim()}`);
  }
  for (const f of ['subuid', 'subgid']) {
    const file = path.join(etc, f);
    if (subIdRanges(readOr(file), DEFAULT_REMAP_USER, undefined).length === 0) addRange(file, DEFAULT_REMAP_USER);
  }
}

/** Resolve the daemon's userns-remap setting; undefined when remapping is off. */
export function resolveRemap(setting: string | undefined, etc = '/etc'): Remap | undefined {
  if (setting === undefined || setting === '') return undefined;
  let [user = '', group] = setting.split(':');
  if (user === 'default') {
    if (group !== undefined) throw invalidArgument('userns-remap: "default" cannot be combined with a group');
    ensureDefaultUser(etc);
    user = DEFAULT_REMAP_USER;
    group = DEFAULT_REMAP_USER;
  }
  const pw = lookup(path.join(etc, 'passwd'), user);
  if (!pw && !/^\d+$/.test(user)) throw invalidArgument(`userns-remap: no such user: ${user}`);
  const uname = pw?.name ?? user;
  const uid = pw?.id ?? Number(user);
  const gname = group ?? uname;
  const gr = lookup(path.join(etc, 'group'), gname);
  const gid = gr?.id ?? (/^\d+$/.test(gname) ? Number(gname) : undefined);
  const uidMap = subIdRanges(readOr(path.join(etc, 'subuid')), uname, uid);
  const gidMap = subIdRanges(readOr(path.join(etc, 'subgid')), gr?.name ?? gname, gid);
  if (uidMap.length === 0) throw invalidArgument(`userns-remap: no subuid ranges found for user "${uname}"`);
  if (gidMap.length === 0) throw invalidArgument(`userns-remap: no subgid ranges found for group "${gr?.name ?? gname}"`);
  return { user: uname, group: gr?.name ?? gname, uidMap, gidMap };
}

/** A container id to its host id (ids outside the maps become the overflow id 65534's host id). */
export function toHost(map: readonly IdMap[], id: number): number {
  for (const m of map) if (id >= m.containerID && id < m.containerID + m.size) return m.hostID + (id - m.containerID);
  return -1;
}

/** Shift every owner under `dir` into the remap range (lchown, so symlinks themselves). */
export async function shiftOwners(dir: string, remap: Remap): Promise<number> {
  let n = 0;
  const visit = async (p: string, isDir: boolean): Promise<void> => {
    const st = await fsp.lstat(p);
    const uid = toHost(remap.uidMap, st.uid);
    const gid = toHost(remap.gidMap, st.gid);
    if (uid >= 0 && gid >= 0) {
      await fsp.lchown(p, uid, gid);
      // chown clears set-id bits: put them back (not on symlinks)
      if (!st.isSymbolicLink() && (st.mode & 0o6000) !== 0) await fsp.chmod(p, st.mode & 0o7777);
      n++;
    }
    if (!isDir) return;
    for (const e of await fsp.readdir(p, { withFileTypes: true })) await visit(path.join(p, e.name), e.isDirectory());
  };
  await visit(dir, true);
  return n;
}

/** `cp -a` keeps owners, modes, xattrs (overlay opaque markers) and whiteout device nodes. */
export function copyTree(src: string, dst: string): void {
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  try {
    execFileSync('cp', ['-a', '--reflink=auto', src, dst], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: Buffer };
    throw systemError(`copying ${src} for userns-remap failed: ${e.stderr?.toString().trim() ?? String(err)}`);
  }
}
