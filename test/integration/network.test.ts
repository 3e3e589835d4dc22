// Networking end to end on a real berthd: user networks (by IP, by name, aliases, embedded DNS
// forwarding to a test resolver on 127.213.0.1), isolation, outbound NAT to an "outside"
// namespace, -p/-P/UDP from the host, container:<id>, connect/disconnect while running, bad
// input, the docker CLI, IPv6 networks, --internal, enable_icc=false, a second daemon with
// userland-proxy off (DNAT from loopback and hairpin), and recovery after kill -9. Subnets
// 10.213.41-44.0/24, 10.213.46.0/24, 10.213.48-49.0/24 and fd42:213:49::/64 are this file's;
// every bridge, veth, netns, nft table and IPAM row it makes is gone at the end (asserted).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import * as packet from 'dns-packet';
import { hasDocker, importBusybox, isRoot, need, sleep, startDaemon, vethNamespace, which, type Daemon } from './harness.js';

const ok = isRoot() && which('nft') !== undefined && which('ip') !== undefined && which('crun') !== undefined;
const SUB1 = '10.213.41.0/24';
const SUB2 = '10.213.42.0/24';
const OUT_HOST = '10.213.43.1';
const OUT_NS = '10.213.43.2';
const DNS_ADDR = '127.213.0.1';
const SUB_INT = '10.213.46.0/24';
const SUB_ICC = '10.213.48.0/24';
const SUB6_V4 = '10.213.49.0/24';
const SUB6 = 'fd42:213:49::/64';

function sh(cmd: string, args: string[], input?: string): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, timeout: 20_000 });
  return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
}

function httpGet(host: string, port: number, p = '/hostname'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: p, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** A shell snippet fetching http://HOST:PORT/hostname with busybox nc; prints the body. */
const fetchCmd = (host: string, port = 80): string => `printf 'GET /hostname HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${host} ${port} | tail -n 1`;

const PY = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Wait until something listens on the port inside a netns (ss -l, tcp or udp). */
async function listening(ns: string, proto: 't' | 'u', port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (sh('ip', ['netns', 'exec', ns, 'ss', `-Hl${proto}n`, 'sport', '=', `:${port}`]).out.trim() !== '') return;
    await sleep(50);
  }
  throw new Error(`nothing listens on ${port} in ${ns}`);
}

/** A TCP server in a netns that accepts one connection and writes the peer's address to a file. */
function acceptOnce(ns: string, addr: string, port: number, peerFile: string): ReturnType<typeof spawn> {
  const py = `import socket;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('${addr}',${port}));s.listen();s.settimeout(15);c,a=s.accept();open('${peerFile}','w').write(a[0])`;
  return spawn('ip', ['netns', 'exec', ns, PY, '-c', py], { stdio: 'ignore' });
}

function stop(child: ReturnType<typeof spawn>): void {
  if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
}

/**
 * berth netns (prefix `<bridge>-`) that hold more than a loopback device. The daemon keeps up to
 * two empty ones ready (its netns pool); any other is a container's, or a leak.
 */
function busyNetns(bridge: string): string[] {
  return netnsNames().filter((n) => n.startsWith(`${bridge}-`) && sh('ip', ['-n', n, '-o', 'link', 'show']).out.trim().split('\n').some((l) => !/^\d+: lo:/.test(l)));
}

function netnsNames(): string[] {
  try {
    return fs.readdirSync('/run/netns');
  } catch {
    return [];
  }
}

describe('networking', { skip: !ok && !process.env['CI'] ? 'needs root, nft, ip, crun' : false }, () => {
  let d: Daemon;
  let bridge = '';
  const outNs = `bto${process.pid % 100000}`;
  const outVeth = `btoh${process.pid % 100000}`;
  let dnsServer: dgram.Socket | undefined;
  let outside: { remove(): void } | undefined;
  let table = '';

  before(async () => {
    d = await startDaemon();
    bridge = d.bridgeName();
    table = `berth_${bridge.replace(/[^A-Za-z0-9_]/g, '_')}`;
    await importBusybox(d);
    // an "outside" namespace acting as the internet, reached through the host
    outside = vethNamespace(outNs, outVeth, OUT_HOST, OUT_NS);
    // a resolver on loopback that the embedded DNS forwards unknown names to
    dnsServer = dgram.createSocket('udp4');
    dnsServer.on('message', (msg, rinfo) => {
      const q = packet.decode(msg);
      const question = q.questions?.[0];
      const answers = question?.name === 'outside.example' && question.type === 'A' ? [{ type: 'A' as const, name: question.name, ttl: 60, class: 'IN' as const, data: '10.9.9.9' }] : [];
      dnsServer?.send(packet.encode({ type: 'response', id: q.id ?? 0, flags: packet.RECURSION_AVAILABLE, questions: q.questions ?? [], answers }), rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => dnsServer?.bind(53, DNS_ADDR, () => r()));
  });

  after(async () => {
    dnsServer?.close();
    await d?.cleanup();
    // a daemon that died mid-test leaves its user networks' bridges: the ones on this file's subnets go
    for (const l of sh('ip', ['-o', '-4', 'addr', 'show']).out.split('\n')) {
      const m = /^\d+: (br-[0-9a-f]{12}) +inet 10\.213\.(4[1-4]|46|48|49)\.1\//.exec(l);
      if (m?.[1]) sh('ip', ['link', 'del', m[1]]);
    }
    outside?.remove();
    // nothing of this daemon's is left: bridge, veths on it, netns, nft table
    assert.equal(fs.existsSync(`/sys/class/net/${bridge}`), false, 'default bridge left behind');
    assert.deepEqual(netnsNames().filter((n) => n.startsWith(`${bridge}-`) || n === outNs), []);
    assert.equal(sh('nft', ['list', 'table', 'ip', table]).code !== 0, true, 'nft table left behind');
    assert.equal(fs.existsSync(`/sys/class/net/${outVeth}`), false);
  });

  it('lists the built-in networks and rejects bad network input with Docker errors', async (t) => {
    if (!need(t, ok, 'root, nft, ip, crun')) return;
    const ls = await d.berth(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.deepEqual(ls.stdout.trim().split('\n'), ['bridge bridge', 'host host', 'none null']);
    const c1 = await d.request('POST', '/networks/create', { body: { Name: 'n1', IPAM: { Config: [{ Subnet: SUB1 }] }, Labels: { t: 'net' } } });
    assert.equal(c1.status, 201, c1.text);
    const dup = await d.request('POST', '/networks/create', { body: { Name: 'n1' } });
    assert.equal(dup.status, 409);
    assert.equal(dup.json().message, 'network with name n1 already exists');
    const overlap = await d.request('POST', '/networks/create', { body: { Name: 'nx', IPAM: { Config: [{ Subnet: '10.213.41.128/25' }] } } });
    assert.equal(overlap.status, 403);
    assert.equal(overlap.json().message, 'invalid pool request: Pool overlaps with other one on this address space');
    const unknown = await d.request('GET', '/networks/nope');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json().message, 'network nope not found');
    const rmBuiltin = await d.request('DELETE', '/networks/bridge');
    assert.equal(rmBuiltin.status, 403);
    const names = (await d.request('GET', '/networks')).json<{ Name: string }[]>().map((n) => n.Name).sort();
    assert.deepEqual(names, ['bridge', 'host', 'n1', 'none']);
    const run = await d.berth(['run', '--rm', '--network', 'nope', 'busybox', 'true']);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /network nope not found/);
    const inspect = (await d.request('GET', '/networks/n1')).json();
    assert.equal(inspect.Driver, 'bridge');
    assert.deepEqual(inspect.IPAM.Config, [{ Subnet: SUB1, Gateway: '10.213.41.1' }]);
    assert.deepEqual(inspect.Labels, { t: 'net' });
  });

  it('connects containers on a user network by IP, name and alias, isolates networks and NATs outbound', async (t) => {
    if (!need(t, ok, 'root, nft, ip, crun')) return;
    const web = await d.berth(['run', '-d', '--name', 'web', '--network', 'n1', '--network-alias', 'www', '--dns', DNS_ADDR, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']);
    assert.equal(web.code, 0, web.stderr);
    const info = (await d.request('GET', '/containers/web/json')).json();
    const ip = info.NetworkSettings.Networks.n1.IPAddress as string;
    assert.equal(ip, '10.213.41.2');
    assert.equal(info.NetworkSettings.Networks.n1.Gateway, '10.213.41.1');
    assert.deepEqual(info.NetworkSettings.Networks.n1.Aliases, ['www']);
    assert.ok((info.NetworkSettings.Networks.n1.DNSNames as string[]).includes('web'));
    // by IP, by name, by alias
    const script = `${fetchCmd(ip)} && ${fetchCmd('web')} && ${fetchCmd('www')} && nslookup outside.example`;
    const client = await d.berth(['run', '--rm', '--network', 'n1', '--dns', DNS_ADDR, 'busybox', 'sh', '-c', script]);
    assert.equal(client.code, 0, client.stderr + client.stdout);
    assert.equal(client.stdout.split('\n').filter((l) => l === info.Config.Hostname).length, 3);
    assert.match(client.stdout, /Address: 10\.9\.9\.9/, 'other names are forwarded to the container\'s --dns servers');
    // another user network cannot reach n1
    assert.equal((await d.berth(['network', 'create', '--subnet', SUB2, 'n2'])).code, 0);
    const iso = await d.berth(['run', '--rm', '--network', 'n2', '--dns', DNS_ADDR, 'busybox', 'sh', '-c', `${fetchCmd(ip)}; echo blocked`]);
    assert.equal(iso.stdout.trim(), 'blocked');
    // outbound NAT: the outside namespace sees the host's address, not the container's
    const peerFile = path.join(d.root, 'peer');
    const server = acceptOnce(outNs, OUT_NS, 9000, peerFile);
    try {
      await listening(outNs, 't', 9000);
      const out = await d.berth(['run', '--rm', '--network', 'n1', '--dns', DNS_ADDR, 'busybox', 'sh', '-c', `echo hello | nc -w 2 ${OUT_NS} 9000; echo rc=$?`]);
      assert.match(out.stdout, /rc=0/, out.stderr);
      for (let i = 0; i < 30 && !fs.existsSync(peerFile); i++) await sleep(100);
      assert.equal(fs.readFileSync(peerFile, 'utf8'), OUT_HOST);
    } finally {
      stop(server);
    }
    // a renamed container answers to its new name only (Docker renames the sandbox's DNS names)
    assert.equal((await d.berth(['rename', 'web', 'web-renamed'])).code, 0);
    const renamed = await d.berth(['run', '--rm', '--network', 'n1', '--dns', DNS_ADDR, 'busybox', 'sh', '-c', 'nslookup web-renamed; echo ---; nslookup web']);
    const [newName, oldName] = renamed.stdout.split('---');
    assert.match(newName ?? '', new RegExp(`Address: ${ip.replace(/\./g, '\\.')}`), renamed.stdout);
    assert.doesNotMatch(oldName ?? '', new RegExp(ip.replace(/\./g, '\\.')), renamed.stdout);
    const after = (await d.request('GET', '/containers/web-renamed/json')).json();
    assert.ok((after.NetworkSettings.Networks.n1.DNSNames as string[]).includes('web-renamed'));
    assert.ok(!(after.NetworkSettings.Networks.n1.DNSNames as string[]).includes('web'));
    assert.equal((await d.berth(['rename', 'web-renamed', 'web'])).code, 0);
    const counters = sh('nft', ['list', 'chain', 'ip', table, 'postrouting']).out;
    assert.match(counters, /ip saddr 10\.213\.41\.0\/24 oifname != .* masquerade/);
  });

  it('publishes ports on 127.0.0.1, the host address, with -P and for UDP', async (t) => {
    if (!need(t, ok, 'root, nft, ip, crun')) return;
    const gw = (await d.request('GET', '/networks/bridge')).json().IPAM.Config[0].Gateway as string;
    const r = await d.berth(['run', '-d', '--name', 'pub', '-p', '18481:80', '--expose', '8080', '-P', '-p', '127.0.0.1:18482:5353/udp', '--dns', '127.0.0.1', 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']);
    assert.equal(r.code, 0, r.stderr);
    const pubInfo = (await d.request('GET', '/containers/pub/json')).json();
    const hostname = pubInfo.Config.Hostname as string;
    assert.equal(pubInfo.HostConfig.NetworkMode, 'bridge', 'the default network is recorded by name, as Docker 25+');
    await sleep(300);
    assert.equal((await httpGet('127.0.0.1', 18481)).body.trim(), hostname);
    assert.equal((await httpGet(gw, 18481)).body.trim(), hostname);
    const port = await d.berth(['port', 'pub']);
    assert.match(port.stdout, /^80\/tcp -> 0\.0\.0\.0:18481$/m);
    // published without a host IP, berthd binds IPv4 only: that is all inspect, port and ps show
    assert.doesNotMatch(port.stdout, /::/, port.stdout);
    assert.deepEqual(pubInfo.NetworkSettings.Ports['80/tcp'], [{ HostIp: '0.0.0.0', HostPort: '18481' }]);
    const summary = (await d.request('GET', '/containers/json?filters=' + encodeURIComponent(JSON.stringify({ name: ['pub'] })))).json()[0];
    assert.deepEqual(summary.Ports.filter((p: { PrivatePort: number }) => p.PrivatePort === 80), [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 18481, Type: 'tcp' }]);
    const ephemeral = /^8080\/tcp -> 0\.0\.0\.0:(\d+)$/m.exec(port.stdout);
    assert.ok(ephemeral, port.stdout);
    assert.match(port.stdout, /^5353\/udp -> 127\.0\.0\.1:18482$/m);
    // UDP: busybox has no UDP server, so a UDP echo runs in the container's netns (its SandboxKey)
    const sandbox = (await d.request('GET', '/containers/pub/json')).json().NetworkSettings.SandboxKey as string;
    const echo = spawn('ip', ['netns', 'exec', path.basename(sandbox), PY, '-c', "import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(('0.0.0.0',5353));s.settimeout(15);m,a=s.recvfrom(100);s.sendto(b'echo '+m,a)"], { stdio: 'ignore' });
    const u = dgram.createSocket('udp4');
    try {
      await listening(path.basename(sandbox), 'u', 5353);
      const reply = await new Promise<string>((res, rej) => {
        const timer = setTimeout(() => rej(new Error('no UDP reply')), 5000);
        u.on('message', (m) => {
          clearTimeout(timer);
          res(m.toString());
        });
        u.send('udp-hello', 18482, '127.0.0.1');
      });
      assert.equal(reply, 'echo udp-hello');
    } finally {
      u.close();
      if (echo.exitCode === null && echo.pid) process.kill(echo.pid, 'SIGKILL');
    }
    // a busy host port: Docker's error, and nothing of the failed container is left running
    const netnsBefore = busyNetns(bridge);
    const portsBefore = fs.readdirSync(`/sys/class/net/${bridge}/brif`).sort();
    const busy = await d.berth(['run', '-d', '--name', 'busy', '-p', '18481:80', '--dns', '127.0.0.1', 'busybox', 'sleep', '30']);
    assert.notEqual(busy.code, 0);
    assert.match(busy.stderr, /Bind for 0\.0\.0\.0:18481 failed: port is already allocated/);
    const busyState = (await d.request('GET', '/containers/busy/json')).json();
    assert.equal(busyState.State.Running, false);
    assert.deepEqual(busyNetns(bridge), netnsBefore, 'the failed start left a netns behind');
    assert.deepEqual(fs.readdirSync(`/sys/class/net/${bridge}/brif`).sort(), portsBefore, 'the failed start left a veth behind');
    assert.equal(busyState.NetworkSettings.SandboxKey, '');
    assert.equal((await d.berth(['rm', 'busy'])).code, 0);
    // invalid port spec
    const bad = await d.request('POST', '/containers/create', { body: { Image: 'busybox', HostConfig: { PortBindings: { 'abc/tcp': [{ HostPort: '1' }] } } } });
    assert.equal(bad.status, 400);
    assert.match(bad.json().message, /invalid port specification: "abc\/tcp"/);
    const badHost = await d.request('POST', '/containers/create', { body: { Image: 'busybox', HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '99999' }] } } } });
    assert.equal(badHost.status, 400);
    assert.equal((await d.berth(['rm', '-f', 'pub'])).code, 0);
    await assert.rejects(httpGet('127.0.0.1', 18481));
  });

  it('shares a network namespace with --network container: and connects/disconnects while running', async (t) => {
    if (!need(t, ok, 'root, nft, ip, crun')) return;
    const shared = await d.berth(['run', '--rm', '--network', 'container:web', 'busybox', 'sh', '-c', fetchCmd('127.0.0.1')]);
    assert.equal(shared.code, 0, shared.stderr);
    assert.equal(shared.stdout.trim(), (await d.request('GET', '/containers/web/json')).json().Config.Hostname);
    assert.equal((await d.berth(['network', 'connect', '--ip', '10.213.42.50', '--alias', 'web2', 'n2', 'web'])).code, 0);
    const eth1 = await d.berth(['exec', 'web', 'ip', '-4', 'addr', 'show', 'eth1']);
    assert.match(eth1.stdout, /inet 10\.213\.42\.50\/24/);
    const fromN2 = await d.berth(['run', '--rm', '--network', 'n2', '--dns', DNS_ADDR, 'busybox', 'sh', '-c', fetchCmd('web2')]);
    assert.equal(fromN2.stdout.trim(), (await d.request('GET', '/containers/web/json')).json().Config.Hostname, fromN2.stderr);
    const inUse = await d.request('DELETE', '/networks/n2');
    assert.equal(inUse.status, 409);
    assert.match(inUse.json().message, /has active endpoints/);
    assert.equal((await d.berth(['network', 'disconnect', 'n2', 'web'])).code, 0);
    const gone = await d.berth(['exec', 'web', 'ip', 'link', 'show', 'eth1']);
    assert.notEqual(gone.code, 0);
    assert.equal((await d.berth(['network', 'rm', 'n2'])).code, 0);
  });

  it('works through the docker CLI: network create, run --network, run -p, port', async (t) => {
    if (!need(t, ok && hasDocker(), 'docker CLI')) return;
    assert.equal((await d.docker(['network', 'create', '--subnet', '10.213.44.0/24', 'dn'])).code, 0);
    const run = await d.docker(['run', '-d', '--name', 'dweb', '--network', 'dn', '--ip', '10.213.44.77', '-p', '127.0.0.1:18483:80', '--dns', '127.0.0.1', 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']);
    assert.equal(run.code, 0, run.stderr);
    const port = await d.docker(['port', 'dweb', '80']);
    assert.equal(port.stdout.trim(), '127.0.0.1:18483');
    await sleep(200);
    assert.equal((await httpGet('127.0.0.1', 18483)).status, 200);
    const insp = await d.docker(['network', 'inspect', 'dn', '--format', '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}']);
    assert.equal(insp.stdout.trim(), 'dweb 10.213.44.77/24');
    const ls = await d.docker(['network', 'ls', '--filter', 'name=dn', '--format', '{{.Name}}']);
    assert.equal(ls.stdout.trim(), 'dn');
    const rmBusy = await d.docker(['network', 'rm', 'dn']);
    assert.notEqual(rmBusy.code, 0);
    assert.match(rmBusy.stderr, /has active endpoints/);
    assert.equal((await d.docker(['rm', '-f', 'dweb'])).code, 0);
    assert.equal((await d.docker(['network', 'rm', 'dn'])).code, 0);
  });

  it('gives containers IPv6 addresses on an --ipv6 network (ULA); they reach each other by address and name', async (t) => {
    if (!need(t, ok, 'root, nft, ip, crun')) return;
    const mk = await d.berth(['network', 'create', '--ipv6', '--subnet', SUB6_V4, '--subnet', SUB6, 'n6']);
    assert.equal(mk.code, 0, mk.stderr);
    try {
      const net = (await d.request('GET', '/networks/n6')).json();
      assert.equal(net.EnableIPv6, true);
      assert.deepEqual(net.IPAM.Config, [{ Subnet: SUB6_V4, Gateway: '10.213.49.1' }, { Subnet: SUB6, Gateway: 'fd42:213:49::1' }]);
      const a = await d.berth(['run', '-d', '--name', 'v6a', '--network', 'n6', '--dns', '127.0.0.1', 'busybox', 'sleep', '300']);
      assert.equal(a.code, 0, a.stderr);
      const ep = (await d.request('GET', '/containers/v6a/json')).json().NetworkSettings.Networks.n6;
      assert.equal(ep.GlobalIPv6Address, 'fd42:213:49::2');
      assert.equal(ep.GlobalIPv6PrefixLen, 64);
      assert.equal(ep.IPv6Gateway, 'fd42:213:49::1');
      assert.equal(ep.IPAddress, '10.213.49.2');
      const inside = await d.berth(['exec', 'v6a', 'sh', '-c', 'ip -6 addr show dev eth0; ip -6 route show default']);
      assert.match(inside.stdout, /inet6 fd42:213:49::2\/64/, inside.stdout);
      assert.match(inside.stdout, /default via fd42:213:49::1 dev eth0/, inside.stdout);
      // a second container: its own address, ping6 to the first by address and by name (AAAA from the embedded DNS)
      const b = await d.berth(['run', '--rm', '--network', 'n6', '--dns', '127.0.0.1', 'busybox', 'sh', '-c', 'ip -6 addr show dev eth0 && ping6 -c 1 -W 5 fd42:213:49::2 && ping6 -c 1 -W 5 v6a && nslookup -type=AAAA v6a'], { timeoutMs: 60_000 });
      assert.equal(b.code, 0, b.stdout + b.stderr);
      assert.match(b.stdout, /inet6 fd42:213:49::3\/64/);
      assert.match(b.stdout, /1 packets received/);
      assert.match(b.stdout, /Address: fd42:213:49::2/);
      // the gateway (the bridge's own IPv6 address) answers too, and the ip6 table masquerades the subnet
      const gw = await d.berth(['exec', 'v6a', 'ping6', '-c', '1', '-W', '5', 'fd42:213:49::1']);
      assert.equal(gw.code, 0, gw.stdout + gw.stderr);
      assert.match(sh('nft', ['list', 'chain', 'ip6', table, 'postrouting']).out, /ip6 saddr fd42:213:49::\/64 oifname != .* masquerade/);
    } finally {
      await d.berth(['rm', '-f', 'v6a']);
      assert.equal((await d.berth(['network', 'rm', 'n6'])).code, 0);
    }
    // no IPv6 network left: no ip6 table
    assert.notEqual(sh('nft', ['list', 'table', 'ip6', table]).code, 0);
  });

  it('keeps an --internal network inside: no outbound, no published ports, containers still reach each other', async (t) => {
    if (!need(t, ok, 'root, nft, ip, crun')) return;
    assert.equal((await d.berth(['network', 'create', '--internal', '--subnet', SUB_INT, 'nint'])).code, 0);
    const peerFile = path.join(d.root, 'peer-int');
    const server = acceptOnce(outNs, OUT_NS, 9001, peerFile);
    try {
      const web = await d.berth(['run', '-d', '--name', 'iweb', '--network', 'nint', '-p', '18490:80', '--dns', '127.0.0.1', 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']);
      assert.equal(web.code, 0, web.stderr);
      const info = (await d.request('GET', '/containers/iweb/json')).json();
      assert.equal(info.NetworkSettings.Networks.nint.Gateway, '', 'no gateway on an internal network');
      // Docker does not program external connectivity on internal networks: nothing published
      assert.deepEqual(info.NetworkSettings.Ports, { '80/tcp': null });
      assert.equal((await d.berth(['port', 'iweb'])).stdout.trim(), '');
      await sleep(200);
      await assert.rejects(httpGet('127.0.0.1', 18490));
      await assert.rejects(httpGet('10.213.46.1', 18490));
      // containers on the network reach each other
      const peer = await d.berth(['run', '--rm', '--network', 'nint', '--dns', '127.0.0.1', 'busybox', 'sh', '-c', `${fetchCmd(info.NetworkSettings.Networks.nint.IPAddress)}; ip route`]);
      assert.ok(peer.stdout.includes(info.Config.Hostname as string), peer.stdout + peer.stderr);
      assert.doesNotMatch(peer.stdout, /default/);
      // no outbound, not even with a default route added by hand (the forward chain drops it)
      await listening(outNs, 't', 9001);
      const out = await d.berth(['run', '--rm', '--network', 'nint', '--cap-add', 'NET_ADMIN', '--dns', '127.0.0.1', 'busybox', 'sh', '-c', `ip route add default via 10.213.46.1 && echo hello | nc -w 2 ${OUT_NS} 9001; echo rc=$?`]);
      assert.match(out.stdout, /rc=[1-9]/, out.stdout + out.stderr);
      await sleep(300);
      assert.equal(fs.existsSync(peerFile), false, 'the outside saw a connection from an internal network');
    } finally {
      stop(server);
      await d.berth(['rm', '-f', 'iweb']);
      await d.berth(['network', 'rm', 'nint']);
    }
  });

  it('separates containers on a network with enable_icc=false, but not from the host or published ports', async (t) => {
    if (!need(t, ok, 'root, nft, ip, crun')) return;
    assert.equal((await d.berth(['network', 'create', '-o', 'com.docker.network.bridge.enable_icc=false', '--subnet', SUB_ICC, 'nicc'])).code, 0);
    try {
      const web = await d.berth(['run', '-d', '--name', 'icc-web', '--network', 'nicc', '-p', '18491:80', '--dns', '127.0.0.1', 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']);
      assert.equal(web.code, 0, web.stderr);
      const info = (await d.request('GET', '/containers/icc-web/json')).json();
      const ip = info.NetworkSettings.Networks.nicc.IPAddress as string;
      const hostname = info.Config.Hostname as string;
      const other = await d.berth(['run', '--rm', '--network', 'nicc', '--dns', '127.0.0.1', 'busybox', 'sh', '-c', `${fetchCmd(ip)}; ping -c 1 -W 2 ${ip} >/dev/null 2>&1 && echo ping-ok; echo done`]);
      assert.equal(other.stdout.trim(), 'done', `a container reached its neighbour: ${other.stdout}`);
      // the host still reaches the container, directly and through the published port
      await sleep(200);
      assert.equal((await httpGet(ip, 80)).body.trim(), hostname);
      assert.equal((await httpGet('127.0.0.1', 18491)).body.trim(), hostname);
      assert.equal((await httpGet('10.213.48.1', 18491)).body.trim(), hostname);
      // and a network with icc on is not affected: n1 still connects its containers (first test)
      assert.match(sh('nft', ['list', 'chain', 'ip', table, 'forward']).out, /iifname "[^"]+" oifname "[^"]+" drop/);
    } finally {
      await d.berth(['rm', '-f', 'icc-web']);
      await d.berth(['network', 'rm', 'nicc']);
    }
  });

  it('with userland-proxy off, publishes ports by DNAT alone: from loopback, the host address and containers (hairpin)', async (t) => {
    if (!need(t, ok, 'root, nft, ip, crun')) return;
    const d2 = await startDaemon({ config: { 'userland-proxy': false } });
    try {
      await importBusybox(d2);
      const br = d2.bridgeName();
      const gw = (await d2.request('GET', '/networks/bridge')).json().IPAM.Config[0].Gateway as string;
      const r = await d2.berth(['run', '-d', '--name', 'nweb', '-p', '18492:80', '-p', '127.0.0.1:18493:80', '--dns', '127.0.0.1', 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']);
      assert.equal(r.code, 0, r.stderr);
      const info = (await d2.request('GET', '/containers/nweb/json')).json();
      const hostname = info.Config.Hostname as string;
      assert.equal(fs.readFileSync(`/proc/sys/net/ipv4/conf/${br}/route_localnet`, 'utf8').trim(), '1');
      const veth = fs.readdirSync(`/sys/class/net/${br}/brif`);
      assert.equal(veth.length, 1);
      assert.equal(fs.readFileSync(`/sys/class/net/${br}/brif/${veth[0]}/hairpin_mode`, 'utf8').trim(), '1');
      await sleep(200);
      // berthd holds the ports but does not proxy: these work only through the nft DNAT rules
      assert.equal((await httpGet('127.0.0.1', 18492)).body.trim(), hostname);
      assert.equal((await httpGet('127.0.0.1', 18493)).body.trim(), hostname);
      assert.equal((await httpGet(gw, 18492)).body.trim(), hostname);
      await assert.rejects(httpGet(gw, 18493), 'a port published on 127.0.0.1 is not reachable on other addresses');
      // another container, and the container itself (hairpin), through the host's address
      const other = await d2.berth(['run', '--rm', '--dns', '127.0.0.1', 'busybox', 'sh', '-c', fetchCmd(gw, 18492)]);
      assert.equal(other.stdout.trim(), hostname, other.stderr);
      const self = await d2.berth(['exec', 'nweb', 'sh', '-c', fetchCmd(gw, 18492)]);
      assert.equal(self.stdout.trim(), hostname, self.stderr);
      const port = await d2.berth(['port', 'nweb']);
      assert.match(port.stdout, /^80\/tcp -> 0\.0\.0\.0:18492$/m);
      assert.match(port.stdout, /^80\/tcp -> 127\.0\.0\.1:18493$/m);
      assert.doesNotMatch(port.stdout, /::/);
    } finally {
      await d2.cleanup();
    }
  });

  it('keeps addresses, ports and DNS across kill -9 of berthd and cleans up what died meanwhile', async (t) => {
    if (!need(t, ok, 'root, nft, ip, crun')) return;
    const keep = await d.berth(['run', '-d', '--name', 'keep', '--network', 'n1', '-p', '127.0.0.1:18484:80', '--dns', DNS_ADDR, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']);
    assert.equal(keep.code, 0, keep.stderr);
    const doomed = await d.berth(['run', '-d', '--name', 'doomed', '--network', 'n1', '--dns', DNS_ADDR, 'busybox', 'sleep', '300']);
    assert.equal(doomed.code, 0, doomed.stderr);
    const before = (await d.request('GET', '/containers/keep/json')).json();
    const doomedInfo = (await d.request('GET', '/containers/doomed/json')).json();
    const doomedNs = path.basename(doomedInfo.NetworkSettings.SandboxKey as string);
    assert.ok(doomedNs.startsWith(`${bridge}-`), doomedNs);
    assert.ok(netnsNames().includes(doomedNs));
    await d.stop('SIGKILL');
    process.kill(doomedInfo.State.Pid as number, 'SIGKILL');
    await sleep(300);
    await d.start();
    const after = (await d.request('GET', '/containers/keep/json')).json();
    assert.equal(after.State.Running, true);
    assert.equal(after.NetworkSettings.Networks.n1.IPAddress, before.NetworkSettings.Networks.n1.IPAddress);
    assert.equal((await httpGet('127.0.0.1', 18484)).status, 200);
    const dns = await d.berth(['run', '--rm', '--network', 'n1', '--dns', DNS_ADDR, 'busybox', 'nslookup', 'keep']);
    assert.match(dns.stdout, new RegExp(`Address: ${before.NetworkSettings.Networks.n1.IPAddress as string}`));
    // the container that died while berthd was down lost its netns and veth; its address is free again
    for (let i = 0; i < 50 && netnsNames().includes(doomedNs); i++) await sleep(100);
    assert.equal(netnsNames().includes(doomedNs), false);
    const next = await d.berth(['run', '--rm', '--network', 'n1', '--dns', DNS_ADDR, 'busybox', 'ip', '-4', 'addr', 'show', 'eth0']);
    assert.match(next.stdout, new RegExp(`inet ${doomedInfo.NetworkSettings.Networks.n1.IPAddress as string}/`));
  });

  it('creates the default bridge and its rules again when they were deleted behind berthd', async (t) => {
    if (!need(t, ok, 'root, nft, ip, crun')) return;
    const gw = (await d.request('GET', '/networks/bridge')).json().IPAM.Config[0].Gateway as string;
    assert.equal(sh('ip', ['link', 'del', bridge]).code, 0);
    assert.equal(sh('nft', ['delete', 'table', 'ip', table]).code, 0);
    const r = await d.berth(['run', '--rm', '--dns', DNS_ADDR, 'busybox', 'ip', '-4', 'route']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`default via ${gw.replace(/\./g, '\\.')}`));
    assert.equal(fs.existsSync(`/sys/class/net/${bridge}`), true, 'the bridge is back');
    assert.match(sh('ip', ['-4', '-o', 'addr', 'show', 'dev', bridge]).out, new RegExp(`inet ${gw.replace(/\./g, '\\.')}/`));
    assert.match(sh('nft', ['list', 'table', 'ip', table]).out, /masquerade/, 'the ruleset is back');
  });

  it('removes everything: containers, networks, netns, veths and IPAM rows', async (t) => {
    if (!need(t, ok, 'root, nft, ip, crun')) return;
    const all = (await d.request('GET', '/containers/json?all=1')).json<{ Id: string }[]>();
    for (const c of all) assert.equal((await d.request('DELETE', `/containers/${c.Id}?force=1`)).status, 204);
    const prune = await d.berth(['network', 'prune', '-f']);
    assert.equal(prune.code, 0, prune.stderr);
    assert.match(prune.stdout, /n1/);
    // only the daemon's pooled (empty) netns are left while it runs; none after it stopped
    assert.deepEqual(busyNetns(bridge), []);
    assert.ok(netnsNames().filter((n) => n.startsWith(`${bridge}-`)).length <= 2);
    assert.deepEqual(fs.readdirSync(`/sys/class/net/${bridge}/brif`), []);
    await d.stop();
    assert.deepEqual(netnsNames().filter((n) => n.startsWith(`${bridge}-`)), []);
    const db = new DatabaseSync(path.join(d.dataRoot, 'berth.db'), { readOnly: true });
    try {
      assert.deepEqual(db.prepare('SELECT * FROM network_ipam').all(), []);
      assert.deepEqual(db.prepare('SELECT * FROM network_ports').all(), []);
      assert.deepEqual(db.prepare('SELECT * FROM network_sandboxes').all(), []);
    } finally {
      db.close();
    }
    // a graceful stop with nothing running takes the bridge and the table down
    assert.equal(fs.existsSync(`/sys/class/net/${bridge}`), false);
    assert.notEqual(sh('nft', ['list', 'table', 'ip', table]).code, 0);
  });
});
