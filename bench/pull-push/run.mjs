// bench/pull-push: berth's distribution client against a local registry.
//   node_modules/node/bin/node bench/pull-push/run.mjs [--mb 250] [--runs N] [--berthd DIR]...
//       [--timeline] [--threads] [--prof DIR] [--perf DIR] [--image DIR] [--node-options '...'] [--logs DIR]
// Builds a five-layer image of about 250 MB uncompressed (the busybox rootfs plus generated
// files of mixed sizes and compressibility, gzip layers), serves it from Debian's docker-registry
// on 127.0.0.1, then measures: a cold pull with berth (wall time, MB/s, berthd's CPU time, its
// RSS sampled every 10 ms: baseline, peak, growth), and a push of the pulled image to an empty
// registry.
// --runs N repeats that N times (a fresh berthd and data root each time, one image build) and
// prints the median; --berthd DIR (repeatable) runs the berthd of another checkout or build
// (DIR/bin/berthd), the trees taking turns run by run, so a before/after comparison shares one
// session of this shared machine; --prof DIR writes CPU profiles of berthd (and its workers);
// --image DIR keeps the generated image in DIR and reuses it next time; --node-options sets
// berthd's NODE_OPTIONS (say --trace-gc) and --logs DIR keeps each run's berthd log; --threads
// prints berthd's CPU time per thread (main, unpack worker, libuv pool, V8's helpers), the
// registries' and the whole machine's (busy/idle: how much other load there was), the minor page
// faults and system time per thread, and a per-100 ms table of the threads' CPU (where the pull
// waits rather than computes).
// --dockerd DIR (an unpacked Debian dockerd 20.10 from bench/dockerd-ref/fetch; without it, a
// dockerd on PATH if there is one) adds the same cold pull and push with dockerd, run by run
// between berthd's, a fresh dockerd and data root each time, and prints berthd's pull as a ratio
// to dockerd's (the issue's target: at most 0.6x).
// --perf DIR (needs perf, Debian linux-perf) records each pull of berthd and dockerd with
// `perf record -g -p PID` into DIR/pull-<run>.data (see it with
// `perf report -i FILE --sort comm,dso,sym`).
// Needs root, a built tree (npm run build), docker-registry and busybox-static.
// Removes everything it started (registries, berthd and dockerd by PID, temp dirs).
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import tarStream from 'tar-stream';
// the test harness's cleanup helpers (the benches need a build anyway)
import { removeCgroupsNamed } from '../../dist/test/integration/harness.js';
import { findDockerd, startDockerd } from '../lib/dockerd.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const TOTAL_MB = Number(opt('--mb', 250)) || 250;
const RUNS = Math.max(1, Number(opt('--runs', 1)) || 1);
const TREES = args.flatMap((a, i) => (a === '--berthd' && args[i + 1] ? [path.resolve(args[i + 1])] : []));
if (TREES.length === 0) TREES.push(REPO);
/** keep the generated image here and reuse it in later runs (saves the build: half a minute) */
const IMAGE = args.includes('--image') ? path.resolve(opt('--image')) : undefined;
const PROF = args.includes('--prof') ? path.resolve(opt('--prof')) : undefined;
/** --node-options '...': NODE_OPTIONS for berthd (e.g. --trace-gc); --logs DIR keeps berthd's log of each run */
const NODE_OPTS = opt('--node-options', '');
const PERF = args.includes('--perf') ? path.resolve(opt('--perf')) : undefined;
const LOGS = args.includes('--logs') ? path.resolve(opt('--logs')) : undefined;
const DOCKERD = findDockerd(args.includes('--dockerd') ? path.resolve(opt('--dockerd')) : undefined);
if (process.getuid?.() !== 0) {
  console.error('pull-push: needs root');
  process.exit(1);
}
if (!fs.existsSync('/usr/bin/docker-registry')) {
  console.error('pull-push: needs docker-registry (apt-get install docker-registry)');
  process.exit(1);
}
const root = fs.mkdtempSync('/tmp/bt-bench-pp-');
const children = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sha = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const mb = (n) => n / 1e6;

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

async function startRegistry(name) {
  const port = await freePort();
  const dir = path.join(root, name);
  fs.mkdirSync(dir);
  const cfg = path.join(dir, 'config.yml');
  fs.writeFileSync(cfg, `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const child = spawn('/usr/bin/docker-registry', ['serve', cfg], { stdio: 'ignore' });
  children.push(child);
  const host = `127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      await (await fetch(`http://${host}/v2/`)).arrayBuffer();
      return host;
    } catch {
      await sleep(50);
    }
  }
  throw new Error('registry did not start');
}

// --- the image ------------------------------------------------------------------------------

/** Stream a layer tar through sha256 (diff ID) and gzip into a file (blob digest). */
async function writeLayer(file, fill) {
  const pack = tarStream.pack();
  const diff = createHash('sha256');
  const blob = createHash('sha256');
  let tarSize = 0;
  let blobSize = 0;
  const tap = (h, add) => new Transform({ transform(c, _e, cb) { h.update(c); add(c.length); cb(null, c); } });
  const done = pipeline(pack, tap(diff, (n) => (tarSize += n)), zlib.createGzip({ level: 6 }), tap(blob, (n) => (blobSize += n)), fs.createWriteStream(file));
  await fill(pack);
  pack.finalize();
  await done;
  return { file, diffId: `sha256:${diff.digest('hex')}`, digest: `sha256:${blob.digest('hex')}`, tarSize, size: blobSize };
}

const entry = (pack, header, data) => new Promise((resolve, reject) => pack.entry({ mtime: new Date('2024-01-01T00:00:00Z'), mode: 0o644, ...header }, data, (err) => (err ? reject(err) : resolve())));

function textBlock(n, seed) {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'layer', 'registry', 'berth', 'container', 'image', 'digest'];
  let s = '';
  let i = seed;
  while (s.length < n) s += `${words[(i = (i * 1103515245 + 12345) >>> 0) % words.length]} ${i % 1000}\n`;
  return Buffer.from(s.slice(0, n));
}

/** The image: built into `dir` (default: the run's temp dir), or read back from an earlier --image DIR build. */
async function buildImage(dir = path.join(root, 'image')) {
  const saved = path.join(dir, 'image.json');
  if (fs.existsSync(saved)) {
    const img = JSON.parse(fs.readFileSync(saved, 'utf8'));
    if (img.mb === TOTAL_MB) return { ...img, config: Buffer.from(img.config, 'base64') };
  }
  fs.mkdirSync(dir, { recursive: true });
  const busyboxTar = path.join(os.tmpdir(), `berth-test-fixtures-${process.getuid()}`, 'busybox-rootfs.tar');
  if (!fs.existsSync(busyboxTar)) {
    const r = spawnSync(path.join(REPO, 'scripts/mk-busybox-rootfs'), [busyboxTar], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  }
  const rest = TOTAL_MB * 1e6 - fs.statSync(busyboxTar).size;
  const layers = [];
  // 1: busybox rootfs (as is)
  layers.push(await (async () => {
    const file = path.join(dir, 'l1.gz');
    const diff = createHash('sha256').update(fs.readFileSync(busyboxTar)).digest('hex');
    await pipeline(fs.createReadStream(busyboxTar), zlib.createGzip(), fs.createWriteStream(file));
    const gz = fs.readFileSync(file);
    return { file, diffId: `sha256:${diff}`, digest: sha(gz), tarSize: fs.statSync(busyboxTar).size, size: gz.length };
  })());
  // 2: a few big incompressible files
  layers.push(await writeLayer(path.join(dir, 'l2.gz'), async (p) => {
    for (let i = 0; i < 6; i++) await entry(p, { name: `opt/random/big-${i}.bin`, size: Math.floor(rest * 0.3 / 6) }, randomBytes(Math.floor(rest * 0.3 / 6)));
  }));
  // 3: big compressible text files
  layers.push(await writeLayer(path.join(dir, 'l3.gz'), async (p) => {
    for (let i = 0; i < 4; i++) await entry(p, { name: `usr/share/text/doc-${i}.txt` }, textBlock(Math.floor(rest * 0.3 / 4), i));
  }));
  // 4: many small files, half compressible
  layers.push(await writeLayer(path.join(dir, 'l4.gz'), async (p) => {
    const n = 4000;
    const each = Math.floor(rest * 0.2 / n);
    for (let i = 0; i < n; i++) await entry(p, { name: `srv/small/${i % 40}/f-${i}` }, i % 2 ? randomBytes(each) : textBlock(each, i));
  }));
  // 5: medium files, mixed
  layers.push(await writeLayer(path.join(dir, 'l5.gz'), async (p) => {
    const n = 40;
    const each = Math.floor(rest * 0.2 / n);
    for (let i = 0; i < n; i++) await entry(p, { name: `var/lib/app/m-${i}` }, i % 3 === 0 ? textBlock(each, i) : randomBytes(each));
  }));
  const config = Buffer.from(JSON.stringify({
    created: '2024-01-01T00:00:00Z', architecture: 'amd64', os: 'linux',
    config: { Cmd: ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `bench layer ${i + 1}` })),
  }));
  const manifest = {
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
  };
  fs.writeFileSync(saved, JSON.stringify({ mb: TOTAL_MB, layers, config: config.toString('base64'), manifest }));
  return { layers, config, manifest };
}

async function upload(host, repo, digest, body, size) {
  const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  const loc = new URL(start.headers.get('location'), `http://${host}`);
  await start.arrayBuffer();
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, { method: 'PUT', body, duplex: 'half', headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) } });
  if (put.status !== 201) throw new Error(`upload ${digest}: ${put.status} ${await put.text()}`);
  await put.arrayBuffer();
}

// --- berthd -------------------------------------------------------------------------------------

let socket = path.join(root, 'berth.sock');
let berthd;

const TIMELINE = args.includes('--timeline');
/** --threads: print berthd's CPU time per thread (main, workers, libuv pool) for each measurement */
const THREADS = args.includes('--threads');
function request(method, p, headers = {}) {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path: p, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (d) => {
        chunks.push(d);
        if (TIMELINE) for (const l of d.toString().split('\n')) if (l && !/Downloading|Extracting|Pushing"/.test(l)) console.log(`  +${((performance.now() - t0) / 1000).toFixed(2)}s rss=${berthd ? (rssKb(berthd.pid) / 1024).toFixed(0) : "?"}MB ${l}`);
      });
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** CPU seconds (user + system, all threads) used by a process so far. */
function cpuSeconds(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** CPU seconds per thread of a process: tid -> { name, cpu }. */
function threadCpu(pid) {
  const out = new Map();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const st = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
      const f = st.slice(st.lastIndexOf(') ') + 2).split(' ');
      out.set(tid, { name, cpu: (Number(f[11]) + Number(f[12])) / 100, sys: Number(f[12]) / 100, faults: Number(f[7]) });
    } catch {
      /* exited */
    }
  }
  return out;
}

/** Machine-wide CPU seconds so far: [busy, idle] (all CPUs, from /proc/stat). */
function machineCpu() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return [f.reduce((a, b) => a + b, 0) / 100 - idle / 100, idle / 100];
}

/** The CPU seconds each thread (by name, summed) used between two threadCpu() readings. */
function threadDelta(a, b, raw = false, key = 'cpu') {
  const by = new Map();
  for (const [tid, t] of b) {
    const d = t[key] - (a.get(tid)?.[key] ?? 0);
    if (d > 0) by.set(t.name, (by.get(t.name) ?? 0) + d);
  }
  if (raw) return by;
  return [...by].sort((x, y) => y[1] - x[1]).map(([n, d]) => `${n} ${key === 'faults' ? d : d.toFixed(2)}`).join(', ');
}

/** CPU seconds of a child (a registry) so far; 0 once it is gone. */
function childCpu(c) {
  try {
    return c.exitCode === null ? cpuSeconds(c.pid) : 0;
  } catch {
    return 0;
  }
}

function rssKb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

const BENCH_BRIDGE = `btpp${process.pid.toString(36)}`.slice(0, 15);

async function startBerthd(tree, dir) {
  fs.mkdirSync(dir);
  socket = path.join(dir, 'berth.sock');
  const cfg = path.join(dir, 'daemon.json');
  // its own bridge, subnet and nftables table: never the default berth0 of a berthd already running
  fs.writeFileSync(cfg, JSON.stringify({ bridge: BENCH_BRIDGE, bip: '10.213.49.1/24' }));
  const log = fs.openSync(path.join(dir, 'berthd.log'), 'a');
  const env = { ...process.env, HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9' };
  if (NODE_OPTS) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} ${NODE_OPTS}`;
  if (PROF) {
    fs.mkdirSync(PROF, { recursive: true });
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${PROF}`;
  }
  berthd = spawn(path.join(tree, 'bin/berthd'), ['--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'run'), '-H', `unix://${socket}`, '--pidfile', path.join(dir, 'berthd.pid'), '--config-file', cfg, '--cgroup-parent', `/${path.basename(root)}`], {
    stdio: ['ignore', log, log],
    env,
  });
  fs.closeSync(log);
  for (let i = 0; i < 400; i++) {
    try {
      if ((await request('GET', '/_ping')).status === 200) return;
    } catch {
      await sleep(25);
    }
  }
  throw new Error('berthd did not start');
}

/** berthd's node process (bin/berthd is a sh wrapper that execs node, same PID). */
const berthdPid = () => berthd.pid;

async function measure(fn, pid = berthdPid(), label = 'x') {
  const perf = PERF ? await startPerf(pid, label) : undefined;
  const base = rssKb(pid);
  let peak = base;
  let stop = false;
  /** --threads: CPU per thread group in 100 ms steps: [ms, Map(name -> cpu s)] */
  const steps = [];
  const sampler = (async () => {
    let last = THREADS ? threadCpu(pid) : undefined;
    let lastAt = performance.now();
    while (!stop) {
      peak = Math.max(peak, rssKb(pid));
      await sleep(10);
      if (last && performance.now() - lastAt >= 100) {
        const now = threadCpu(pid);
        steps.push([performance.now() - t0, threadDelta(last, now, true)]);
        last = now;
        lastAt = performance.now();
      }
    }
  })();
  const t0 = performance.now();
  const cpu0 = cpuSeconds(pid);
  const threads0 = THREADS ? threadCpu(pid) : undefined;
  const machine0 = machineCpu();
  const others0 = children.map(childCpu);
  const result = await fn();
  const ms = performance.now() - t0;
  const cpu = cpuSeconds(pid) - cpu0;
  if (threads0) {
    const [busy, idle] = machineCpu().map((v, i) => v - (machine0[i] ?? 0));
    const regs = children.map((c, i) => childCpu(c) - (others0[i] ?? 0)).reduce((a, b) => Math.max(0, a) + Math.max(0, b), 0);
    const threads1 = threadCpu(pid);
    console.log(`  page faults by thread: ${threadDelta(threads0, threads1, false, 'faults')}`);
    console.log(`  of the CPU, system time: ${threadDelta(threads0, threads1, false, 'sys')}`);
    console.log(`  berthd CPU by thread: ${threadDelta(threads0, threads1)}; registries ${regs.toFixed(2)} s; machine ${busy.toFixed(2)} s busy, ${idle.toFixed(2)} s idle`);
    const names = ['MainThread', 'WorkerThread', 'libuv-worker', 'V8Worker'];
    console.log(`  per 100 ms, CPU % of ${names.join(' / ')}:`);
    for (const [at, by] of steps) console.log(`   ${(at / 1000).toFixed(1).padStart(5)} s  ${names.map((n) => String(Math.round((by.get(n) ?? 0) * 1000)).padStart(4)).join(' ')}`);
  }
  stop = true;
  await sampler;
  if (perf) {
    perf.kill('SIGINT');
    await new Promise((r) => perf.once('exit', r));
  }
  return { ms, cpu, base, peak, result };
}

async function stopBerthd() {
  if (berthd && berthd.exitCode === null) {
    const exited = new Promise((r) => berthd.once('exit', r));
    berthd.kill('SIGTERM');
    await Promise.race([exited, sleep(15000)]);
    if (berthd.exitCode === null) berthd.kill('SIGKILL');
  }
  berthd = undefined;
}

function stopChild(c) {
  if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
}

async function cleanup() {
  await stopBerthd();
  for (const c of children) stopChild(c);
  await sleep(200);
  if (fs.existsSync(`/sys/class/net/${BENCH_BRIDGE}`)) spawnSync('ip', ['link', 'del', BENCH_BRIDGE]);
  spawnSync('nft', ['delete', 'table', 'ip', `berth_${BENCH_BRIDGE}`]);
  for (const m of fs.readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m && m.startsWith(`${root}/`)).sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', m]);
  // the cgroups of berthd's --cgroup-parent (its runtime probe makes them in every hierarchy)
  removeCgroupsNamed(path.basename(root));
  fs.rmSync(root, { recursive: true, force: true });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** --perf: `perf record -g` of one process (and its threads) until SIGINT. */
async function startPerf(pid, label) {
  fs.mkdirSync(PERF, { recursive: true });
  const perf = spawn('perf', ['record', '-g', '-q', '-p', String(pid), '-o', path.join(PERF, `pull-${label}.data`)], { stdio: 'ignore' });
  const failed = await Promise.race([new Promise((resolve) => perf.once('error', resolve)), sleep(300).then(() => undefined)]);
  if (failed) throw new Error(`--perf: cannot run perf (${failed.message}); it is Debian's linux-perf`);
  return perf;
}

/**
 * Drop the page cache of a finished run's big files (the data stays on disk until the end, see
 * once()). Kept, every run would add ~400 MB of cache, and on this VM memory the guest has not
 * touched lately is slow to touch: from the fourth or fifth run on, pulls (berthd's and dockerd's)
 * took 30-60% more CPU, the extra time in the kernel's copy into new page-cache pages. Dropped,
 * each run starts with the same memory at hand. Only this run's files, only what is clean (hence
 * the sync): GNU dd's `iflag=nocache count=0` is posix_fadvise(DONTNEED) of the whole file.
 */
function evictPageCache(dir) {
  spawnSync('sync');
  const walk = (d) => {
    let names;
    try {
      names = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of names) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        try {
          if (fs.statSync(p).size >= 1024 * 1024) spawnSync('dd', [`if=${p}`, 'iflag=nocache', 'count=0', 'status=none']);
        } catch {
          /* gone */
        }
      }
    }
  };
  walk(dir);
}

/** One cold pull and one push with a fresh berthd (of `tree`) on a fresh data root. */
async function once(tree, n, src) {
  const dir = path.join(root, `run-${n}`);
  // the image build and earlier runs leave dirty pages: write them back now, or the pull's
  // syncfs pays for them
  spawnSync('sync');
  await startBerthd(tree, dir);
  try {
    await sleep(500);
    const pull = await measure(() => request('POST', `/images/create?fromImage=${encodeURIComponent(`${src}/bench/big`)}&tag=v1`), berthdPid(), `berthd-${n}`);
    if (/"error"/.test(pull.result.text) || pull.result.status !== 200) throw new Error(`pull failed: ${pull.result.text.slice(-500)}`);
    const dst = await startRegistry(`registry-dst-${n}`);
    const tagged = await request('POST', `/images/${encodeURIComponent(`${src}/bench/big:v1`)}/tag?repo=${encodeURIComponent(`${dst}/bench/copy`)}&tag=v1`);
    if (tagged.status !== 201) throw new Error(`tag: ${tagged.text}`);
    const push = await measure(() => request('POST', `/images/${encodeURIComponent(`${dst}/bench/copy`)}/push?tag=v1`, { 'X-Registry-Auth': Buffer.from('{}').toString('base64url') }));
    if (/"error"/.test(push.result.text)) throw new Error(`push failed: ${push.result.text.slice(-500)}`);
    const reg = children.at(-1);
    stopChild(reg);
    return { pull, push };
  } finally {
    await stopBerthd();
    if (LOGS) {
      fs.mkdirSync(LOGS, { recursive: true });
      fs.copyFileSync(path.join(dir, 'berthd.log'), path.join(LOGS, `berthd-${n}.log`));
    }
    // the run's data stays until the end: this filesystem may have no journal, and ext4 then
    // skips inodes deleted in the last 30 s when it allocates new ones, scanning them one by one
    // (measured: 0.8 s of CPU in the next run's unpack of 4000 small files)
    evictPageCache(dir);
  }
}

/** The same cold pull and push with a fresh dockerd (dockerd 20.10 pulls and pushes itself). */
async function onceDockerd(n, src) {
  const dir = path.join(root, `dockerd-${n}`);
  spawnSync('sync');
  const ref = await startDockerd(dir, DOCKERD, { cgroupParent: `/${path.basename(root)}-dockerd`, extraEnv: { HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9' } });
  const saved = socket;
  socket = ref.socket;
  try {
    await sleep(500);
    const pull = await measure(() => request('POST', `/images/create?fromImage=${encodeURIComponent(`${src}/bench/big`)}&tag=v1`), ref.pid, `dockerd-${n}`);
    if (/"error"/.test(pull.result.text) || pull.result.status !== 200) throw new Error(`dockerd pull failed: ${pull.result.text.slice(-500)}`);
    const dst = await startRegistry(`registry-dockerd-dst-${n}`);
    const tagged = await request('POST', `/images/${encodeURIComponent(`${src}/bench/big:v1`)}/tag?repo=${encodeURIComponent(`${dst}/bench/copy`)}&tag=v1`);
    if (tagged.status !== 201) throw new Error(`dockerd tag: ${tagged.text}`);
    const push = await measure(() => request('POST', `/images/${encodeURIComponent(`${dst}/bench/copy`)}/push?tag=v1`, { 'X-Registry-Auth': Buffer.from('{}').toString('base64url') }), ref.pid);
    if (/"error"/.test(push.result.text)) throw new Error(`dockerd push failed: ${push.result.text.slice(-500)}`);
    stopChild(children.at(-1));
    return { pull, push };
  } finally {
    socket = saved;
    // the data stays until the end, as berthd's (see once())
    await ref.stop({ removeRoot: false });
    evictPageCache(dir);
  }
}

async function main() {
  console.log(`pull-push: ${IMAGE ? 'using' : 'building'} a ~${TOTAL_MB} MB five-layer image ...`);
  const img = await buildImage(IMAGE);
  const tarBytes = img.layers.reduce((n, l) => n + l.tarSize, 0);
  const blobBytes = img.layers.reduce((n, l) => n + l.size, 0);
  const src = await startRegistry('registry-src');
  for (const l of img.layers) await upload(src, 'bench/big', l.digest, fs.createReadStream(l.file), l.size);
  await upload(src, 'bench/big', sha(img.config), img.config, img.config.length);
  const mput = await fetch(`http://${src}/v2/bench/big/manifests/v1`, { method: 'PUT', body: JSON.stringify(img.manifest), headers: { 'content-type': img.manifest.mediaType } });
  if (mput.status !== 201) throw new Error(`manifest: ${mput.status}`);
  const results = new Map(TREES.map((t) => [t, []]));
  const dockerdRuns = [];
  for (let n = 0; n < RUNS; n++) {
    for (const tree of TREES) {
      const r = await once(tree, `${n}-${TREES.indexOf(tree)}`, src);
      results.get(tree).push(r);
      if (RUNS > 1 || TREES.length > 1 || DOCKERD) console.log(`run ${n + 1} ${tree}: pull ${(r.pull.ms / 1000).toFixed(2)} s (berthd CPU ${r.pull.cpu.toFixed(2)} s), RSS +${((r.pull.peak - r.pull.base) / 1024).toFixed(1)} MB; push ${(r.push.ms / 1000).toFixed(2)} s, RSS +${((r.push.peak - r.push.base) / 1024).toFixed(1)} MB`);
    }
    if (DOCKERD) {
      const r = await onceDockerd(n, src);
      dockerdRuns.push(r);
      console.log(`run ${n + 1} dockerd: pull ${(r.pull.ms / 1000).toFixed(2)} s (dockerd CPU ${r.pull.cpu.toFixed(2)} s), RSS +${((r.pull.peak - r.pull.base) / 1024).toFixed(1)} MB; push ${(r.push.ms / 1000).toFixed(2)} s`);
    }
  }
  console.log(`image                        5 layers, ${mb(tarBytes).toFixed(1)} MB uncompressed, ${mb(blobBytes).toFixed(1)} MB gzip`);
  for (const tree of TREES) report(tree, results.get(tree), tarBytes, blobBytes);
  if (dockerdRuns.length === 0) {
    console.log('comparison                   no dockerd (see bench/dockerd-ref/fetch and --dockerd): no side-by-side figures');
    return;
  }
  const m = dockerdRuns.length > 1 ? `median of ${dockerdRuns.length}: ` : '';
  const dPull = median(dockerdRuns.map((r) => r.pull.ms));
  const dPush = median(dockerdRuns.map((r) => r.push.ms));
  console.log('--- dockerd (same image, registry and runs)');
  console.log(`${'cold pull'.padEnd(28)} ${m}${(dPull / 1000).toFixed(2)} s  (dockerd CPU ${median(dockerdRuns.map((r) => r.pull.cpu)).toFixed(2)} s, RSS +${(median(dockerdRuns.map((r) => r.pull.peak - r.pull.base)) / 1024).toFixed(1)} MB)`);
  console.log(`${'push to an empty registry'.padEnd(28)} ${m}${(dPush / 1000).toFixed(2)} s`);
  for (const tree of TREES) {
    const runs = results.get(tree);
    const label = TREES.length > 1 ? ` (${tree})` : '';
    console.log(`${'ratio pull berthd / dockerd'.padEnd(28)} ${(median(runs.map((r) => r.pull.ms)) / dPull).toFixed(2)}x (target: at most 0.6x)${label}`);
    console.log(`${'ratio push berthd / dockerd'.padEnd(28)} ${(median(runs.map((r) => r.push.ms)) / dPush).toFixed(2)}x${label}`);
  }
}

function report(tree, runs, tarBytes, blobBytes) {
  const med = (f) => median(runs.map(f));
  const pullMs = med((r) => r.pull.ms);
  const pushMs = med((r) => r.push.ms);
  const m = runs.length > 1 ? `median of ${runs.length}: ` : '';
  if (TREES.length > 1) console.log(`--- ${tree}`);
  const rows = [
    ['cold pull', `${m}${(pullMs / 1000).toFixed(2)} s  (${(mb(blobBytes) / (pullMs / 1000)).toFixed(1)} MB/s compressed, ${(mb(tarBytes) / (pullMs / 1000)).toFixed(1)} MB/s unpacked)`],
    ['berthd CPU during pull', `${m}${med((r) => r.pull.cpu).toFixed(2)} s (user + system, all threads; less sensitive to other load than wall time)`],
    ['berthd RSS during pull', `${m}${(med((r) => r.pull.base) / 1024).toFixed(1)} MB before, ${(med((r) => r.pull.peak) / 1024).toFixed(1)} MB peak, +${(med((r) => r.pull.peak - r.pull.base) / 1024).toFixed(1)} MB`],
    ['push to an empty registry', `${m}${(pushMs / 1000).toFixed(2)} s  (${(mb(blobBytes) / (pushMs / 1000)).toFixed(1)} MB/s)`],
    ['berthd RSS during push', `${m}${(med((r) => r.push.base) / 1024).toFixed(1)} MB before, ${(med((r) => r.push.peak) / 1024).toFixed(1)} MB peak, +${(med((r) => r.push.peak - r.push.base) / 1024).toFixed(1)} MB`],
  ];
  for (const [k, v] of rows) console.log(`${k.padEnd(28)} ${v}`);
}

main()
  .catch((err) => {
    console.error(`pull-push: ${err.stack ?? err}`);
    process.exitCode = 1;
  })
  .finally(cleanup);
