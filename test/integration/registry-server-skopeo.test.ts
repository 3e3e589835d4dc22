// berth registry serve with a real client: skopeo pushes a busybox docker-archive, inspects it,
// lists tags and copies it back out to an OCI layout (digests compared); basic auth from an
// htpasswd file; TLS with a self-signed certificate made here with openssl.
import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pack } from 'tar-stream';
import { busyboxTar, need, run, startBerthRegistry, which } from './harness.js';

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const hasSkopeo = which('skopeo') !== undefined;
const hasOpenssl = which('openssl') !== undefined;

/** A docker-archive (docker save format) of the busybox rootfs: manifest.json, config, one layer. */
async function makeDockerArchive(out: string, repoTag: string): Promise<{ diffId: string }> {
  const layer = fs.readFileSync(busyboxTar());
  const diffId = sha(layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2024-01-01T00:00:00Z',
      config: { Cmd: ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created: '2024-01-01T00:00:00Z', created_by: 'busybox-static rootfs' }],
    }),
  );
  const configName = `${sha(config).slice(7)}.json`;
  const layerName = `${diffId.slice(7)}/layer.tar`;
  const manifest = Buffer.from(JSON.stringify([{ Config: configName, RepoTags: [repoTag], Layers: [layerName] }]));
  const p = pack();
  const done = new Promise<void>((resolve, reject) => {
    const ws = fs.createWriteStream(out);
    ws.on('finish', resolve);
    ws.on('error', reject);
    p.pipe(ws);
  });
  p.entry({ name: configName }, config);
  p.entry({ name: `${diffId.slice(7)}/`, type: 'directory' });
  p.entry({ name: layerName }, layer);
  p.entry({ name: 'manifest.json' }, manifest);
  p.finalize();
  await done;
  return { diffId };
}

function get(url: string, headers: Record<string, string> = {}, ca?: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.request(url, { method: 'GET', headers, agent: false, ...(ca ? { ca } : {}) }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const skopeo = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => run('skopeo', ['--insecure-policy', ...args], { timeoutMs: 120_000 });

describe('berth registry serve with skopeo', () => {
  let work: string;
  let archive: string;
  let diffId: string;

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-regsk-'));
    archive = path.join(work, 'busybox.tar');
    ({ diffId } = await makeDockerArchive(archive, 'busybox:latest'));
  });
  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('push a docker-archive, inspect, list tags, copy back out to an OCI layout', async (t) => {
    if (!need(t, hasSkopeo, 'skopeo')) return;
    const reg = await startBerthRegistry();
    try {
      const ref = `docker://${reg.addr}/x`;
      const push = await skopeo(['copy', `docker-archive:${archive}`, `${ref}:1`, '--dest-tls-verify=false']);
      assert.equal(push.code, 0, push.stderr);
      // Same image as OCI under another tag, and to a second repository (blobs already there: mount or skip).
      const push2 = await skopeo(['copy', '--format', 'oci', `docker-archive:${archive}`, `${ref}:oci`, '--dest-tls-verify=false']);
      assert.equal(push2.code, 0, push2.stderr);
      const push3 = await skopeo(['copy', `${ref}:1`, `docker://${reg.addr}/y/z:copy`, '--src-tls-verify=false', '--dest-tls-verify=false']);
      assert.equal(push3.code, 0, push3.stderr);

      const tags = await skopeo(['list-tags', '--tls-verify=false', ref]);
      assert.equal(tags.code, 0, tags.stderr);
      assert.deepEqual(JSON.parse(tags.stdout).Tags, ['1', 'oci']);

      const insp = await skopeo(['inspect', '--tls-verify=false', `${ref}:1`]);
      assert.equal(insp.code, 0, insp.stderr);
      const info = JSON.parse(insp.stdout) as { Digest: string; Layers: string[]; LayersData: Array<{ MIMEType: string }>; Os: string; Architecture: string };
      assert.equal(info.Os, 'linux');
      assert.equal(info.Architecture, 'amd64');
      assert.equal(info.Layers.length, 1);
      const head = await get(`${reg.url}/v2/x/manifests/1`, { accept: 'application/vnd.docker.distribution.manifest.v2+json' });
      assert.equal(head.headers['docker-content-digest'], info.Digest);
      assert.equal(sha(head.body), info.Digest);

      const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', `${ref}:oci`]);
      const ociManifest = JSON.parse(raw.stdout) as { mediaType: string; layers: Array<{ digest: string }>; config: { digest: string } };
      assert.equal(ociManifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
      const cfg = await skopeo(['inspect', '--config', '--tls-verify=false', `${ref}:oci`]);
      assert.deepEqual(JSON.parse(cfg.stdout).rootfs.diff_ids, [diffId]);

      // Pull the OCI tag back: the manifest, config and layer digests are the registry's.
      const layout = path.join(work, 'out-oci');
      const pull = await skopeo(['copy', '--src-tls-verify=false', `${ref}:oci`, `oci:${layout}:pulled`]);
      assert.equal(pull.code, 0, pull.stderr);
      const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
      const ociDigest = (await get(`${reg.url}/v2/x/manifests/oci`, { accept: 'application/vnd.oci.image.manifest.v1+json' })).headers['docker-content-digest'];
      assert.equal(index.manifests[0]?.digest, ociDigest);
      const blob = (d: string): Buffer => fs.readFileSync(path.join(layout, 'blobs/sha256', d.slice(7)));
      const pulled = JSON.parse(blob(ociDigest as string).toString()) as typeof ociManifest;
      assert.deepEqual(pulled, ociManifest);
      for (const d of [pulled.config.digest, ...pulled.layers.map((l) => l.digest)]) assert.equal(sha(blob(d)), d);

      // The docker-format tag pulled to an OCI layout keeps its layer bytes.
      const layout2 = path.join(work, 'out-docker');
      const pull2 = await skopeo(['copy', '--src-tls-verify=false', `docker://${reg.addr}/y/z:copy`, `oci:${layout2}:pulled`]);
      assert.equal(pull2.code, 0, pull2.stderr);
      const idx2 = JSON.parse(fs.readFileSync(path.join(layout2, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
      const m2 = JSON.parse(fs.readFileSync(path.join(layout2, 'blobs/sha256', (idx2.manifests[0]?.digest ?? '').slice(7)), 'utf8')) as { layers: Array<{ digest: string }> };
      assert.deepEqual(m2.layers.map((l) => l.digest), info.Layers);

      const cat = await get(`${reg.url}/v2/_catalog`);
      assert.deepEqual(JSON.parse(cat.body).repositories, ['x', 'y/z']);
    } finally {
      await reg.cleanup();
    }
  });

  test('basic auth from an htpasswd file', async (t) => {
    if (!need(t, hasSkopeo, 'skopeo')) return;
    const htpasswd = path.join(work, 'htpasswd');
    fs.writeFileSync(htpasswd, `# users\nalice:${bcrypt.hashSync('s3cret', 10).replace(/^\$2b\$/, '$2y$')}\n`);
    const reg = await startBerthRegistry({ args: ['--htpasswd', htpasswd, '--realm', 'test realm'] });
    try {
      const none = await get(`${reg.url}/v2/`);
      assert.equal(none.status, 401);
      assert.equal(none.headers['www-authenticate'], 'Basic realm="test realm"');
      assert.equal(JSON.parse(none.body).errors[0].code, 'UNAUTHORIZED');
      const basic = (u: string, p: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
      const wrong = await get(`${reg.url}/v2/`, basic('alice', 'nope'));
      assert.equal(wrong.status, 401);
      assert.equal(wrong.headers['www-authenticate'], 'Basic realm="test realm"');
      assert.equal((await get(`${reg.url}/v2/`, basic('bob', 's3cret'))).status, 401);
      assert.equal((await get(`${reg.url}/v2/_catalog`)).status, 401);
      const ok = await get(`${reg.url}/v2/`, basic('alice', 's3cret'));
      assert.equal(ok.status, 200);

      const denied = await skopeo(['copy', `docker-archive:${archive}`, `docker://${reg.addr}/auth:1`, '--dest-tls-verify=false', '--dest-creds', 'alice:wrong']);
      assert.notEqual(denied.code, 0);
      assert.match(denied.stderr, /401|unauthorized|authentication required|invalid username/i);
      const push = await skopeo(['copy', `docker-archive:${archive}`, `docker://${reg.addr}/auth:1`, '--dest-tls-verify=false', '--dest-creds', 'alice:s3cret']);
      assert.equal(push.code, 0, push.stderr);
      const tags = await skopeo(['list-tags', '--tls-verify=false', '--creds', 'alice:s3cret', `docker://${reg.addr}/auth`]);
      assert.deepEqual(JSON.parse(tags.stdout).Tags, ['1']);
      // The access log names the user and never the credentials.
      const log = fs.readFileSync(reg.logFile, 'utf8');
      assert.match(log, /"user":"alice"/);
      assert.doesNotMatch(log, /s3cret|YWxpY2U6czNjcmV0/);
    } finally {
      await reg.cleanup();
    }
  });

  test('TLS with a self-signed certificate', async (t) => {
    if (!need(t, hasSkopeo, 'skopeo') || !need(t, hasOpenssl, 'openssl')) return;
    const dir = path.join(work, 'tls');
    fs.mkdirSync(dir);
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    const gen = await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert]);
    assert.equal(gen.code, 0, gen.stderr);
    const reg = await startBerthRegistry({ args: ['--tls-cert', cert, '--tls-key', key] });
    try {
      assert.match(reg.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = fs.readFileSync(cert);
      const ping = await get(`${reg.url}/v2/`, {}, ca);
      assert.equal(ping.status, 200);
      // skopeo trusts the certificate from a cert dir (ca.crt), and refuses without it.
      const certDir = path.join(work, 'certs.d');
      fs.mkdirSync(certDir);
      fs.copyFileSync(cert, path.join(certDir, 'ca.crt'));
      const untrusted = await skopeo(['copy', `docker-archive:${archive}`, `docker://${reg.addr}/tls:1`]);
      assert.notEqual(untrusted.code, 0);
      assert.match(untrusted.stderr, /certificate/i);
      const push = await skopeo(['copy', `docker-archive:${archive}`, `docker://${reg.addr}/tls:1`, '--dest-cert-dir', certDir]);
      assert.equal(push.code, 0, push.stderr);
      const insp = await skopeo(['inspect', '--cert-dir', certDir, `docker://${reg.addr}/tls:1`]);
      assert.equal(insp.code, 0, insp.stderr);
      assert.equal(JSON.parse(insp.stdout).Layers.length, 1);
    } finally {
      await reg.cleanup();
    }
  });
});
