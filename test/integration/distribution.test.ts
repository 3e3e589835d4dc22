// Pull and push against a real registry (Debian's docker-registry on 127.0.0.1): round trips with
// the docker CLI, berth's CLI and the raw API (same image IDs and digests), Docker's progress
// lines, gzip/zstd/plain layers, a multi-layer image loaded from a docker-archive, an OCI index
// with two platforms, skopeo as a second client, and errors for missing tags and repositories.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, importBusybox, busyboxTar, need, isRoot, hasDocker, which, run, type Daemon } from './harness.js';
import { buildImage, dockerArchive, generatedFiles, makeTar, NO_INTERNET_ENV, pushRaw, putManifest, hasRegistry, sha, startRegistry, storeState, type Registry } from './distribution-helpers.js';

let d: Daemon;
let reg: Registry;
let busyboxId = '';

before(async () => {
  if (!isRoot() || !hasRegistry()) return;
  reg = await startRegistry();
  d = await startDaemon({ env: NO_INTERNET_ENV });
  busyboxId = await importBusybox(d);
});
after(async () => {
  await d?.cleanup();
  await reg?.cleanup();
});

const ready = (t: import('node:test').TestContext): boolean => need(t, isRoot(), 'root') && need(t, hasRegistry(), 'docker-registry (/usr/bin/docker-registry)');

interface Msg {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  error?: string;
  errorDetail?: { message: string };
  aux?: { Tag: string; Digest: string; Size: number };
}

async function apiPull(image: string, tag: string | undefined, extra = ''): Promise<{ status: number; msgs: Msg[]; text: string }> {
  const r = await d.request('POST', `/images/create?fromImage=${encodeURIComponent(image)}${tag !== undefined ? `&tag=${encodeURIComponent(tag)}` : ''}${extra}`);
  const msgs = r.status === 200 ? r.text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Msg) : [];
  return { status: r.status, msgs, text: r.text };
}

async function inspect(ref: string): Promise<{ Id: string; RepoDigests: string[]; RepoTags: string[]; RootFS: { Layers: string[] }; Architecture: string }> {
  const r = await d.request('GET', `/images/${encodeURIComponent(ref)}/json`);
  assert.equal(r.status, 200, r.text);
  return r.json();
}

test('push then pull with the docker CLI: same image ID and digest, Docker progress, up to date the second time', async (t) => {
  if (!ready(t) || !need(t, hasDocker(), 'docker CLI')) return;
  const name = `${reg.host}/rt/busybox`;
  assert.equal((await d.docker(['tag', 'busybox:latest', `${name}:1`])).code, 0);
  const push = await d.docker(['push', `${name}:1`]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, new RegExp(`The push refers to repository \\[${name.replace(/\./g, '\\.')}\\]`));
  assert.match(push.stdout, /: Pushed/);
  const m = /1: digest: (sha256:[a-f0-9]{64}) size: (\d+)/.exec(push.stdout);
  assert.ok(m, push.stdout);
  const digest = m[1] as string;
  assert.deepEqual((await inspect(`${name}:1`)).RepoDigests, [`${name}@${digest}`]);
  // the registry has exactly that manifest
  const head = await fetch(`http://${reg.host}/v2/rt/busybox/manifests/1`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(head.headers.get('docker-content-digest'), digest);
  // pushing again finds every layer there
  const again = await d.docker(['push', `${name}:1`]);
  assert.match(again.stdout, /Layer already exists/);
  // remove every name of the image so the pull downloads its layers
  assert.equal((await d.docker(['rmi', `${name}:1`, 'busybox:latest'])).code, 0);
  const pull = await d.docker(['pull', `${name}:1`]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.ok(pull.stdout.includes('1: Pulling from rt/busybox\n'), pull.stdout);
  assert.match(pull.stdout, /: Pull complete/);
  assert.match(pull.stdout, new RegExp(`Digest: ${digest}`));
  assert.match(pull.stdout, new RegExp(`Status: Downloaded newer image for ${name.replace(/\./g, '\\.')}:1`));
  const img = await inspect(`${name}:1`);
  assert.equal(img.Id, busyboxId);
  assert.deepEqual(img.RepoDigests, [`${name}@${digest}`]);
  const digests = await d.docker(['images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}}', name]);
  assert.equal(digests.stdout.trim(), `${name} 1 ${digest}`);
  const up = await d.docker(['pull', `${name}:1`]);
  assert.match(up.stdout, /Status: Image is up to date for/);
  assert.doesNotMatch(up.stdout, /Pulling fs layer/);
  // by digest, and a container runs from the pulled image
  const byDigest = await d.docker(['pull', `${name}@${digest}`]);
  assert.equal(byDigest.code, 0, byDigest.stderr);
  const runOut = await d.docker(['run', '--rm', `${name}:1`, 'echo', 'pulled']);
  assert.equal(runOut.stdout.trim(), 'pulled', runOut.stderr);
  assert.equal((await d.docker(['tag', `${name}:1`, 'busybox:latest'])).code, 0);
});

test('pull progress JSON and gzip, zstd and plain layers; push keeps the pulled blobs (same digest) and mounts across repositories', async (t) => {
  if (!ready(t)) return;
  const tars = [await makeTar([{ name: 'a/', type: 'directory' }, { name: 'a/one', data: 'one\n'.repeat(1000) }]), await makeTar([{ name: 'b', data: 'two' }]), await makeTar([{ name: 'c', data: Buffer.alloc(300_000, 7) }])];
  const img = buildImage([
    { tar: tars[0] as Buffer, compression: 'gzip' },
    { tar: tars[1] as Buffer, compression: 'zstd' },
    { tar: tars[2] as Buffer, compression: 'none' },
  ]);
  const { digest } = await pushRaw(reg.host, 'mixed/img', 'v1', img);
  const name = `${reg.host}/mixed/img`;
  const r = await apiPull(name, 'v1');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.msgs[0], { status: 'Pulling from mixed/img', id: 'v1' });
  for (const l of img.layers) {
    const id = l.digest.slice(7, 19);
    const statuses = r.msgs.filter((m) => m.id === id).map((m) => m.status);
    assert.equal(statuses[0], 'Pulling fs layer', JSON.stringify(statuses));
    assert.ok(statuses.includes('Download complete'), JSON.stringify(statuses));
    assert.equal(statuses.at(-1), 'Pull complete', JSON.stringify(statuses));
    for (const m of r.msgs.filter((x) => x.id === id && x.status === 'Pull complete')) assert.deepEqual(m.progressDetail, {});
  }
  const dl = r.msgs.find((m) => m.status === 'Downloading' || m.status === 'Extracting');
  if (dl) assert.equal(typeof dl.progressDetail?.total, 'number');
  assert.deepEqual(r.msgs.at(-2), { status: `Digest: ${digest}` });
  assert.deepEqual(r.msgs.at(-1), { status: `Status: Downloaded newer image for ${name}:v1` });
  const info = await inspect(`${name}:v1`);
  assert.equal(info.Id, img.configDigest);
  assert.deepEqual(info.RootFS.Layers, img.layers.map((l) => l.diffId));
  // up to date: nothing downloaded
  const again = await apiPull(name, 'v1');
  assert.deepEqual(again.msgs.map((m) => m.status), ['Pulling from mixed/img', `Digest: ${digest}`, `Status: Image is up to date for ${name}:v1`]);
  // push to another repository of the same registry: blobs mounted, manifest digest unchanged
  assert.equal((await d.request('POST', `/images/${encodeURIComponent(`${name}:v1`)}/tag?repo=${encodeURIComponent(`${reg.host}/mixed/copy`)}&tag=v1`)).status, 201);
  const push = await d.request('POST', `/images/${encodeURIComponent(`${reg.host}/mixed/copy`)}/push?tag=v1`, { headers: { 'X-Registry-Auth': Buffer.from('{}').toString('base64url') } });
  assert.equal(push.status, 200, push.text);
  const pmsgs = push.text.trim().split('\n').map((l) => JSON.parse(l) as Msg);
  assert.equal(pmsgs[0]?.status, `The push refers to repository [${reg.host}/mixed/copy]`);
  assert.ok(pmsgs.some((m) => m.status === 'Mounted from mixed/img'), push.text);
  const aux = pmsgs.find((m) => m.aux)?.aux;
  assert.deepEqual(aux, { Tag: 'v1', Digest: digest, Size: Buffer.from(JSON.stringify(img.manifest)).length });
  assert.ok(pmsgs.some((m) => m.status === `v1: digest: ${digest} size: ${aux?.Size}`));
});

test('a multi-layer image loaded from a docker-archive pushes and pulls back identical (berth CLI, -a, -q)', async (t) => {
  if (!ready(t)) return;
  const base = fs.readFileSync(busyboxTar());
  const l2 = await makeTar(generatedFiles('data', 20, 20_000, 1));
  const l3 = await makeTar([...generatedFiles('more', 5, 100_000, 2), { name: 'etc/motd', data: 'hello from layer 3\n' }]);
  const img = buildImage([{ tar: base, compression: 'none' }, { tar: l2, compression: 'none' }, { tar: l3, compression: 'none' }]);
  const name = `${reg.host}/multi/app`;
  const archive = await dockerArchive(img, [base, l2, l3], `${name}:1.0`);
  const load = await d.request('POST', '/images/load?quiet=1', { body: archive, headers: { 'content-type': 'application/x-tar' } });
  assert.match(load.text, /Loaded image/, load.text);
  assert.equal((await d.berth(['tag', `${name}:1.0`, `${name}:2.0`])).code, 0);
  const push = await d.berth(['push', '--all-tags', name]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /1\.0: digest: sha256:/);
  assert.match(push.stdout, /2\.0: digest: sha256:/);
  const before = await inspect(`${name}:1.0`);
  assert.equal((await d.berth(['rmi', `${name}:1.0`, `${name}:2.0`])).code, 0);
  const pull = await d.berth(['pull', '-a', name]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, /Status: Downloaded newer image for 127\.0\.0\.1:\d+\/multi\/app\n/);
  const after1 = await inspect(`${name}:1.0`);
  const after2 = await inspect(`${name}:2.0`);
  assert.equal(after1.Id, before.Id);
  assert.equal(after1.Id, img.configDigest);
  assert.equal(after2.Id, img.configDigest);
  assert.deepEqual(after1.RootFS.Layers, [sha(base), sha(l2), sha(l3)]);
  const q = await d.berth(['pull', '-q', `${name}:1.0`]);
  assert.equal(q.stdout, `${name}:1.0\n`);
  const motd = await d.berth(['run', '--rm', `${name}:1.0`, 'cat', '/etc/motd']);
  assert.equal(motd.stdout, 'hello from layer 3\n', motd.stderr);
});

test('an OCI index with two platforms: the host platform by default, --platform picks, an absent one is refused', async (t) => {
  if (!ready(t)) return;
  const amd = buildImage([{ tar: await makeTar([{ name: 'arch', data: 'amd64\n' }]), compression: 'gzip' }], { os: 'linux', architecture: 'amd64' });
  const arm = buildImage([{ tar: await makeTar([{ name: 'arch', data: 'arm64\n' }]), compression: 'gzip' }], { os: 'linux', architecture: 'arm64', variant: 'v8' });
  const a = await pushRaw(reg.host, 'multi/arch', 'amd64-only', amd);
  const b = await pushRaw(reg.host, 'multi/arch', 'arm64-only', arm);
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: b.digest, size: b.bytes.length, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: a.digest, size: a.bytes.length, platform: { os: 'linux', architecture: 'amd64' } },
    ],
  };
  const idx = await putManifest(reg.host, 'multi/arch', 'latest', index);
  const name = `${reg.host}/multi/arch`;
  const host = os.arch() === 'arm64' ? arm : amd;
  const r = await apiPull(name, 'latest');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.msgs.at(-2), { status: `Digest: ${idx.digest}` });
  const i1 = await inspect(`${name}:latest`);
  assert.equal(i1.Id, host.configDigest);
  assert.deepEqual(i1.RepoDigests, [`${name}@${idx.digest}`]);
  const other = os.arch() === 'arm64' ? amd : arm;
  const otherPlatform = os.arch() === 'arm64' ? 'linux/amd64' : 'linux/arm64';
  const r2 = await apiPull(name, 'latest', `&platform=${encodeURIComponent(otherPlatform)}`);
  assert.equal(r2.status, 200, r2.text);
  const i2 = await inspect(`${name}:latest`);
  assert.equal(i2.Id, other.configDigest);
  assert.equal(i2.Architecture, os.arch() === 'arm64' ? 'amd64' : 'arm64');
  const bad = await apiPull(name, 'latest', `&platform=${encodeURIComponent('linux/s390x')}`);
  assert.notEqual(bad.status, 200);
  assert.equal(JSON.parse(bad.text).message, 'no matching manifest for linux/s390x in the manifest list entries');
  // a single-platform image asked for another platform
  const mismatch = await apiPull(name, 'amd64-only', `&platform=${encodeURIComponent('linux/arm64')}`);
  assert.match(mismatch.text, /does not match the specified platform: wanted linux\/arm64, actual: linux\/amd64/);
  // push --platform: the image (now the other platform's) is pushed only when it is that platform
  const pushed = `${reg.host}/multi/pushed:other`;
  assert.equal((await d.berth(['tag', `${name}:latest`, pushed])).code, 0);
  const otherFull = os.arch() === 'arm64' ? 'linux/amd64' : 'linux/arm64/v8';
  const wrong = await d.berth(['push', '--platform', os.arch() === 'arm64' ? 'linux/arm64/v8' : 'linux/amd64', pushed]);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, new RegExp(`image with reference ${pushed.replace(/[.]/g, '\\.')} was found but does not match the specified platform: wanted linux/(amd64|arm64), actual: ${os.arch() === 'arm64' ? 'linux/amd64' : 'linux/arm64'}`));
  const right = await (hasDocker() ? d.docker(['push', '--platform', otherFull, pushed]) : d.berth(['push', '--platform', otherFull, pushed]));
  assert.equal(right.code, 0, right.stderr);
  assert.match(right.stdout, /other: digest: sha256:[0-9a-f]{64}/);
});

test('skopeo copies a docker-archive into the registry; berth pulls the same image', async (t) => {
  if (!ready(t) || !need(t, which('skopeo') !== undefined, 'skopeo')) return;
  const tars = [await makeTar([{ name: 'hello', data: 'from skopeo\n' }]), await makeTar(generatedFiles('x', 3, 5000, 3))];
  const img = buildImage(tars.map((tar) => ({ tar, compression: 'none' as const })));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-skopeo-'));
  try {
    const file = path.join(dir, 'img.tar');
    fs.writeFileSync(file, await dockerArchive(img, tars, 'skopeo/img:1'));
    const cp = await run('skopeo', ['copy', '--insecure-policy', `docker-archive:${file}`, `docker://${reg.host}/skopeo/img:1`, '--dest-tls-verify=false'], { timeoutMs: 60_000 });
    assert.equal(cp.code, 0, cp.stderr);
    const r = await apiPull(`${reg.host}/skopeo/img`, '1');
    assert.equal(r.status, 200, r.text);
    assert.ok(!r.msgs.some((m) => m.error), r.text);
    const info = await inspect(`${reg.host}/skopeo/img:1`);
    assert.equal(info.Id, img.configDigest);
    assert.deepEqual(info.RootFS.Layers, img.layers.map((l) => l.diffId));
    // and skopeo reads what berth pushes
    assert.equal((await d.berth(['tag', `${reg.host}/skopeo/img:1`, `${reg.host}/skopeo/back:1`])).code, 0);
    assert.equal((await d.berth(['push', `${reg.host}/skopeo/back:1`])).code, 0);
    const insp = await run('skopeo', ['inspect', '--tls-verify=false', '--config', `docker://${reg.host}/skopeo/back:1`]);
    assert.equal(insp.code, 0, insp.stderr);
    assert.deepEqual(JSON.parse(insp.stdout).rootfs.diff_ids, img.layers.map((l) => l.diffId));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('missing tag and repository: Docker messages and statuses, nothing stored', async (t) => {
  if (!ready(t)) return;
  const before = storeState(d.dataRoot);
  const noTag = await apiPull(`${reg.host}/rt/busybox`, 'nope');
  assert.equal(noTag.status, 404);
  assert.equal(JSON.parse(noTag.text).message, `manifest for ${reg.host}/rt/busybox:nope not found: manifest unknown: manifest unknown`);
  const noRepo = await apiPull(`${reg.host}/does/not-exist`, 'latest');
  assert.equal(noRepo.status, 404);
  assert.match(JSON.parse(noRepo.text).message, /not found: (name|manifest) unknown/);
  const cli = await d.berth(['pull', `${reg.host}/rt/busybox:nope`]);
  assert.equal(cli.code, 1);
  assert.equal(cli.stderr, `Error response from daemon: manifest for ${reg.host}/rt/busybox:nope not found: manifest unknown: manifest unknown\n`);
  const push = await d.request('POST', `/images/${encodeURIComponent(`${reg.host}/no/such`)}/push?tag=1`);
  assert.equal(push.status, 404);
  assert.equal(JSON.parse(push.text).message, `An image does not exist locally with the tag: ${reg.host}/no/such`);
  const badRef = await apiPull('in valid', 'latest');
  assert.equal(badRef.status, 400);
  assert.equal(JSON.parse(badRef.text).message, 'invalid reference format');
  assert.deepEqual(storeState(d.dataRoot), before);
});
