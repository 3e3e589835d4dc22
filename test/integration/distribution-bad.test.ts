// Pulls that go wrong, against a scriptable registry on 127.0.0.1: a layer whose bytes do not
// match its digest, a registry that drops the connection mid-layer (error, retry, Range resume),
// a hostile layer tar, a client that goes away mid-pull; plus shared downloads of one layer by
// two pulls and the index search API. Every failure leaves no image, no blob, no temp file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { startDaemon, need, isRoot, hasDocker, sleep, type Daemon } from './harness.js';
import { NO_INTERNET_ENV, buildImage, makeTar, serveImage, startFakeRegistry, storeState, type FakeRegistry } from './distribution-helpers.js';

let d: Daemon;
let fake: FakeRegistry;

before(async () => {
  if (!isRoot()) return;
  fake = await startFakeRegistry();
  d = await startDaemon({ env: NO_INTERNET_ENV, config: { 'max-download-attempts': 2, 'max-concurrent-downloads': 3 } });
});
after(async () => {
  await d?.cleanup();
  await fake?.close();
});

function errorOf(text: string): string | undefined {
  for (const l of text.trim().split('\n').filter(Boolean)) {
    const m = JSON.parse(l) as { error?: string; errorDetail?: { message: string } };
    if (m.error) {
      assert.equal(m.errorDetail?.message, m.error);
      return m.error;
    }
  }
  return undefined;
}

const pull = (name: string, tag: string): Promise<{ status: number; text: string }> => d.request('POST', `/images/create?fromImage=${encodeURIComponent(name)}&tag=${tag}`, { timeoutMs: 120_000 });
const exists = async (ref: string): Promise<boolean> => (await d.request('GET', `/images/${encodeURIComponent(ref)}/json`)).status === 200;

async function bigLayerImage(seed: number, size = 2_000_000): Promise<ReturnType<typeof buildImage>> {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) data.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  return buildImage([{ tar: await makeTar([{ name: `big-${seed}`, data }]), compression: 'gzip' }, { tar: await makeTar([{ name: `small-${seed}`, data: 'x' }]), compression: 'none' }]);
}

test('a layer whose bytes do not match its digest: Docker message, no image, no blob, no temp file', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const img = await bigLayerImage(1);
  serveImage(fake, 'bad/digest', 'v1', img);
  const target = img.layers[0]?.digest as string;
  const evil = Buffer.from(img.layers[0]?.blob as Buffer);
  evil[evil.length - 100] = (evil[evil.length - 100] ?? 0) ^ 0xff;
  fake.blobMode = (dg) => (dg === target ? evil : 'ok');
  const before = storeState(d.dataRoot);
  const r = await pull(`${fake.host}/bad/digest`, 'v1');
  assert.equal(r.status, 200);
  assert.equal(errorOf(r.text), `filesystem layer verification failed for digest ${target}`);
  assert.equal(await exists(`${fake.host}/bad/digest:v1`), false);
  assert.deepEqual(storeState(d.dataRoot), before);
  if (hasDocker()) {
    const cli = await d.docker(['pull', `${fake.host}/bad/digest:v1`]);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, new RegExp(`filesystem layer verification failed for digest ${target}`));
    assert.deepEqual(storeState(d.dataRoot), before);
  }
  fake.blobMode = () => 'ok';
});

test('a registry that drops the connection mid-layer: clean error after the retries, then a retry works; a single drop resumes with Range', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const img = await bigLayerImage(2);
  serveImage(fake, 'flaky/img', 'v1', img);
  const target = img.layers[0]?.digest as string;
  fake.blobMode = (dg) => (dg === target ? 'cut' : 'ok');
  const before = storeState(d.dataRoot);
  const r = await pull(`${fake.host}/flaky/img`, 'v1');
  assert.equal(r.status, 200);
  assert.equal(errorOf(r.text), 'unexpected EOF');
  assert.equal(await exists(`${fake.host}/flaky/img:v1`), false);
  assert.deepEqual(storeState(d.dataRoot), before);
  // the registry is fine again: the next pull starts over and succeeds
  fake.blobMode = () => 'ok';
  const ok = await pull(`${fake.host}/flaky/img`, 'v1');
  assert.equal(errorOf(ok.text), undefined, ok.text);
  assert.equal(((await d.request('GET', `/images/${encodeURIComponent(`${fake.host}/flaky/img:v1`)}/json`)).json() as { Id: string }).Id, img.configDigest);
  // one drop: the download resumes where it stopped (Range) within the same pull
  const img2 = await bigLayerImage(3);
  serveImage(fake, 'flaky/resume', 'v1', img2);
  const t2 = img2.layers[0]?.digest as string;
  fake.blobMode = (dg, n) => (dg === t2 && n === 0 ? 'cut' : 'ok');
  const resumed = await pull(`${fake.host}/flaky/resume`, 'v1');
  assert.equal(errorOf(resumed.text), undefined, resumed.text);
  const gets = fake.blobGets.filter((g) => g.digest === t2);
  assert.equal(gets.length, 2);
  assert.match(gets[1]?.range ?? '', /^bytes=\d+-$/);
  fake.blobMode = () => 'ok';
});

test('a hostile layer tar is refused and writes nothing outside the layer', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const outside = `/tmp/bt-hostile-${process.pid}`;
  fs.rmSync(outside, { recursive: true, force: true });
  fs.mkdirSync(outside);
  try {
    const cases = [
      [{ name: 'ok', data: 'fine' }, { name: `../../../../..${outside}/escaped`, data: 'evil' }],
      [{ name: 'link', type: 'symlink' as const, linkname: outside }, { name: 'link/through-symlink', data: 'evil' }],
      [{ name: 'hard', type: 'link' as const, linkname: `${outside}/target` }],
    ];
    for (const [i, entries] of cases.entries()) {
      const img = buildImage([{ tar: await makeTar(entries), compression: 'gzip' }]);
      serveImage(fake, 'hostile/img', `v${i}`, img);
      const before = storeState(d.dataRoot);
      const r = await pull(`${fake.host}/hostile/img`, `v${i}`);
      assert.equal(r.status, 200);
      assert.match(errorOf(r.text) ?? '', /invalid layer tar entry|hardlink|outside/, r.text);
      assert.equal(await exists(`${fake.host}/hostile/img:v${i}`), false);
      assert.deepEqual(storeState(d.dataRoot), before);
    }
    assert.deepEqual(fs.readdirSync(outside), []);
  } finally {
    fs.rmSync(outside, { recursive: true, force: true });
  }
});

test('two pulls of the same layers at once share one download', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const img = await bigLayerImage(4);
  serveImage(fake, 'shared/a', 'v1', img);
  serveImage(fake, 'shared/b', 'v1', img);
  const target = img.layers[0]?.digest as string;
  fake.blobMode = (dg) => (dg === target ? 'slow' : 'ok');
  const first = pull(`${fake.host}/shared/a`, 'v1');
  await sleep(300);
  const second = pull(`${fake.host}/shared/b`, 'v1');
  const [a, b] = await Promise.all([first, second]);
  assert.equal(errorOf(a.text), undefined, a.text);
  assert.equal(errorOf(b.text), undefined, b.text);
  assert.equal(fake.blobGets.filter((g) => g.digest === target).length, 1);
  fake.blobMode = () => 'ok';
});

test('a client that goes away mid-pull leaves nothing behind; the next pull restarts cleanly', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const img = await bigLayerImage(5);
  serveImage(fake, 'gone/img', 'v1', img);
  const target = img.layers[0]?.digest as string;
  fake.blobMode = (dg) => (dg === target ? 'slow' : 'ok');
  const before = storeState(d.dataRoot);
  await new Promise<void>((resolve) => {
    const req = http.request({ socketPath: d.socket, method: 'POST', path: `/images/create?fromImage=${encodeURIComponent(`${fake.host}/gone/img`)}&tag=v1` }, (res) => {
      res.once('data', () => setTimeout(() => {
        req.destroy();
        resolve();
      }, 500));
      res.on('error', () => undefined);
    });
    req.on('error', () => undefined);
    req.end();
  });
  let after = storeState(d.dataRoot);
  for (let i = 0; i < 50 && JSON.stringify(after) !== JSON.stringify(before); i++) {
    await sleep(100);
    after = storeState(d.dataRoot);
  }
  assert.deepEqual(after, before);
  assert.equal(await exists(`${fake.host}/gone/img:v1`), false);
  fake.blobMode = () => 'ok';
  const ok = await pull(`${fake.host}/gone/img`, 'v1');
  assert.equal(errorOf(ok.text), undefined, ok.text);
  assert.equal(await exists(`${fake.host}/gone/img:v1`), true);
});

test('search: the index /v1/search through the API and the CLIs, filters, limits', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  fake.search = (q, n) => ({
    num_results: 3,
    query: q,
    results: [
      { name: 'library/alpha', description: 'The alpha image with a description longer than forty-five characters', star_count: 10, is_official: true, is_automated: false },
      { name: 'someone/beta', description: 'beta', star_count: 2, is_official: false, is_automated: true },
      { name: 'someone/gamma', description: 'gamma', star_count: 0, is_official: false, is_automated: false },
    ].slice(0, n),
  });
  const r = await d.request('GET', `/images/search?term=${encodeURIComponent(`${fake.host}/a`)}`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json<{ name: string }[]>().map((x) => x.name), ['library/alpha', 'someone/beta', 'someone/gamma']);
  assert.deepEqual(Object.keys(r.json<object[]>()[0] as object).sort(), ['description', 'is_automated', 'is_official', 'name', 'star_count']);
  const off = await d.request('GET', `/images/search?term=${encodeURIComponent(`${fake.host}/a`)}&filters=${encodeURIComponent('{"is-official":["true"]}')}`);
  assert.deepEqual(off.json<{ name: string }[]>().map((x) => x.name), ['library/alpha']);
  const stars = await d.request('GET', `/images/search?term=${encodeURIComponent(`${fake.host}/a`)}&filters=${encodeURIComponent('{"stars":["2"]}')}`);
  assert.deepEqual(stars.json<{ name: string }[]>().map((x) => x.name), ['library/alpha', 'someone/beta']);
  const bad = await d.request('GET', `/images/search?term=x&filters=${encodeURIComponent('{"nope":["1"]}')}`);
  assert.equal(bad.status, 400);
  assert.equal(bad.json<{ message: string }>().message, "invalid filter 'nope'");
  const lim = await d.request('GET', '/images/search?term=x&limit=101');
  assert.equal(lim.status, 400);
  assert.equal(lim.json<{ message: string }>().message, 'limit 101 is outside the range of [1, 100]');
  const cli = await d.berth(['search', '--limit', '2', `${fake.host}/a`]);
  assert.equal(cli.code, 0, cli.stderr);
  const lines = cli.stdout.trimEnd().split('\n');
  assert.match(lines[0] ?? '', /^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL$/);
  assert.match(lines[1] ?? '', /^library\/alpha\s+The alpha image with a description longer th…\s+10\s+\[OK\]$/);
  assert.equal(lines.length, 3);
  if (hasDocker()) {
    const dk = await d.docker(['search', '--format', '{{.Name}}:{{.StarCount}}', `${fake.host}/a`]);
    assert.equal(dk.code, 0, dk.stderr);
    assert.equal(dk.stdout, 'library/alpha:10\nsomeone/beta:2\nsomeone/gamma:0\n');
  }
});

test('registry-mirrors: docker.io images come from the mirror (and nothing reaches the internet)', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const img = buildImage([{ tar: await makeTar([{ name: 'mirrored', data: 'from the mirror\n' }]), compression: 'gzip' }]);
  const digest = serveImage(fake, 'library/mirrored', 'latest', img);
  const m = await startDaemon({ env: NO_INTERNET_ENV, config: { 'registry-mirrors': [`http://${fake.host}`] } });
  try {
    const r = await m.request('POST', '/images/create?fromImage=mirrored&tag=latest');
    assert.equal(r.status, 200, r.text);
    assert.equal(errorOf(r.text), undefined, r.text);
    assert.match(r.text, /"Pulling from library\/mirrored"/);
    assert.match(r.text, /Status: Downloaded newer image for mirrored:latest/);
    const info = (await m.request('GET', '/images/mirrored/json')).json<{ Id: string; RepoTags: string[]; RepoDigests: string[] }>();
    assert.equal(info.Id, img.configDigest);
    assert.deepEqual(info.RepoTags, ['mirrored:latest']);
    assert.deepEqual(info.RepoDigests, [`mirrored@${digest}`]);
    // not on the mirror: falls through to Docker Hub, which the closed-port proxy refuses
    const miss = await m.request('POST', '/images/create?fromImage=not-mirrored&tag=latest');
    assert.notEqual(miss.status, 200);
    assert.match(miss.json<{ message: string }>().message, /registry-1\.docker\.io/);
    // login to Docker Hub never hands the credentials to a mirror (moby's Auth skips mirrors)
    const before = fake.requests.length;
    const login = await m.request('POST', '/auth', { body: { username: 'hubuser', password: 'hub-secret', serveraddress: 'https://index.docker.io/v1/' } });
    assert.notEqual(login.status, 200);
    assert.deepEqual(fake.requests.slice(before).filter((r) => r.authorization !== undefined), []);
    assert.ok(fake.requests.every((r) => !String(r.authorization ?? '').includes(Buffer.from('hubuser:hub-secret').toString('base64'))));
  } finally {
    await m.cleanup();
  }
});

test('a stored blob under another parent chain is unpacked from the store, not downloaded again', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const base = await makeTar([{ name: 'base', data: 'base\n' }]);
  const shared = await makeTar([{ name: 'shared', data: 'shared layer\n' }]);
  const a = buildImage([{ tar: base, compression: 'gzip' }, { tar: shared, compression: 'gzip' }]);
  const b = buildImage([{ tar: shared, compression: 'gzip' }], { os: 'linux', architecture: 'amd64' }, ['cat', '/shared']);
  serveImage(fake, 'reuse/a', 'v1', a);
  serveImage(fake, 'reuse/b', 'v1', b);
  const host = fake.host;
  assert.equal((await pull(`${host}/reuse/a`, 'v1')).status, 200);
  const sharedDigest = a.layers[1]?.digest ?? '';
  const getsBefore = fake.blobGets.filter((g) => g.digest === sharedDigest).length;
  assert.equal(getsBefore, 1);
  const r = await pull(`${host}/reuse/b`, 'v1');
  assert.equal(r.status, 200, r.text);
  assert.equal(errorOf(r.text), undefined, r.text);
  assert.equal(fake.blobGets.filter((g) => g.digest === sharedDigest).length, 1, 'the shared blob was not fetched again');
  // b's only layer: its chain ID is its diff ID
  const chain = (b.layers[0]?.diffId ?? '').slice('sha256:'.length);
  assert.equal(fs.readFileSync(`${d.dataRoot}/layers/${chain}/diff/shared`, 'utf8'), 'shared layer\n');
  assert.deepEqual(storeState(d.dataRoot).tmp.filter((n) => n.startsWith('unpack-')), []);
});
