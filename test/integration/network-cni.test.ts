// CNI networks with Debian's containernetworking-plugins: a conflist in the daemon's CNI config
// dir becomes a network at start-up, `network create -d cni --opt config=` makes another; two
// containers on one talk to each other and to the host through the plugin's bridge; DEL releases
// the addresses; the portmap plugin publishes ports from runtimeConfig portMappings; a running
// container joins and leaves a CNI network; CHECK runs for the survivors of a daemon crash; nothing
// of the test is left (bridges, netns, host-local state, the iptables NAT that portmap made).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { hasDocker, importBusybox, isRoot, need, sleep, startDaemon, which, type Daemon } from './harness.js';

const ok = isRoot() && which('ip') !== undefined && fs.existsSync('/usr/lib/cni/bridge') && fs.existsSync('/usr/lib/cni/host-local');
const SUB_A = '10.213.77.0/24';
const SUB_B = '10.213.78.0/24';
const SUB_C = '10.213.79.0/24';
const hasPortmap = fs.existsSync('/usr/lib/cni/portmap') && which('iptables') !== undefined;

let d: Daemon | undefined;
let root = '';
const bridges: string[] = [];
let fw: ReturnType<typeof firewallState> | undefined;

function conflist(name: string, bridge: string, subnet: string, dataDir: string, extra: object[] = []): object {
  bridges.push(bridge);
  return {
    cniVersion: '1.0.0',
    name,
    plugins: [
      { type: 'bridge', bridge, isGateway: true, ipMasq: false, ipam: { type: 'host-local', ranges: [[{ subnet }]], dataDir } },
      ...extra,
    ],
  };
}

/** nftables tables and the iptables nat chains there are now (portmap writes through iptables-nft). */
function firewallState(): { tables: Set<string>; natChains: Set<string> } {
  const tables = new Set(execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }).split('\n').map((l) => l.trim()).filter(Boolean));
  const natChains = new Set<string>();
  if (tables.has('table ip nat')) {
    for (const l of execFileSync('iptables', ['-w', '-t', 'nat', '-S'], { encoding: 'utf8' }).split('\n')) {
      const m = /^-N (\S+)/.exec(l);
      if (m?.[1]) natChains.add(m[1]);
    }
  }
  return { tables, natChains };
}

/** Undo what portmap added and DEL leaves (its shared CNI-HOSTPORT-* chains): only what was not there before. */
function restoreFirewall(before: { tables: Set<string>; natChains: Set<string> }): void {
  const now = firewallState();
  for (const t of now.tables) {
    if (!before.tables.has(t) && /^table (ip|ip6) (nat|filter|mangle)$/.test(t)) execFileSync('nft', ['delete', ...t.split(' ')]);
  }
  if (!before.tables.has('table ip nat') || !now.tables.has('table ip nat')) return;
  const added = [...now.natChains].filter((c) => !before.natChains.has(c));
  if (added.length === 0) return;
  for (const l of execFileSync('iptables', ['-w', '-t', 'nat', '-S'], { encoding: 'utf8' }).split('\n')) {
    const m = /^-A (\S+) (.*-j (\S+).*)$/.exec(l);
    if (m?.[1] && m[2] && m[3] && added.includes(m[3]) && !added.includes(m[1])) execFileSync('iptables', ['-w', '-t', 'nat', '-D', m[1], ...m[2].split(' ')]);
  }
  for (const c of added) execFileSync('iptables', ['-w', '-t', 'nat', '-F', c]);
  for (const c of added) execFileSync('iptables', ['-w', '-t', 'nat', '-X', c]);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function httpText(url: string): Promise<string> {
  let last: unknown;
  for (let i = 0; i < 30; i++) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return `${r.status} ${(await r.text()).trim()}`;
    } catch (err) {
      last = err;
      await sleep(100);
    }
  }
  throw new Error(`${url}: ${String(last)}`);
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
  fs.writeFileSync(path.join(confDir, '20-cnic.conflist'), JSON.stringify(conflist('cnic', `bcnic${tag}`, SUB_C, path.join(root, 'ipam-c'), [{ type: 'portmap', capabilities: { portMappings: true }, snat: true }])));
  fw = firewallState();
  d = await startDaemon({ config: { 'cni-config-dir': confDir } });
  await importBusybox(d);
});

after(async () => {
  await d?.cleanup();
  // the bridge plugin's DEL leaves the bridge itself: it is the test's to remove
  for (const b of bridges) if (linkExists(b)) execFileSync('ip', ['link', 'del', b]);
  if (fw) restoreFirewall(fw);
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

test('cni: -p and -P reach the portmap plugin as runtimeConfig portMappings; port shows them; DEL removes the forwarding', async (t) => {
  if (!need(t, ok && hasPortmap, 'root, containernetworking-plugins (bridge, host-local, portmap), iptables') || !d) return;
  const dm = d;
  const hostPort = await freePort();
  const web = await dm.berth(['run', '-d', '--name', 'cpub', '--network', 'cnic', '--dns', '127.0.0.1', '-p', `${hostPort}:80`, '--expose', '8081', '-P', 'busybox', 'sh', '-c', 'httpd -p 8081 -h /etc; exec httpd -f -p 80 -h /etc']);
  assert.equal(web.code, 0, web.stderr);
  const info = (await dm.request('GET', '/containers/cpub/json')).json();
  const hostname = info.Config.Hostname as string;
  const eph = Number(info.NetworkSettings.Ports['8081/tcp']?.[0]?.HostPort);
  assert.ok(eph > 0, JSON.stringify(info.NetworkSettings.Ports));
  assert.equal(info.NetworkSettings.Ports['80/tcp']?.[0]?.HostPort, String(hostPort));
  // port, as a user reads it (and the docker CLI's port when it is there)
  const port = await dm.berth(['port', 'cpub', '80']);
  assert.equal(port.code, 0, port.stderr);
  assert.match(port.stdout, new RegExp(`^0\\.0\\.0\\.0:${hostPort}$`, 'm'));
  if (hasDocker()) assert.match((await dm.docker(['port', 'cpub', '8081'])).stdout, new RegExp(`:${eph}$`, 'm'));
  // portmap's DNAT (not a userland proxy: berth only holds the ports) forwards both from the host
  assert.equal(await httpText(`http://127.0.0.1:${hostPort}/hostname`), `200 ${hostname}`);
  assert.equal(await httpText(`http://127.0.0.1:${eph}/hostname`), `200 ${hostname}`);
  const nat = execFileSync('iptables', ['-w', '-t', 'nat', '-S'], { encoding: 'utf8' });
  assert.match(nat, new RegExp(`--dport ${hostPort} .*-j DNAT --to-destination ${(info.NetworkSettings.Networks.cnic.IPAddress as string).replace(/\./g, '\\.')}:80`), nat);
  // a second container cannot have the same host port: Docker's error, and it is not left half set up
  const busy = await dm.berth(['run', '-d', '--name', 'cpub2', '--network', 'cnic', '--dns', '127.0.0.1', '-p', `${hostPort}:80`, 'busybox', 'sleep', '60']);
  assert.notEqual(busy.code, 0);
  assert.match(busy.stderr, /port is already allocated/);
  assert.equal((await dm.berth(['rm', '-f', 'cpub', 'cpub2'])).code, 0);
  const after = execFileSync('iptables', ['-w', '-t', 'nat', '-S'], { encoding: 'utf8' });
  assert.doesNotMatch(after, new RegExp(`--dport (${hostPort}|${eph}) `), 'portmap DEL removed the DNAT rules');
  assert.doesNotMatch(after, /^-N CNI-DN-/m, 'no per-container chain is left');
});

test('cni: connect and disconnect a running container', async (t) => {
  if (!need(t, ok, 'root, ip, containernetworking-plugins (bridge, host-local)') || !d) return;
  const dm = d;
  assert.equal((await dm.berth(['run', '-d', '--name', 'cjoin', '--dns', '127.0.0.1', 'busybox', 'sleep', '600'])).code, 0);
  const conn = await (hasDocker() ? dm.docker(['network', 'connect', 'cnia', 'cjoin']) : dm.berth(['network', 'connect', 'cnia', 'cjoin']));
  assert.equal(conn.code, 0, conn.stderr);
  const info = (await dm.request('GET', '/containers/cjoin/json')).json();
  const ip = info.NetworkSettings.Networks.cnia?.IPAddress as string;
  assert.match(ip, /^10\.213\.77\.\d+$/);
  const addrs = await dm.berth(['exec', 'cjoin', 'ip', '-4', '-o', 'addr', 'show', 'eth1']);
  assert.match(addrs.stdout, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/24`), addrs.stdout + addrs.stderr);
  assert.ok(fs.readdirSync(path.join(root, 'ipam-a', 'cnia')).includes(ip));
  const disc = await dm.berth(['network', 'disconnect', 'cnia', 'cjoin']);
  assert.equal(disc.code, 0, disc.stderr);
  assert.notEqual((await dm.berth(['exec', 'cjoin', 'ip', 'link', 'show', 'eth1'])).code, 0, 'eth1 is gone');
  assert.ok(!fs.readdirSync(path.join(root, 'ipam-a', 'cnia')).includes(ip), 'DEL released the address');
  assert.equal((await dm.berth(['rm', '-f', 'cjoin'])).code, 0);
});

test('cni: after a daemon crash, CHECK runs for the containers still running and reports the broken one', async (t) => {
  if (!need(t, ok, 'root, ip, nsenter, containernetworking-plugins (bridge, host-local)') || !d) return;
  const dm = d;
  for (const n of ['chk-good', 'chk-bad']) assert.equal((await dm.berth(['run', '-d', '--name', n, '--network', 'cnia', '--dns', '127.0.0.1', 'busybox', 'sleep', '600'])).code, 0);
  const ids: Record<string, string> = {};
  for (const n of ['chk-good', 'chk-bad']) ids[n] = (await dm.request('GET', `/containers/${n}/json`)).json().Id as string;
  const key = (await dm.request('GET', '/containers/chk-bad/json')).json().NetworkSettings.SandboxKey as string;
  assert.ok(key, 'a sandbox key');
  await dm.stop('SIGKILL');
  // what an admin (or a plugin going wrong) could do meanwhile: the address is gone from eth0
  execFileSync('nsenter', [`--net=${key}`, 'ip', 'addr', 'flush', 'dev', 'eth0']);
  const logBefore = dm.log().length;
  await dm.start();
  let log = '';
  for (let i = 0; i < 50 && !/CNI CHECK failed/.test(log); i++) {
    await sleep(100);
    log = dm.log().slice(logBefore);
  }
  assert.match(log, new RegExp(`CNI CHECK failed for container ${ids['chk-bad']?.slice(0, 12)} on network cnia`));
  assert.doesNotMatch(log, new RegExp(`CNI CHECK failed for container ${ids['chk-good']?.slice(0, 12)}`));
  // both still run; removing them releases their addresses (DEL works on the broken one too)
  const ps = await dm.berth(['ps', '--format', '{{.Names}}']);
  assert.match(ps.stdout, /chk-good/);
  assert.match(ps.stdout, /chk-bad/);
  assert.equal((await dm.berth(['rm', '-f', 'chk-good', 'chk-bad'])).code, 0);
  assert.deepEqual(fs.readdirSync(path.join(root, 'ipam-a', 'cnia')).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)), []);
});
