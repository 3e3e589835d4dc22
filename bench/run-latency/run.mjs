// bench/run-latency: how fast berth runs containers, against plain runc/crun on the same rootfs.
//   node_modules/node/bin/node bench/run-latency/run.mjs [--runs N] [--concurrent N] [--only-concurrent]
//     [--network MODE] [--keep-log FILE] [--perf FILE] [--dockerd DIR] [--berthd TREE]
// --only-concurrent skips the single-run and plain runc/crun parts; --network is the mode of the
// concurrent containers (default none); --keep-log copies berthd's log (run at debug level, with
// each start's phase timings) to FILE; --perf records the concurrent starts system-wide with
// `perf record -a -g` into FILE (see it with `perf report -i FILE --sort comm`).
// --dockerd DIR (an unpacked Debian dockerd 20.10 from bench/dockerd-ref/fetch; without it, a
// dockerd on PATH if there is one) measures the same with dockerd in the same run: the docker CLI
// run, the API run, the concurrent starts, idle RSS; and prints berth's figures as ratios to it.
// --berthd TREE runs the berthd (and berth CLI) of another checkout or build, for A/B runs.
// (or bench/run-latency/run). Needs root, a built tree (npm run build), crun/runc/conmon and
// busybox-static. Starts its own berthd on a temporary root and removes everything it started:
// containers, conmon processes (by PID), mounts, cgroups, the temporary root.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// the test harness's cleanup helpers (the benches need a build anyway)
import { killProcessesUnder, removeCgroupsNamed, unmountUnder } from '../../dist/test/integration/harness.js';
import { findDockerd, startDockerd, unixRequest } from '../lib/dockerd.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const RUNS = opt('--runs', 20);
const CONCURRENT = opt('--concurrent', 50);
const ONLY_CONCURRENT = args.includes('--only-concurrent');
const strOpt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const NETWORK = strOpt('--network') ?? 'none';
const KEEP_LOG = strOpt('--keep-log');
const PERF = strOpt('--perf');
const DOCKERD = findDockerd(strOpt('--dockerd'));
const TREE = path.resolve(strOpt('--berthd') ?? REPO);

if (process.getuid?.() !== 0) {
  console.error('run-latency: needs root');
  process.exit(1);
}
const root = fs.mkdtempSync('/tmp/bt-bench-');
const tag = path.basename(root);
const BENCH_BRIDGE = `btrl${process.pid.toString(36)}`.slice(0, 15);
const socket = path.join(root, 'berth.sock');
const env = { ...process.env, DOCKER_HOST: `unix://${socket}`, BERTH_HOST: `unix://${socket}`, DOCKER_CONFIG: path.join(root, 'docker-config'), BERTH_CONFIG: path.join(root, 'berth-config') };
let daemon;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x) => `${x.toFixed(1)} ms`;
const which = (c) => spawnSync('sh', ['-c', `command -v ${c}`], { encoding: 'utf8' }).stdout.trim() || undefined;

/** A request to berthd (or, with `sock`, to the reference dockerd). */
const request = (method, p, body, sock = socket) => unixRequest(sock, method, p, body);

function timeCmd(cmd, argv, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env, ...opts });
  const t = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return t;
}

function rss(pid) {
  try {
    const st = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const roll = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return { rss: Number(/VmRSS:\s+(\d+)/.exec(st)?.[1] ?? 0), anon: Number(/RssAnon:\s+(\d+)/.exec(st)?.[1] ?? 0), pss: Number(/Pss:\s+(\d+)/.exec(roll)?.[1] ?? 0) };
  } catch {
    return { rss: 0, anon: 0, pss: 0 };
  }
}

/** CPU time (ms) of the whole machine (busy, all CPUs) and of one process with its reaped children. */
function cpuNow(pid) {
  const hz = 100;
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const busy = cpu.reduce((a, b) => a + b, 0) - cpu[3] - cpu[4];
  const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ').map(Number);
  // fields after the name: utime is 14th field overall (index 11 here), stime 12, cutime 13, cstime 14
  return { machine: (busy * 1000) / hz, self: ((f[11] + f[12]) * 1000) / hz, children: ((f[13] + f[14]) * 1000) / hz };
}

function cleanup() {
  if (daemon && daemon.exitCode === null) daemon.kill('SIGKILL');
  for (const br of [BENCH_BRIDGE, `${BENCH_BRIDGE}d`.slice(0, 15)]) if (fs.existsSync(`/sys/class/net/${br}`)) spawnSync('ip', ['link', 'del', br]);
  spawnSync('nft', ['delete', 'table', 'ip', `berth_${BENCH_BRIDGE}`]);
  killProcessesUnder(root);
  // containers left running (a failed run): their processes are in the bench's cgroups
  const procs = (dir) => {
    const out = [];
    try {
      for (const sub of fs.readdirSync(dir, { withFileTypes: true })) if (sub.isDirectory()) out.push(...procs(path.join(dir, sub.name)));
      out.push(...fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number));
    } catch {}
    return out;
  };
  const left = procs(fs.existsSync('/sys/fs/cgroup/pids') ? `/sys/fs/cgroup/pids/${tag}` : `/sys/fs/cgroup/${tag}`);
  for (const pid of left) try { process.kill(pid, 'SIGKILL'); } catch {}
  for (let i = 0; i < 50 && left.some((pid) => fs.existsSync(`/proc/${pid}`)); i++) spawnSync('sleep', ['0.1']);
  unmountUnder(root);
  removeCgroupsNamed(tag);
  fs.rmSync(root, { recursive: true, force: true });
}

async function startDaemon() {
  // its own bridge, subnet and nftables table: never the default berth0 of a berthd already running
  fs.writeFileSync(path.join(root, 'daemon.json'), JSON.stringify({ bridge: BENCH_BRIDGE, bip: '10.213.50.1/24' }));
  const log = fs.openSync(path.join(root, 'berthd.log'), 'a');
  if (!fs.existsSync(path.join(TREE, 'bin/berthd'))) throw new Error(`${TREE}: no bin/berthd`);
  daemon = spawn(path.join(TREE, 'bin/berthd'), ['--data-root', path.join(root, 'data'), '--exec-root', path.join(root, 'run'), '-H', `unix://${socket}`, '--pidfile', path.join(root, 'berthd.pid'), '--cgroup-parent', `/${tag}`, '--config-file', path.join(root, 'daemon.json'), ...(KEEP_LOG ? ['--log-level', 'debug'] : [])], { stdio: ['ignore', log, log] });
  // a spawn error must end in the bench's clean-up, not in an uncaught 'error' event
  daemon.on('error', (err) => console.error(`berthd: ${err.message}`));
  for (let i = 0; i < 400; i++) {
    if (daemon.exitCode !== null) throw new Error(`berthd exited: ${fs.readFileSync(path.join(root, 'berthd.log'), 'utf8')}`);
    try {
      if ((await request('GET', '/_ping')).status === 200) return;
    } catch {}
    await sleep(25);
  }
  throw new Error('berthd did not start');
}

/** A bundle over the same busybox rootfs for plain runc/crun runs. */
function plainBundle(rootfs) {
  const b = path.join(root, 'plain');
  fs.mkdirSync(b, { recursive: true });
  const spec = {
    ociVersion: '1.0.2',
    process: { terminal: false, user: { uid: 0, gid: 0 }, args: ['/bin/true'], env: ['PATH=/bin:/usr/bin'], cwd: '/', capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] }, noNewPrivileges: true },
    root: { path: rootfs, readonly: true },
    hostname: 'plain',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    ],
    linux: { namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }], cgroupsPath: `/${tag}/plain` },
  };
  fs.writeFileSync(path.join(b, 'config.json'), JSON.stringify(spec));
  return b;
}

const results = {};
/** the reference dockerd, when there is one (--dockerd) */
let ref;

/** Import the busybox rootfs as busybox:latest into a daemon. */
async function importBusybox(tar, sock) {
  const imp = await request('POST', `/images/create?fromSrc=-&repo=busybox&tag=latest&changes=${encodeURIComponent('CMD ["sh"]')}`, fs.readFileSync(tar), sock);
  if (imp.status !== 200) throw new Error(`import failed: ${imp.text}`);
}

/** Median of `create + wait + start + wait(removed)` of an --rm container over the API. */
async function apiRun(sock) {
  const api = [];
  for (let i = 0; i < RUNS + 1; i++) {
    const t0 = process.hrtime.bigint();
    const c = await request('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none', AutoRemove: true } }, sock);
    const id = JSON.parse(c.text).Id;
    const w = request('POST', `/containers/${id}/wait?condition=removed`, undefined, sock);
    const s = await request('POST', `/containers/${id}/start`, undefined, sock);
    if (s.status !== 204) throw new Error(`start: ${s.text}`);
    await w;
    if (i > 0) api.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(api);
}

/** N concurrent create + start of `sleep 300` over the API: wall time, CPU, the containers' IDs. */
async function burst(sock, pid) {
  let perf;
  if (PERF && sock === socket) {
    perf = spawn('perf', ['record', '-a', '-g', '-q', '-o', PERF], { stdio: 'ignore' });
    await sleep(300);
  }
  const cpu0 = cpuNow(pid);
  const t0 = process.hrtime.bigint();
  const ids = await Promise.all(
    Array.from({ length: CONCURRENT }, async () => {
      const c = await request('POST', '/containers/create', { Image: 'busybox', Cmd: ['sleep', '300'], HostConfig: { NetworkMode: NETWORK } }, sock);
      const id = JSON.parse(c.text).Id;
      const s = await request('POST', `/containers/${id}/start`, undefined, sock);
      if (s.status !== 204) throw new Error(`start: ${s.text}`);
      return id;
    }),
  );
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu1 = cpuNow(pid);
  if (perf) {
    perf.kill('SIGINT');
    await new Promise((r) => perf.once('exit', r));
  }
  return { ids, wall, cpu: { machine: cpu1.machine - cpu0.machine, daemon: cpu1.self - cpu0.self, daemonChildren: cpu1.children - cpu0.children } };
}

async function removeAll(ids, sock) {
  const t1 = process.hrtime.bigint();
  await Promise.all(ids.map((id) => request('DELETE', `/containers/${id}?force=1`, undefined, sock)));
  return Number(process.hrtime.bigint() - t1) / 1e6;
}

/** Processes whose command line starts with `prefix` and names a path under `dir`. */
function pidsOf(prefix, dir) {
  const out = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const c = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (c.split('\0')[0].endsWith(prefix) && c.includes(`${dir}/`)) out.push(Number(e));
    } catch {}
  }
  return out;
}

try {
  const tar = path.join(root, 'busybox.tar');
  spawnSync(path.join(REPO, 'scripts/mk-busybox-rootfs'), [tar], { stdio: 'ignore' });
  await startDaemon();
  // with --network bridge, dockerd gets a bridge of its own (no NAT, no iptables rules)
  const refBridge = NETWORK === 'bridge' ? { name: `${BENCH_BRIDGE}d`.slice(0, 15), cidr: '10.213.51.1/24' } : undefined;
  if (DOCKERD) ref = await startDockerd(path.join(root, 'dockerd'), DOCKERD, { cgroupParent: `/${tag}-dockerd`, ...(refBridge ? { bridge: refBridge } : {}) });
  await sleep(500);
  results.idleRssKiB = rss(daemon.pid);
  await importBusybox(tar, socket);
  if (ref) {
    await importBusybox(tar, ref.socket);
    const containerd = pidsOf('containerd', path.join(root, 'dockerd'));
    results.dockerdIdleKiB = [ref.pid, ...containerd].map((p) => rss(p).rss).reduce((a, b) => a + b, 0);
  }

  if (!ONLY_CONCURRENT) {
  // 1. run --rm --network none busybox true, through the berth CLI and the docker CLI (DOCKER_HOST
  // is the bench's socket; with --dockerd also the docker CLI against dockerd), runs interleaved
  // so that all see the same load
  const runArgs = ['run', '--rm', '--network', 'none', 'busybox', 'true'];
  const clients = [];
  if (spawnSync(path.join(TREE, 'bin/berth'), runArgs, { env, encoding: 'utf8' }).status === 0) clients.push(['berth', path.join(TREE, 'bin/berth'), env]);
  const docker = which('docker');
  if (docker && spawnSync(docker, runArgs, { env, encoding: 'utf8' }).status === 0) clients.push(['docker', docker, env]);
  const refEnv = ref && { ...env, DOCKER_HOST: `unix://${ref.socket}` };
  if (docker && ref && spawnSync(docker, runArgs, { env: refEnv, encoding: 'utf8' }).status === 0) clients.push(['dockerd', docker, refEnv]);
  const clientTimes = new Map(clients.map(([name]) => [name, []]));
  for (let i = 0; i < RUNS; i++) for (const [name, bin, e] of clients) clientTimes.get(name).push(timeCmd(bin, runArgs, { env: e }));
  results.clientRuns = Object.fromEntries([...clientTimes].map(([name, t]) => [name, median(t)]));
  // 1b. the same through the API (create + wait + start + wait + delete), no client start-up
  results.apiRun = await apiRun(socket);
  if (ref) results.dockerdApiRun = await apiRun(ref.socket);
  // 2. plain runc run / crun run of the same rootfs
  const rootfs = path.join(root, 'rootfs');
  fs.mkdirSync(rootfs);
  spawnSync('tar', ['-C', rootfs, '-xf', tar]);
  const bundle = plainBundle(rootfs);
  for (const [name, cmd, pre] of [['runc', which('runc'), []], ['crun', which('crun'), [path.join(REPO, 'libexec/crun-unshare')]]]) {
    if (!cmd) continue;
    const st = path.join(root, `state-${name}`);
    const argv = (id) => [...pre.slice(1), ...(pre.length ? [cmd] : []), '--root', st, 'run', '--bundle', bundle, id];
    const bin = pre[0] ?? cmd;
    // crun needs the wrapper only where the probe said so; try direct first
    let useBin = bin;
    let mk = argv;
    if (name === 'crun' && spawnSync(cmd, ['--root', st, 'run', '--bundle', bundle, 'probe'], { stdio: 'ignore' }).status === 0) {
      useBin = cmd;
      mk = (id) => ['--root', st, 'run', '--bundle', bundle, id];
    }
    const t = [];
    for (let i = 0; i < RUNS + 1; i++) {
      const d = timeCmd(useBin, mk(`${name}${i}`));
      if (i > 0) t.push(d);
    }
    results[name] = median(t);
  }

  }

  // 3. N concurrent `run -d busybox sleep 300` starts (create + start over the API)
  const b = await burst(socket, daemon.pid);
  results.concurrentMs = b.wall;
  results.concurrentCpu = b.cpu;
  await sleep(1000);
  const conmons = pidsOf('conmon', root);
  const cm = conmons.map(rss);
  const after = rss(daemon.pid);
  results.running = conmons.length;
  results.conmonRssKiB = cm.reduce((a, c) => a + c.rss, 0) / Math.max(1, cm.length);
  results.conmonPssKiB = cm.reduce((a, c) => a + c.pss, 0) / Math.max(1, cm.length);
  results.berthdAddedKiB = (after.rss - results.idleRssKiB.rss) / CONCURRENT;
  results.removeMs = await removeAll(b.ids, socket);
  if (ref) {
    // the same with dockerd, once berthd's containers are gone
    await sleep(1000);
    const d = await burst(ref.socket, ref.pid);
    results.dockerdConcurrentMs = d.wall;
    results.dockerdConcurrentCpu = d.cpu;
    await sleep(1000);
    const shims = pidsOf('containerd-shim-runc-v2', path.join(root, 'dockerd')).map(rss);
    results.dockerdShimPssKiB = shims.reduce((a, c) => a + c.pss, 0) / Math.max(1, shims.length);
    results.dockerdRemoveMs = await removeAll(d.ids, ref.socket);
  }

  const r = results;
  const line = (k, v) => console.log(`${k.padEnd(46)} ${v}`);
  console.log(`run-latency (${RUNS} runs each, medians; ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(2)})`);
  const label = { berth: 'berth CLI -> berthd', docker: 'docker CLI -> berthd', dockerd: 'docker CLI -> dockerd' };
  for (const [name, t] of Object.entries(r.clientRuns ?? {})) line(`${label[name]}: run --rm --network none busybox true`, ms(t));
  if (r.apiRun !== undefined) line('API create+start+wait(removed), --rm', ms(r.apiRun));
  if (r.dockerdApiRun !== undefined) line('  the same against dockerd', ms(r.dockerdApiRun));
  if (r.runc !== undefined) line('plain runc run (same rootfs)', ms(r.runc));
  if (r.crun !== undefined) line('plain crun run (same rootfs)', ms(r.crun));
  if (r.runc !== undefined && r.clientRuns.docker !== undefined) line('  ratio docker run / runc run (target < 3x)', `${(r.clientRuns.docker / r.runc).toFixed(2)}x`);
  if (r.runc !== undefined && r.clientRuns.berth !== undefined) line('  ratio berth run / runc run', `${(r.clientRuns.berth / r.runc).toFixed(2)}x`);
  if (r.runc !== undefined && r.apiRun !== undefined) line('  ratio API run / runc run', `${(r.apiRun / r.runc).toFixed(2)}x`);
  if (r.clientRuns?.dockerd !== undefined && r.clientRuns.docker !== undefined) line('  ratio docker run: berthd / dockerd (issue: 190 ms for dockerd)', `${(r.clientRuns.docker / r.clientRuns.dockerd).toFixed(2)}x`);
  line(`${CONCURRENT} concurrent run -d --network ${NETWORK} busybox sleep 300 (target < 1.5 s)`, ms(r.concurrentMs));
  const c = r.concurrentCpu;
  line('  CPU during those starts: machine / berthd / reaped children', `${ms(c.machine)} / ${ms(c.daemon)} / ${ms(c.daemonChildren)}`);
  if (r.dockerdConcurrentMs !== undefined) {
    const d = r.dockerdConcurrentCpu;
    line('  the same against dockerd', ms(r.dockerdConcurrentMs));
    line('  CPU during those starts: machine / dockerd', `${ms(d.machine)} / ${ms(d.daemon)}`);
    // the target is 1.5 s where dockerd took 5.1 s on this machine then: 0.29x
    line('  ratio berthd / dockerd (issue: 1.5 s / 5.1 s = 0.29x)', `${(r.concurrentMs / r.dockerdConcurrentMs).toFixed(2)}x`);
    line('  CPU ratio berthd / dockerd (machine)', `${(c.machine / d.machine).toFixed(2)}x`);
  }
  line(`remove -f of ${CONCURRENT}`, ms(r.removeMs));
  if (r.dockerdRemoveMs !== undefined) line('  the same against dockerd', ms(r.dockerdRemoveMs));
  line('berthd idle RSS (target < 80 MB)', `${(r.idleRssKiB.rss / 1024).toFixed(1)} MiB (anon ${(r.idleRssKiB.anon / 1024).toFixed(1)}, PSS ${(r.idleRssKiB.pss / 1024).toFixed(1)})`);
  line('per running container: conmon RSS / PSS', `${(r.conmonRssKiB / 1024).toFixed(2)} / ${(r.conmonPssKiB / 1024).toFixed(2)} MiB`);
  line('per running container: berthd growth', `${(r.berthdAddedKiB / 1024).toFixed(2)} MiB`);
  line('per running container total (PSS + growth, target < 3 MB)', `${((r.conmonPssKiB + Math.max(0, r.berthdAddedKiB)) / 1024).toFixed(2)} MiB`);
  if (r.dockerdIdleKiB !== undefined) line('dockerd + containerd idle RSS (issue: 110 MiB)', `${(r.dockerdIdleKiB / 1024).toFixed(1)} MiB`);
  if (r.dockerdShimPssKiB !== undefined) line('dockerd: per running container, shim PSS', `${(r.dockerdShimPssKiB / 1024).toFixed(2)} MiB`);
  if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify(r, null, 2));
} catch (err) {
  console.error(`run-latency failed: ${err.stack ?? err}`);
  process.exitCode = 1;
} finally {
  if (daemon && daemon.exitCode === null) {
    daemon.kill('SIGTERM');
    await new Promise((r) => { daemon.once('exit', r); setTimeout(r, 10000); });
  }
  if (KEEP_LOG) fs.copyFileSync(path.join(root, 'berthd.log'), KEEP_LOG);
  if (ref) await ref.stop().catch((err) => console.error(`stopping dockerd: ${err}`));
  cleanup();
}
