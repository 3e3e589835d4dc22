// /dev/shm for --ipc shareable: a tmpfs on the host side (<container-dir>/shm), bind-mounted as
// the container's /dev/shm, so that --ipc container:<donor> can bind the same one (a mount in
// another container's mount namespace cannot be bind-mounted). It is unmounted with the rootfs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { systemError } from '../../errdefs/index.js';
import type { ChainId, RootfsMounter } from '../../store/snapshots/types.js';

export const shmDir = (containerDir: string): string => path.join(containerDir, 'shm');

function mounted(p: string): boolean {
  try {
    const abs = path.resolve(p);
    return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === abs);
  } catch {
    return false;
  }
}

/** Mount the shareable /dev/shm tmpfs (idempotent); returns its path. */
export function mountShm(containerDir: string, size: number): string {
  const dir = shmDir(containerDir);
  if (mounted(dir)) return dir;
  fs.mkdirSync(dir, { recursive: true, mode: 0o1777 });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `nosuid,nodev,noexec,mode=1777,size=${size}`, 'shm', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw systemError(`mounting the shareable /dev/shm at ${dir} failed: ${(r.stderr || '').trim()}`);
  return dir;
}

export function unmountShm(containerDir: string): void {
  const dir = shmDir(containerDir);
  if (!mounted(dir)) return;
  const r = spawnSync('umount', [dir]);
  if (r.status !== 0) spawnSync('umount', ['-l', dir]);
}

/** A RootfsMounter that also unmounts the shareable /dev/shm when the rootfs goes. */
export class ShmAwareRootfs implements RootfsMounter {
  readonly #inner: RootfsMounter;
  constructor(inner: RootfsMounter) {
    this.#inner = inner;
  }
  mountRootfs(chainId: ChainId | undefined, containerDir: string): Promise<string> {
    return this.#inner.mountRootfs(chainId, containerDir);
  }
  async unmountRootfs(containerDir: string): Promise<void> {
    unmountShm(containerDir);
    await this.#inner.unmountRootfs(containerDir);
  }
}
