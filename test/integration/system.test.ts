// System routes through raw HTTP and the real docker CLI: version, info, events, SIGHUP reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, need, isRoot, hasDocker, sleep, type Daemon } from './harness.js';

let d: Daemon;
before(async () => {
  if (!isRoot()) return;
  d = await startDaemon({ config: { labels: ['tier=test'], 'log-level': 'info' } });
});
after(async () => d?.cleanup());

test('docker version and docker info work against berthd', async (t) => {
  if (!need(t, isRoot(), 'root') || !need(t, hasDocker(), 'docker CLI')) return;
  const v = await d.docker(['version', '--format', '{{.Server.Version}} {{.Server.APIVersion}} {{.Server.Os}}']);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.stdout.trim(), '0.1.0 1.50 linux');
  const info = await d.docker(['info', '--format', '{{.Driver}}|{{.DockerRootDir}}|{{.CgroupVersion}}|{{json .Labels}}|{{.LiveRestoreEnabled}}']);
  assert.equal(info.code, 0, info.stderr);
  const [driver, root, cg, labels, live] = info.stdout.trim().split('|');
  assert.equal(driver, 'overlay2');
  assert.equal(root, d.dataRoot);
  assert.match(cg ?? '', /^[12]$/);
  assert.deepEqual(JSON.parse(labels ?? '[]'), ['tier=test']);
  assert.equal(live, 'true');
  const plain = await d.docker(['info']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /Storage Driver: overlay2/);
});

test('/info reports real host figures', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const info = (await d.request('GET', '/info')).json();
  assert.ok(info.NCPU >= 1);
  assert.ok(info.MemTotal > 0);
  assert.equal(info.OSType, 'linux');
  assert.equal(info.KernelVersion, fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
  assert.equal(typeof info.Images, 'number');
  assert.equal(typeof info.Containers, 'number');
});

test('events: since/until replay, filters, and a bad filter is a 400', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const since = Math.floor(Date.now() / 1000) - 5;
  // A reload produces a daemon event we can look for.
  process.kill(d.pid ?? 0, 'SIGHUP');
  await sleep(300);
  const until = Math.floor(Date.now() / 1000) + 1;
  const r = await d.request('GET', `/events?since=${since}&until=${until}&filters=${encodeURIComponent(JSON.stringify({ type: ['daemon'] }))}`);
  assert.equal(r.status, 200);
  const evs = r.text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.ok(evs.some((e) => e.Type === 'daemon' && e.Action === 'reload'), r.text);
  for (const e of evs) {
    assert.equal(e.Type, 'daemon');
    assert.equal(typeof e.timeNano, 'number');
    assert.equal(e.scope, 'local');
  }
  const bad = await d.request('GET', `/events?filters=${encodeURIComponent('{"nope":["x"]}')}`);
  assert.equal(bad.status, 400);
  assert.equal(bad.json().message, "invalid filter 'nope'");
  const badJson = await d.request('GET', `/events?filters=${encodeURIComponent('{not json')}`);
  assert.equal(badJson.status, 400);
});

test('docker events --since/--until prints daemon events', async (t) => {
  if (!need(t, isRoot(), 'root') || !need(t, hasDocker(), 'docker CLI')) return;
  const r = await d.docker(['events', '--since', '10m', '--until', '0s', '--filter', 'type=daemon', '--format', '{{.Type}} {{.Action}}']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /daemon start/);
});

test('SIGHUP reloads labels and log level from the config file', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  fs.writeFileSync(path.join(d.root, 'daemon.json'), JSON.stringify({ labels: ['tier=reloaded'], 'log-level': 'debug' }));
  process.kill(d.pid ?? 0, 'SIGHUP');
  let info: { Labels: string[]; Debug: boolean } = { Labels: [], Debug: false };
  for (let i = 0; i < 40; i++) {
    info = (await d.request('GET', '/info')).json();
    if (info.Labels[0] === 'tier=reloaded') break;
    await sleep(50);
  }
  assert.deepEqual(info.Labels, ['tier=reloaded']);
  assert.equal(info.Debug, true);
  // A broken file keeps the running configuration.
  fs.writeFileSync(path.join(d.root, 'daemon.json'), '{"labels": [');
  process.kill(d.pid ?? 0, 'SIGHUP');
  await sleep(200);
  assert.deepEqual((await d.request('GET', '/info')).json().Labels, ['tier=reloaded']);
  assert.equal((await d.request('GET', '/_ping')).status, 200);
});

test('errors are Docker-shaped: exact JSON content type, so the docker CLI prints the message', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const r = await d.request('GET', '/images/nope/json');
  assert.equal(r.status, 404);
  assert.equal(r.headers['content-type'], 'application/json');
  assert.deepEqual(r.json(), { message: 'No such image: nope:latest' });
  if (!need(t, hasDocker(), 'docker CLI')) return;
  const rmi = await d.docker(['rmi', 'nope']);
  assert.equal(rmi.code, 1);
  assert.equal(rmi.stderr.trim(), 'Error response from daemon: No such image: nope:latest');
});
