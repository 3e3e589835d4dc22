// Bundle the client so `berth` starts fast: one small entry file (dist/berth.mjs) with no
// module resolution at start-up, and one lazily imported chunk per command (dist/berth-chunks/).
import { build } from 'esbuild';
import fs from 'node:fs';

const entry = 'src/cmd/berth.ts';
if (fs.existsSync(entry)) {
  fs.rmSync('dist/berth-chunks', { recursive: true, force: true });
  const now = new Date();
  // Go's time.ANSIC, as docker prints "Built:"
  const ansic = now.toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/, (_m, wd, d, mo, y, t) => `${wd} ${mo} ${String(d).padStart(2, ' ')} ${t} ${y}`);
  await build({
    entryPoints: { berth: entry },
    outdir: 'dist',
    outExtension: { '.js': '.mjs' },
    chunkNames: 'berth-chunks/[name]-[hash]',
    splitting: true,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    sourcemap: false,
    minify: false,
    define: { 'process.env.BERTH_BUILD_TIME': JSON.stringify(ansic) },
    logLevel: 'warning',
  });
}

// berth's registry server as its own file (dist/berth-registry.mjs), imported only by
// `berth registry ...` (src/cli/commands/registry/load-server.ts); packages stay in node_modules.
const registryEntry = 'src/registry/server/index.ts';
if (fs.existsSync(registryEntry)) {
  await build({
    entryPoints: { 'berth-registry': registryEntry },
    outdir: 'dist',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    packages: 'external',
    platform: 'node',
    target: 'node24',
    format: 'esm',
    logLevel: 'warning',
  });
}
