// How the snapshotter runs its helper commands: mount(8)/umount(8) (Node has no mount(2)),
// `sync -f` (no syncfs(2) either) and `chattr`. By default from the calling thread, whose spawn
// forks the whole daemon and blocks it until the child has exec'd (10-15 ms here, more while a
// pull has the daemon at 140 MB); berthd hands in its spawn pool (a spawn shell or worker threads)
// once it serves requests, so container starts and pulls do not stop the event loop.
import { execFile } from 'node:child_process';

/** Runs a helper: exit code (non-zero also when it could not run) and stderr. */
export type HelperExec = (cmd: string, args: string[], cwd?: string) => Promise<{ code: number; stderr: string }>;

let execImpl: HelperExec = execHere;

export function setHelperExec(fn: HelperExec | undefined): void {
  execImpl = fn ?? execHere;
}

export function runHelper(cmd: string, args: string[], cwd?: string): Promise<{ code: number; stderr: string }> {
  return execImpl(cmd, args, cwd);
}

function execHere(cmd: string, args: string[], cwd?: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, encoding: 'utf8' }, (err, _stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stderr: stderr.trim() || (err ? err.message : '') });
    });
  });
}
