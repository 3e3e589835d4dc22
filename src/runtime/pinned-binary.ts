// crun from a read-only bind mount. Against CVE-2019-5736 (a container overwriting the runtime's
// binary through /proc/<pid>/exe) crun re-executes itself at every start unless its binary is
// already safe: at each invocation it creates a temporary file, bind-mounts /proc/self/exe on it,
// remounts that read-only, unmounts it, and fexecve()s again (libcrun cloned_binary.c: a second
// dynamic link and two more mounts; ~4-5 ms of each crun call on this kind of VM). crun skips all
// that when /proc/self/exe is on a read-only mount and _LIBCONTAINER_CLONED_BINARY is set
// (is_self_cloned). berthd keeps that read-only bind mount of the binary in its exec root, one per
// binary, made once per boot, and runs crun from it with the variable set: the same protection
// (the container sees a read-only file), without the per-call work.
//
// The mount is checked at daemon start: it is made again when the binary was replaced (another
// inode). A binary that is gone is not pinned (an earlier pin of it stays mounted until the exec
// root goes, at reboot). Where the mount cannot be made, crun runs from its own path, as before.
// Container records keep the real path; execPath() maps it at each spawn.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

/** the variable libcontainer's is_self_cloned() checks (crun, runc) */
export const CLONED_BINARY_ENV = '_LIBCONTAINER_CLONED_BINARY';

const pins = new Map<string, string>();

function isReadOnlyMountOf(target: string, source: fs.Stats): boolean {
  try {
    const st = fs.statSync(target);
    if (st.ino !== source.ino || st.dev !== source.dev) return false;
    // the mount point's options (6th mountinfo field) of the topmost mount on it
    let ro = false;
    for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const f = line.split(' ');
      if (f[4] === target) ro = (f[5] ?? '').split(',').includes('ro');
    }
    return ro;
  } catch {
    return false;
  }
}

function unmount(target: string): void {
  spawnSync('umount', ['-l', target], { stdio: 'ignore' });
}

/**
 * Make (or find) the read-only bind mount of `binary` under `dir` and use it from now on.
 * Returns the pinned path, or undefined when it cannot be made (crun then runs as before).
 */
export function pinBinary(binary: string, dir: string): string | undefined {
  let source: fs.Stats;
  try {
    source = fs.statSync(binary);
  } catch {
    return undefined;
  }
  // one mount point per binary path (two runtimes may share a basename), under its own name
  // (a runtime may look at its argv[0])
  const sub = path.join(dir, createHash('sha256').update(binary).digest('hex').slice(0, 12));
  const target = path.join(sub, path.basename(binary));
  if (!isReadOnlyMountOf(target, source)) {
    try {
      fs.mkdirSync(sub, { recursive: true, mode: 0o700 });
      // an earlier pin of a binary that has been replaced since: the mount goes first
      for (let i = 0; i < 4 && fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${target} `); i++) unmount(target);
      fs.writeFileSync(target, '', { mode: 0o500 });
      const bind = spawnSync('mount', ['--bind', binary, target], { stdio: 'ignore' });
      const ro = bind.status === 0 ? spawnSync('mount', ['-o', 'remount,bind,ro', target], { stdio: 'ignore' }) : bind;
      if (ro.status !== 0 || !isReadOnlyMountOf(target, source)) {
        if (bind.status === 0) unmount(target);
        return undefined;
      }
    } catch {
      return undefined;
    }
  }
  pins.set(binary, target);
  return target;
}

/** Forget the pins (tests). */
export function clearPins(): void {
  pins.clear();
}

/** The path to execute for `binary`: its read-only pin when there is one. */
export function execPath(binary: string): string {
  return pins.get(binary) ?? binary;
}

/** The environment a command running `binary` (directly or through conmon) needs for its pin. */
export function execEnv(binary: string): Record<string, string> {
  return pins.has(binary) ? { [CLONED_BINARY_ENV]: '1' } : {};
}
