// Volumes and mounts through the API, `berth` and the real docker CLI: named and anonymous
// volumes, binds (created for -v, refused for --mount), --mount keys, tmpfs, --volumes-from,
// copy-up of image content (owners and modes kept, not with nocopy), image VOLUMEs, rm -v and
// --rm, prune, ls filters, df, and Docker's errors for bad input with nothing created.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startDaemon, importBusybox, busyboxTar, need, isRoot, hasDocker, type Daemon } from './harness.js';

let d: Daemon | undefined;
const scratch: string[] = [];

/** busybox + /seed (owned 1234:5678, modes 0750/0640, a symlink) with VOLUME /seed. */
async function importSeedImage(dm: Daemon): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-seed-'));
  scratch.push(dir);
  const root = path.join(dir, 'rootfs');
  fs.mkdirSync(root);
  assert.equal(spawnSync('tar', ['-xf', busyboxTar(), '-C', root]).status, 0);
  const seed = path.join(root, 'seed');
  fs.mkdirSync(path.join(seed, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(seed, 'hello.txt'), 'from the image\n');
  fs.writeFileSync(path.join(seed, 'sub', 'deep.txt'), 'deep\n');
  fs.symlinkSync('hello.txt', path.join(seed, 'link'));
  fs.chownSync(path.join(seed, 'hello.txt'), 1234, 5678);
  fs.chmodSync(path.join(seed, 'hello.txt'), 0o640);
  fs.chownSync(path.join(seed, 'sub'), 1234, 5678);
  fs.chmodSync(path.join(seed, 'sub'), 0o750);
  fs.chownSync(seed, 42, 43);
  fs.chmodSync(seed, 0o711);
  const tarFile = path.join(dir, 'seed.tar');
  assert.equal(spawnSync('tar', ['--numeric-owner', '-C', root, '-cf', tarFile, '.']).status, 0);
  const changes = ['CMD ["sh"]', 'VOLUME /seed'].map((c) => `changes=${encodeURIComponent(c)}`).join('&');
  const r = await dm.request('POST', `/images/create?fromSrc=-&repo=seed&tag=latest&${changes}`, { body: fs.createReadStream(tarFile), headers: { 'content-type': 'application/x-tar' } });
  assert.equal(r.status, 200, r.text);
  assert.doesNotMatch(r.text, /"error"/);
}

before(async () => {
  if (!isRoot()) return;
  d = await startDaemon();
  await importBusybox(d);
  await importSeedImage(d);
});
after(async () => {
  if (process.env['VOL_DEBUG']) process.stderr.write(d?.log().split('\n').filter((l) => /"level":(40|50|60)|containers\/create|"statusCode":404/.test(l)).slice(-30).join('\n') ?? '');
  await d?.cleanup();
  for (const s of scratch) fs.rmSync(s, { recursive: true, force: true });
});

function daemon(t: import('node:test').TestContext): Daemon | undefined {
  if (!need(t, isRoot(), 'root')) return undefined;
  return d;
}

async function volumeNames(dm: Daemon): Promise<string[]> {
  const r = await dm.request('GET', '/volumes');
  assert.equal(r.status, 200, r.text);
  return r.json<{ Volumes: { Name: string }[] }>().Volumes.map((v) => v.Name).sort();
}

async function containerCount(dm: Daemon): Promise<number> {
  const r = await dm.request('GET', '/containers/json?all=1');
  return r.json<unknown[]>().length;
}

test('volume API: create, inspect (Docker shape), list filters, remove, 404s', async (t) => {
  const dm = daemon(t);
  if (!dm) return;
  const c = await dm.request('POST', '/volumes/create', { body: { Name: 'api-vol', Labels: { team: 'a' }, DriverOpts: {} } });
  assert.equal(c.status, 201, c.text);
  const v = c.json<Record<string, unknown>>();
  assert.deepEqual(Object.keys(v).sort(), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
  assert.equal(v['Driver'], 'local');
  assert.equal(v['Scope'], 'local');
  assert.equal(v['Mountpoint'], path.join(dm.dataRoot, 'volumes/api-vol/_data'));
  assert.match(String(v['CreatedAt']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(fs.statSync(String(v['Mountpoint'])).isDirectory());
  // create again: the same volume back (Docker's create is idempotent)
  const again = await dm.request('POST', '/volumes/create', { body: { Name: 'api-vol' } });
  assert.equal(again.status, 201);
  assert.equal(again.json<{ CreatedAt: string }>().CreatedAt, v['CreatedAt']);
  const i = await dm.request('GET', '/volumes/api-vol');
  assert.equal(i.status, 200);
  assert.deepEqual(i.json<{ Labels: unknown }>().Labels, { team: 'a' });

  const byLabel = await dm.request('GET', `/volumes?filters=${encodeURIComponent(JSON.stringify({ label: ['team=a'] }))}`);
  assert.deepEqual(byLabel.json<{ Volumes: { Name: string }[] }>().Volumes.map((x) => x.Name), ['api-vol']);
  const byName = await dm.request('GET', `/volumes?filters=${encodeURIComponent(JSON.stringify({ name: ['api-'] }))}`);
  assert.deepEqual(byName.json<{ Volumes: { Name: string }[] }>().Volumes.map((x) => x.Name), ['api-vol']);
  const dangling = await dm.request('GET', `/volumes?filters=${encodeURIComponent(JSON.stringify({ dangling: ['true'] }))}`);
  assert.ok(dangling.json<{ Volumes: { Name: string }[] }>().Volumes.some((x) => x.Name === 'api-vol'));
  const badFilter = await dm.request('GET', `/volumes?filters=${encodeURIComponent(JSON.stringify({ color: ['red'] }))}`);
  assert.equal(badFilter.status, 400);
  assert.equal(badFilter.json<{ message: string }>().message, "invalid filter 'color'");

  const missing = await dm.request('GET', '/volumes/nope-nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.json<{ message: string }>().message, 'get nope-nope: no such volume');
  const rmMissing = await dm.request('DELETE', '/volumes/nope-nope');
  assert.equal(rmMissing.status, 404);
  assert.equal((await dm.request('DELETE', '/volumes/nope-nope?force=1')).status, 204);
  const rm = await dm.request('DELETE', '/volumes/api-vol');
  assert.equal(rm.status, 204, rm.text);
  assert.equal(fs.existsSync(path.join(dm.dataRoot, 'volumes/api-vol')), false);
});

test('bad input: Docker status and message, nothing created', async (t) => {
  const dm = daemon(t);
  if (!dm) return;
  const vols = await volumeNames(dm);
  const ctrs = await containerCount(dm);
  const dirs = fs.readdirSync(path.join(dm.dataRoot, 'volumes')).sort();
  const cases: { body: Record<string, unknown>; message: string }[] = [
    { body: { HostConfig: { Mounts: [{ Type: 'bind', Source: 'relative/dir', Target: '/x' }] } }, message: `invalid mount config for type "bind": invalid mount path: 'relative/dir' mount path must be absolute` },
    { body: { HostConfig: { Mounts: [{ Type: 'bind', Source: '/nonexistent/berth-test', Target: '/x' }] } }, message: 'invalid mount config for type "bind": bind source path does not exist: /nonexistent/berth-test' },
    { body: { HostConfig: { Mounts: [{ Type: 'volume', Source: 'good-one', Target: '/' }] } }, message: `invalid mount config for type "volume": invalid specification: destination can't be '/'` },
    { body: { HostConfig: { Binds: ['/tmp:/'] } }, message: `invalid volume specification: '/tmp:/': invalid mount config for type "bind": invalid specification: destination can't be '/'` },
    { body: { HostConfig: { Binds: ['good-two:/a', 'bad*name:/b'] } }, message: `create bad*name: "bad*name" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path` },
    { body: { HostConfig: { Mounts: [{ Type: 'volume', Source: 'good-three', Target: '/a', VolumeOptions: { DriverConfig: { Name: 'local', Options: { colour: 'blue' } } } }] } }, message: 'create good-three: invalid option: "colour"' },
    { body: { HostConfig: { Binds: ['v-a:/same', 'v-b:/same'] } }, message: 'Duplicate mount point: /same' },
    { body: { HostConfig: { Binds: ['v-a:/x:rw,ro'] } }, message: 'invalid mode: rw,ro' },
    { body: { HostConfig: { VolumesFrom: ['no-such-container'] } }, message: 'No such container: no-such-container' },
  ];
  for (const c of cases) {
    const r = await dm.request('POST', '/containers/create', { body: { Image: 'busybox', Cmd: ['true'], ...c.body } });
    assert.equal(r.status, 400, `${JSON.stringify(c.body)}: ${r.text}`);
    assert.equal(r.json<{ message: string }>().message, c.message);
  }
  const bad = await dm.request('POST', '/volumes/create', { body: { Name: 'x/y' } });
  assert.equal(bad.status, 400);
  assert.match(bad.json<{ message: string }>().message, /^create x\/y: "x\/y" includes invalid characters for a local volume name/);
  const badOpt = await dm.request('POST', '/volumes/create', { body: { Name: 'opt-vol', DriverOpts: { foo: 'bar' } } });
  assert.equal(badOpt.status, 400);
  assert.equal(badOpt.json<{ message: string }>().message, 'create opt-vol: invalid option: "foo"');
  const missingDev = await dm.request('POST', '/volumes/create', { body: { Name: 'opt-vol', DriverOpts: { type: 'tmpfs' } } });
  assert.equal(missingDev.status, 400);
  assert.equal(missingDev.json<{ message: string }>().message, 'create opt-vol: missing required option: "device"');
  const noPlugin = await dm.request('POST', '/volumes/create', { body: { Name: 'pv', Driver: 'no-such-plugin' } });
  assert.equal(noPlugin.status, 404);
  assert.equal(noPlugin.json<{ message: string }>().message, 'create pv: error looking up volume plugin no-such-plugin: plugin "no-such-plugin" not found');
  assert.deepEqual(await volumeNames(dm), vols);
  assert.equal(await containerCount(dm), ctrs);
  assert.deepEqual(fs.readdirSync(path.join(dm.dataRoot, 'volumes')).sort(), dirs);
});

test('docker CLI: volume create/ls/inspect, run -v and --mount, rm while in use is 409, bad input', async (t) => {
  const dm = daemon(t);
  if (!dm || !need(t, hasDocker(), 'docker CLI')) return;
  const c = await dm.docker(['volume', 'create', '--label', 'k=v', 'dv']);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(c.stdout, 'dv\n');
  const w = await dm.docker(['run', '--rm', '-v', 'dv:/data', 'busybox', 'sh', '-c', 'echo persisted > /data/f']);
  assert.equal(w.code, 0, w.stderr);
  const r = await dm.docker(['run', '--rm', '--mount', 'type=volume,source=dv,target=/mnt,readonly', 'busybox', 'sh', '-c', 'cat /mnt/f; touch /mnt/g 2>&1 || echo ro']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^persisted\n.*Read-only file system\nro\n$/s);
  const ls = await dm.docker(['volume', 'ls', '--filter', 'label=k=v', '--format', '{{.Driver}} {{.Name}} {{.Label "k"}}']);
  assert.equal(ls.stdout, 'local dv v\n');
  const insp = await dm.docker(['volume', 'inspect', '-f', '{{.Mountpoint}}', 'dv']);
  assert.equal(insp.stdout.trim(), path.join(dm.dataRoot, 'volumes/dv/_data'));

  const run = await dm.docker(['run', '-d', '--name', 'holder', '-v', 'dv:/data', 'busybox', 'sleep', '300']);
  assert.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  const inUse = await dm.docker(['volume', 'rm', 'dv']);
  assert.equal(inUse.code, 1);
  assert.equal(inUse.stderr, `Error response from daemon: remove dv: volume is in use - [${id}]\n`);
  const api = await dm.request('DELETE', '/volumes/dv');
  assert.equal(api.status, 409);
  const mounts = await dm.docker(['inspect', '-f', '{{json .Mounts}}', 'holder']);
  assert.deepEqual(JSON.parse(mounts.stdout), [{ Type: 'volume', Name: 'dv', Source: path.join(dm.dataRoot, 'volumes/dv/_data'), Destination: '/data', Driver: 'local', Mode: 'z', RW: true, Propagation: '' }]);
  assert.equal((await dm.docker(['rm', '-f', 'holder'])).code, 0);
  const rm = await dm.docker(['volume', 'rm', 'dv']);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(rm.stdout, 'dv\n');

  // bad input through the CLI
  const rel = await dm.docker(['run', '--rm', '--mount', 'type=bind,source=rel,target=/x', 'busybox', 'true']);
  assert.equal(rel.code, 125);
  assert.match(rel.stderr, /invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute/);
  const root = await dm.docker(['run', '--rm', '-v', 'dv2:/', 'busybox', 'true']);
  assert.equal(root.code, 125);
  assert.match(root.stderr, /destination can't be '\/'/);
  const opt = await dm.docker(['volume', 'create', '-o', 'nope=1', 'dv3']);
  assert.equal(opt.code, 1);
  assert.equal(opt.stderr, 'Error response from daemon: create dv3: invalid option: "nope"\n');
  assert.ok(!(await volumeNames(dm)).some((n) => n === 'dv2' || n === 'dv3'));
});

test('berth CLI: volume commands and run -v', async (t) => {
  const dm = daemon(t);
  if (!dm) return;
  assert.equal((await dm.berth(['volume', 'create', 'bv'])).stdout, 'bv\n');
  const w = await dm.berth(['run', '--rm', '-v', 'bv:/d', 'busybox', 'sh', '-c', 'echo b > /d/x']);
  assert.equal(w.code, 0, w.stderr);
  const ls = await dm.berth(['volume', 'ls', '-q', '--filter', 'name=bv']);
  assert.equal(ls.stdout, 'bv\n');
  const table = await dm.berth(['volume', 'ls', '--filter', 'name=bv']);
  assert.match(table.stdout, /^DRIVER\s+VOLUME NAME\nlocal\s+bv\n$/);
  const i = await dm.berth(['volume', 'inspect', 'bv']);
  assert.equal(JSON.parse(i.stdout)[0].Name, 'bv');
  const miss = await dm.berth(['volume', 'inspect', 'nope-x']);
  assert.equal(miss.code, 1);
  assert.match(miss.stderr, /get nope-x: no such volume/);
  const bad = await dm.berth(['volume', 'create', 'a:b']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /includes invalid characters for a local volume name/);
  assert.equal((await dm.berth(['volume', 'rm', 'bv'])).stdout, 'bv\n');
});

test('copy-up: image content (owners, modes, symlinks) fills a fresh volume; nocopy and non-empty volumes are left alone', async (t) => {
  const dm = daemon(t);
  if (!dm) return;
  const r = await dm.berth(['run', '--rm', '-v', 'seeded:/seed', 'seed', 'sh', '-c', 'stat -c "%n %u:%g %a" /seed /seed/hello.txt /seed/sub; readlink /seed/link; cat /seed/sub/deep.txt']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '/seed 42:43 711\n/seed/hello.txt 1234:5678 640\n/seed/sub 1234:5678 750\nhello.txt\ndeep\n');
  const host = path.join(dm.dataRoot, 'volumes/seeded/_data');
  const st = fs.statSync(path.join(host, 'hello.txt'));
  assert.equal(st.uid, 1234);
  assert.equal(st.mode & 0o777, 0o640);
  // a volume with content is not overwritten
  fs.writeFileSync(path.join(host, 'hello.txt'), 'changed\n');
  fs.rmSync(path.join(host, 'sub'), { recursive: true });
  const again = await dm.berth(['run', '--rm', '-v', 'seeded:/seed', 'seed', 'sh', '-c', 'cat /seed/hello.txt; ls /seed']);
  assert.equal(again.stdout, 'changed\nhello.txt\nlink\n');
  // nocopy
  const nc = await dm.berth(['run', '--rm', '-v', 'nocopy-vol:/seed:nocopy', 'seed', 'ls', '-A', '/seed']);
  assert.equal(nc.code, 0, nc.stderr);
  assert.equal(nc.stdout, '');
  const nc2 = await dm.docker(['run', '--rm', '--mount', 'type=volume,src=nocopy-vol2,dst=/seed,volume-nocopy', 'seed', 'ls', '-A', '/seed']);
  assert.equal(nc2.stdout, '');
  for (const v of ['seeded', 'nocopy-vol', 'nocopy-vol2']) assert.equal((await dm.request('DELETE', `/volumes/${v}`)).status, 204);
});

test('image VOLUME: an anonymous volume per container, copied up; rm -v and --rm remove it, named volumes stay', async (t) => {
  const dm = daemon(t);
  if (!dm) return;
  const before = await volumeNames(dm);
  const c = await dm.request('POST', '/containers/create?name=anon1', { body: { Image: 'seed', Cmd: ['cat', '/seed/hello.txt'], HostConfig: { Binds: ['keepme:/named'] } } });
  assert.equal(c.status, 201, c.text);
  const id = c.json<{ Id: string }>().Id;
  const insp = (await dm.request('GET', `/containers/${id}/json`)).json<{ Mounts: { Type: string; Name: string; Destination: string; Mode: string }[] }>();
  const anon = insp.Mounts.find((m) => m.Destination === '/seed');
  assert.ok(anon, JSON.stringify(insp.Mounts));
  assert.match(anon.Name, /^[0-9a-f]{64}$/);
  const vi = (await dm.request('GET', `/volumes/${anon.Name}`)).json<{ Labels: Record<string, string> }>();
  assert.deepEqual(vi.Labels, { 'com.docker.volume.anonymous': '' });
  assert.equal((await dm.request('POST', `/containers/${id}/start`)).status, 204);
  const w = await dm.request('POST', `/containers/${id}/wait`);
  assert.equal(w.json<{ StatusCode: number }>().StatusCode, 0);
  assert.equal(fs.readFileSync(path.join(dm.dataRoot, 'volumes', anon.Name, '_data/hello.txt'), 'utf8'), 'from the image\n');
  // rm without -v keeps it; a second container's rm -v removes only anonymous ones
  assert.equal((await dm.request('DELETE', `/containers/${id}`)).status, 204);
  assert.ok((await volumeNames(dm)).includes(anon.Name));
  assert.equal((await dm.request('DELETE', `/volumes/${anon.Name}`)).status, 204);
  const c2 = await dm.request('POST', '/containers/create', { body: { Image: 'seed', Cmd: ['true'], Volumes: { '/extra': {} }, HostConfig: { Binds: ['keepme:/named'] } } });
  const id2 = c2.json<{ Id: string }>().Id;
  assert.equal((await volumeNames(dm)).length, before.length + 3);
  assert.equal((await dm.request('DELETE', `/containers/${id2}?v=1`)).status, 204);
  assert.deepEqual(await volumeNames(dm), [...before, 'keepme'].sort());
  // docker run --rm removes the anonymous volumes too
  const rr = await dm.docker(['run', '--rm', '-v', '/scratch', 'seed', 'sh', '-c', 'echo x > /scratch/y']);
  assert.equal(rr.code, 0, rr.stderr);
  assert.deepEqual(await volumeNames(dm), [...before, 'keepme'].sort());
  assert.equal((await dm.request('DELETE', '/volumes/keepme')).status, 204);
});

test('binds: -v creates a missing host dir, ro, propagation; --mount bind keys; tmpfs via --mount and --tmpfs', async (t) => {
  const dm = daemon(t);
  if (!dm) return;
  const host = path.join(dm.root, 'bind-src');
  const r = await dm.docker(['run', '--rm', '-v', `${host}/made:/m`, 'busybox', 'sh', '-c', 'echo hi > /m/f']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(fs.readFileSync(path.join(host, 'made/f'), 'utf8'), 'hi\n');
  const ro = await dm.docker(['run', '--rm', '-v', `${host}:/m:ro,z`, 'busybox', 'sh', '-c', 'touch /m/g 2>/dev/null || echo readonly; grep " /m " /proc/self/mountinfo']);
  assert.match(ro.stdout, /^readonly\n/);
  assert.match(ro.stdout, / \/m ro,/);
  const m = await dm.docker(['run', '--name', 'slave-bind', '--mount', `type=bind,src=${host},dst=/m,bind-propagation=rslave,readonly`, 'busybox', 'grep', ' /m ', '/proc/self/mountinfo']);
  assert.equal(m.code, 0, m.stderr);
  assert.match(m.stdout, / \/m ro,/);
  const sid = (await dm.docker(['inspect', '-f', '{{.Id}}', 'slave-bind'])).stdout.trim();
  const spec = JSON.parse(fs.readFileSync(path.join(dm.dataRoot, 'containers', sid, 'bundle/config.json'), 'utf8')) as { mounts: { destination: string; options: string[] }[] };
  assert.deepEqual(spec.mounts.find((x) => x.destination === '/m')?.options, ['rbind', 'rslave', 'ro']);
  assert.equal((await dm.docker(['rm', 'slave-bind'])).code, 0);
  const c = await dm.request('POST', '/containers/create', { body: { Image: 'busybox', Cmd: ['true'], HostConfig: { Binds: [`${host}:/b:rshared`], Mounts: [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1777 } }] } } });
  assert.equal(c.status, 201, c.text);
  const insp = (await dm.request('GET', `/containers/${c.json<{ Id: string }>().Id}/json`)).json<{ Mounts: unknown[] }>();
  assert.deepEqual(insp.Mounts, [
    { Type: 'bind', Source: host, Destination: '/b', Mode: 'rshared', RW: true, Propagation: 'rshared' },
    { Type: 'tmpfs', Source: '', Destination: '/t', Mode: '', RW: true, Propagation: '' },
  ]);
  const tm = await dm.docker(['run', '--rm', '--mount', 'type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770', 'busybox', 'sh', '-c', 'stat -c %a /t; grep " /t " /proc/self/mountinfo']);
  assert.equal(tm.code, 0, tm.stderr);
  assert.match(tm.stdout, /^1770\n.* \/t .*tmpfs.*size=1024k/s);
  const tf = await dm.docker(['run', '--rm', '--tmpfs', '/tt:size=2m', 'busybox', 'grep', ' /tt ', '/proc/self/mountinfo']);
  assert.match(tf.stdout, /size=2048k/);
});

test('--volumes-from: same volumes and binds, :ro makes them read-only', async (t) => {
  const dm = daemon(t);
  if (!dm) return;
  const src = await dm.docker(['create', '--name', 'datasrc', '-v', 'shared-vol:/shared', '-v', '/anon', 'busybox', 'true']);
  assert.equal(src.code, 0, src.stderr);
  const w = await dm.docker(['run', '--rm', '--volumes-from', 'datasrc', 'busybox', 'sh', '-c', 'echo via-from > /shared/f; echo a > /anon/f']);
  assert.equal(w.code, 0, w.stderr);
  const ro = await dm.docker(['run', '--rm', '--volumes-from', 'datasrc:ro', 'busybox', 'sh', '-c', 'cat /shared/f /anon/f; touch /shared/g 2>/dev/null || echo readonly']);
  assert.equal(ro.stdout, 'via-from\na\nreadonly\n');
  // --rm of the users did not remove datasrc's anonymous volume
  const i = (await dm.request('GET', '/containers/datasrc/json')).json<{ Mounts: { Name: string; Destination: string }[] }>();
  const anon = i.Mounts.find((m) => m.Destination === '/anon')?.Name ?? '';
  assert.ok((await volumeNames(dm)).includes(anon));
  assert.equal((await dm.docker(['rm', '-v', 'datasrc'])).code, 0);
  assert.ok(!(await volumeNames(dm)).includes(anon));
  assert.equal((await dm.docker(['volume', 'rm', 'shared-vol'])).code, 0);
});

test('prune: anonymous unused volumes by default, --all named too; system df -v shows volumes', async (t) => {
  const dm = daemon(t);
  if (!dm || !need(t, hasDocker(), 'docker CLI')) return;
  const named = await dm.request('POST', '/volumes/create', { body: { Name: 'prune-named' } });
  assert.equal(named.status, 201);
  const anonC = await dm.request('POST', '/containers/create', { body: { Image: 'busybox', Cmd: ['true'], Volumes: { '/a': {} } } });
  const anonId = anonC.json<{ Id: string }>().Id;
  const anonName = (await dm.request('GET', `/containers/${anonId}/json`)).json<{ Mounts: { Name: string }[] }>().Mounts[0]?.Name ?? '';
  assert.equal((await dm.request('DELETE', `/containers/${anonId}`)).status, 204);
  fs.writeFileSync(path.join(dm.dataRoot, 'volumes', anonName, '_data/blob'), Buffer.alloc(4096));
  const df = await dm.docker(['system', 'df', '-v', '--format', '{{json .Volumes}}']);
  assert.equal(df.code, 0, df.stderr);
  const dfVols = JSON.parse(df.stdout) as { Name: string; Size: string; Links: string }[];
  assert.equal(dfVols.find((v) => v.Name === anonName)?.Size, '4.096kB');
  const p = await dm.docker(['volume', 'prune', '-f']);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(p.stdout, `Deleted Volumes:\n${anonName}\n\nTotal reclaimed space: 4.096kB\n`);
  assert.ok((await volumeNames(dm)).includes('prune-named'));
  const pa = await dm.docker(['volume', 'prune', '-af']);
  assert.equal(pa.code, 0, pa.stderr);
  assert.match(pa.stdout, /prune-named/);
  assert.ok(!(await volumeNames(dm)).includes('prune-named'));
});

test('volume subpath mounts a directory inside the volume; volume events are published', async (t) => {
  const dm = daemon(t);
  if (!dm) return;
  const since = Math.floor(Date.now() / 1000) - 1;
  assert.equal((await dm.berth(['run', '--rm', '-v', 'subv:/v', 'busybox', 'sh', '-c', 'mkdir -p /v/inner && echo in > /v/inner/f'])).code, 0);
  const c = await dm.request('POST', '/containers/create', { body: { Image: 'busybox', Cmd: ['cat', '/s/f'], HostConfig: { Mounts: [{ Type: 'volume', Source: 'subv', Target: '/s', VolumeOptions: { Subpath: 'inner' } }] } } });
  assert.equal(c.status, 201, c.text);
  const id = c.json<{ Id: string }>().Id;
  assert.equal((await dm.request('POST', `/containers/${id}/start`)).status, 204);
  assert.equal((await dm.request('POST', `/containers/${id}/wait`)).json<{ StatusCode: number }>().StatusCode, 0);
  const logs = await dm.berth(['logs', id]);
  assert.equal(logs.stdout, 'in\n');
  assert.equal((await dm.request('DELETE', `/containers/${id}`)).status, 204);
  assert.equal((await dm.request('DELETE', '/volumes/subv')).status, 204);
  const until = Math.floor(Date.now() / 1000) + 1;
  const ev = await dm.request('GET', `/events?since=${since}&until=${until}&filters=${encodeURIComponent(JSON.stringify({ type: ['volume'], volume: ['subv'] }))}`);
  const actions = ev.text.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { Action: string }).Action);
  assert.deepEqual([...new Set(actions)].sort(), ['create', 'destroy', 'mount', 'unmount']);
  assert.equal(actions[0], 'create');
  assert.equal(actions.at(-1), 'destroy');
});
