// Resolve Config.User ("name", "uid", "name:group", "uid:gid") against the container's own
// /etc/passwd and /etc/group, as Docker does (moby/sys/user GetExecUser).
import fs from 'node:fs';
import path from 'node:path';
import { invalidArgument } from '../errdefs/index.js';

export interface ExecUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

function readLines(file: string): string[][] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).map((l) => l.split(':'));
}

/** Read a file inside the rootfs without following symlinks out of it (one level is enough here). */
function inRoot(rootfs: string, p: string): string {
  const full = path.join(rootfs, p);
  try {
    // lstat first: a failed readlink of a regular file costs an exception with a stack trace
    if (!fs.lstatSync(full, { throwIfNoEntry: false })?.isSymbolicLink()) return full;
    const target = fs.readlinkSync(full);
    return path.join(rootfs, path.isAbsolute(target) ? target : path.join(path.dirname(p), target));
  } catch {
    return full;
  }
}

export function parsePasswd(rootfs: string): PasswdEntry[] {
  return readLines(inRoot(rootfs, '/etc/passwd')).map((f) => ({ name: f[0] ?? '', uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/' }));
}

export function parseGroup(rootfs: string): GroupEntry[] {
  return readLines(inRoot(rootfs, '/etc/group')).map((f) => ({ name: f[0] ?? '', gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }));
}

const isNum = (s: string): boolean => /^\d+$/.test(s);

export function resolveUser(rootfs: string, spec: string | undefined, groupAdd: readonly string[] = []): ExecUser {
  const [userPart = '', groupPart] = (spec ?? '').split(':', 2) as [string?, string?];
  const passwd = parsePasswd(rootfs);
  const want = userPart === '' ? '0' : userPart;
  let entry = passwd.find((p) => (isNum(want) ? p.uid === Number(want) : p.name === want));
  if (!entry) {
    if (!isNum(want)) throw invalidArgument(`unable to find user ${want}: no matching entries in passwd file`);
    entry = { name: '', uid: Number(want), gid: 0, home: '/' };
  }
  let gid = entry.gid;
  const groups = groupPart !== undefined || groupAdd.length > 0 || entry.name !== '' ? parseGroup(rootfs) : [];
  if (groupPart !== undefined && groupPart !== '') {
    if (isNum(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) throw invalidArgument(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = g.gid;
    }
  }
  const extra = new Set<number>();
  if (groupPart === undefined && entry.name !== '') for (const g of groups) if (g.members.includes(entry.name)) extra.add(g.gid);
  for (const ga of groupAdd) {
    if (isNum(ga)) extra.add(Number(ga));
    else {
      const g = groups.find((x) => x.name === ga);
      if (!g) throw invalidArgument(`Unable to find group ${ga}: no matching entries in group file`);
      extra.add(g.gid);
    }
  }
  extra.delete(gid);
  return { uid: entry.uid, gid, additionalGids: [gid, ...[...extra].sort((a, b) => a - b)], home: entry.home };
}
