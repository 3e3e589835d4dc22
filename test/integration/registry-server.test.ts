// berth registry serve, driven with raw HTTP: the distribution spec's flows (blobs, chunked and
// monolithic uploads, mounts, manifests, tags, catalog, referrers, deletes), its error codes, and
// what is on disk afterwards (a bad or interrupted upload never becomes a visible blob).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { run, BERTH, sleep, startBerthRegistry, type BerthRegistry } from './harness.js';

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json<T = any>(): T; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function request(base: string, method: string, p: string, opts: { headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const u = new URL(p, base);
    const req = http.request(u, { method, headers: opts.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString()) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const errCode = (r: Res): string => (r.json<{ errors: Array<{ code: string }> }>().errors[0]?.code ?? '');

describe('berth registry serve (raw HTTP)', () => {
  let reg: BerthRegistry;
  const req = (method: string, p: string, opts?: { headers?: Record<string, string>; body?: Buffer | string }): Promise<Res> => request(reg.url, method, p, opts);

  /** Monolithic upload; returns the digest. */
  async function pushBlob(repo: string, data: Buffer | string): Promise<string> {
    const d = sha(data);
    const r = await req('POST', `/v2/${repo}/blobs/uploads/?digest=${d}`, { body: data, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(r.status, 201, r.body.toString());
    return d;
  }

  /** A small image: config + one layer + manifest under `tag`; returns the manifest's digest and bytes. */
  async function pushImage(repo: string, tag: string, seed: string, extra: Record<string, unknown> = {}): Promise<{ digest: string; body: string; config: string; layer: string }> {
    const layerBytes = Buffer.from(`layer ${seed}`);
    const configBytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(layerBytes)] } }));
    const layer = await pushBlob(repo, layerBytes);
    const config = await pushBlob(repo, configBytes);
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: configBytes.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer, size: layerBytes.length }],
      ...extra,
    });
    const r = await req('PUT', `/v2/${repo}/manifests/${tag}`, { body, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(r.status, 201, r.body.toString());
    assert.equal(r.headers['docker-content-digest'], sha(body));
    return { digest: sha(body), body, config, layer };
  }

  const visibleBlobs = (): string[] => fs.readdirSync(path.join(reg.root, 'blobs/sha256'));

  before(async () => {
    reg = await startBerthRegistry();
  });
  after(async () => {
    await reg?.cleanup();
  });

  test('/v2/ answers with the API version header; unknown paths are 404', async () => {
    const r = await req('GET', '/v2/');
    assert.equal(r.status, 200);
    assert.equal(r.headers['docker-distribution-api-version'], 'registry/2.0');
    assert.deepEqual(r.json(), {});
    assert.equal((await req('GET', '/v2/foo/bar')).status, 404);
  });

  test('monolithic upload, HEAD, GET, Range GETs', async () => {
    const data = Buffer.from('0123456789abcdef');
    const d = await pushBlob('mono/a', data);
    const head = await req('HEAD', `/v2/mono/a/blobs/${d}`);
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '16');
    assert.equal(head.headers['docker-content-digest'], d);
    assert.equal(head.body.length, 0);
    const get = await req('GET', `/v2/mono/a/blobs/${d}`);
    assert.equal(get.status, 200);
    assert.deepEqual(get.body, data);
    const part = await req('GET', `/v2/mono/a/blobs/${d}`, { headers: { range: 'bytes=4-7' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], 'bytes 4-7/16');
    assert.equal(part.body.toString(), '4567');
    const tail = await req('GET', `/v2/mono/a/blobs/${d}`, { headers: { range: 'bytes=-3' } });
    assert.equal(tail.body.toString(), 'def');
    const open = await req('GET', `/v2/mono/a/blobs/${d}`, { headers: { range: 'bytes=10-' } });
    assert.equal(open.body.toString(), 'abcdef');
    const bad = await req('GET', `/v2/mono/a/blobs/${d}`, { headers: { range: 'bytes=20-30' } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers['content-range'], 'bytes */16');
    // Another repository does not see it; an unknown digest is BLOB_UNKNOWN.
    const other = await req('GET', `/v2/mono/b/blobs/${d}`);
    assert.equal(other.status, 404);
    assert.equal(errCode(other), 'BLOB_UNKNOWN');
    const bogus = await req('GET', `/v2/mono/a/blobs/sha256:nothex`);
    assert.equal(bogus.status, 400);
    assert.equal(errCode(bogus), 'DIGEST_INVALID');
  });

  test('chunked upload: in order, out of order (416), status, final PUT', async () => {
    const start = await req('POST', '/v2/chunked/blobs/uploads/');
    assert.equal(start.status, 202);
    assert.equal(start.headers['range'], '0-0');
    const loc = start.headers['location'] as string;
    assert.match(loc, /^\/v2\/chunked\/blobs\/uploads\/[0-9a-f-]{36}$/);
    assert.equal(start.headers['docker-upload-uuid'], loc.split('/').at(-1));
    const p1 = await req('PATCH', loc, { body: 'hello ', headers: { 'content-type': 'application/octet-stream', 'content-range': '0-5' } });
    assert.equal(p1.status, 202);
    assert.equal(p1.headers['range'], '0-5');
    // A chunk that does not start where the upload ends.
    const ooo = await req('PATCH', loc, { body: 'xxxx', headers: { 'content-type': 'application/octet-stream', 'content-range': '10-13' } });
    assert.equal(ooo.status, 416);
    assert.equal(errCode(ooo), 'RANGE_INVALID');
    assert.equal(ooo.headers['range'], '0-5');
    const again = await req('PATCH', loc, { body: 'xx', headers: { 'content-type': 'application/octet-stream', 'content-range': '0-1' } });
    assert.equal(again.status, 416);
    const p2 = await req('PATCH', loc, { body: 'world', headers: { 'content-type': 'application/octet-stream', 'content-range': '6-10' } });
    assert.equal(p2.status, 202);
    assert.equal(p2.headers['range'], '0-10');
    const st = await req('GET', loc);
    assert.equal(st.status, 204);
    assert.equal(st.headers['range'], '0-10');
    // The last chunk rides on the PUT.
    const d = sha('hello world!');
    const put = await req('PUT', `${loc}?digest=${d}`, { body: '!', headers: { 'content-type': 'application/octet-stream', 'content-range': '11-11' } });
    assert.equal(put.status, 201, put.body.toString());
    assert.equal(put.headers['location'], `/v2/chunked/blobs/${d}`);
    assert.equal((await req('GET', `/v2/chunked/blobs/${d}`)).body.toString(), 'hello world!');
    // The upload is gone.
    const gone = await req('GET', loc);
    assert.equal(gone.status, 404);
    assert.equal(errCode(gone), 'BLOB_UPLOAD_UNKNOWN');
  });

  test('a digest mismatch on PUT is DIGEST_INVALID and leaves no blob', async () => {
    const start = await req('POST', '/v2/mismatch/blobs/uploads/');
    const loc = start.headers['location'] as string;
    await req('PATCH', loc, { body: 'some bytes', headers: { 'content-type': 'application/octet-stream' } });
    const wrong = sha('other bytes');
    const before = visibleBlobs();
    const put = await req('PUT', `${loc}?digest=${wrong}`);
    assert.equal(put.status, 400);
    assert.equal(errCode(put), 'DIGEST_INVALID');
    assert.deepEqual(visibleBlobs(), before);
    assert.equal((await req('HEAD', `/v2/mismatch/blobs/${sha('some bytes')}`)).status, 404);
    assert.equal((await req('HEAD', `/v2/mismatch/blobs/${wrong}`)).status, 404);
    assert.equal((await req('GET', loc)).status, 404);
    // The monolithic form too.
    const mono = await req('POST', `/v2/mismatch/blobs/uploads/?digest=${wrong}`, { body: 'not it', headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(mono.status, 400);
    assert.equal(errCode(mono), 'DIGEST_INVALID');
    assert.deepEqual(visibleBlobs(), before);
    // PUT without a digest.
    const s2 = await req('POST', '/v2/mismatch/blobs/uploads/');
    const nod = await req('PUT', s2.headers['location'] as string);
    assert.equal(nod.status, 400);
    assert.equal(errCode(nod), 'DIGEST_INVALID');
  });

  test('cancel an upload', async () => {
    const start = await req('POST', '/v2/cancel/blobs/uploads/');
    const loc = start.headers['location'] as string;
    assert.equal((await req('DELETE', loc)).status, 204);
    assert.equal((await req('GET', loc)).status, 404);
    const other = await req('POST', '/v2/cancel/blobs/uploads/');
    // An upload belongs to its repository.
    const elsewhere = (other.headers['location'] as string).replace('/v2/cancel/', '/v2/cancel2/');
    assert.equal(errCode(await req('GET', elsewhere)), 'BLOB_UPLOAD_UNKNOWN');
  });

  test('an interrupted upload (client gone mid-PATCH) leaves no visible blob and keeps its offset', async () => {
    const start = await req('POST', '/v2/interrupted/blobs/uploads/');
    const loc = start.headers['location'] as string;
    const first = Buffer.alloc(1000, 1);
    assert.equal((await req('PATCH', loc, { body: first, headers: { 'content-type': 'application/octet-stream' } })).status, 202);
    const before = visibleBlobs();
    await new Promise<void>((resolve) => {
      const u = new URL(loc, reg.url);
      const r = http.request(u, { method: 'PATCH', agent: false, headers: { 'content-type': 'application/octet-stream', 'content-length': String(10 * 1024 * 1024) } });
      r.on('error', () => resolve());
      r.write(Buffer.alloc(256 * 1024, 2), () => {
        setTimeout(() => {
          r.destroy();
          resolve();
        }, 100);
      });
    });
    await sleep(200);
    const st = await req('GET', loc);
    assert.equal(st.status, 204);
    assert.equal(st.headers['range'], '0-999');
    assert.deepEqual(visibleBlobs(), before);
    // The upload can be finished from where it stood.
    const rest = Buffer.alloc(10, 3);
    const d = sha(Buffer.concat([first, rest]));
    const put = await req('PUT', `${loc}?digest=${d}`, { body: rest, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(put.status, 201, put.body.toString());
  });

  test('manifests: missing blobs refused, put/get/head by tag and digest, Accept negotiation', async () => {
    const missing = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha('nope'), size: 4 },
      layers: [],
    });
    const r = await req('PUT', '/v2/man/manifests/v1', { body: missing, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(r.status, 400);
    assert.equal(errCode(r), 'MANIFEST_BLOB_UNKNOWN');
    assert.equal((await req('GET', '/v2/man/manifests/v1')).status, 404);

    const img = await pushImage('man', 'v1', 'a');
    const byTag = await req('GET', '/v2/man/manifests/v1', { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(byTag.status, 200);
    assert.equal(byTag.headers['content-type'], 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(byTag.headers['docker-content-digest'], img.digest);
    assert.equal(byTag.body.toString(), img.body);
    const byDigest = await req('GET', `/v2/man/manifests/${img.digest}`);
    assert.equal(byDigest.body.toString(), img.body);
    const head = await req('HEAD', '/v2/man/manifests/v1');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(Buffer.byteLength(img.body)));
    // A client that only takes Docker manifests does not get an OCI one.
    const docker = await req('GET', '/v2/man/manifests/v1', { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    assert.equal(docker.status, 404);
    assert.equal(errCode(docker), 'MANIFEST_UNKNOWN');
    // PUT by a digest that is not the body's.
    const wrong = await req('PUT', `/v2/man/manifests/${sha('x')}`, { body: img.body, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(errCode(wrong), 'DIGEST_INVALID');
    // PUT by its own digest.
    const ok = await req('PUT', `/v2/man/manifests/${img.digest}`, { body: img.body, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(ok.status, 201);
    // Not JSON; Content-Type disagreeing with mediaType; schema 1.
    assert.equal(errCode(await req('PUT', '/v2/man/manifests/bad', { body: '{nope', headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } })), 'MANIFEST_INVALID');
    assert.equal(errCode(await req('PUT', '/v2/man/manifests/bad', { body: img.body, headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' } })), 'MANIFEST_INVALID');
    assert.equal(errCode(await req('PUT', '/v2/man/manifests/bad', { body: '{"schemaVersion":1}', headers: { 'content-type': 'application/json' } })), 'MANIFEST_INVALID');
    assert.equal(errCode(await req('PUT', '/v2/man/manifests/-bad-tag', { body: img.body, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } })), 'TAG_INVALID');
    // An index needs its manifests in the repository.
    const index = (digests: string[]): string =>
      JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: digests.map((digest) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: Buffer.byteLength(img.body) })) });
    const badIndex = await req('PUT', '/v2/man/manifests/idx', { body: index([sha('missing')]), headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' } });
    assert.equal(badIndex.status, 400);
    assert.equal(errCode(badIndex), 'MANIFEST_UNKNOWN');
    const goodIndex = await req('PUT', '/v2/man/manifests/idx', { body: index([img.digest]), headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' } });
    assert.equal(goodIndex.status, 201);
    const gotIndex = await req('GET', '/v2/man/manifests/idx', { headers: { accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(gotIndex.headers['content-type'], 'application/vnd.oci.image.index.v1+json');
  });

  test('tags list and catalog paginate with n, last and a Link header', async () => {
    for (const t of ['t3', 't1', 't5', 't2', 't4']) await pushImage('pages/repo', t, 'p');
    const all = await req('GET', '/v2/pages/repo/tags/list');
    assert.deepEqual(all.json(), { name: 'pages/repo', tags: ['t1', 't2', 't3', 't4', 't5'] });
    const p1 = await req('GET', '/v2/pages/repo/tags/list?n=2');
    assert.deepEqual(p1.json().tags, ['t1', 't2']);
    assert.equal(p1.headers['link'], '</v2/pages/repo/tags/list?last=t2&n=2>; rel="next"');
    const p2 = await req('GET', '/v2/pages/repo/tags/list?n=2&last=t2');
    assert.deepEqual(p2.json().tags, ['t3', 't4']);
    const p3 = await req('GET', '/v2/pages/repo/tags/list?n=2&last=t4');
    assert.deepEqual(p3.json().tags, ['t5']);
    assert.equal(p3.headers['link'], undefined);
    assert.deepEqual((await req('GET', '/v2/pages/repo/tags/list?n=0')).json().tags, []);
    const badN = await req('GET', '/v2/pages/repo/tags/list?n=-1');
    assert.equal(badN.status, 400);
    assert.equal(errCode(badN), 'PAGINATION_NUMBER_INVALID');
    const unknown = await req('GET', '/v2/no/such/repo/tags/list');
    assert.equal(unknown.status, 404);
    assert.equal(errCode(unknown), 'NAME_UNKNOWN');

    const cat = (await req('GET', '/v2/_catalog')).json<{ repositories: string[] }>().repositories;
    assert.ok(cat.includes('pages/repo') && cat.includes('man'));
    assert.deepEqual(cat, [...cat].sort());
    const c1 = await req('GET', '/v2/_catalog?n=1');
    assert.deepEqual(c1.json().repositories, [cat[0]]);
    assert.equal(c1.headers['link'], `</v2/_catalog?last=${encodeURIComponent(cat[0] as string)}&n=1>; rel="next"`);
    const c2 = await req('GET', `/v2/_catalog?n=1&last=${encodeURIComponent(cat[0] as string)}`);
    assert.deepEqual(c2.json().repositories, [cat[1]]);
  });

  test('repository names are validated', async () => {
    for (const bad of ['UPPER/case', 'a..b', '-lead', 'trail-']) {
      const r = await req('GET', `/v2/${bad}/tags/list`);
      assert.equal(r.status, 400, bad);
      assert.equal(errCode(r), 'NAME_INVALID', bad);
    }
    assert.equal(errCode(await req('POST', `/v2/${'a'.repeat(256)}/blobs/uploads/`)), 'NAME_INVALID');
  });

  test('cross-repository mount', async () => {
    const d = await pushBlob('mount/src', 'mount me');
    const m = await req('POST', `/v2/mount/dst/blobs/uploads/?mount=${d}&from=mount/src`);
    assert.equal(m.status, 201);
    assert.equal(m.headers['location'], `/v2/mount/dst/blobs/${d}`);
    assert.equal(m.headers['docker-content-digest'], d);
    assert.equal((await req('GET', `/v2/mount/dst/blobs/${d}`)).body.toString(), 'mount me');
    // Nothing to mount: an upload starts instead.
    const fallback = await req('POST', `/v2/mount/dst2/blobs/uploads/?mount=${d}&from=mount/other`);
    assert.equal(fallback.status, 202);
    assert.match(fallback.headers['location'] as string, /\/blobs\/uploads\//);
  });

  test('referrers: OCI-Subject on PUT, listing, artifactType filter', async () => {
    const img = await pushImage('refs', 'v1', 'r');
    const empty = await pushBlob('refs', '{}');
    const artifact = async (artifactType: string, n: string): Promise<string> => {
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType,
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty, size: 2 },
        layers: [],
        subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: img.digest, size: Buffer.byteLength(img.body) },
        annotations: { n },
      });
      const r = await req('PUT', `/v2/refs/manifests/${sha(body)}`, { body, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(r.status, 201, r.body.toString());
      assert.equal(r.headers['oci-subject'], img.digest);
      return sha(body);
    };
    const sig = await artifact('application/vnd.example.signature', '1');
    const sbom = await artifact('application/vnd.example.sbom', '2');
    const all = await req('GET', `/v2/refs/referrers/${img.digest}`);
    assert.equal(all.status, 200);
    assert.equal(all.headers['content-type'], 'application/vnd.oci.image.index.v1+json');
    const idx = all.json<{ schemaVersion: number; manifests: Array<{ digest: string; artifactType: string; annotations: Record<string, string> }> }>();
    assert.equal(idx.schemaVersion, 2);
    assert.deepEqual(idx.manifests.map((m) => m.digest).sort(), [sig, sbom].sort());
    assert.equal(idx.manifests.find((m) => m.digest === sig)?.annotations['n'], '1');
    const filtered = await req('GET', `/v2/refs/referrers/${img.digest}?artifactType=application/vnd.example.sbom`);
    assert.equal(filtered.headers['oci-filters-applied'], 'artifactType');
    assert.deepEqual(filtered.json().manifests.map((m: { digest: string }) => m.digest), [sbom]);
    const none = await req('GET', `/v2/refs/referrers/${sha('nothing')}`);
    assert.equal(none.status, 200);
    assert.deepEqual(none.json().manifests, []);
    // Deleting a referrer drops it from the list.
    assert.equal((await req('DELETE', `/v2/refs/manifests/${sig}`)).status, 202);
    assert.deepEqual((await req('GET', `/v2/refs/referrers/${img.digest}`)).json().manifests.map((m: { digest: string }) => m.digest), [sbom]);
  });

  test('DELETE tags, manifests and blobs', async () => {
    const img = await pushImage('del', 'a', 'd');
    await req('PUT', '/v2/del/manifests/b', { body: img.body, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal((await req('DELETE', '/v2/del/manifests/a')).status, 202);
    assert.equal((await req('GET', '/v2/del/manifests/a')).status, 404);
    assert.equal((await req('GET', '/v2/del/manifests/b')).status, 200);
    assert.equal((await req('DELETE', `/v2/del/manifests/${img.digest}`)).status, 202);
    assert.equal(errCode(await req('GET', '/v2/del/manifests/b')), 'MANIFEST_UNKNOWN');
    assert.equal(errCode(await req('GET', `/v2/del/manifests/${img.digest}`)), 'MANIFEST_UNKNOWN');
    assert.equal(errCode(await req('DELETE', `/v2/del/manifests/${img.digest}`)), 'MANIFEST_UNKNOWN');
    assert.equal((await req('DELETE', `/v2/del/blobs/${img.layer}`)).status, 202);
    assert.equal((await req('HEAD', `/v2/del/blobs/${img.layer}`)).status, 404);
    assert.equal(errCode(await req('DELETE', `/v2/del/blobs/${img.layer}`)), 'BLOB_UNKNOWN');
    const method = await req('PATCH', '/v2/del/manifests/a');
    assert.equal(method.status, 405);
    assert.equal(errCode(method), 'UNSUPPORTED');
  });

  test("docker's /v1/search over the catalog", async () => {
    const r = await req('GET', '/v1/search?q=pages&n=10');
    assert.equal(r.status, 200);
    const body = r.json<{ num_results: number; query: string; results: Array<Record<string, unknown>> }>();
    assert.equal(body.query, 'pages');
    assert.equal(body.num_results, 1);
    assert.deepEqual(body.results, [{ name: 'pages/repo', description: '', star_count: 0, is_official: false, is_automated: false }]);
  });

  test('read-only mode refuses writes with 405 UNSUPPORTED and serves reads', async () => {
    const img = await pushImage('ro', 'v1', 'ro');
    const ro = await startBerthRegistry({ root: reg.root, args: ['--read-only'] });
    try {
      const get = await request(ro.url, 'GET', '/v2/ro/manifests/v1');
      assert.equal(get.status, 200);
      assert.equal(get.headers['docker-content-digest'], img.digest);
      for (const [method, p] of [
        ['POST', '/v2/ro/blobs/uploads/'],
        ['PUT', '/v2/ro/manifests/v2'],
        ['DELETE', `/v2/ro/manifests/${img.digest}`],
      ] as const) {
        const r = await request(ro.url, method, p, { body: method === 'PUT' ? img.body : '' });
        assert.equal(r.status, 405, `${method} ${p}`);
        assert.equal(errCode(r), 'UNSUPPORTED');
      }
      assert.equal((await request(ro.url, 'GET', '/v2/ro/manifests/v2')).status, 404);
    } finally {
      await ro.cleanup();
    }
  });

  test('SIGTERM lets an upload in flight finish, then exits 0', async () => {
    const other = await startBerthRegistry();
    try {
      const start = await request(other.url, 'POST', '/v2/term/blobs/uploads/');
      const loc = start.headers['location'] as string;
      const part = Buffer.alloc(64 * 1024, 7);
      const res = new Promise<number>((resolve, reject) => {
        const r = http.request(new URL(loc, other.url), { method: 'PATCH', agent: false, headers: { 'content-type': 'application/octet-stream', 'content-length': String(part.length * 2) } }, (resp) => {
          resp.resume();
          resolve(resp.statusCode ?? 0);
        });
        r.on('error', reject);
        // The server has the request (and is streaming its body) before the signal comes.
        r.write(part, () => {
          setTimeout(() => {
            process.kill(other.pid, 'SIGTERM');
            setTimeout(() => r.end(part), 300);
          }, 300);
        });
      });
      assert.equal(await res, 202);
      assert.equal(await other.stop(), 0);
    } finally {
      await other.cleanup();
    }
  });

  test('gc removes what no tag reaches and keeps the rest', async () => {
    const keepImg = await pushImage('gc/keep', 'v1', 'keep');
    const dropImg = await pushImage('gc/drop', 'v1', 'drop');
    assert.equal((await req('DELETE', '/v2/gc/drop/manifests/v1')).status, 202);
    const code = await reg.stop();
    assert.equal(code, 0, 'SIGTERM is a clean exit');
    const dry = await run(BERTH, ['registry', 'gc', '--root', reg.root, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`would remove manifest gc/drop@${dropImg.digest}`));
    assert.match(dry.stdout, new RegExp(`would remove blob ${dropImg.layer}`));
    assert.ok(fs.existsSync(path.join(reg.root, 'blobs/sha256', dropImg.layer.slice(7))), 'dry run removes nothing');
    const real = await run(BERTH, ['registry', 'gc', '--root', reg.root]);
    assert.equal(real.code, 0, real.stderr);
    assert.match(real.stdout, new RegExp(`removed manifest gc/drop@${dropImg.digest}`));
    assert.match(real.stdout, new RegExp(`removed blob ${dropImg.config}`));
    assert.doesNotMatch(real.stdout, new RegExp(keepImg.layer));
    for (const d of [dropImg.layer, dropImg.config, dropImg.digest]) assert.ok(!fs.existsSync(path.join(reg.root, 'blobs/sha256', d.slice(7))), d);
    for (const d of [keepImg.layer, keepImg.config, keepImg.digest]) assert.ok(fs.existsSync(path.join(reg.root, 'blobs/sha256', d.slice(7))), d);
    // Everything tagged is still served after a restart on the same root.
    const again = await startBerthRegistry({ root: reg.root });
    try {
      const r = await request(again.url, 'GET', '/v2/gc/keep/manifests/v1');
      assert.equal(r.body.toString(), keepImg.body);
      assert.equal((await request(again.url, 'GET', `/v2/gc/keep/blobs/${keepImg.layer}`)).status, 200);
      assert.equal((await request(again.url, 'GET', `/v2/gc/drop/manifests/${dropImg.digest}`)).status, 404);
      // Other tagged images of this file survived too.
      assert.equal((await request(again.url, 'GET', '/v2/pages/repo/tags/list')).json().tags.length, 5);
    } finally {
      await again.cleanup();
    }
  });
});
