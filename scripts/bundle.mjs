// Bundle the client so `berth` starts fast: one small entry file (dist/berth.mjs) with no
// module resolution at start-up, and one lazily imported chunk per command (dist/berth-chunks/).
// Several people build and run berth at once in one tree: every file is written atomically
// (temp + rename), chunks before the entry, and old chunks are only removed once unreferenced
// and older than ten minutes, so a berth that is already running never loses a chunk it needs.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { NODE_BUNDLE, writeAtomic } from './bundle-common.mjs';

const entry = 'src/cmd/berth.ts';
const CHUNKS = 'dist/berth-chunks';
if (fs.existsSync(entry)) {
  // Go's time.ANSIC, as docker prints "Built:"
  const ansic = new Date().toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/, (_m, wd, d, mo, y, t) => `${wd} ${mo} ${String(Number(d)).padStart(2, ' ')} ${t} ${y}`);
  const result = await build({
    entryPoints: { berth: entry },
    outdir: 'dist',
    outExtension: { '.js': '.mjs' },
    chunkNames: 'berth-chunks/[name]-[hash]',
    splitting: true,
    ...NODE_BUNDLE,
    define: { 'process.env.BERTH_BUILD_TIME': JSON.stringify(ansic) },
  });
  fs.mkdirSync(CHUNKS, { recursive: true });
  const files = [...result.outputFiles].sort((a, b) => Number(a.path.endsWith('/berth.mjs')) - Number(b.path.endsWith('/berth.mjs')));
  const keep = new Set();
  for (const f of files) {
    keep.add(path.resolve(f.path));
    writeAtomic(f.path, f.contents);
  }
  const cutoff = Date.now() - 10 * 60_000;
  for (const name of fs.readdirSync(CHUNKS)) {
    const p = path.resolve(CHUNKS, name);
    if (keep.has(p)) continue;
    try {
      if (fs.statSync(p).mtimeMs < cutoff) fs.rmSync(p, { force: true });
    } catch {
      /* removed by a concurrent build */
    }
  }
}
