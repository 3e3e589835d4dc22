// Finding programs on PATH, as spawn() does (absolute directories only, regular executable files).
import fs from 'node:fs';
import path from 'node:path';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The first executable regular file `name` in PATH's directories, or undefined. */
export function findBinary(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? DEFAULT_PATH).split(':')) {
    if (!dir.startsWith('/')) continue;
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}
