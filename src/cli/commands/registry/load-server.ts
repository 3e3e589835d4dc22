// Load the registry server lazily, and outside the client bundle: `berth` must start fast, so
// fastify and the server code are only read when `berth registry ...` runs. The bundler makes
// dist/berth-registry.mjs (scripts/bundle.mjs); an unbundled build falls back to tsc's output.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type ServerModule = typeof import('../../../registry/server/index.js');

export async function loadRegistryServer(): Promise<ServerModule> {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (path.basename(dir) !== 'dist' && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const candidates = [path.join(dir, 'berth-registry.mjs'), path.join(dir, 'src', 'registry', 'server', 'index.js')];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`berth registry: server module not found (looked for ${candidates.join(', ')}); run npm run build`);
  return (await import(pathToFileURL(found).href)) as ServerModule;
}
