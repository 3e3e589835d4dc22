import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vethLines, type VethPlan } from './netns.js';
import { parkHere, Spawner } from './spawner.js';

const plan = (o: Partial<VethPlan> = {}): VethPlan => ({
  hostVeth: 'veth1234567',
  ifname: 'eth0',
  bridge: 'br-x',
  mtu: 1500,
  mac: '02:42:0a:d5:29:02',
  ip: '10.213.41.2',
  prefix: 24,
  ip6: '',
  prefix6: 0,
  gateway: '10.213.41.1',
  gateway6: '',
  ...o,
});

test('vethLines: one batch run inside the netns creates the host end in the daemon netns, enslaved and up', () => {
  const lines = vethLines([plan()], { hostNs: '/proc/1/ns/net', bridgeIndex: () => 7 });
  assert.deepEqual(lines, [
    'link set lo up',
    'link add veth1234567 mtu 1500 master if7 up netns /proc/1/ns/net type veth peer name eth0 mtu 1500 address 02:42:0a:d5:29:02',
    'addr add 10.213.41.2/24 dev eth0',
    'link set eth0 up',
    'route add default via 10.213.41.1 dev eth0',
  ]);
});

test('vethLines: IPv6 address without DAD, default routes via the first endpoint with a gateway only', () => {
  const eps = [
    plan({ gateway: '', bridge: 'br-int' }),
    plan({ hostVeth: 'vethb', ifname: 'eth1', bridge: 'br-6', mac: '02:42:0a:d5:31:02', ip: '10.213.49.2', ip6: 'fd42:213:49::2', prefix6: 64, gateway: '10.213.49.1', gateway6: 'fd42:213:49::1' }),
    plan({ hostVeth: 'vethc', ifname: 'eth2', bridge: 'br-z', ip: '10.213.50.2', gateway: '10.213.50.1' }),
  ];
  const idx: Record<string, number> = { 'br-int': 3, 'br-6': 4, 'br-z': 5 };
  const lines = vethLines(eps, { hostNs: '/proc/9/ns/net', bridgeIndex: (b) => idx[b] ?? 0 });
  assert.ok(lines.includes('addr add fd42:213:49::2/64 dev eth1 nodad'));
  assert.deepEqual(lines.filter((l) => l.startsWith('route')), ['route add default via 10.213.49.1 dev eth1', 'route add ::/0 via fd42:213:49::1 dev eth1']);
  assert.deepEqual(lines.filter((l) => l.startsWith('link add')).map((l) => /master (if\d+)/.exec(l)?.[1]), ['if3', 'if4', 'if5']);
});

test('vethLines: connecting to a live netns adds no lo line and no second default route', () => {
  const lines = vethLines([plan()], { hostNs: '/proc/1/ns/net', bridgeIndex: () => 7, lo: false, routed: true });
  assert.equal(lines[0]?.startsWith('link add'), true);
  assert.equal(lines.some((l) => l.startsWith('route')), false);
});

test('spawner: runs with input off the main thread; parks a child and feeds it later; reports early exits', async () => {
  const s = new Spawner(100);
  try {
    const r = await s.run('sh', ['-c', 'cat; echo err >&2; exit 3'], { input: 'hello' });
    assert.deepEqual(r, { code: 3, stdout: 'hello', stderr: 'err\n' });
    const missing = await s.run('/nonexistent/tool', []);
    assert.equal(missing.code, -1);
    assert.match(missing.stderr, /ENOENT/);
    const p = await s.park('sh', ['-c', 'read x; echo "got $x"']);
    assert.ok(p && p.pid > 0);
    assert.deepEqual(await p.feed('it\n'), { code: 0, stdout: 'got it\n', stderr: '' });
    await assert.rejects(p.feed(''), /already fed/);
    const early = await s.park('sh', ['-c', 'exit 5']);
    assert.ok(early);
    await new Promise<void>((resolve) => early.onExit(resolve));
    assert.equal((await early.feed('')).code, 5);
    assert.equal(await s.park('/nonexistent/tool', []), undefined);
  } finally {
    await s.close();
  }
});

test('spawner: inline runs (daemon start-up) start no worker; the worker starts after setInline(false) and ends when idle', async () => {
  const s = new Spawner(50);
  try {
    s.setInline(true);
    assert.deepEqual(await s.run('sh', ['-c', 'cat; echo err >&2; exit 3'], { input: 'hello' }), { code: 3, stdout: 'hello', stderr: 'err\n' });
    assert.deepEqual(await s.run('sh', ['-c', 'echo "$X"'], { env: { X: 'from-env' } }), { code: 0, stdout: 'from-env\n', stderr: '' });
    const missing = await s.run('/nonexistent/tool', []);
    assert.equal(missing.code, -1);
    assert.match(missing.stderr, /ENOENT/);
    assert.equal((await s.run('sleep', ['5'], { timeoutMs: 50 })).code, 137);
    assert.equal(s.workerRunning, false);
    s.setInline(false);
    assert.equal((await s.run('true', [])).code, 0);
    assert.equal(s.workerRunning, true);
    for (let i = 0; i < 100 && s.workerRunning; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(s.workerRunning, false);
  } finally {
    await s.close();
  }
});

test('parkHere: a child parked from this thread, fed once; an early exit is reported', async () => {
  const p = await parkHere('sh', ['-c', 'read x; echo "got $x" >&2; exit 4']);
  assert.ok(p && p.pid > 0);
  assert.deepEqual(await p.feed('it\n'), { code: 4, stdout: '', stderr: 'got it\n' });
  await assert.rejects(p.feed(''), /already fed/);
  const early = await parkHere('sh', ['-c', 'exit 6']);
  assert.ok(early);
  await new Promise<void>((resolve) => early.onExit(resolve));
  assert.equal((await early.feed('')).code, 6);
  assert.equal(await parkHere('/nonexistent/tool', []), undefined);
});
