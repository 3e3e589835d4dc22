// `docker diff`: the changes of a container's upper dir against its image's layers, as moby's
// archive.OverlayChanges computes them. Overlay whiteouts (char 0/0) and opaque directories are
// deletions; an entry present in a lower layer is a modification (a directory only when its mode
// or size differ, or something under it changed); anything else is an addition. Parents of an
// added or deleted entry count as modified. Paths Docker keeps in its per-container init layer
// (mount points and files the daemon creates) are not changes.
import fs from 'node:fs';
import path from 'node:path';
import { opaqueDirs } from '../../store/snapshots/diff.js';

export const ChangeKind = { modify: 0, add: 1, delete: 2 } as const;
export type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];

export interface Change {
  path: string;
  kind: ChangeKind;
}

/** What Docker's init layer holds (daemon/initlayer + the graph driver's init dir). */
export const INIT_LAYER_PATHS = new Set(['/.dockerenv', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/etc/mtab', '/dev', '/dev/pts', '/dev/shm', '/dev/console', '/proc', '/sys']);

function isInitPath(p: string): boolean {
  return INIT_LAYER_PATHS.has(p) || p.startsWith('/dev/') || p.startsWith('/proc/') || p.startsWith('/sys/');
}

/** moby's sameFsTime: equal, or equal seconds when either side has no nanoseconds. */
function sameFsTime(a: fs.BigIntStats, b: fs.BigIntStats): boolean {
  const an = a.mtimeNs;
  const bn = b.mtimeNs;
  if (an === bn) return true;
  return an / 1_000_000_000n === bn / 1_000_000_000n && (an % 1_000_000_000n === 0n || bn % 1_000_000_000n === 0n);
}

function lstatOrUndefined(p: string): fs.BigIntStats | undefined {
  try {
    return fs.lstatSync(p, { bigint: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** Changes of `upper` over `lowers` (topmost first), in walk order. */
export async function overlayChanges(upper: string, lowers: readonly string[]): Promise<Change[]> {
  const opaque = await opaqueDirs(upper).catch(() => new Set<string>());
  const changes: Change[] = [];
  const changedDirs = new Set<string>();
  const walk = (rel: string): void => {
    let names: string[];
    try {
      names = fs.readdirSync(path.join(upper, rel));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const name of names) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const p = `/${r}`;
      const st = lstatOrUndefined(path.join(upper, r));
      if (!st) continue;
      if (isInitPath(p)) continue;
      let kind: ChangeKind;
      if ((st.isCharacterDevice() && st.rdev === 0n) || (st.isDirectory() && opaque.has(r))) {
        kind = ChangeKind.delete;
      } else {
        kind = ChangeKind.add;
        let skip = false;
        for (const l of lowers) {
          const ls = lstatOrUndefined(path.join(l, r));
          if (!ls) continue;
          if (ls.isDirectory() && st.isDirectory() && ls.mode === st.mode && ls.size === st.size && sameFsTime(ls, st)) skip = true;
          kind = ChangeKind.modify;
          break;
        }
        if (skip) {
          if (st.isDirectory()) walk(r);
          continue;
        }
      }
      if (st.isDirectory()) changedDirs.add(p);
      if (kind !== ChangeKind.modify) {
        const parent = path.posix.dirname(p);
        if (parent !== '/' && !changedDirs.has(parent)) {
          changes.push({ path: parent, kind: ChangeKind.modify });
          changedDirs.add(parent);
        }
      }
      changes.push({ path: p, kind });
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return changes;
}
