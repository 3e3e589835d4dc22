// berthd basics: start-up, /_ping, version negotiation, errors, the data-root lock, signals.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, need, isRoot, run, importBusybox, hasDocker, BERTHD, type Daemon } from './harness.js';

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
  fs.writeFileSync(cfg, JSON.stringify({ 'log-driver': 'syslogx' }));
  const r4 = await run(BERTHD, ['--config-file', cfg, '--validate']);
  assert.equal(r4.code, 1);
  assert.match(r4.stderr, /failed to set log opts: logger: no log driver named 'syslogx' is registered/);
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

test('daemon log-driver and log-opts are the default of containers that name no driver (merged as dockerd)', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const d2 = await startDaemon({ config: { 'log-driver': 'local', 'log-opts': { 'max-size': '1m', 'max-file': '2' } } });
  try {
    await importBusybox(d2);
    const logConfig = async (args: string[]): Promise<unknown> => {
      const c = await d2.berth(['create', ...args, 'busybox', 'echo', 'hi']);
      assert.equal(c.code, 0, c.stderr);
      return (await d2.request('GET', `/containers/${c.stdout.trim()}/json`)).json().HostConfig.LogConfig;
    };
    assert.deepEqual(await logConfig([]), { Type: 'local', Config: { 'max-size': '1m', 'max-file': '2' } });
    assert.deepEqual(await logConfig(['--log-opt', 'max-size=5m']), { Type: 'local', Config: { 'max-size': '5m', 'max-file': '2' } });
    assert.deepEqual(await logConfig(['--log-driver', 'json-file']), { Type: 'json-file', Config: {} });
    // the daemon's default, seen through the docker CLI as well; logs still read back
    const run1 = await (hasDocker() ? d2.docker(['run', '--name', 'dl', 'busybox', 'echo', 'from local']) : d2.berth(['run', '--name', 'dl', 'busybox', 'echo', 'from local']));
    assert.equal(run1.code, 0, run1.stderr);
    assert.equal((await d2.berth(['inspect', '-f', '{{.HostConfig.LogConfig.Type}}', 'dl'])).stdout, 'local\n');
    assert.equal((await d2.berth(['logs', 'dl'])).stdout, 'from local\n');
  } finally {
    await d2.cleanup();
  }
});
