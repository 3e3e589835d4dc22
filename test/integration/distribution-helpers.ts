// Helpers for the distribution tests: a real Debian docker-registry on 127.0.0.1 (temp root,
// stopped by PID), a token server, raw registry uploads (to build manifests and indexes berth
// did not make), layer tarballs and docker-archives made in memory.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto, { createHash, createSign, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pack } from 'tar-stream';
import bcrypt from 'bcryptjs';
import { sleep } from './harness.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';
export const hasRegistry = (): boolean => fs.existsSync(REGISTRY_BIN);
/** berthd's env in these tests: any attempt to reach the internet hits a closed port. */
export const NO_INTERNET_ENV = { HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '' };

export const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface RegistryAuth {
  htpasswd?: { users: Record<string, string> };
  token?: { realm: string; service: string; issuer: string; certFile: string };
}

export class Registry {
  readonly root: string;
  readonly port: number;
  readonly host: string;
  child: ChildProcess | undefined;
  readonly auth: RegistryAuth | undefined;

  constructor(port: number, auth: RegistryAuth | undefined) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-registry-'));
    this.port = port;
    this.host = `127.0.0.1:${port}`;
    this.auth = auth;
  }

  async start(): Promise<void> {
    let authYaml = '';
    if (this.auth?.htpasswd) {
      const file = path.join(this.root, 'htpasswd');
      fs.writeFileSync(file, Object.entries(this.auth.htpasswd.users).map(([u, p]) => `${u}:${bcrypt.hashSync(p, 5)}`).join('\n') + '\n');
      authYaml = `auth:\n  htpasswd:\n    realm: basic-realm\n    path: ${file}\n`;
    } else if (this.auth?.token) {
      const t = this.auth.token;
      authYaml = `auth:\n  token:\n    realm: ${t.realm}\n    service: ${t.service}\n    issuer: ${t.issuer}\n    rootcertbundle: ${t.certFile}\n`;
    }
    const cfg = `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(this.root, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: ${this.host}\n${authYaml}`;
    const file = path.join(this.root, 'config.yml');
    fs.writeFileSync(file, cfg);
    const log = fs.openSync(path.join(this.root, 'registry.log'), 'a');
    this.child = spawn(REGISTRY_BIN, ['serve', file], { stdio: ['ignore', log, log], env: { ...process.env, OTEL_TRACES_EXPORTER: 'none' } });
    fs.closeSync(log);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`docker-registry exited: ${fs.readFileSync(path.join(this.root, 'registry.log'), 'utf8')}`);
      try {
        const r = await fetch(`http://${this.host}/v2/`);
        await r.arrayBuffer();
        return;
      } catch {
        await sleep(50);
      }
    }
    throw new Error('docker-registry did not start');
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }

  async cleanup(): Promise<void> {
    await this.stop();
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export async function startRegistry(auth?: RegistryAuth): Promise<Registry> {
  const r = new Registry(await freePort(), auth);
  try {
    await r.start();
  } catch (err) {
    await r.cleanup();
    throw err;
  }
  return r;
}

// --- raw registry client (for content berth did not make) ------------------------------------

export async function uploadBlob(host: string, repo: string, bytes: Buffer, headers: Record<string, string> = {}): Promise<string> {
  const digest = sha(bytes);
  const head = await fetch(`http://${host}/v2/${repo}/blobs/${digest}`, { method: 'HEAD', headers });
  if (head.status === 200) return digest;
  const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers });
  if (start.status !== 202) throw new Error(`upload start: ${start.status} ${await start.text()}`);
  const loc = new URL(start.headers.get('location') ?? '', `http://${host}`);
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, { method: 'PUT', body: new Uint8Array(bytes), headers: { ...headers, 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`upload put: ${put.status} ${await put.text()}`);
  return digest;
}

export async function putManifest(host: string, repo: string, ref: string, body: object, headers: Record<string, string> = {}): Promise<{ digest: string; bytes: Buffer }> {
  const bytes = Buffer.from(JSON.stringify(body));
  const mediaType = (body as { mediaType?: string }).mediaType ?? 'application/vnd.oci.image.manifest.v1+json';
  const r = await fetch(`http://${host}/v2/${repo}/manifests/${ref}`, { method: 'PUT', body: new Uint8Array(bytes), headers: { ...headers, 'content-type': mediaType } });
  if (r.status !== 201) throw new Error(`manifest put: ${r.status} ${await r.text()}`);
  return { digest: sha(bytes), bytes };
}

// --- tarballs -------------------------------------------------------------------------------

export type TarEntry = { name: string; data?: Buffer | string; type?: 'file' | 'directory' | 'symlink' | 'link'; linkname?: string; mode?: number };

export async function makeTar(entries: TarEntry[]): Promise<Buffer> {
  const p = pack();
  for (const e of entries) {
    const mtime = new Date('2024-01-01T00:00:00Z');
    if (e.type === 'directory') p.entry({ name: e.name, type: 'directory', mode: e.mode ?? 0o755, mtime });
    else if (e.type === 'symlink' || e.type === 'link') p.entry({ name: e.name, type: e.type, linkname: e.linkname ?? '', mtime });
    else p.entry({ name: e.name, mode: e.mode ?? 0o644, mtime }, typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0)));
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

export interface BuiltImage {
  config: Buffer;
  configDigest: string;
  layers: { blob: Buffer; digest: string; diffId: string; mediaType: string }[];
  manifest: object;
}

/** An OCI image from layer tars (each with its compression), with a config for `platform`. */
export function buildImage(layerTars: { tar: Buffer; compression: 'none' | 'gzip' | 'zstd' }[], platform: { os: string; architecture: string; variant?: string } = { os: 'linux', architecture: 'amd64' }, cmd: string[] = ['sh']): BuiltImage {
  const layers = layerTars.map(({ tar, compression }) => {
    const zlib = process.getBuiltinModule('node:zlib');
    const blob = compression === 'gzip' ? zlib.gzipSync(tar) : compression === 'zstd' ? zlib.zstdCompressSync(tar) : tar;
    const mediaType = `application/vnd.oci.image.layer.v1.tar${compression === 'none' ? '' : compression === 'gzip' ? '+gzip' : '+zstd'}`;
    return { blob, digest: sha(blob), diffId: sha(tar), mediaType };
  });
  const config = Buffer.from(
    JSON.stringify({
      created: '2024-01-01T00:00:00Z',
      ...platform,
      config: { Cmd: cmd, Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `layer ${i}` })),
    }),
  );
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.blob.length })),
  };
  return { config, configDigest: sha(config), layers, manifest };
}

/** Upload an image's blobs and manifest under repo:tag. */
export async function pushRaw(host: string, repo: string, tag: string, img: BuiltImage): Promise<{ digest: string; bytes: Buffer }> {
  for (const l of img.layers) await uploadBlob(host, repo, l.blob);
  await uploadBlob(host, repo, img.config);
  return putManifest(host, repo, tag, img.manifest);
}

/** A docker-archive (docker save format) of an image with uncompressed layers. */
export async function dockerArchive(img: BuiltImage, layerTars: Buffer[], repoTag: string): Promise<Buffer> {
  const entries: TarEntry[] = [];
  const hex = img.configDigest.slice(7);
  entries.push({ name: `${hex}.json`, data: img.config });
  const layerPaths: string[] = [];
  layerTars.forEach((t, i) => {
    const p = `${sha(t).slice(7)}/layer.tar`;
    if (!layerPaths.includes(p)) entries.push({ name: `${sha(t).slice(7)}/`, type: 'directory' }, { name: p, data: t });
    layerPaths.push(p);
    void i;
  });
  entries.push({ name: 'manifest.json', data: JSON.stringify([{ Config: `${hex}.json`, RepoTags: [repoTag], Layers: layerPaths }]) });
  return makeTar(entries);
}

/** Files of mixed sizes and compressibility (deterministic for a seed). */
export function generatedFiles(prefix: string, count: number, size: number, seed: number): TarEntry[] {
  const out: TarEntry[] = [{ name: `${prefix}/`, type: 'directory' }];
  for (let i = 0; i < count; i++) {
    const compressible = (i + seed) % 2 === 0;
    const data = compressible ? Buffer.from(`line ${seed}-${i} `.repeat(Math.ceil(size / 12))).subarray(0, size) : randomBytes(size);
    out.push({ name: `${prefix}/f${i}`, data });
  }
  return out;
}

// --- token server -----------------------------------------------------------------------------

export interface TokenServer {
  url: string;
  service: string;
  issuer: string;
  certFile: string;
  requests: { account: string | null; scope: string[] }[];
  close(): Promise<void>;
}

/** A token server (docker's token auth spec): basic-auth users, every scope granted to them; anonymous gets pull only. */
export async function startTokenServer(dir: string, users: Record<string, string>): Promise<TokenServer> {
  const keyFile = path.join(dir, 'token.key');
  const certFile = path.join(dir, 'token.crt');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=berth-test-token'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
  const key = fs.readFileSync(keyFile, 'utf8');
  const der = new crypto.X509Certificate(fs.readFileSync(certFile)).raw.toString('base64');
  const service = 'berth-test-registry';
  const issuer = 'berth-test-issuer';
  const requests: TokenServer['requests'] = [];
  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const scopes = u.searchParams.getAll('scope');
    const h = req.headers.authorization ?? '';
    let account: string | null = null;
    if (h.startsWith('Basic ')) {
      const [user, pass] = Buffer.from(h.slice(6), 'base64').toString().split(':');
      if (!user || users[user] === undefined || users[user] !== pass) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ details: 'incorrect username or password' }));
        return;
      }
      account = user;
    }
    requests.push({ account, scope: scopes });
    const access = scopes.map((s) => {
      const [type, name, actions] = [s.slice(0, s.indexOf(':')), s.slice(s.indexOf(':') + 1, s.lastIndexOf(':')), s.slice(s.lastIndexOf(':') + 1)];
      const asked = actions.split(',');
      return { type, name, actions: account ? asked : asked.filter((a) => a === 'pull') };
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [der] };
    const claims = { iss: issuer, sub: account ?? '', aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const input = `${b64(header)}.${b64(claims)}`;
    const sig = createSign('RSA-SHA256').update(input).sign(key).toString('base64url');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token: `${input}.${sig}`, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((r2) => server.listen(0, '127.0.0.1', r2));
  const port = (server.address() as net.AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/token`, service, issuer, certFile, requests, close: () => new Promise((r2) => server.close(() => r2())) };
}



/** Blob and layer directories of a berthd data root, and leftovers in its tmp/. */
export function storeState(dataRoot: string): { blobs: string[]; layers: string[]; tmp: string[] } {
  const ls = (p: string): string[] => (fs.existsSync(p) ? fs.readdirSync(p).sort() : []);
  return { blobs: ls(path.join(dataRoot, 'content/sha256')), layers: ls(path.join(dataRoot, 'layers')).filter((n) => /^[a-f0-9]{64}$/.test(n)), tmp: ls(path.join(dataRoot, 'tmp')) };
}

// --- a scriptable fake registry (bad input: wrong bytes, dropped connections, slow blobs) -------

export interface FakeRegistry {
  host: string;
  /** blob GETs seen, with their Range header */
  blobGets: { digest: string; range: string | undefined }[];
  /** every request's path and Authorization header */
  requests: { path: string; authorization: string | undefined }[];
  manifests: Map<string, { body: Buffer; mediaType: string }>;
  blobs: Map<string, Buffer>;
  /** decide how to serve a blob GET: 'ok', 'cut' (half then drop the connection), 'slow' (trickle), or replacement bytes */
  blobMode: (digest: string, n: number) => 'ok' | 'cut' | 'slow' | Buffer;
  search: (q: string, n: number) => object;
  close(): Promise<void>;
}

export async function startFakeRegistry(): Promise<FakeRegistry> {
  const fake: Omit<FakeRegistry, 'host' | 'close'> = {
    blobGets: [],
    requests: [],
    manifests: new Map(),
    blobs: new Map(),
    blobMode: () => 'ok',
    search: (q) => ({ num_results: 0, query: q, results: [] }),
  };
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    fake.requests.push({ path: u.pathname, authorization: req.headers.authorization });
    if (u.pathname === '/v2/') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    if (u.pathname === '/v1/search') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(fake.search(u.searchParams.get('q') ?? '', Number(u.searchParams.get('n') ?? '25'))));
      return;
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(u.pathname);
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const [, repo, kind, ref] = m as unknown as [string, string, string, string];
    if (kind === 'manifests') {
      const mf = fake.manifests.get(`${repo}:${ref}`) ?? fake.manifests.get(`${repo}@${ref}`);
      if (!mf) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: {} }] }));
        return;
      }
      res.writeHead(200, { 'content-type': mf.mediaType, 'content-length': mf.body.length, 'docker-content-digest': sha(mf.body) });
      res.end(req.method === 'HEAD' ? undefined : mf.body);
      return;
    }
    const blob = fake.blobs.get(ref);
    if (!blob) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }] }));
      return;
    }
    if (req.method === 'HEAD') {
      res.writeHead(200, { 'content-length': blob.length }).end();
      return;
    }
    const n = fake.blobGets.filter((g) => g.digest === ref).length;
    fake.blobGets.push({ digest: ref, range: req.headers.range });
    const mode = fake.blobMode(ref, n);
    let body = Buffer.isBuffer(mode) ? mode : blob;
    let status = 200;
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream' };
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && !Buffer.isBuffer(mode)) {
      const from = Number(range[1]);
      body = blob.subarray(from);
      status = 206;
      headers['content-range'] = `bytes ${from}-${blob.length - 1}/${blob.length}`;
    }
    headers['content-length'] = body.length;
    res.writeHead(status, headers);
    if (mode === 'cut') {
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => req.socket.destroy(), 50));
      return;
    }
    if (mode === 'slow') {
      let off = 0;
      const step = Math.max(1, Math.floor(body.length / 40));
      const tick = (): void => {
        if (res.destroyed) return;
        if (off >= body.length) {
          res.end();
          return;
        }
        res.write(body.subarray(off, off + step));
        off += step;
        setTimeout(tick, 50);
      };
      tick();
      return;
    }
    res.end(body);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return Object.assign(fake, {
    host: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  });
}

/** Serve an image from the fake registry under repo:tag (and by digest). */
export function serveImage(fake: FakeRegistry, repo: string, tag: string, img: BuiltImage): string {
  for (const l of img.layers) fake.blobs.set(l.digest, l.blob);
  fake.blobs.set(img.configDigest, img.config);
  const body = Buffer.from(JSON.stringify(img.manifest));
  const mf = { body, mediaType: 'application/vnd.oci.image.manifest.v1+json' };
  fake.manifests.set(`${repo}:${tag}`, mf);
  fake.manifests.set(`${repo}@${sha(body)}`, mf);
  return sha(body);
}
