// Third-party volume drivers: a small plugin this test serves (node:http on a unix socket in
// berthd's plugins directory) speaking Docker's volume plugin protocol. berthd must activate it,
// create/list/inspect/remove through it, mount it for containers (one Mount/Unmount per
// container with the container's ID) and keep it referenced while in use.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startDaemon, importBusybox, need, isRoot, hasDocker, type Daemon } from './harness.js';

interface Call {
  method: string;
  body: Record<string, unknown>;
}

/** A v1 volume plugin keeping each volume as a directory under `dir`. */
function startPlugin(socket: string, dir: string): Promise<{ server: http.Server; calls: Call[] }> {
  const calls: Call[] = [];
  const vols = new Map<string, { opts: Record<string, string>; mounts: Set<string> }>();
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const method = (req.url ?? '').slice(1);
      const body = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
      calls.push({ method, body });
      const name = String(body['Name'] ?? '');
      const mp = path.join(dir, name);
      let out: Record<string, unknown> = {};
      switch (method) {
        case 'Plugin.Activate':
          out = { Implements: ['VolumeDriver'] };
          break;
        case 'VolumeDriver.Capabilities':
          out = { Capabilities: { Scope: 'local' } };
          break;
        case 'VolumeDriver.Create':
          if ((body['Opts'] as Record<string, string> | null)?.['fail'] === 'yes') out = { Err: 'refusing: fail=yes' };
          else {
            fs.mkdirSync(mp, { recursive: true });
            vols.set(name, { opts: (body['Opts'] as Record<string, string>) ?? {}, mounts: new Set() });
          }
          break;
        case 'VolumeDriver.Remove':
          if (vols.get(name)?.mounts.size) out = { Err: 'volume is mounted' };
          else {
            fs.rmSync(mp, { recursive: true, force: true });
            vols.delete(name);
          }
          break;
        case 'VolumeDriver.Mount':
          vols.get(name)?.mounts.add(String(body['ID']));
          out = vols.has(name) ? { Mountpoint: mp } : { Err: `no such volume ${name}` };
          break;
        case 'VolumeDriver.Unmount':
          vols.get(name)?.mounts.delete(String(body['ID']));
          break;
        case 'VolumeDriver.Path':
          out = { Mountpoint: vols.get(name)?.mounts.size ? mp : '' };
          break;
        case 'VolumeDriver.Get':
          out = vols.has(name) ? { Volume: { Name: name, Mountpoint: mp, Status: { opts: vols.get(name)?.opts } } } : { Err: 'no such volume' };
          break;
        case 'VolumeDriver.List':
          out = { Volumes: [...vols.keys()].map((n) => ({ Name: n, Mountpoint: path.join(dir, n) })) };
          break;
        default:
          res.writeHead(404).end('{"Err":"unknown method"}');
          return;
      }
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.plugins.v1.2+json' }).end(JSON.stringify(out));
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve({ server, calls }));
  });
}

let d: Daemon | undefined;
let plugin: { server: http.Server; calls: Call[] } | undefined;
before(async () => {
  if (!isRoot()) return;
  d = await startDaemon();
  await importBusybox(d);
  fs.mkdirSync(path.join(d.execRoot, 'plugins'), { recursive: true });
  plugin = await startPlugin(path.join(d.execRoot, 'plugins/testplug.sock'), path.join(d.root, 'plugin-data'));
});
after(async () => {
  await d?.cleanup();
  await new Promise((r) => (plugin ? plugin.server.close(r) : r(undefined)));
});

const methods = (): string[] => (plugin?.calls ?? []).map((c) => c.method);

test('volume plugin: create, inspect, ls, run, in-use, remove', async (t) => {
  if (!need(t, isRoot(), 'root') || !need(t, hasDocker(), 'docker CLI') || !d || !plugin) return;
  const dm = d;
  const c = await dm.docker(['volume', 'create', '-d', 'testplug', '-o', 'size=1g', 'pv']);
  assert.equal(c.code, 0, c.stderr);
  assert.deepEqual(methods().slice(0, 1), ['Plugin.Activate']);
  assert.deepEqual(plugin.calls.find((x) => x.method === 'VolumeDriver.Create')?.body, { Name: 'pv', Opts: { size: '1g' } });
  const insp = JSON.parse((await dm.docker(['volume', 'inspect', 'pv'])).stdout)[0] as Record<string, unknown>;
  assert.equal(insp['Driver'], 'testplug');
  assert.equal(insp['Mountpoint'], path.join(dm.root, 'plugin-data/pv'));
  assert.deepEqual(insp['Status'], { opts: { size: '1g' } });
  assert.deepEqual(insp['Options'], { size: '1g' });
  const ls = await dm.docker(['volume', 'ls', '--filter', 'driver=testplug', '--format', '{{.Driver}} {{.Name}}']);
  assert.equal(ls.stdout, 'testplug pv\n');

  const before = plugin.calls.length;
  const run = await dm.docker(['run', '--name', 'pu', '-v', 'pv:/data', 'busybox', 'sh', '-c', 'echo via-plugin > /data/f']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(fs.readFileSync(path.join(dm.root, 'plugin-data/pv/f'), 'utf8'), 'via-plugin\n');
  const id = (await dm.docker(['inspect', '-f', '{{.Id}}', 'pu'])).stdout.trim();
  const during = plugin.calls.slice(before);
  assert.deepEqual(during.find((x) => x.method === 'VolumeDriver.Mount')?.body, { Name: 'pv', ID: id });
  assert.deepEqual(during.find((x) => x.method === 'VolumeDriver.Unmount')?.body, { Name: 'pv', ID: id });
  const mounts = JSON.parse((await dm.docker(['inspect', '-f', '{{json .Mounts}}', 'pu'])).stdout) as { Driver: string; Name: string; Source: string }[];
  assert.equal(mounts[0]?.Driver, 'testplug');
  assert.equal(mounts[0]?.Source, path.join(dm.root, 'plugin-data/pv'));

  const inUse = await dm.docker(['volume', 'rm', 'pv']);
  assert.equal(inUse.code, 1);
  assert.equal(inUse.stderr, `Error response from daemon: remove pv: volume is in use - [${id}]\n`);
  assert.equal((await dm.docker(['rm', 'pu'])).code, 0);
  assert.equal((await dm.docker(['volume', 'rm', 'pv'])).code, 0);
  assert.deepEqual(plugin.calls.at(-1), { method: 'VolumeDriver.Remove', body: { Name: 'pv' } });
  assert.equal(fs.existsSync(path.join(dm.root, 'plugin-data/pv')), false);
});

test('volume plugin: --volume-driver and --mount volume-driver create through it; plugin errors reach the client; nothing left behind', async (t) => {
  if (!need(t, isRoot(), 'root') || !need(t, hasDocker(), 'docker CLI') || !d || !plugin) return;
  const dm = d;
  const r = await dm.docker(['run', '--rm', '--volume-driver', 'testplug', '-v', 'pv2:/x', 'busybox', 'sh', '-c', 'echo 2 > /x/f']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(fs.readFileSync(path.join(dm.root, 'plugin-data/pv2/f'), 'utf8'), '2\n');
  const m = await dm.docker(['run', '--rm', '--mount', 'type=volume,src=pv3,dst=/x,volume-driver=testplug,volume-opt=color=red', 'busybox', 'true']);
  assert.equal(m.code, 0, m.stderr);
  assert.deepEqual(plugin.calls.find((x) => x.method === 'VolumeDriver.Create' && x.body['Name'] === 'pv3')?.body, { Name: 'pv3', Opts: { color: 'red' } });
  const bm = await dm.berth(['run', '--rm', '--mount', 'type=volume,src=pv5,dst=/x,volume-opt=a=b,volume-driver=testplug,volume-opt=c=d', 'busybox', 'true']);
  assert.equal(bm.code, 0, bm.stderr);
  assert.deepEqual(plugin.calls.find((x) => x.method === 'VolumeDriver.Create' && x.body['Name'] === 'pv5')?.body, { Name: 'pv5', Opts: { a: 'b', c: 'd' } });
  assert.equal((await dm.docker(['volume', 'rm', 'pv5'])).code, 0);
  const fail = await dm.docker(['volume', 'create', '-d', 'testplug', '-o', 'fail=yes', 'pv4']);
  assert.equal(fail.code, 1);
  assert.equal(fail.stderr, 'Error response from daemon: create pv4: refusing: fail=yes\n');
  const names = (await dm.docker(['volume', 'ls', '-q'])).stdout.split('\n').filter(Boolean).sort();
  assert.deepEqual(names, ['pv2', 'pv3']);
  for (const n of names) assert.equal((await dm.docker(['volume', 'rm', n])).code, 0);
});
