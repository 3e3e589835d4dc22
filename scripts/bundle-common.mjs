// What the two bundles (scripts/bundle.mjs: the client; scripts/bundle-daemon.mjs: berthd) share:
// esbuild's options for a Node 24 ESM bundle kept in memory, and the atomic write of its files
// (several people build and run berth in one tree at once: a reader never sees half a file).
import fs from 'node:fs';

export const NODE_BUNDLE = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  sourcemap: false,
  minify: false,
  write: false,
  logLevel: 'warning',
};

/** Write `file` through a temp file and a rename. */
export function writeAtomic(file, contents) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, contents);
  fs.renameSync(tmp, file);
}
