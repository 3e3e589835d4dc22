// Bundle the client into one file so `berth` starts fast (no module resolution at start-up).
import { build } from 'esbuild';
import fs from 'node:fs';

const entries = [{ in: 'src/cmd/berth.ts', out: 'dist/berth.mjs' }];
for (const e of entries) {
  if (!fs.existsSync(e.in)) continue;
  await build({
    entryPoints: [e.in],
    outfile: e.out,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    sourcemap: false,
    minify: false,
    banner: { js: "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}
