// bench/network-latency: what networking adds to a container start. Times POST /containers/{id}/start
// for --network none, the default bridge and a cni network (Debian's bridge + host-local plugins),
// interleaved, median of N, on one berthd in one run.
//   node_modules/node/bin/node bench/network-latency/run.mjs [--runs N] [--gap MS] [--log FILE]   (or bench/network-latency/run)
// --log keeps berthd's debug log: per-phase timings of each start ("container started") and of the
// network prepare ("network prepared": allocated, saved, kernel, etc; pooled or not).
// Needs root and a built tree. Uses its own bridge names, 10.213.45.0/24 and 172.29.45.0/24, and
// removes everything it made: containers, networks, bridges, netns, its nft table, its cgroups,
// the temp root.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// the test harness's cleanup helpers (the benches need a build anyway)
import { removeCgroupsNamed } from '../../dist/test/integration/harness.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const RUNS = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 20;
// --log FILE: keep berthd's debug log (per-phase timings of every start) after the run
const KEEP_LOG = args.includes('--log') ? path.resolve(args[args.indexOf('--log') + 1]) : undefined;
// --gap MS: idle time before each start (lets work berthd defers to idle moments, such as
// refilling its netns pool, finish outside the measured starts); default 0: back to back
const GAP = args.includes('--gap') ? Number(args[args.indexOf('--gap') + 1]) : 0;
if (process.getuid?.() !== 0) {
  console.error('network-latency: needs root');
  process.exit(1);
}
const root = fs.mkdtempSync('/tmp/bt-nbench-');
const tag = path.basename(root).replace(/^bt-nbench-/, '');
const bridge = `btnb${tag}`.slice(0, 15);
const cniBridge = `btnc${tag}`.slice(0, 15);
const table = `berth_${bridge.replace(/[^A-Za-z0-9_]/g, '_')}`;
const socket = path.join(root, 'berth.sock');
let daemon;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function request(method, p, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const req = http.request({ socketPath: socket, method, path: `/v1.50${p}`, headers: { ...(payload && !Buffer.isBuffer(body) ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function must(method, p, body, headers) {
  const r = await request(method, p, body, headers);
  if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${r.text}`);
  return r.text ? JSON.parse(r.text.split('\n').filter(Boolean).at(-1)) : undefined;
}

async function cleanup() {
  try {
    const list = JSON.parse((await request('GET', '/containers/json?all=1')).text);
    for (const c of list) await request('DELETE', `/containers/${c.Id}?force=1`);
    for (const n of ['benchcni']) await request('DELETE', `/networks/${n}`);
  } catch {
    /* daemon gone */
  }
  if (daemon && daemon.exitCode === null) {
    const exited = new Promise((r) => daemon.once('exit', r));
    daemon.kill('SIGTERM');
    await Promise.race([exited, sleep(15000)]);
  }
  for (const n of fs.existsSync('/run/netns') ? fs.readdirSync('/run/netns') : []) if (n.startsWith(`${bridge}-`)) spawnSync('ip', ['netns', 'del', n]);
  for (const b of [bridge, cniBridge]) if (fs.existsSync(`/sys/class/net/${b}`)) spawnSync('ip', ['link', 'del', b]);
  spawnSync('nft', ['-f', '-'], { input: `table ip ${table} {}\ndelete table ip ${table}\ntable ip6 ${table} {}\ndelete table ip6 ${table}\n` });
  if (KEEP_LOG) fs.copyFileSync(path.join(root, 'berthd.log'), KEEP_LOG);
  removeCgroupsNamed(path.basename(root));
  spawnSync('umount', ['-R', '-l', root]);
  fs.rmSync(root, { recursive: true, force: true });
}

async function main() {
  const cfg = path.join(root, 'daemon.json');
  fs.writeFileSync(cfg, JSON.stringify({ bridge, bip: '10.213.45.1/24', 'cni-config-dir': path.join(root, 'cni.d') }));
  const log = fs.openSync(path.join(root, 'berthd.log'), 'a');
  daemon = spawn(path.join(REPO, 'bin/berthd'), ['--data-root', path.join(root, 'data'), '--exec-root', path.join(root, 'run'), '-H', `unix://${socket}`, '--pidfile', path.join(root, 'pid'), '--cgroup-parent', `/${path.basename(root)}`, '--config-file', cfg, '-l', 'debug'], { stdio: ['ignore', log, log] });
  for (let i = 0; i < 200; i++) {
    if ((await request('GET', '/_ping').catch(() => ({ status: 0 }))).status === 200) break;
    await sleep(50);
  }
  const tar = path.join('/tmp', `berth-test-fixtures-${process.getuid()}`, 'busybox-rootfs.tar');
  if (!fs.existsSync(tar)) spawnSync(path.join(REPO, 'scripts/mk-busybox-rootfs'), [tar]);
  await must('POST', '/images/create?fromSrc=-&repo=busybox&tag=latest', fs.readFileSync(tar), { 'content-type': 'application/x-tar' });
  const conflist = { cniVersion: '1.0.0', name: 'benchcni', plugins: [{ type: 'bridge', bridge: cniBridge, isGateway: true, ipMasq: false, ipam: { type: 'host-local', dataDir: path.join(root, 'cni-ipam'), ranges: [[{ subnet: '172.29.45.0/24' }]], routes: [{ dst: '0.0.0.0/0' }] } }] };
  fs.writeFileSync(path.join(root, 'bench.conflist'), JSON.stringify(conflist));
  await must('POST', '/networks/create', { Name: 'benchcni', Driver: 'cni', Options: { config: path.join(root, 'bench.conflist') } });
  const modes = ['none', 'bridge', 'benchcni'];
  const times = Object.fromEntries(modes.map((m) => [m, []]));
  for (let i = 0; i < RUNS + 2; i++) {
    for (const mode of modes) {
      const c = await must('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: mode, Dns: ['127.0.0.1'] } });
      if (GAP > 0) await sleep(GAP);
      const t0 = performance.now();
      await must('POST', `/containers/${c.Id}/start`);
      const dt = performance.now() - t0;
      if (i >= 2) times[mode].push(dt); // two warm-up rounds
      await must('POST', `/containers/${c.Id}/wait`);
      await must('DELETE', `/containers/${c.Id}?force=1`);
    }
  }
  // the network service's own time per start (it runs while the rootfs mounts), from berthd's debug log
  const prep = { bridge: [], cni: [] };
  for (const line of fs.readFileSync(path.join(root, 'berthd.log'), 'utf8').split('\n')) {
    if (!line.includes('"network prepared"')) continue;
    const j = JSON.parse(line);
    prep[j.drivers?.[0] === 'cni' ? 'cni' : 'bridge'].push(j.ms);
  }
  const none = median(times['none']);
  // the host is shared: besides the difference of medians, the median of the per-round
  // differences (each round starts none, bridge and cni back to back) cancels slow load drifts
  console.log(`container start (POST /start), median of ${RUNS}${GAP > 0 ? `, ${GAP} ms idle before each` : ', back to back'}:`);
  for (const m of modes) {
    const med = median(times[m]);
    const paired = median(times[m].map((t, i) => t - times['none'][i]));
    const label = m === 'benchcni' ? 'cni (bridge+host-local)' : m;
    console.log(`  ${label.padEnd(24)} ${med.toFixed(1).padStart(7)} ms   (+${(med - none).toFixed(1)} ms over none; paired +${paired.toFixed(1)} ms)`);
  }
  console.log('network set-up inside berthd (prepare: IPAM, netns, veth, addresses, routes[, CNI ADD]), median:');
  for (const [k, v] of Object.entries(prep)) if (v.length > 0) console.log(`  ${k.padEnd(24)} ${median(v).toFixed(1).padStart(7)} ms`);
  console.log(`(load average ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`);
}

try {
  await main();
} catch (err) {
  console.error(`network-latency: ${err.stack ?? err}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
