// berthd basics: start-up, /_ping, version negotiation, errors, the data-root lock, signals.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, need, isRoot, run, BERTHD, type Daemon } from './harness.js';

let d: Daemon;
before(async () => {
  if (!isRoot()) return;
  d = await startDaemon();
});
after(async () => d?.cleanup());

test('/_ping answers with the headers the docker CLI reads', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  for (const method of ['GET', 'HEAD']) {
    const r = await d.request(method, '/_ping');
    assert.equal(r.status, 200);
    assert.equal(r.headers['api-version'], '1.50');
    assert.equal(r.headers['ostype'], 'linux');
    assert.equal(r.headers['docker-experimental'], 'false');
    assert.ok(r.headers['builder-version']);
    assert.equal(r.headers['cache-control'], 'no-cache, no-store, must-revalidate');
    assert.equal(r.headers['pragma'], 'no-cache');
    assert.equal(r.text, method === 'GET' ? 'OK' : '');
  }
});

test('version prefix: in range is served, out of range is Docker\'s 400', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  assert.equal((await d.request('GET', '/v1.24/version')).status, 200);
  assert.equal((await d.request('GET', '/v1.50/version')).json().ApiVersion, '1.50');
  const hi = await d.request('GET', '/v1.51/version');
  assert.equal(hi.status, 400);
  assert.deepEqual(hi.json(), { message: 'client version 1.51 is too new. Maximum supported API version is 1.50' });
  const lo = await d.request('GET', '/v1.12/info');
  assert.equal(lo.status, 400);
  assert.match(lo.json().message, /client version 1.12 is too old. Minimum supported API version is 1.24/);
  const nf = await d.request('GET', '/v1.50/nope');
  assert.equal(nf.status, 404);
  assert.deepEqual(nf.json(), { message: 'page not found' });
});

test('a second daemon on the same data root refuses and names the holder', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const r = await run(BERTHD, ['--data-root', d.dataRoot, '--exec-root', path.join(d.root, 'run2'), '-H', `unix://${d.root}/second.sock`, '--pidfile', path.join(d.root, 'second.pid'), '--config-file', path.join(d.root, 'no-daemon.json')], { timeoutMs: 20_000 });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr + r.stdout, new RegExp(`in use by another berthd \\(pid ${d.pid}\\)`));
  assert.ok(!fs.existsSync(path.join(d.root, 'second.sock')));
});

test('bad configuration stops start-up with a clear message', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const cfg = path.join(d.root, 'bad.json');
  fs.writeFileSync(cfg, JSON.stringify({ 'log-level': 'info', 'no-such-key': 1 }));
  const r = await run(BERTHD, ['--config-file', cfg, '--validate']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /the following directives don't match any configuration option: no-such-key/);
  const r2 = await run(BERTHD, ['--no-such-flag']);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /unknown flag: --no-such-flag/);
  fs.writeFileSync(cfg, JSON.stringify({ 'max-concurrent-downloads': 'three' }));
  const r3 = await run(BERTHD, ['--config-file', cfg, '--validate']);
  assert.equal(r3.code, 1);
  assert.match(r3.stderr, /invalid value for "max-concurrent-downloads"/);
});

test('SIGTERM exits 0 and removes the socket and pidfile; restart works', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const code = await d.stop('SIGTERM');
  assert.equal(code, 0);
  assert.ok(!fs.existsSync(d.socket), 'socket removed');
  assert.ok(!fs.existsSync(path.join(d.root, 'berthd.pid')), 'pidfile removed');
  assert.ok(!fs.existsSync(path.join(d.dataRoot, 'berthd.lock')), 'lock released');
  await d.start();
  assert.equal((await d.request('GET', '/_ping')).status, 200);
});
