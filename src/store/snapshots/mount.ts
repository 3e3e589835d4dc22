// Overlay mounts through mount(8)/umount(8) (Node has no mount(2)), and /proc/self/mountinfo.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { systemError } from '../../errdefs/index.js';
import { runHelper as exec } from './helper-exec.js';

/** mount(2) data is limited to one page. */
export const MAX_MOUNT_DATA = 4095;

/** Unescape a mountinfo path field (\040 for space etc.). */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points currently visible to this process. */
export async function mountPoints(): Promise<Set<string>> {
  const text = await fsp.readFile('/proc/self/mountinfo', 'utf8');
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f[4] !== undefined) out.add(unescapeMountPath(f[4]));
  }
  return out;
}

export async function isMountPoint(p: string): Promise<boolean> {
  return (await mountPoints()).has(path.resolve(p));
}

/**
 * mount -t overlay. `lowers` are topmost first and may be relative to `cwd` (short paths keep the
 * option string under one page, like Docker's overlay2 l/ links).
 */
export async function mountOverlay(opts: { lowers: string[]; upper?: string; work?: string; target: string; cwd: string; readonly?: boolean }): Promise<void> {
  let data = `lowerdir=${opts.lowers.join(':')}`;
  if (opts.upper !== undefined && opts.work !== undefined) data += `,upperdir=${opts.upper},workdir=${opts.work}`;
  data += ',index=off';
  if (data.length > MAX_MOUNT_DATA) {
    throw systemError(`overlay mount options are too long (${data.length} bytes for ${opts.lowers.length} layers, the limit is one page)`);
  }
  const args = ['-t', 'overlay', 'overlay', '-o', data, opts.target];
  if (opts.readonly) args.splice(4, 0, '-r');
  const r = await exec('mount', args, opts.cwd);
  if (r.code !== 0) throw systemError(`mounting the overlay on ${opts.target} failed: ${r.stderr}`);
}

/** Unmount `target` if it is mounted; falls back to a lazy unmount when it is busy. */
export async function unmount(target: string): Promise<void> {
  const abs = path.resolve(target);
  if (!(await isMountPoint(abs))) return;
  const r = await exec('umount', [abs]);
  if (r.code === 0 || !(await isMountPoint(abs))) return;
  const lazy = await exec('umount', ['-l', abs]);
  if (lazy.code !== 0 && (await isMountPoint(abs))) throw systemError(`unmounting ${abs} failed: ${r.stderr}; lazy unmount: ${lazy.stderr}`);
}
