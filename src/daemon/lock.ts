// The data root belongs to one daemon: a lock file holding the owner's pid. A second daemon
// refuses to start and names the pid; a lock left by a dead process is taken over.
import fs from 'node:fs';
import path from 'node:path';
import { conflict } from '../errdefs/index.js';

export interface RootLock {
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockDataRoot(dataRoot: string): RootLock {
  const file = path.join(dataRoot, 'berthd.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, `${process.pid}\n`);
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      return {
        release() {
          try {
            if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file, { force: true });
          } catch {
            /* already gone */
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw conflict(`data root ${dataRoot} is in use by another berthd (pid ${holder}); stop it first or use --data-root`);
      }
      fs.rmSync(file, { force: true }); // stale: its owner is gone
    }
  }
  throw conflict(`could not lock data root ${dataRoot}`);
}
