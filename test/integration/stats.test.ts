// Container stats against a real berthd: Docker's StatsResponse JSON from the container's cgroup
// (one-shot, stream=false with precpu primed, streamed), a stopped container's empty sample,
// `berth stats` and `docker stats --no-stream` tables with CPU % and MEM % as docker computes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startDaemon, importBusybox, need, isRoot, hasDocker, sleep, type Daemon } from './harness.js';

let d: Daemon;
before(async () => {
  if (!isRoot()) return;
  d = await startDaemon();
  await importBusybox(d);
});
after(async () => d?.cleanup());

interface Stats {
  id: string;
  name: string;
  read: string;
  preread: string;
  cpu_stats: { cpu_usage: { total_usage: number; usage_in_kernelmode: number; usage_in_usermode: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number; throttling_data: Record<string, number> };
  precpu_stats: Stats['cpu_stats'];
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number> };
  pids_stats: { current?: number; limit?: number };
  blkio_stats: Record<string, unknown>;
  networks?: Record<string, { rx_bytes: number; tx_bytes: number; rx_packets: number }>;
}

async function ok(p: Promise<{ code: number; stdout: string; stderr: string }>): Promise<string> {
  const r = await p;
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

test('GET /containers/{id}/stats: Docker JSON from the cgroup, one-shot and primed', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const id = (await ok(d.berth(['run', '-d', '--name', 'st1', '-m', '64m', '--pids-limit', '50', 'busybox', 'sh', '-c', 'while :; do :; done']))).trim();
  await sleep(500);
  const one = await d.request('GET', '/containers/st1/stats?stream=false&one-shot=true');
  assert.equal(one.status, 200);
  assert.match(String(one.headers['content-type']), /^application\/json/);
  const s = one.json<Stats>();
  assert.equal(s.id, id);
  assert.equal(s.name, '/st1');
  assert.equal(s.preread, '0001-01-01T00:00:00Z');
  for (const k of ['read', 'preread', 'pids_stats', 'blkio_stats', 'num_procs', 'storage_stats', 'cpu_stats', 'precpu_stats', 'memory_stats']) assert.ok(k in s, `missing ${k}`);
  assert.ok(s.cpu_stats.cpu_usage.total_usage > 0);
  assert.ok((s.cpu_stats.system_cpu_usage ?? 0) > 0);
  assert.ok((s.cpu_stats.online_cpus ?? 0) >= 1);
  assert.ok((s.memory_stats.usage ?? 0) > 0);
  assert.equal(s.memory_stats.limit, 64 * 1024 * 1024, 'the -m limit');
  assert.ok(s.memory_stats.stats && Object.keys(s.memory_stats.stats).length > 5);
  assert.ok((s.pids_stats.current ?? 0) >= 1);
  assert.equal(s.pids_stats.limit, 50);
  assert.ok(s.networks?.['eth0'], 'eth0 counters from the container netns');
  assert.ok(!('lo' in (s.networks ?? {})));
  // stream=false primes precpu: the busy loop shows as about one CPU
  const primed = (await d.request('GET', '/containers/st1/stats?stream=false')).json<Stats>();
  assert.notEqual(primed.preread, '0001-01-01T00:00:00Z');
  const cpuDelta = primed.cpu_stats.cpu_usage.total_usage - primed.precpu_stats.cpu_usage.total_usage;
  const sysDelta = (primed.cpu_stats.system_cpu_usage ?? 0) - (primed.precpu_stats.system_cpu_usage ?? 0);
  const pct = (cpuDelta / sysDelta) * (primed.cpu_stats.online_cpus ?? 1) * 100;
  t.diagnostic(`busy loop: ${pct.toFixed(1)}% CPU`);
  assert.ok(pct > 50 && pct < 130, `CPU % of a busy loop: ${pct}`);
  // the table, from berth and from docker
  const table = await ok(d.berth(['stats', '--no-stream', 'st1']));
  const [header, row] = table.trim().split('\n');
  assert.match(header ?? '', /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
  assert.match(row ?? '', new RegExp(`^${id.slice(0, 12)}\\s+st1\\s+\\d+\\.\\d\\d%\\s+[\\d.]+[KMG]?i?B / 64MiB\\s+\\d+\\.\\d\\d%\\s+\\S+ / \\S+\\s+\\S+ / \\S+\\s+1$`));
  const cpu = Number(/(\d+\.\d\d)%/.exec(row ?? '')?.[1]);
  assert.ok(cpu > 50, `berth stats CPU % ${cpu}`);
  const json = JSON.parse(await ok(d.berth(['stats', '--no-stream', '--format', 'json', 'st1']))) as Record<string, string>;
  assert.deepEqual(Object.keys(json).sort(), ['BlockIO', 'CPUPerc', 'Container', 'ID', 'MemPerc', 'MemUsage', 'Name', 'NetIO', 'PIDs']);
  assert.equal(await ok(d.berth(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'st1'])), 'st1 1\n');
  if (hasDocker()) {
    const dt = await ok(d.docker(['stats', '--no-stream', 'st1']));
    const drow = dt.trim().split('\n')[1] ?? '';
    assert.match(drow, new RegExp(`^${id.slice(0, 12)}\\s+st1\\s+\\d+\\.\\d\\d%\\s+\\S+ / 64MiB`));
    assert.ok(Number(/(\d+\.\d\d)%/.exec(drow)?.[1]) > 50, drow);
  }
  await ok(d.berth(['rm', '-f', 'st1']));
});

test('stats streams one sample a second until the client goes away; a stopped container gives an empty sample', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  await ok(d.berth(['run', '-d', '--name', 'st2', 'busybox', 'sleep', '1000']));
  const lines: Stats[] = await new Promise((resolve, reject) => {
    const got: Stats[] = [];
    const req = http.get({ socketPath: d.socket, path: '/containers/st2/stats' }, (res) => {
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          got.push(JSON.parse(buf.slice(0, i)) as Stats);
          buf = buf.slice(i + 1);
          if (got.length === 3) {
            req.destroy();
            resolve(got);
          }
        }
      });
    });
    req.on('error', (e) => (got.length >= 3 ? undefined : reject(e)));
  });
  assert.equal(lines.length, 3);
  assert.equal(lines[0]?.preread, '0001-01-01T00:00:00Z');
  assert.equal(lines[1]?.preread, lines[0]?.read);
  assert.equal(lines[2]?.precpu_stats.cpu_usage.total_usage, lines[1]?.cpu_stats.cpu_usage.total_usage);
  const gap = Date.parse(lines[2]?.read ?? '') - Date.parse(lines[1]?.read ?? '');
  assert.ok(gap >= 900 && gap < 2000, `interval ${gap} ms`);
  await ok(d.berth(['stop', '-t', '0', 'st2']));
  const stopped = (await d.request('GET', '/containers/st2/stats?stream=false')).json<Stats>();
  assert.equal(stopped.name, '/st2');
  assert.equal(stopped.read, '0001-01-01T00:00:00Z');
  assert.equal(stopped.cpu_stats.cpu_usage.total_usage, 0);
  assert.deepEqual(stopped.memory_stats, {});
  // --all lists it with zeros; without --all it is not listed
  const all = await ok(d.berth(['stats', '--no-stream', '--all', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}}']));
  assert.ok(all.split('\n').includes('st2 0.00% 0B / 0B'), all);
  const running = await ok(d.berth(['stats', '--no-stream', '--format', '{{.Name}}']));
  assert.ok(!running.split('\n').includes('st2'));
});

test('stats of an unknown container: 404 with Docker\'s message', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const r = await d.request('GET', '/containers/nosuch/stats?stream=false');
  assert.equal(r.status, 404);
  assert.equal(r.json().message, 'No such container: nosuch');
  const b = await d.berth(['stats', '--no-stream', 'nosuch']);
  assert.equal(b.code, 1);
  assert.match(b.stderr, /No such container: nosuch/);
});
