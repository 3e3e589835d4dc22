// The image service through the Engine API and the real docker CLI: import with changes, list,
// inspect, history, tag, rmi, prune (shapes checked against Docker's swagger), save/load round
// trips (berth -> berth, docker CLI, skopeo's OCI archives) and bad input that must change nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { pack, extract } from 'tar-stream';
import { startDaemon, importBusybox, busyboxTar, need, isRoot, hasDocker, which, run, IN_CI, type Daemon, type HttpResult } from './harness.js';
import { loadSwagger, SWAGGER_MISSING, type Swagger } from './swagger.js';
import { ociImageValidator } from '../specs/schemas.js';
import { NO_INTERNET_ENV } from './distribution-helpers.js';

let d: Daemon;
let spec: Swagger | undefined;
let busyboxId = '';

before(async () => {
  spec = loadSwagger();
  if (!isRoot()) return;
  d = await startDaemon({ env: NO_INTERNET_ENV });
  busyboxId = await importBusybox(d);
});
after(async () => d?.cleanup());

// --- helpers ------------------------------------------------------------------------------

type TarEntry = { name: string; data?: Buffer | string; type?: 'file' | 'directory' | 'symlink'; linkname?: string };

async function makeTar(entries: TarEntry[]): Promise<Buffer> {
  const p = pack();
  for (const e of entries) {
    if (e.type === 'directory') p.entry({ name: e.name, type: 'directory', mode: 0o755 });
    else if (e.type === 'symlink') p.entry({ name: e.name, type: 'symlink', linkname: e.linkname ?? '' });
    else p.entry({ name: e.name, mode: 0o644 }, typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0)));
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function readTar(buf: Buffer): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const ex = extract();
  const done = (async () => {
    for await (const entry of ex as AsyncIterable<NodeJS.ReadableStream & { header: { name: string; type: string } }>) {
      const chunks: Buffer[] = [];
      for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
      if (entry.header.type === 'file') out.set(entry.header.name, Buffer.concat(chunks));
    }
  })();
  ex.end(buf);
  await done;
  return out;
}

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

function listDir(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (rel: string, depth: number): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      out.push(r);
      if (e.isDirectory() && depth < 1) walk(r, depth + 1);
    }
  };
  walk('', 0);
  return out.sort();
}

interface StoreState {
  images: string[];
  blobs: string[];
  layers: string[];
  tmp: string[];
}

/** What a bad request must not change: images and tags, blobs, layer directories, temp files. */
async function storeState(dm: Daemon): Promise<StoreState> {
  const r = await dm.request('GET', '/images/json?all=1');
  assert.equal(r.status, 200);
  const images = r.json<{ Id: string; RepoTags: string[] }[]>().map((i) => `${i.Id} ${[...i.RepoTags].sort().join(',')}`).sort();
  return {
    images,
    blobs: listDir(path.join(dm.dataRoot, 'content')),
    layers: listDir(path.join(dm.dataRoot, 'layers')),
    tmp: listDir(path.join(dm.dataRoot, 'tmp')),
  };
}

function lines(r: HttpResult): Record<string, unknown>[] {
  return r.text.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function importTar(dm: Daemon, body: Buffer, query: string): Promise<HttpResult> {
  return dm.request('POST', `/images/create?fromSrc=-&${query}`, { body, headers: { 'content-type': 'application/x-tar' } });
}

async function load(dm: Daemon, body: Buffer, quiet = true): Promise<HttpResult> {
  return dm.request('POST', `/images/load?quiet=${quiet ? 1 : 0}`, { body, headers: { 'content-type': 'application/x-tar' } });
}

async function save(dm: Daemon, ...names: string[]): Promise<Buffer> {
  const r = await dm.request('GET', `/images/get?${names.map((n) => `names=${encodeURIComponent(n)}`).join('&')}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['content-type'], 'application/x-tar');
  return r.body;
}

function checkSpec(t: { skip(msg: string): void }, fn: (s: Swagger) => void): void {
  if (!spec) {
    if (IN_CI) throw new Error(`missing dependency under CI: ${SWAGGER_MISSING}`);
    t.skip(`missing dependency: ${SWAGGER_MISSING}`);
    return;
  }
  fn(spec);
}

async function eventsBetween(dm: Daemon, since: number, filters: Record<string, string[]>): Promise<{ Action: string; Actor: { ID: string; Attributes: Record<string, string> } }[]> {
  const until = Date.now() / 1000 + 0.5;
  const r = await dm.request('GET', `/events?since=${since.toFixed(3)}&until=${until.toFixed(3)}&filters=${encodeURIComponent(JSON.stringify(filters))}`);
  assert.equal(r.status, 200);
  return lines(r) as never;
}

// --- import, list, inspect, history -----------------------------------------------------

test('import with changes and a message: config, comment, history, events', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const since = Date.now() / 1000;
  const changes = [
    'CMD ["/bin/sh","-c","echo hi"]',
    'ENTRYPOINT ["/bin/busybox"]',
    'ENV GREETING="hello world" MODE=test',
    'EXPOSE 8080 53/udp',
    'LABEL org.example.team=images stage=test',
    'ONBUILD RUN echo built',
    'USER nobody',
    'VOLUME ["/data"]',
    'WORKDIR /srv',
    'STOPSIGNAL SIGINT',
  ];
  const q = `repo=example.com/team/app&tag=v1&message=${encodeURIComponent('imported for a test')}&${changes.map((c) => `changes=${encodeURIComponent(c)}`).join('&')}`;
  const r = await d.request('POST', `/images/create?fromSrc=-&${q}`, { body: fs.createReadStream(busyboxTar()), headers: { 'content-type': 'application/x-tar' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['content-type'], 'application/json');
  const last = lines(r).at(-1) as { status: string };
  assert.match(last.status, /^sha256:[a-f0-9]{64}$/);
  const id = last.status;

  const ins = await d.request('GET', '/images/example.com/team/app:v1/json');
  assert.equal(ins.status, 200, ins.text);
  const img = ins.json();
  checkSpec(t, (s) => s.assertResponse('GET', '/images/{name}/json', 200, img));
  assert.equal(img.Id, id);
  assert.deepEqual(img.RepoTags, ['example.com/team/app:v1']);
  assert.equal(img.Comment, 'imported for a test');
  assert.equal(img.Os, 'linux');
  assert.equal(img.GraphDriver.Name, 'overlay2');
  assert.ok(fs.existsSync(img.GraphDriver.Data.UpperDir), 'UpperDir is the unpacked layer');
  assert.ok(fs.existsSync(path.join(img.GraphDriver.Data.UpperDir, 'bin/busybox')));
  assert.equal(img.RootFS.Type, 'layers');
  assert.equal(img.RootFS.Layers.length, 1);
  assert.match(img.Metadata.LastTagTime, /^\d{4}-\d\d-\d\dT/);
  assert.ok(img.Size > 1_000_000, `size ${img.Size}`);
  const c = img.Config;
  assert.deepEqual(c.Cmd, ['/bin/sh', '-c', 'echo hi']);
  assert.deepEqual(c.Entrypoint, ['/bin/busybox']);
  assert.deepEqual(c.Env, ['GREETING=hello world', 'MODE=test']);
  assert.deepEqual(c.ExposedPorts, { '8080/tcp': {}, '53/udp': {} });
  assert.deepEqual(c.Labels, { 'org.example.team': 'images', stage: 'test' });
  assert.deepEqual(c.OnBuild, ['RUN echo built']);
  assert.equal(c.User, 'nobody');
  assert.deepEqual(c.Volumes, { '/data': {} });
  assert.equal(c.WorkingDir, '/srv');
  assert.equal(c.StopSignal, 'SIGINT');

  const h = await d.request('GET', '/images/example.com/team/app:v1/history');
  assert.equal(h.status, 200);
  checkSpec(t, (s) => s.assertResponse('GET', '/images/{name}/history', 200, h.json()));
  assert.equal(h.json().length, 1);
  assert.equal(h.json()[0].Id, id);
  assert.equal(h.json()[0].Comment, 'imported for a test');
  assert.deepEqual(h.json()[0].Tags, ['example.com/team/app:v1']);

  const evs = await eventsBetween(d, since, { type: ['image'] });
  const imp = evs.find((e) => e.Action === 'import');
  assert.ok(imp, JSON.stringify(evs));
  assert.equal(imp.Actor.ID, id);
  assert.equal(imp.Actor.Attributes['name'], 'example.com/team/app:v1');

  const rm = await d.request('DELETE', '/images/example.com/team/app:v1');
  assert.equal(rm.status, 200, rm.text);
});

test('import: gzip body, no repo (dangling), default message', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const gz = zlib.gzipSync(await makeTar([{ name: 'hello.txt', data: 'hello\n' }]));
  const r = await importTar(d, gz, '');
  assert.equal(r.status, 200, r.text);
  const id = (lines(r).at(-1) as { status: string }).status;
  const img = (await d.request('GET', `/images/${id}/json`)).json();
  assert.deepEqual(img.RepoTags, []);
  assert.equal(img.Comment, 'Imported from -');
  const dangling = (await d.request('GET', `/images/json?filters=${encodeURIComponent('{"dangling":["true"]}')}`)).json<{ Id: string }[]>();
  assert.ok(dangling.some((i) => i.Id === id));
  const rm = await d.request('DELETE', `/images/${id.slice(7, 19)}`);
  assert.equal(rm.status, 200, rm.text);
  assert.deepEqual(rm.json()[0], { Deleted: id });
});

test('list: shapes, filters, shared size; /info and /system/df count images', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  await d.request('POST', `/images/busybox/tag?repo=localhost:5000/tools/box&tag=1.0`);
  const all = await d.request('GET', '/images/json?shared-size=1');
  assert.equal(all.status, 200);
  checkSpec(t, (s) => s.assertResponse('GET', '/images/json', 200, all.json()));
  const bb = all.json<{ Id: string; RepoTags: string[]; SharedSize: number; Containers: number; Created: number }[]>().find((i) => i.Id === busyboxId);
  assert.ok(bb);
  assert.deepEqual([...bb.RepoTags].sort(), ['busybox:latest', 'localhost:5000/tools/box:1.0']);
  assert.equal(bb.SharedSize, 0);
  assert.equal(bb.Containers, -1);
  const q = async (f: Record<string, string[]>): Promise<HttpResult> => d.request('GET', `/images/json?filters=${encodeURIComponent(JSON.stringify(f))}`);
  assert.deepEqual((await q({ reference: ['busy*'] })).json<{ RepoTags: string[] }[]>().map((i) => i.RepoTags), [['busybox:latest']]);
  assert.deepEqual((await q({ reference: ['localhost:5000/tools/*:1.0'] })).json<{ RepoTags: string[] }[]>().map((i) => i.RepoTags), [['localhost:5000/tools/box:1.0']]);
  assert.equal((await q({ dangling: ['false'] })).json<unknown[]>().length >= 1, true);
  assert.equal((await q({ label: ['no.such=label'] })).json<unknown[]>().length, 0);
  assert.equal((await q({ until: [String(Math.floor(bb.Created) - 3600)] })).json<unknown[]>().length, 0);
  const bad = await q({ nope: ['x'] });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.json(), { message: "invalid filter 'nope'" });
  const old = (await d.request('GET', '/v1.43/images/json')).json<{ Id: string; Size: number; VirtualSize?: number }[]>().find((i) => i.Id === busyboxId);
  assert.equal(old?.VirtualSize, old?.Size, 'API 1.43 still has VirtualSize');
  assert.equal((await d.request('GET', '/v1.50/images/busybox/json')).json().VirtualSize, undefined);
  const info = (await d.request('GET', '/info')).json<{ Images: number }>();
  assert.ok(info.Images >= 1);
  const df = (await d.request('GET', '/system/df?type=image')).json<{ LayersSize: number; Images: { Id: string }[] }>();
  assert.ok(df.LayersSize > 1_000_000);
  assert.ok(df.Images.some((i) => i.Id === busyboxId));
  const rm = await d.request('DELETE', '/images/localhost:5000/tools/box:1.0');
  assert.deepEqual(rm.json(), [{ Untagged: 'localhost:5000/tools/box:1.0' }]);
});

test('tag, rmi and prune: status codes, shapes, Docker messages, events', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const since = Date.now() / 1000;
  const tag = await d.request('POST', '/images/busybox:latest/tag?repo=mybox&tag=v2');
  assert.equal(tag.status, 201);
  assert.equal(tag.text, '');
  assert.equal((await d.request('GET', '/images/mybox:v2/json')).json().Id, busyboxId);
  const short = await d.request('POST', `/images/${busyboxId.slice(7, 19)}/tag?repo=mybox`);
  assert.equal(short.status, 201);
  assert.equal((await d.request('GET', '/images/mybox/json')).json().Id, busyboxId);

  const missing = await d.request('GET', '/images/nope/json');
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json(), { message: 'No such image: nope:latest' });
  const missingTag = await d.request('POST', '/images/nope/tag?repo=x');
  assert.equal(missingTag.status, 404);
  assert.deepEqual((await d.request('DELETE', '/images/nope:1')).json(), { message: 'No such image: nope:1' });

  // several names: deleting by ID needs force
  const byId = await d.request('DELETE', `/images/${busyboxId.slice(7, 19)}`);
  assert.equal(byId.status, 409);
  assert.deepEqual(byId.json(), { message: `conflict: unable to delete ${busyboxId.slice(7, 19)} (must be forced) - image is referenced in multiple repositories` });

  const un = await d.request('DELETE', '/images/mybox:v2');
  assert.equal(un.status, 200);
  checkSpec(t, (s) => s.assertResponse('DELETE', '/images/{name}', 200, un.json()));
  assert.deepEqual(un.json(), [{ Untagged: 'mybox:v2' }]);
  assert.deepEqual((await d.request('DELETE', '/images/mybox')).json(), [{ Untagged: 'mybox:latest' }]);

  // prune: a dangling image goes, tagged ones stay
  const imp = await importTar(d, await makeTar([{ name: 'x', data: 'x' }]), '');
  const dangling = (lines(imp).at(-1) as { status: string }).status;
  const pr = await d.request('POST', '/images/prune');
  assert.equal(pr.status, 200, pr.text);
  checkSpec(t, (s) => s.assertResponse('POST', '/images/prune', 200, pr.json()));
  assert.ok(pr.json().ImagesDeleted.some((x: { Deleted?: string }) => x.Deleted === dangling));
  assert.ok(pr.json().SpaceReclaimed > 0);
  assert.equal((await d.request('GET', `/images/${dangling}/json`)).status, 404);
  assert.equal((await d.request('GET', '/images/busybox/json')).status, 200);
  const prBad = await d.request('POST', `/images/prune?filters=${encodeURIComponent('{"reference":["x"]}')}`);
  assert.equal(prBad.status, 400);

  const evs = await eventsBetween(d, since, { type: ['image'] });
  const actions = evs.map((e) => e.Action);
  for (const a of ['tag', 'untag', 'delete', 'prune']) assert.ok(actions.includes(a), `${a} in ${actions.join(',')}`);
  assert.equal(evs.find((e) => e.Action === 'tag')?.Actor.Attributes['name'], 'mybox:v2');
});

// --- save / load ------------------------------------------------------------------------

test('save gives a docker-archive + OCI layout tar, stable across saves, that loads back', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const a = await save(d, 'busybox');
  const b = await save(d, 'busybox:latest');
  assert.equal(sha(a), sha(b), 'saving twice gives the same bytes');
  const files = await readTar(a);
  assert.deepEqual(JSON.parse(files.get('oci-layout')?.toString() ?? '{}'), { imageLayoutVersion: '1.0.0' });
  const manifest = JSON.parse(files.get('manifest.json')?.toString() ?? '[]');
  assert.equal(manifest.length, 1);
  assert.deepEqual(manifest[0].RepoTags, ['busybox:latest']);
  assert.equal(manifest[0].Config, `blobs/sha256/${busyboxId.slice(7)}`);
  const index = JSON.parse(files.get('index.json')?.toString() ?? '{}');
  assert.equal(index.manifests[0].annotations['io.containerd.image.name'], 'docker.io/library/busybox:latest');
  assert.equal(index.manifests[0].annotations['org.opencontainers.image.ref.name'], 'latest');
  assert.ok(JSON.parse(files.get('repositories')?.toString() ?? '{}').busybox.latest);
  for (const [name, data] of files) if (name.startsWith('blobs/sha256/')) assert.equal(sha(data), name.slice('blobs/sha256/'.length), `${name} matches its digest`);
  // the OCI side validates against the OCI image spec's schemas: layout, index, manifest, config
  const schema = { layout: ociImageValidator('layout'), index: ociImageValidator('index'), manifest: ociImageValidator('manifest'), config: ociImageValidator('config') };
  const blob = (digest: string): unknown => JSON.parse(files.get(`blobs/sha256/${digest.slice(7)}`)?.toString() ?? 'null');
  assert.ok(schema.layout(JSON.parse(files.get('oci-layout')?.toString() ?? '{}')), JSON.stringify(schema.layout.errors));
  assert.ok(schema.index(index), JSON.stringify(schema.index.errors));
  for (const m of index.manifests as { digest: string }[]) {
    const man = blob(m.digest) as { config: { digest: string } };
    assert.ok(schema.manifest(man), JSON.stringify(schema.manifest.errors));
    assert.ok(schema.config(blob(man.config.digest)), JSON.stringify(schema.config.errors));
  }

  // load into a fresh data root: same image ID, same name, same bytes when saved again
  const d2 = await startDaemon({ env: NO_INTERNET_ENV });
  try {
    const r = await load(d2, a);
    assert.equal(r.status, 200);
    assert.deepEqual(lines(r), [{ stream: 'Loaded image: busybox:latest\n' }]);
    assert.equal((await d2.request('GET', '/images/busybox/json')).json().Id, busyboxId);
    assert.equal(sha(await save(d2, 'busybox')), sha(a));
    // loading again over an image with the same name: Docker's rename message
    await importTar(d2, await makeTar([{ name: 'y', data: 'y' }]), 'repo=busybox&tag=latest');
    const again = await load(d2, a);
    const msgs = lines(again).map((l) => l['stream']);
    assert.match(String(msgs[0]), /^The image busybox:latest already exists, renaming the old one with ID sha256:[a-f0-9]{64} to empty string\n$/);
    assert.equal(msgs[1], 'Loaded image: busybox:latest\n');
    // by ID: no names in the archive, "Loaded image ID"
    const byId = await save(d2, busyboxId);
    const d3 = await startDaemon({ env: NO_INTERNET_ENV });
    try {
      assert.deepEqual(lines(await load(d3, byId)), [{ stream: `Loaded image ID: ${busyboxId}\n` }]);
    } finally {
      await d3.cleanup();
    }
  } finally {
    await d2.cleanup();
  }
  const missing = await d.request('GET', '/images/get?names=busybox&names=nope:1');
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json(), { message: 'No such image: nope:1' });
});

test('an OCI-layout archive made by skopeo loads (gzip layers, ref name annotation)', async (t) => {
  if (!need(t, isRoot(), 'root') || !need(t, which('skopeo') !== undefined, 'skopeo')) return;
  const dir = fs.mkdtempSync('/tmp/bt-skopeo-');
  try {
    fs.writeFileSync(path.join(dir, 'x.tar'), await save(d, 'busybox'));
    const cp = spawnSync('skopeo', ['copy', `docker-archive:${dir}/x.tar`, `oci-archive:${dir}/y.tar:busybox:oci`], { encoding: 'utf8' });
    assert.equal(cp.status, 0, cp.stderr);
    const files = await readTar(fs.readFileSync(path.join(dir, 'y.tar')));
    assert.ok(files.has('oci-layout') && !files.has('manifest.json'), 'a pure OCI layout');
    const before = await storeState(d);
    const r = await load(d, fs.readFileSync(path.join(dir, 'y.tar')));
    assert.equal(r.status, 200);
    assert.deepEqual(lines(r), [{ stream: 'Loaded image: busybox:oci\n' }]);
    const img = (await d.request('GET', '/images/busybox:oci/json')).json();
    assert.deepEqual(img.RootFS.Layers, (await d.request('GET', '/images/busybox:latest/json')).json().RootFS.Layers);
    assert.equal(listDir(path.join(d.dataRoot, 'layers')).length, before.layers.length, 'the unpacked layer is shared, not unpacked twice');
    // unnamed OCI archive: loaded by ID
    const cp2 = spawnSync('skopeo', ['copy', `docker-archive:${dir}/x.tar`, `oci-archive:${dir}/z.tar`], { encoding: 'utf8' });
    assert.equal(cp2.status, 0, cp2.stderr);
    assert.deepEqual(lines(await load(d, fs.readFileSync(path.join(dir, 'z.tar')))), [{ stream: `Loaded image ID: ${img.Id}\n` }]);
    assert.equal((await d.request('DELETE', '/images/busybox:oci')).status, 200);
    assert.deepEqual(await storeState(d), before);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// --- the docker CLI -----------------------------------------------------------------------

test('docker CLI: images, image inspect, tag, rmi, save | load round trip', async (t) => {
  if (!need(t, isRoot(), 'root') || !need(t, hasDocker(), 'docker CLI')) return;
  const imgs = await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
  assert.equal(imgs.code, 0, imgs.stderr);
  assert.match(imgs.stdout, new RegExp(`^busybox:latest ${busyboxId.slice(7, 19)}$`, 'm'));
  const ins = await d.docker(['image', 'inspect', '--format', '{{.Id}} {{.Os}} {{json .Config.Cmd}}', 'busybox']);
  assert.equal(ins.code, 0, ins.stderr);
  assert.equal(ins.stdout.trim(), `${busyboxId} linux ["sh"]`);
  assert.equal((await d.docker(['tag', 'busybox', 'cli/box:1'])).code, 0);
  const rmi = await d.docker(['rmi', 'cli/box:1']);
  assert.equal(rmi.code, 0, rmi.stderr);
  assert.equal(rmi.stdout.trim(), 'Untagged: cli/box:1');
  const none = await d.docker(['rmi', 'nope']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /No such image: nope:latest/);

  const dir = fs.mkdtempSync('/tmp/bt-cli-');
  try {
    const out = path.join(dir, 'bb.tar');
    const s = await d.docker(['save', '-o', out, 'busybox']);
    assert.equal(s.code, 0, s.stderr);
    assert.equal((await d.docker(['tag', 'busybox', 'keep:1'])).code, 0);
    const rm = await d.docker(['rmi', 'busybox']);
    assert.equal(rm.code, 0, rm.stderr);
    const l = await d.docker(['load', '-i', out]);
    assert.equal(l.code, 0, l.stderr);
    assert.equal(l.stdout.trim(), 'Loaded image: busybox:latest');
    const id = await d.docker(['image', 'inspect', '--format', '{{.Id}}', 'busybox']);
    assert.equal(id.stdout.trim(), busyboxId);
    const bad = await d.docker(['load', '-i', path.join(dir, 'missing.tar')]);
    assert.notEqual(bad.code, 0);
    assert.equal((await d.docker(['rmi', 'keep:1'])).code, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('rmi while a container uses the image: Docker\'s 409s; force untags and keeps the layers', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const id = await importBusybox(d, 'inuse:1');
  const c = await d.request('POST', '/containers/create', { body: { Image: 'inuse:1', Cmd: ['true'] } });
  if (!need(t, c.status === 201, `container create (${c.status} ${c.text})`)) return;
  const cid = c.json().Id as string;
  try {
    const byName = await d.request('DELETE', '/images/inuse:1');
    assert.equal(byName.status, 409);
    assert.deepEqual(byName.json(), { message: `conflict: unable to remove repository reference "inuse:1" (must force) - container ${cid.slice(0, 12)} is using its referenced image ${id.slice(7, 19)}` });
    const byId = await d.request('DELETE', `/images/${id}`);
    assert.equal(byId.status, 409);
    assert.deepEqual(byId.json(), { message: `conflict: unable to delete ${id.slice(7, 19)} (must be forced) - image is being used by stopped container ${cid.slice(0, 12)}` });
    const forced = await d.request('DELETE', '/images/inuse:1?force=1');
    assert.equal(forced.status, 200, forced.text);
    assert.deepEqual(forced.json(), [{ Untagged: 'inuse:1' }]);
    const ins = await d.request('GET', `/images/${id}/json`);
    assert.equal(ins.status, 200, 'the image stays (dangling) while its container exists');
    assert.deepEqual(ins.json().RepoTags, []);
    const pr = await d.request('POST', '/images/prune');
    assert.equal(pr.status, 200);
    assert.ok(!JSON.stringify(pr.json()).includes(id), 'prune keeps a dangling image a container uses');
    assert.equal((await d.request('GET', `/images/${id}/json`)).status, 200);
  } finally {
    await d.request('DELETE', `/containers/${cid}?force=1`);
  }
  const rm = await d.request('DELETE', `/images/${id}`);
  assert.equal(rm.status, 200, rm.text);
  assert.deepEqual(rm.json()[0], { Deleted: id });
});

// --- bad input: Docker's status and message, and the store exactly as before -------------

test('bad input changes nothing', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const saved = await save(d, 'busybox');
  const files = await readTar(saved);
  const manifest = JSON.parse(files.get('manifest.json')?.toString() ?? '[]') as { Config: string; Layers: string[]; RepoTags: string[] }[];
  const entry = manifest[0];
  assert.ok(entry);
  const repack = async (over: Record<string, Buffer | string | undefined>): Promise<Buffer> => {
    const m = new Map<string, Buffer | string>(files);
    for (const [k, v] of Object.entries(over)) {
      if (v === undefined) m.delete(k);
      else m.set(k, v);
    }
    return makeTar([...m].map(([name, data]) => ({ name, data })));
  };
  const bb = fs.readFileSync(busyboxTar());
  const corruptGz = zlib.gzipSync(bb);
  corruptGz.fill(0x55, 1000, 1200);
  const evilLayer = await makeTar([{ name: 'ok.txt', data: 'fine' }, { name: '../escape.txt', data: 'evil' }]);

  const before = await storeState(d);
  const cases: { what: string; req: () => Promise<HttpResult>; status: number; message: RegExp; stream?: boolean }[] = [
    { what: 'import: truncated tar', req: () => importTar(d, bb.subarray(0, 700_000), 'repo=trunc'), status: 400, message: /unexpected (EOF|end of data)/i },
    { what: 'import: corrupt gzip', req: () => importTar(d, corruptGz, 'repo=corrupt'), status: 400, message: /invalid|unexpected EOF|incorrect/i },
    { what: 'import: invalid reference', req: () => importTar(d, bb, 'repo=Bad%20Name'), status: 400, message: /^invalid reference format/ },
    { what: 'import: uppercase repository', req: () => importTar(d, bb, 'repo=UPPER'), status: 400, message: /^invalid reference format: repository name \(library\/UPPER\) must be lowercase$/ },
    { what: 'import: bad change', req: () => importTar(d, bb, `repo=x&changes=${encodeURIComponent('RUN rm -rf /')}`), status: 400, message: /^run is not a valid change command$/ },
    { what: 'import: a layer with ../ entries', req: () => importTar(d, evilLayer, 'repo=evil'), status: 400, message: /\.\.\/escape\.txt.*outside/ },
    { what: 'pull: an unreachable registry', req: () => d.request('POST', '/images/create?fromImage=127.0.0.1:9/busybox&tag=latest'), status: 503, message: /^Get "https?:\/\/127\.0\.0\.1:9\/v2\/": dial tcp 127\.0\.0\.1:9: connect: connection refused$/ },
    { what: 'tag: invalid reference', req: () => d.request('POST', '/images/busybox/tag?repo=Bad%20Name'), status: 400, message: /^invalid reference format/ },
    { what: 'tag: bad tag', req: () => d.request('POST', '/images/busybox/tag?repo=ok&tag=-bad'), status: 400, message: /invalid tag format/ },
    { what: 'load: truncated tar', req: () => load(d, saved.subarray(0, Math.floor(saved.length / 2))), status: 200, stream: true, message: /unexpected EOF/ },
    { what: 'load: corrupt gzip', req: () => { const g = zlib.gzipSync(saved); g.fill(0x55, 2000, 2300); return load(d, g); }, status: 200, stream: true, message: /invalid|unexpected EOF/i },
    { what: 'load: manifest.json points at a missing file', req: async () => load(d, await repack({ [entry.Layers[0] ?? '']: undefined })), status: 200, stream: true, message: /is missing from the archive/ },
    { what: 'load: config digest mismatch', req: async () => load(d, await repack({ [entry.Config]: Buffer.concat([files.get(entry.Config) ?? Buffer.alloc(0), Buffer.from(' ')]) })), status: 200, stream: true, message: /digest mismatch/ },
    { what: 'load: layer with ../ entries', req: async () => {
      const blob = `blobs/sha256/${sha(evilLayer)}`;
      const cfg = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${sha(evilLayer)}`] } });
      const cfgName = `blobs/sha256/${sha(cfg)}`;
      return load(d, await makeTar([{ name: cfgName, data: cfg }, { name: blob, data: evilLayer }, { name: 'manifest.json', data: JSON.stringify([{ Config: cfgName, RepoTags: ['evil:1'], Layers: [blob] }]) }]));
    }, status: 200, stream: true, message: /outside/ },
    { what: 'load: archive entry escaping with ../', req: async () => load(d, await makeTar([{ name: '../manifest.json', data: '[]' }])), status: 200, stream: true, message: /outside of the archive root/ },
    { what: 'load: not an image archive', req: async () => load(d, await makeTar([{ name: 'hello.txt', data: 'hi' }])), status: 200, stream: true, message: /no manifest\.json/ },
    { what: 'load: layer count differs from the config', req: async () => load(d, await repack({ 'manifest.json': JSON.stringify([{ ...entry, Layers: [] }]) })), status: 200, stream: true, message: /invalid manifest, layers length mismatch: expected 1, got 0/ },
  ];
  for (const c of cases) {
    const r = await c.req();
    assert.equal(r.status, c.status, `${c.what}: ${r.status} ${r.text}`);
    const message = c.stream ? String((lines(r).find((l) => l['error']) as { error?: string } | undefined)?.error ?? '') : String(r.json().message);
    if (c.stream) {
      const err = lines(r).find((l) => l['errorDetail']) as { errorDetail: { message: string } } | undefined;
      assert.ok(err, `${c.what}: an error line in ${r.text}`);
      assert.equal(err.errorDetail.message, message);
    }
    assert.match(message, c.message, `${c.what}: ${message}`);
    assert.deepEqual(await storeState(d), before, `${c.what}: the store is unchanged`);
  }
  assert.ok(!fs.existsSync(path.join(path.dirname(d.dataRoot), 'escape.txt')));
  assert.ok(!fs.existsSync(path.join(d.dataRoot, 'escape.txt')));
});

// --- disk space and recovery --------------------------------------------------------------

function du(dir: string): number {
  const r = spawnSync('du', ['-sb', dir], { encoding: 'utf8' });
  return Number(r.stdout.split('\t')[0] ?? 0);
}

test('rmi of everything returns the data root to the empty-store size; restart recovery drops broken images', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const d2 = await startDaemon({ env: NO_INTERNET_ENV });
  try {
    const parts = ['content', 'layers', 'tmp'];
    const empty = parts.map((p) => du(path.join(d2.dataRoot, p)));
    const emptyState = await storeState(d2);
    const id = await importBusybox(d2);
    await importBusybox(d2, 'other:1');
    const g = await importTar(d2, zlib.gzipSync(await makeTar([{ name: 'a', data: 'a'.repeat(10000) }])), 'repo=small');
    assert.equal(g.status, 200);
    assert.equal((await d2.request('POST', `/images/${id}/tag?repo=again`)).status, 201);
    assert.ok(du(path.join(d2.dataRoot, 'layers')) > empty[1]! + 1_000_000);
    const list = (await d2.request('GET', '/images/json')).json<{ Id: string }[]>();
    for (const i of list) {
      const r = await d2.request('DELETE', `/images/${i.Id}?force=1`);
      assert.equal(r.status, 200, r.text);
    }
    assert.deepEqual(parts.map((p) => du(path.join(d2.dataRoot, p))), empty);
    assert.deepEqual(await storeState(d2), emptyState);

    // recovery: an image whose layer blob vanished is dropped at start-up (and logged)
    const id2 = await importBusybox(d2, 'broken:1');
    const layer = (await d2.request('GET', '/images/broken:1/json')).json().RootFS.Layers[0] as string;
    const manifestBlobs = fs.readdirSync(path.join(d2.dataRoot, 'content/sha256'));
    assert.ok(manifestBlobs.includes(layer.slice(7)), 'import keeps the uncompressed layer blob under its diff ID');
    await d2.stop();
    fs.rmSync(path.join(d2.dataRoot, 'content/sha256', layer.slice(7)));
    await d2.start();
    assert.equal((await d2.request('GET', '/images/broken:1/json')).status, 404);
    assert.match(d2.log(), /image is incomplete on disk: dropping it/);
    assert.ok(d2.log().includes(id2), 'the log names the dropped image');
    assert.deepEqual(await storeState(d2), emptyState, 'the rest of the broken image was collected');
  } finally {
    await d2.cleanup();
  }
});

test('docker CLI: docker import with --change and --message', async (t) => {
  if (!need(t, isRoot(), 'root') || !need(t, hasDocker(), 'docker CLI')) return;
  const r = await run('docker', ['import', '--change', 'ENV FOO=bar', '--change', 'CMD ["/bin/sh"]', '--message', 'cli import', busyboxTar(), 'cli-import:1'], { env: d.clientEnv() });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.trim(), /^sha256:[a-f0-9]{64}$/);
  const h = await d.docker(['history', '--format', '{{.Comment}}', 'cli-import:1']);
  assert.equal(h.stdout.trim(), 'cli import');
  const env = await d.docker(['image', 'inspect', '--format', '{{json .Config.Env}}', 'cli-import:1']);
  assert.equal(env.stdout.trim(), '["FOO=bar"]');
  assert.equal((await d.docker(['rmi', 'cli-import:1'])).code, 0);
});
