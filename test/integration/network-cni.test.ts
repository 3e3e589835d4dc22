// CNI networks with Debian's containernetworking-plugins: a conflist in the daemon's CNI config
// dir becomes a network at start-up, `network create -d cni --opt config=` makes another; two
// containers on one talk to each other and to the host through the plugin's bridge; DEL releases
// the addresses; nothing of the test is left (bridges, netns, host-local state).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { hasDocker, importBusybox, isRoot, need, sleep, startDaemon, which, type Daemon } from './harness.js';

const ok = isRoot() && which('ip') !== undefined && fs.existsSync('/usr/lib/cni/bridge') && fs.existsSync('/usr/lib/cni/host-local');
const SUB_A = '10.213.77.0/24';
const SUB_B = '10.213.78.0/24';

let d: Daemon | undefined;
let root = '';
const bridges: string[] = [];

function conflist(name: string, bridge: string, subnet: string, dataDir: string): object {
  bridges.push(bridge);
  return {
    cniVersion: '1.0.0',
    name,
    plugins: [
      { type: 'bridge', bridge, isGateway: true, ipMasq: false, ipam: { type: 'host-local', ranges: [[{ subnet }]], dataDir } },
    ],
  };
}

function linkExists(name: string): boolean {
  return fs.existsSync(`/sys/class/net/${name}`);
}

before(async () => {
  if (!ok) return;
  root = fs.mkdtempSync('/tmp/bt-cni-');
  const confDir = path.join(root, 'net.d');
  fs.mkdirSync(confDir);
  const tag = path.basename(root).slice(-5).toLowerCase().replace(/[^a-z0-9]/g, 'x');
  fs.writeFileSync(path.join(confDir, '10-cnia.conflist'), JSON.stringify(conflist('cnia', `bcnia${tag}`, SUB_A, path.join(root, 'ipam-a'))));
  fs.writeFileSync(path.join(root, 'cnib.conflist'), JSON.stringify(conflist('cnib', `bcnib${tag}`, SUB_B, path.join(root, 'ipam-b'))));
  d = await startDaemon({ config: { 'cni-config-dir': confDir } });
  await importBusybox(d);
});

after(async () => {
  await d?.cleanup();
  // the bridge plugin's DEL leaves the bridge itself: it is the test's to remove
  for (const b of bridges) if (linkExists(b)) execFileSync('ip', ['link', 'del', b]);
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

test('cni: a conflist in the config dir is a network; containers on it reach each other and the host', async (t) => {
  if (!need(t, ok, 'root, ip, containernetworking-plugins (bridge, host-local)') || !d) return;
  const dm = d;
  const ls = await dm.berth(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']);
  assert.match(ls.stdout, /^cnia cni$/m, ls.stdout);
  const web = await dm.berth(['run', '-d', '--name', 'cweb', '--network', 'cnia', '--dns', '127.0.0.1', 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']);
  assert.equal(web.code, 0, web.stderr);
  const info = (await dm.request('GET', '/containers/cweb/json')).json();
  const ip = info.NetworkSettings.Networks.cnia.IPAddress as string;
  assert.match(ip, /^10\.213\.77\.\d+$/);
  assert.ok(fs.readdirSync(path.join(root, 'ipam-a', 'cnia')).includes(ip), 'host-local recorded the address');
  const hostname = info.Config.Hostname as string;
  // container to container, by IP
  const client = await dm.berth(['run', '--rm', '--network', 'cnia', '--dns', '127.0.0.1', 'busybox', 'wget', '-q', '-O', '-', `http://${ip}/hostname`]);
  assert.equal(client.code, 0, client.stderr);
  assert.equal(client.stdout.trim(), hostname);
  // the host reaches it through the plugin's bridge (the gateway is on the host side)
  let fromHost = '';
  for (let i = 0; i < 30 && fromHost === ''; i++) {
    try {
      fromHost = (await fetch(`http://${ip}/hostname`)).ok ? 'ok' : '';
    } catch {
      await sleep(100);
    }
  }
  assert.equal(fromHost, 'ok');
  // stop: CNI DEL gives the address back
  assert.equal((await dm.berth(['rm', '-f', 'cweb'])).code, 0);
  assert.ok(!fs.readdirSync(path.join(root, 'ipam-a', 'cnia')).includes(ip), 'the address was released by DEL');
});

test('cni: network create -d cni --opt config=FILE, docker CLI run on it, rm', async (t) => {
  if (!need(t, ok, 'root, ip, containernetworking-plugins (bridge, host-local)') || !d) return;
  // the docker CLI when it is there (under CI it must be), else berth
  if (!hasDocker()) need(t, false, 'the docker CLI (berth runs this case instead)');
  const dm = d;
  const create = await dm.berth(['network', 'create', '-d', 'cni', '--opt', `config=${path.join(root, 'cnib.conflist')}`, 'cnib']);
  assert.equal(create.code, 0, create.stderr);
  const r = await (hasDocker() ? dm.docker(['run', '--rm', '--network', 'cnib', '--dns', '127.0.0.1', 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0']) : dm.berth(['run', '--rm', '--network', 'cnib', '--dns', '127.0.0.1', 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0']));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /inet 10\.213\.78\.\d+\/24/);
  assert.equal((await dm.berth(['network', 'rm', 'cnib'])).code, 0);
  assert.doesNotMatch((await dm.berth(['network', 'ls'])).stdout, /cnib/);
  // nothing of a container is left in host-local's state
  assert.deepEqual(fs.readdirSync(path.join(root, 'ipam-b', 'cnib')).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)), []);
});
