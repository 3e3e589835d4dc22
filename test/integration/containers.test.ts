// Container lifecycle against a real berthd (conmon + crun/runc, overlayfs): raw Engine API
// requests and the real docker CLI; bad input gets Docker's status and message and leaves
// nothing behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, importBusybox, need, isRoot, hasDocker, sleep, type Daemon } from './harness.js';
import { ociRuntimeConfigValidator } from '../specs/schemas.js';

let d: Daemon;
before(async () => {
  if (!isRoot()) return;
  d = await startDaemon();
  await importBusybox(d);
});
after(async () => d?.cleanup());

interface Inspect {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean; Paused: boolean; Pid: number; ExitCode: number; Error: string; StartedAt: string; FinishedAt: string; OOMKilled: boolean; Health?: { Status: string; FailingStreak: number; Log: { ExitCode: number; Output: string }[] } };
  Config: Record<string, unknown> & { Cmd: string[] | null; Env: string[]; Hostname: string };
  HostConfig: Record<string, unknown> & { RestartPolicy: { Name: string; MaximumRetryCount: number }; Runtime: string };
  RestartCount: number;
  LogPath: string;
  Driver: string;
  Path: string;
  Args: string[];
  Platform: string;
  GraphDriver: { Name: string; Data: Record<string, string> };
  NetworkSettings: { Networks: Record<string, unknown> };
  Mounts: unknown[];
}

async function create(body: Record<string, unknown>, name?: string): Promise<string> {
  const r = await d.request('POST', `/containers/create${name ? `?name=${name}` : ''}`, { body: { Image: 'busybox', ...body } });
  assert.equal(r.status, 201, r.text);
  return r.json<{ Id: string }>().Id;
}

async function inspect(id: string): Promise<Inspect> {
  const r = await d.request('GET', `/containers/${id}/json`);
  assert.equal(r.status, 200, r.text);
  return r.json<Inspect>();
}

async function waitFor(what: string, fn: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** The container's output from conmon's k8s-file log. */
function logText(p: string): string {
  try {
    return fs
      .readFileSync(p, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ').slice(3).join(' '))
      .join('\n');
  } catch {
    return '';
  }
}

async function runToExit(body: Record<string, unknown>): Promise<{ id: string; code: number; out: string; info: Inspect }> {
  const id = await create(body);
  const w = d.request('POST', `/containers/${id}/wait?condition=next-exit`);
  await sleep(20);
  const s = await d.request('POST', `/containers/${id}/start`);
  assert.equal(s.status, 204, s.text);
  const code = (await w).json<{ StatusCode: number }>().StatusCode;
  const info = await inspect(id);
  return { id, code, out: logText(info.LogPath), info };
}

function containerDirs(): string[] {
  try {
    return fs.readdirSync(path.join(d.dataRoot, 'containers'));
  } catch {
    return [];
  }
}

test('API: create, start, inspect, list, stop, wait, remove', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const id = await create({ Cmd: ['sleep', '300'], Labels: { app: 'x' } }, 'api-life');
  let info = await inspect(id);
  assert.equal(info.Name, '/api-life');
  assert.equal(info.State.Status, 'created');
  assert.equal(info.Driver, 'overlay2');
  assert.equal(info.Path, 'sleep');
  assert.deepEqual(info.Args, ['300']);
  assert.equal(info.Config.Hostname, id.slice(0, 12));
  assert.ok(info.Config.Env.some((e) => e.startsWith('PATH=')));
  assert.equal(info.HostConfig.RestartPolicy.Name, 'no');
  assert.equal(info.State.StartedAt, '0001-01-01T00:00:00Z');

  assert.equal((await d.request('POST', `/containers/${id}/start`)).status, 204);
  assert.equal((await d.request('POST', `/containers/${id}/start`)).status, 304);
  info = await inspect(id);
  assert.equal(info.State.Status, 'running');
  assert.ok(info.State.Running);
  assert.ok(info.State.Pid > 0);
  assert.ok(fs.existsSync(`/proc/${info.State.Pid}`));
  assert.equal(info.Platform, 'linux');

  const list = (await d.request('GET', '/containers/json')).json<{ Id: string; Names: string[]; State: string; Status: string; Command: string; Labels: Record<string, string> }[]>();
  const mine = list.find((c) => c.Id === id);
  assert.ok(mine);
  assert.deepEqual(mine.Names, ['/api-life']);
  assert.equal(mine.State, 'running');
  assert.match(mine.Status, /^Up /);
  assert.equal(mine.Command, 'sleep 300');
  assert.equal(mine.Labels['app'], 'x');
  const filtered = (await d.request('GET', `/containers/json?filters=${encodeURIComponent(JSON.stringify({ label: ['app=x'], status: ['running'] }))}`)).json<{ Id: string }[]>();
  assert.deepEqual(filtered.map((c) => c.Id), [id]);
  assert.equal((await d.request('GET', `/containers/json?filters=${encodeURIComponent(JSON.stringify({ bogus: ['1'] }))}`)).status, 400);

  // pause / unpause through the freezer
  assert.equal((await d.request('POST', `/containers/${id}/pause`)).status, 204);
  assert.equal((await inspect(id)).State.Status, 'paused');
  const pausedAgain = await d.request('POST', `/containers/${id}/pause`);
  assert.equal(pausedAgain.status, 409);
  assert.equal(pausedAgain.json().message, `Container ${id} is already paused`);
  assert.equal((await d.request('POST', `/containers/${id}/unpause`)).status, 204);
  assert.equal((await inspect(id)).State.Status, 'running');

  // rm while running is refused with Docker's message
  const rm = await d.request('DELETE', `/containers/${id}`);
  assert.equal(rm.status, 409);
  assert.equal(rm.json().message, 'cannot remove container "/api-life": container is running: stop the container before removing or force remove');

  const w = d.request('POST', `/containers/${id}/wait`);
  const t0 = Date.now();
  assert.equal((await d.request('POST', `/containers/${id}/stop?t=1`)).status, 204);
  assert.ok(Date.now() - t0 < 5000);
  assert.deepEqual((await w).json(), { StatusCode: 137 }); // sleep as PID 1 ignores SIGTERM
  info = await inspect(id);
  assert.equal(info.State.Status, 'exited');
  assert.equal(info.State.ExitCode, 137);
  assert.notEqual(info.State.FinishedAt, '0001-01-01T00:00:00Z');
  assert.equal((await d.request('POST', `/containers/${id}/stop`)).status, 304);
  const kill = await d.request('POST', `/containers/${id}/kill`);
  assert.equal(kill.status, 409);
  assert.equal(kill.json().message, `Cannot kill container: ${id}: Container ${id} is not running`);
  assert.equal((await d.request('GET', '/containers/json')).json<{ Id: string }[]>().some((c) => c.Id === id), false);
  assert.ok((await d.request('GET', '/containers/json?all=1')).json<{ Id: string }[]>().some((c) => c.Id === id));

  // the writable layer survives stop/start
  const c2 = await runToExit({ Cmd: ['sh', '-c', 'cat /data.txt 2>/dev/null; echo kept > /data.txt'] });
  const w2 = d.request('POST', `/containers/${c2.id}/wait?condition=next-exit`);
  await sleep(20);
  assert.equal((await d.request('POST', `/containers/${c2.id}/start`)).status, 204);
  await w2;
  await waitFor('second run logged', async () => logText(c2.info.LogPath).includes('kept'));

  const rmw = d.request('POST', `/containers/${id}/wait?condition=removed`);
  await sleep(20);
  assert.equal((await d.request('DELETE', `/containers/${id}`)).status, 204);
  assert.equal((await rmw).status, 200);
  assert.equal((await d.request('GET', `/containers/${id}/json`)).status, 404);
  assert.ok(!containerDirs().includes(id));
  assert.equal((await d.request('DELETE', `/containers/${c2.id}`)).status, 204);
});

test('bad input: Docker\'s status and message, nothing half-created', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const before = containerDirs().length;
  const count = async (): Promise<number> => (await d.request('GET', '/containers/json?all=1')).json<unknown[]>().length;
  const n0 = await count();

  const noImage = await d.request('POST', '/containers/create', { body: { Image: 'busybox:nope', Cmd: ['true'] } });
  assert.equal(noImage.status, 404);
  assert.equal(noImage.json().message, 'No such image: busybox:nope');

  const id = await create({ Cmd: ['true'] }, 'taken');
  const dup = await d.request('POST', '/containers/create?name=taken', { body: { Image: 'busybox', Cmd: ['true'] } });
  assert.equal(dup.status, 409);
  assert.equal(dup.json().message, `Conflict. The container name "/taken" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`);

  const badName = await d.request('POST', '/containers/create?name=b%20ad', { body: { Image: 'busybox', Cmd: ['true'] } });
  assert.equal(badName.status, 400);
  assert.equal(badName.json().message, 'Invalid container name (b ad), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed');

  const badRestart = await d.request('POST', '/containers/create', { body: { Image: 'busybox', Cmd: ['true'], HostConfig: { RestartPolicy: { Name: 'sometimes' } } } });
  assert.equal(badRestart.status, 400);
  assert.equal(badRestart.json().message, "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
  const badRetry = await d.request('POST', '/containers/create', { body: { Image: 'busybox', Cmd: ['true'], HostConfig: { RestartPolicy: { Name: 'always', MaximumRetryCount: 3 } } } });
  assert.equal(badRetry.status, 400);
  assert.equal(badRetry.json().message, "invalid restart policy: maximum retry count can only be used with 'on-failure'");

  const badSignal = await d.request('POST', '/containers/create', { body: { Image: 'busybox', Cmd: ['true'], StopSignal: 'SIGNOPE' } });
  assert.equal(badSignal.status, 400);
  assert.equal(badSignal.json().message, 'Invalid signal: SIGNOPE');

  const badRuntime = await d.request('POST', '/containers/create', { body: { Image: 'busybox', Cmd: ['true'], HostConfig: { Runtime: 'kata' } } });
  assert.equal(badRuntime.status, 400);
  assert.equal(badRuntime.json().message, 'unknown or invalid runtime name: kata');
  assert.equal((await d.request('GET', '/containers/nope/json')).json().message, 'No such container: nope');

  assert.equal(await count(), n0 + 1);
  assert.equal(containerDirs().length, before + 1);

  // a command that does not exist: 400 at start, exit code 127 recorded, nothing left mounted
  const bad = await create({ Cmd: ['no-such-command'] });
  const s = await d.request('POST', `/containers/${bad}/start`);
  assert.equal(s.status, 400);
  assert.equal(s.json().message, 'exec: "no-such-command": executable file not found in $PATH');
  const info = await inspect(bad);
  assert.equal(info.State.ExitCode, 127);
  assert.equal(info.State.Error, 'exec: "no-such-command": executable file not found in $PATH');
  assert.equal(info.State.Running, false);
  assert.ok(!fs.readFileSync('/proc/mounts', 'utf8').includes(path.join(d.dataRoot, 'containers', bad)));
  for (const x of [id, bad]) assert.equal((await d.request('DELETE', `/containers/${x}`)).status, 204);
});

test('bundle: user, env, hostname, /etc files, read-only, tmpfs, shm, init, networks', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const r = await runToExit({
    Cmd: ['sh', '-c', 'id; hostname; echo HOME=$HOME; cat /etc/hosts | grep db; cat /etc/resolv.conf; touch /ro 2>&1 || echo ro-ok; touch /scratch/x && echo tmpfs-ok; df -k /dev/shm | tail -1; ip -o link | wc -l; cat /proc/1/cmdline | tr "\\0" " "; echo; grep CapEff /proc/self/status'],
    User: 'www-data',
    Hostname: 'box1',
    HostConfig: { ReadonlyRootfs: true, Tmpfs: { '/scratch': 'size=1m' }, ShmSize: 8 * 1024 * 1024, Init: true, NetworkMode: 'none', ExtraHosts: ['db:10.1.2.3'], Dns: ['9.9.9.9'], DnsSearch: ['example.org'], DnsOptions: ['ndots:3'] },
  });
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /uid=33\(www-data\) gid=33\(www-data\)/);
  assert.match(r.out, /^box1$/m);
  assert.match(r.out, /^HOME=\/var\/www$/m);
  assert.match(r.out, /^10\.1\.2\.3\tdb$/m);
  assert.match(r.out, /^nameserver 9\.9\.9\.9$/m);
  assert.match(r.out, /^search example\.org$/m);
  assert.match(r.out, /^options ndots:3$/m);
  assert.match(r.out, /ro-ok|Read-only file system/);
  assert.match(r.out, /tmpfs-ok/);
  assert.match(r.out, /\s8192\s/);
  assert.match(r.out, /^1$/m, 'loopback only');
  assert.match(r.out, /\/sbin\/docker-init -- sh -c/);
  assert.match(r.out, /CapEff:\s+0000000000000000/); // non-root user: no effective caps
  const host = await runToExit({ Cmd: ['sh', '-c', 'ip -o link | wc -l; grep CapEff /proc/self/status'], HostConfig: { NetworkMode: 'host' } });
  assert.equal(host.code, 0);
  assert.ok(Number(host.out.split('\n')[0]) > 1, host.out);
  assert.match(host.out, /CapEff:\s+00000000a80425fb/);
  assert.deepEqual(Object.keys(host.info.NetworkSettings.Networks), ['host']);
  const fail = await runToExit({ Cmd: ['sh', '-c', 'exit 3'] });
  assert.equal(fail.code, 3);
  assert.equal(fail.info.State.ExitCode, 3);
  for (const x of [r.id, host.id, fail.id]) assert.equal((await d.request('DELETE', `/containers/${x}`)).status, 204);
});

test('runtimes: /info lists them with the default; --runtime runc works', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const info = (await d.request('GET', '/info')).json<{ Runtimes: Record<string, { path: string }>; DefaultRuntime: string }>();
  assert.ok(Object.keys(info.Runtimes).length >= 1);
  assert.ok(info.Runtimes[info.DefaultRuntime]);
  if (!info.Runtimes['runc']) return;
  const r = await runToExit({ Cmd: ['sh', '-c', 'echo from-runc'], HostConfig: { Runtime: 'runc' } });
  assert.equal(r.code, 0);
  assert.equal(r.info.HostConfig.Runtime, 'runc');
  assert.match(r.out, /from-runc/);
  assert.equal((await d.request('DELETE', `/containers/${r.id}`)).status, 204);
});

test('restart policies: on-failure:N with back-off, always, manual stop is not undone', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const id = await create({ Cmd: ['sh', '-c', 'exit 2'], HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } } });
  assert.equal((await d.request('POST', `/containers/${id}/start`)).status, 204);
  await waitFor('on-failure retries to finish', async () => {
    const i = await inspect(id);
    return i.RestartCount === 2 && i.State.Status === 'exited' && i.State.ExitCode === 2;
  });
  await sleep(500);
  const i = await inspect(id);
  assert.equal(i.RestartCount, 2);
  assert.equal(i.State.ExitCode, 2);

  const always = await create({ Cmd: ['sh', '-c', 'sleep 0.2; exit 0'], HostConfig: { RestartPolicy: { Name: 'always' } } });
  assert.equal((await d.request('POST', `/containers/${always}/start`)).status, 204);
  await waitFor('always restarts', async () => (await inspect(always)).RestartCount >= 2);
  await d.request('POST', `/containers/${always}/stop?t=1`);
  await waitFor('stopped', async () => (await inspect(always)).State.Status === 'exited');
  const count = (await inspect(always)).RestartCount;
  await sleep(1000);
  const after = await inspect(always);
  assert.equal(after.State.Status, 'exited');
  assert.equal(after.RestartCount, count);
  for (const x of [id, always]) assert.equal((await d.request('DELETE', `/containers/${x}?force=1`)).status, 204);
});

test('healthchecks: healthy, unhealthy, events, inspect log', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const ms = 1_000_000;
  const ctl = new AbortController();
  const events: string[] = [];
  const evReq = d.request('GET', `/events?filters=${encodeURIComponent(JSON.stringify({ event: ['health_status'] }))}&until=${Math.floor(Date.now() / 1000) + 8}`, { timeoutMs: 15_000 });
  const good = await create({ Cmd: ['sleep', '60'], Healthcheck: { Test: ['CMD-SHELL', 'test -e /bin/sh'], Interval: 200 * ms, Timeout: 2000 * ms, Retries: 2 } });
  const bad = await create({ Cmd: ['sleep', '60'], Healthcheck: { Test: ['CMD', 'false'], Interval: 200 * ms, Retries: 2 } });
  const none = await create({ Cmd: ['sleep', '60'], Healthcheck: { Test: ['NONE'] } });
  for (const x of [good, bad, none]) assert.equal((await d.request('POST', `/containers/${x}/start`)).status, 204);
  assert.match((await inspect(good)).State.Health?.Status ?? '', /^(starting|healthy)$/);
  await waitFor('healthy', async () => (await inspect(good)).State.Health?.Status === 'healthy');
  await waitFor('unhealthy', async () => (await inspect(bad)).State.Health?.Status === 'unhealthy');
  const b = await inspect(bad);
  assert.ok((b.State.Health?.FailingStreak ?? 0) >= 2);
  assert.equal(b.State.Health?.Log.at(-1)?.ExitCode, 1);
  assert.equal((await inspect(none)).State.Health, undefined);
  const ps = (await d.request('GET', `/containers/json?filters=${encodeURIComponent(JSON.stringify({ health: ['healthy'] }))}`)).json<{ Id: string; Status: string }[]>();
  assert.deepEqual(ps.map((c) => c.Id), [good]);
  assert.match(ps[0]?.Status ?? '', /\(healthy\)$/);
  for (const x of [good, bad, none]) assert.equal((await d.request('DELETE', `/containers/${x}?force=1`)).status, 204);
  ctl.abort();
  for (const line of (await evReq).text.split('\n').filter(Boolean)) events.push((JSON.parse(line) as { Action: string }).Action);
  assert.ok(events.includes('health_status: healthy'), events.join(','));
  assert.ok(events.includes('health_status: unhealthy'), events.join(','));
});

test('docker CLI: run -d, ps --format, inspect, stop, wait, restart, rename, pause, rm -f, --rm', async (t) => {
  if (!need(t, isRoot(), 'root') || !need(t, hasDocker(), 'docker CLI')) return;
  const run = await d.docker(['run', '-d', '--name', 'cli1', '--label', 'k=v', 'busybox', 'sleep', '300']);
  assert.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const ps = await d.docker(['ps', '--format', '{{.ID}}|{{.Names}}|{{.Image}}|{{.Command}}|{{.Status}}|{{.Label "k"}}']);
  assert.equal(ps.code, 0, ps.stderr);
  assert.match(ps.stdout, new RegExp(`^${id.slice(0, 12)}\\|cli1\\|busybox\\|"sleep 300"\\|Up .*\\|v$`, 'm'));
  const insp = await d.docker(['inspect', '--format', '{{.Name}} {{.State.Status}} {{.Config.Image}} {{.HostConfig.RestartPolicy.Name}}', 'cli1']);
  assert.equal(insp.stdout.trim(), '/cli1 running busybox no');
  const full = JSON.parse((await d.docker(['inspect', 'cli1'])).stdout) as Inspect[];
  assert.equal(full[0]?.Id, id);

  assert.equal((await d.docker(['pause', 'cli1'])).code, 0);
  assert.match((await d.docker(['ps', '--format', '{{.Status}}', '--filter', 'name=cli1'])).stdout, /\(Paused\)/);
  assert.equal((await d.docker(['unpause', 'cli1'])).code, 0);

  assert.equal((await d.docker(['restart', '-t', '1', 'cli1'])).code, 0);
  assert.equal((await d.docker(['inspect', '--format', '{{.State.Status}}', 'cli1'])).stdout.trim(), 'running');

  const wait = d.docker(['wait', 'cli1']);
  const stop = await d.docker(['stop', '-t', '1', 'cli1']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(stop.stdout.trim(), 'cli1');
  assert.equal((await wait).stdout.trim(), '137');

  assert.equal((await d.docker(['rename', 'cli1', 'cli2'])).code, 0);
  assert.equal((await d.docker(['inspect', '--format', '{{.Name}}', id])).stdout.trim(), '/cli2');
  assert.equal((await d.docker(['start', 'cli2'])).code, 0);
  const rm = await d.docker(['rm', 'cli2']);
  assert.notEqual(rm.code, 0);
  assert.match(rm.stderr, /container is running: stop the container before removing or force remove/);
  assert.equal((await d.docker(['rm', '-f', 'cli2'])).code, 0);
  assert.equal((await d.docker(['ps', '-a', '-q', '--filter', `id=${id}`])).stdout.trim(), '');

  // --rm: removed by the daemon when it exits
  const tmp = await d.docker(['run', '-d', '--rm', '--name', 'cli-rm', 'busybox', 'sh', '-c', 'sleep 0.3']);
  assert.equal(tmp.code, 0, tmp.stderr);
  await waitFor('auto-removed', async () => (await d.request('GET', '/containers/cli-rm/json')).status === 404);

  const bad = await d.docker(['run', '-d', '--name', 'cli-bad', 'busybox', 'no-such-command']);
  assert.equal(bad.code, 127, bad.stderr);
  // (the message as the CLI prints it; berth's error bodies are JSON with Docker's text)
  assert.match(bad.stderr, /exec: \\?"no-such-command\\?": executable file not found in \$PATH/);
  assert.equal((await d.docker(['inspect', '--format', '{{.State.ExitCode}}', 'cli-bad'])).stdout.trim(), '127');
  assert.equal((await d.docker(['rm', 'cli-bad'])).code, 0);

  const badRestart = await d.docker(['run', '-d', '--restart', 'sometimes', 'busybox', 'true']);
  assert.equal(badRestart.code, 125);
  assert.match(badRestart.stderr, /invalid restart policy/);
  const noImg = await d.docker(['create', 'busybox:nope']);
  assert.notEqual(noImg.code, 0);
});

test('events: create, start, die, stop, kill, pause, unpause, rename, destroy', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const since = Math.floor(Date.now() / 1000) - 1;
  const id = await create({ Cmd: ['sleep', '60'] }, 'ev1');
  await d.request('POST', `/containers/${id}/start`);
  await d.request('POST', `/containers/${id}/pause`);
  await d.request('POST', `/containers/${id}/unpause`);
  await d.request('POST', `/containers/${id}/rename?name=ev2`);
  await d.request('POST', `/containers/${id}/stop?t=0`);
  await d.request('DELETE', `/containers/${id}`);
  const r = await d.request('GET', `/events?since=${since}&until=${Math.floor(Date.now() / 1000) + 1}&filters=${encodeURIComponent(JSON.stringify({ container: [id] }))}`);
  const evs = r.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Action: string; Actor: { Attributes: Record<string, string> } });
  const actions = evs.map((e) => e.Action);
  assert.deepEqual(actions.filter((a) => a !== 'kill'), ['create', 'start', 'pause', 'unpause', 'rename', 'die', 'stop', 'destroy']);
  assert.ok(actions.includes('kill'));
  assert.equal(evs.find((e) => e.Action === 'die')?.Actor.Attributes['exitCode'], '137');
  assert.equal(evs.find((e) => e.Action === 'rename')?.Actor.Attributes['oldName'], '/ev1');
});

test('prune removes stopped containers; /system/df and /info count containers', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const a = await runToExit({ Cmd: ['sh', '-c', 'echo x > /f'] });
  const live = await create({ Cmd: ['sleep', '60'] });
  await d.request('POST', `/containers/${live}/start`);
  const info = (await d.request('GET', '/info')).json<{ Containers: number; ContainersRunning: number; ContainersStopped: number }>();
  assert.ok(info.ContainersRunning >= 1 && info.ContainersStopped >= 1);
  const df = (await d.request('GET', '/system/df?type=container')).json<{ Containers: { Id: string; SizeRw: number }[] }>();
  assert.ok((df.Containers.find((c) => c.Id === a.id)?.SizeRw ?? 0) > 0);
  const p = (await d.request('POST', '/containers/prune')).json<{ ContainersDeleted: string[]; SpaceReclaimed: number }>();
  assert.ok(p.ContainersDeleted.includes(a.id));
  assert.ok(!p.ContainersDeleted.includes(live));
  assert.equal((await d.request('GET', `/containers/${live}/json`)).status, 200);
  assert.equal((await d.request('DELETE', `/containers/${live}?force=1`)).status, 204);
});

test('the generated config.json of running containers validates against the OCI runtime schema', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const validate = ociRuntimeConfigValidator();
  const cases: Record<string, unknown>[] = [
    {},
    { HostConfig: { Memory: 64 << 20, MemorySwap: 128 << 20, NanoCpus: 5e8, PidsLimit: 50, CapAdd: ['NET_ADMIN'], CapDrop: ['MKNOD'], Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }], Tmpfs: { '/scratch': 'size=1m' }, ReadonlyRootfs: true, Init: true, SecurityOpt: ['no-new-privileges'], Sysctls: { 'net.ipv4.ip_forward': '1' } } },
    { User: '33:33', Tty: true, OpenStdin: true, HostConfig: { Privileged: true, NetworkMode: 'none' } },
  ];
  for (const body of cases) {
    const c = await d.request('POST', '/containers/create', { body: { Image: 'busybox', Cmd: ['sleep', '60'], ...body } });
    assert.equal(c.status, 201, c.text);
    const id = c.json().Id as string;
    try {
      assert.equal((await d.request('POST', `/containers/${id}/start`)).status, 204);
      const spec = JSON.parse(fs.readFileSync(path.join(d.dataRoot, 'containers', id, 'bundle', 'config.json'), 'utf8'));
      assert.ok(validate(spec), `${JSON.stringify(body)}: ${JSON.stringify(validate.errors)}`);
    } finally {
      await d.request('DELETE', `/containers/${id}?force=1`);
    }
  }
});
