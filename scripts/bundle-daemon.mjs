// Bundle the daemon: dist/src/cmd/berthd.bundle.js, which bin/berthd runs when it is newer than
// the tsc output (dist/src/cmd/berthd.js, still built and runnable). One ESM file instead of
// ~350 modules, most of them CommonJS packages (fastify, pino, ...): the idle daemon's RSS is
// about 5 MiB lower (measured: node's per-module loading, CommonJS in particular, touches
// that much more of the node binary and of the heap), and start-up reads one file.
//
// The bundle sits in dist/src/cmd/ so that the paths the code finds from its own URL stay
// right: libexec/ is three levels up as from dist/src/runtime/; the unpack worker
// (extract-worker.js) and the default seccomp profile are put next to it.
// Several people build and run berthd at once in one tree: every file is written atomically
// (temp + rename), the worker and the profile before the bundle that needs them.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { NODE_BUNDLE, writeAtomic } from './bundle-common.mjs';

const OUT = 'dist/src/cmd';
const result = await build({
  entryPoints: { 'berthd.bundle': 'src/cmd/berthd.ts', 'extract-worker': 'src/store/snapshots/extract-worker.ts' },
  outdir: OUT,
  ...NODE_BUNDLE,
  // a native addon, loaded at the first attach; fastify's schema compilers, loaded (from
  // node_modules) only if a route has a schema, which none has: not in the bundle's source
  external: ['node-unix-socket', '@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler'],
  // CommonJS packages call require(); an ESM bundle has none of its own
  banner: { js: "import { createRequire as __berthCreateRequire } from 'node:module';\nconst require = __berthCreateRequire(import.meta.url);" },
  // the Engine's BuildTime in /version (RFC 3339, as dockerd's; the docker CLI shows it as ANSIC)
  define: { 'process.env.BERTH_BUILD_TIME': JSON.stringify(new Date().toISOString()) },
});
fs.mkdirSync(OUT, { recursive: true });
writeAtomic(path.join(OUT, 'seccomp-default.json'), fs.readFileSync('src/runtime/security/seccomp-default.json'));
const files = [...result.outputFiles].sort((a, b) => Number(a.path.endsWith('berthd.bundle.js')) - Number(b.path.endsWith('berthd.bundle.js')));
for (const f of files) writeAtomic(f.path, f.contents);
