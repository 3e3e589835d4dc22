// Data in volumes outlives containers and the daemon: container rm, berthd kill -9 + restart
// (the running container is adopted with its volumes still mounted and still referenced), and
// a host reboot simulation (every process and mount of berth gone, daemon restarted). Local
// volumes with mount options (type=tmpfs, type=none,o=bind) are mounted while a container
// uses them and unmounted when the last one stops.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, importBusybox, need, isRoot, sleep, killProcessesUnder, unmountUnder, type Daemon } from './harness.js';

let d: Daemon | undefined;
before(async () => {
  if (!isRoot()) return;
  d = await startDaemon();
  await importBusybox(d);
});
after(async () => {
  await d?.cleanup();
});

const isMounted = (p: string): boolean => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === p);

async function waitFor(what: string, fn: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

async function status(dm: Daemon, id: string): Promise<string> {
  return (await dm.request('GET', `/containers/${id}/json`)).json<{ State: { Status: string } }>().State.Status;
}

test('data survives container rm', async (t) => {
  if (!need(t, isRoot(), 'root') || !d) return;
  assert.equal((await d.berth(['run', '--name', 'w1', '-v', 'keep:/data', 'busybox', 'sh', '-c', 'echo one > /data/a'])).code, 0);
  assert.equal((await d.berth(['rm', '-v', 'w1'])).code, 0);
  const r = await d.berth(['run', '--rm', '-v', 'keep:/data', 'busybox', 'cat', '/data/a']);
  assert.equal(r.stdout, 'one\n');
});

test('kill -9 of berthd and a host reboot simulation: data, references and option mounts survive', async (t) => {
  if (!need(t, isRoot(), 'root') || !d) return;
  const dm = d;
  const bindDev = path.join(dm.root, 'bind-device');
  fs.mkdirSync(bindDev);
  for (const [name, opts] of [['tv', ['type=tmpfs', 'device=tmpfs', 'o=size=8m,uid=1000']], ['bv', ['type=none', 'o=bind', `device=${bindDev}`]]] as const) {
    const c = await dm.docker(['volume', 'create', ...opts.flatMap((o) => ['--opt', o]), name]);
    assert.equal(c.code, 0, c.stderr);
  }
  const tvData = path.join(dm.dataRoot, 'volumes/tv/_data');
  const bvData = path.join(dm.dataRoot, 'volumes/bv/_data');
  assert.equal(isMounted(tvData), false, 'mounted only while used');
  const run = await dm.docker(['run', '-d', '--name', 'long', '-v', 'keep:/data', '-v', 'tv:/t', '-v', 'bv:/b', 'busybox', 'sh', '-c', 'echo two > /data/b; echo tmp > /t/x; echo dev > /b/y; stat -c %u /t > /data/tuid.tmp; mv /data/tuid.tmp /data/tuid; sleep 600']);
  assert.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  await waitFor('writes', () => fs.existsSync(path.join(bindDev, 'y')) && fs.existsSync(path.join(dm.dataRoot, 'volumes/keep/_data/tuid')));
  assert.equal(isMounted(tvData), true);
  assert.equal(isMounted(bvData), true);
  assert.equal(fs.readFileSync(path.join(dm.dataRoot, 'volumes/keep/_data/tuid'), 'utf8'), '1000\n');
  // a second user of the tmpfs volume: stopping it must not unmount the volume under "long"
  assert.equal((await dm.docker(['run', '--rm', '-v', 'tv:/t', 'busybox', 'cat', '/t/x'])).stdout, 'tmp\n');
  assert.equal(isMounted(tvData), true);

  // berthd kill -9 and restart on the same root
  await dm.stop('SIGKILL');
  await dm.start();
  assert.equal(await status(dm, id), 'running');
  const inUse = await dm.request('DELETE', '/volumes/keep');
  assert.equal(inUse.status, 409, inUse.text);
  assert.equal((await dm.docker(['exec', 'long', 'cat', '/data/b', '/t/x', '/b/y'])).stdout, 'two\ntmp\ndev\n');
  assert.equal((await dm.docker(['stop', '-t', '1', 'long'])).code, 0);
  await waitFor('option volumes unmounted at stop', () => !isMounted(tvData) && !isMounted(bvData));
  assert.equal(fs.readFileSync(path.join(bindDev, 'y'), 'utf8'), 'dev\n', 'the bind device keeps its data');
  assert.equal((await dm.docker(['start', 'long'])).code, 0);
  await waitFor('remounted at start', () => isMounted(tvData) && isMounted(bvData));

  // host reboot simulation: daemon, conmon and container processes gone, every mount gone
  await dm.stop('SIGKILL');
  killProcessesUnder(dm.root);
  unmountUnder(dm.root);
  assert.equal(isMounted(tvData), false);
  await dm.start();
  await waitFor('exit recorded', async () => (await status(dm, id)) === 'exited');
  const after = await dm.docker(['run', '--rm', '-v', 'keep:/data', '-v', 'bv:/b', '-v', 'tv:/t', 'busybox', 'sh', '-c', 'cat /data/a /data/b /b/y; ls -A /t']);
  assert.equal(after.code, 0, after.stderr);
  assert.equal(after.stdout, 'one\ntwo\ndev\n', 'local data survives; a tmpfs volume starts empty');
  assert.equal((await dm.docker(['start', 'long'])).code, 0);
  assert.equal((await dm.docker(['exec', 'long', 'cat', '/b/y'])).stdout, 'dev\n');
  assert.equal((await dm.docker(['rm', '-f', 'long'])).code, 0);
  await waitFor('unmounted after rm', () => !isMounted(tvData) && !isMounted(bvData));
  for (const v of ['keep', 'tv', 'bv']) {
    const r = await dm.request('DELETE', `/volumes/${v}`);
    assert.equal(r.status, 204, r.text);
  }
  assert.deepEqual(fs.readdirSync(path.join(dm.dataRoot, 'volumes')), []);
  assert.equal(fs.readFileSync(path.join(bindDev, 'y'), 'utf8'), 'dev\n', 'removing a type=none,o=bind volume leaves the device alone');
});

test('start-up adopts a volume directory without a record and cleans interrupted removals', async (t) => {
  if (!need(t, isRoot(), 'root') || !d) return;
  const dm = d;
  await dm.stop('SIGKILL');
  fs.mkdirSync(path.join(dm.dataRoot, 'volumes/orphan/_data'), { recursive: true });
  fs.writeFileSync(path.join(dm.dataRoot, 'volumes/orphan/_data/f'), 'x');
  fs.mkdirSync(path.join(dm.dataRoot, 'volumes/.trash-gone-1/_data'), { recursive: true });
  await dm.start();
  const r = await dm.request('GET', '/volumes/orphan');
  assert.equal(r.status, 200, r.text);
  assert.equal(fs.existsSync(path.join(dm.dataRoot, 'volumes/.trash-gone-1')), false);
  assert.equal((await dm.request('DELETE', '/volumes/orphan')).status, 204);
});
