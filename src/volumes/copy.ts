// Copy-up: a fresh volume mounted over a path that has content in the image is first filled
// with that content, owners, modes, timestamps, xattrs and links kept (Docker's
// copyExistingContents). Paths inside the rootfs are resolved without leaving it.
import fs from 'node:fs';
import path from 'node:path';
import { systemError } from '../errdefs/index.js';
import { execTool } from './mountinfo.js';

/** Resolve `p` inside `root` following symlinks as if `root` were "/" (never escapes root). */
export function resolveInRoot(root: string, p: string): string {
  const parts = p.split('/').filter((x) => x !== '' && x !== '.');
  const done: string[] = [];
  let hops = 0;
  while (parts.length > 0) {
    const part = parts.shift() as string;
    if (part === '..') {
      done.pop();
      continue;
    }
    const cur = path.join(root, ...done, part);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(cur);
    } catch {
      done.push(part, ...parts);
      break;
    }
    if (st.isSymbolicLink()) {
      if (++hops > 40) throw systemError(`too many levels of symbolic links: ${p}`);
      const target = fs.readlinkSync(cur);
      if (target.startsWith('/')) done.length = 0;
      parts.unshift(...target.split('/').filter((x) => x !== '' && x !== '.'));
      continue;
    }
    done.push(part);
  }
  return path.join(root, ...done);
}

function isEmptyDir(dir: string): boolean {
  try {
    return fs.readdirSync(dir).length === 0;
  } catch {
    return false;
  }
}

/**
 * Copy the rootfs content at `destination` into `volumeDir` when the volume is empty; then give
 * the volume root the owner and mode of the image's directory. Returns whether it copied.
 */
export async function copyUp(rootfs: string, destination: string, volumeDir: string): Promise<boolean> {
  const src = resolveInRoot(rootfs, destination);
  let st: fs.Stats;
  try {
    st = fs.statSync(src);
  } catch {
    return false;
  }
  if (!st.isDirectory()) return false;
  if (!isEmptyDir(volumeDir)) return false;
  let copied = false;
  if (fs.readdirSync(src).length > 0) {
    const r = await execTool('cp', ['-a', '--no-target-directory', `${src}/.`, volumeDir], 600_000);
    if (r.code !== 0) throw systemError(`failed to populate volume: ${r.stderr.trim()}`);
    copied = true;
  }
  fs.chownSync(volumeDir, st.uid, st.gid);
  fs.chmodSync(volumeDir, st.mode & 0o7777);
  return copied;
}
