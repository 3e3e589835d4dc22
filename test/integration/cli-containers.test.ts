// berth container commands against a real berthd (crun + conmon): run (exit codes, stdin, TTY,
// --rm, -d), ps, logs, exec, stop/kill/wait, start -a, rename, pause, top, port, rm, prune, and
// docker's error texts; outputs compared with the docker CLI on the same daemon.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, need, isRoot, hasDocker, importBusybox, which, run, BERTH, type Daemon } from './harness.js';
import { sameAsDocker, ok } from './cli-helpers.js';

let d: Daemon;
before(async () => {
  if (!isRoot()) return;
  d = await startDaemon();
  await importBusybox(d);
});
after(async () => d?.cleanup());

test('run: output streams stay apart, the exit code is the container\'s, --rm removes it', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const r = await d.berth(['run', '--name', 'three', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  const rm = await ok(d, ['run', '--rm', 'busybox', 'echo', 'bye']);
  assert.equal(rm.stdout, 'bye\n');
  const names = (await ok(d, ['ps', '-a', '--format', '{{.Names}}'])).stdout;
  assert.match(names, /^three$/m);
  assert.equal((await ok(d, ['ps', '-aq'])).stdout.trim().split('\n').length, 1, 'the --rm container is gone');
  const env = await ok(d, ['run', '--rm', '-e', 'A=1', '--env', 'B=two', '-w', '/tmp', '-u', '1:1', '-h', 'boxy', 'busybox', 'sh', '-c', 'echo $A $B $(pwd) $(id -u) $(hostname)']);
  assert.equal(env.stdout, '1 two /tmp 1 boxy\n');
  const code = await d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'exit 42']);
  assert.equal(code.code, 42);
  const killed = await d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'sleep 60 & kill -9 $!; wait $!']);
  assert.equal(killed.code, 137);
});

test('run -i passes stdin through and closes it at EOF; -t gives a TTY', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const r = await d.berth(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; echo done'], { input: 'line one\nline two\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'line one\nline two\ndone\n');
  const notTty = await d.berth(['run', '--rm', '-it', 'busybox', 'true'], { input: '' });
  assert.equal(notTty.code, 1);
  assert.match(notTty.stderr, /the input device is not a TTY/);
  if (!need(t, which('script') !== undefined, 'script (util-linux)')) return;
  const cmd = `${BERTH} run --rm -it busybox sh -c 'tty; echo $((6*7))'`;
  const tty = await run('script', ['-qec', cmd, '/dev/null'], { env: d.clientEnv(), timeoutMs: 30_000 });
  assert.equal(tty.code, 0, tty.stdout + tty.stderr);
  assert.match(tty.stdout, /\/dev\/pts\/\d+\r*\n42\r*\n/);
});

test('run -d prints the ID; ps, logs, exec, top and port match docker', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const r = await ok(d, ['run', '-d', '--name', 'web', '-l', 'tier=front', '-p', '127.0.0.1:18080:80', 'busybox', 'sh', '-c', 'echo started; echo oops >&2; exec sleep 300']);
  assert.match(r.stdout, /^[0-9a-f]{64}\n$/);
  const id = r.stdout.trim();
  const ps = await ok(d, ['ps']);
  assert.match(ps.stdout, /^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES\n/);
  assert.match(ps.stdout, new RegExp(`\\n${id.slice(0, 12)} +busybox +"sh -c echo started;…" +.* ago +Up .* +127\\.0\\.0\\.1:18080->80/tcp +web\\n`));
  const logs = await ok(d, ['logs', 'web']);
  assert.equal(logs.stdout, 'started\n');
  assert.equal(logs.stderr, 'oops\n');
  const exec = await d.berth(['exec', '-e', 'X=9', 'web', 'sh', '-c', 'echo $X; exit 7']);
  assert.equal(exec.code, 7);
  assert.equal(exec.stdout, '9\n');
  const execIn = await d.berth(['exec', '-i', 'web', 'cat'], { input: 'piped\n' });
  assert.equal(execIn.stdout, 'piped\n');
  assert.equal((await ok(d, ['port', 'web'])).stdout, '80/tcp -> 127.0.0.1:18080\n');
  assert.equal((await ok(d, ['port', 'web', '80'])).stdout, '127.0.0.1:18080\n');
  if (!need(t, hasDocker(), 'docker CLI')) return;
  for (const args of [
    ['ps'],
    ['ps', '-a'],
    ['ps', '-q'],
    ['ps', '--no-trunc'],
    ['ps', '-s'],
    ['ps', '-l'],
    ['ps', '-n', '1'],
    ['ps', '--filter', 'label=tier=front'],
    ['ps', '--format', '{{.Names}} {{.Label "tier"}} {{.Labels}} {{.Ports}} {{.State}}'],
    ['ps', '--format', 'table {{.ID}}\t{{.Names}}\t{{.Networks}}'],
    ['ps', '--format', 'json'],
    ['logs', 'web'],
    ['logs', '--tail', '1', 'web'],
    ['exec', 'web', 'sh', '-c', 'exit 5'],
    ['exec', 'web', 'nope'],
    ['top', 'web'],
    ['port', 'web'],
    ['port', 'web', '80/tcp'],
    ['port', 'web', '81'],
    ['inspect', '-f', '{{.Name}} {{.State.Status}} {{.Config.Labels}} {{json .HostConfig.PortBindings}}', 'web'],
    ['container', 'inspect', '-f', '{{json .Config.Cmd}}', 'web'],
  ]) {
    await sameAsDocker(d, args);
  }
});

test('stop, kill, wait, restart, pause, rename, rm: echo the names, print exit codes', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  await ok(d, ['run', '-d', '--name', 'life', 'busybox', 'sleep', '300']);
  assert.equal((await ok(d, ['pause', 'life'])).stdout, 'life\n');
  assert.match((await ok(d, ['ps', '--filter', 'name=life', '--format', '{{.Status}}'])).stdout, /\(Paused\)/);
  assert.equal((await ok(d, ['unpause', 'life'])).stdout, 'life\n');
  assert.equal((await ok(d, ['rename', 'life', 'life2'])).stdout, '');
  const [stop, wait] = await Promise.all([ok(d, ['stop', '-t', '1', 'life2']), ok(d, ['wait', 'life2'])]);
  assert.equal(stop.stdout, 'life2\n');
  assert.equal(wait.stdout, '137\n');
  assert.equal((await ok(d, ['restart', '-t', '0', 'life2'])).stdout, 'life2\n');
  assert.equal((await ok(d, ['kill', '-s', 'KILL', 'life2'])).stdout, 'life2\n');
  assert.equal((await ok(d, ['wait', 'life2'])).stdout, '137\n');
  const some = await d.berth(['rm', 'life2', 'nope']);
  assert.equal(some.code, 1);
  assert.equal(some.stdout, 'life2\n');
  assert.equal(some.stderr, 'Error response from daemon: No such container: nope\n');
  if (!need(t, hasDocker(), 'docker CLI')) return;
  for (const args of [['stop', 'nope'], ['kill', 'nope'], ['wait', 'nope'], ['rename', 'nope', 'x'], ['pause', 'nope'], ['logs', 'nope'], ['top', 'nope'], ['exec', 'nope', 'true']]) {
    await sameAsDocker(d, args);
  }
});

test('create, then start -a: output and exit code; start without -a prints the name', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const cidfile = path.join(d.root, 'cid');
  const c = await ok(d, ['create', '--cidfile', cidfile, '--name', 'later', 'busybox', 'sh', '-c', 'echo hi from later; exit 4']);
  const id = c.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal(fs.readFileSync(cidfile, 'utf8'), id);
  const again = await d.berth(['create', '--cidfile', cidfile, 'busybox']);
  assert.equal(again.code, 125);
  assert.match(again.stderr, /Container ID file found, make sure the other container isn't running or delete/);
  const s = await d.berth(['start', '-a', 'later']);
  assert.equal(s.code, 4);
  assert.equal(s.stdout, 'hi from later\n');
  assert.equal((await ok(d, ['start', 'later'])).stdout, 'later\n');
  const inspect = await ok(d, ['inspect', '-f', '{{.State.Status}}', 'later']);
  assert.match(inspect.stdout, /^(running|exited)\n$/);
});

test('run and create errors: docker\'s texts and exit codes (125, 126/127)', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const missing = await d.berth(['run', 'nope:1']);
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, /^Unable to find image 'nope:1' locally\nberth: Error response from daemon: .+\n\nRun 'berth run --help' for more information\n$/);
  const cmd = await d.berth(['run', '--rm', 'busybox', 'no-such-command']);
  assert.equal(cmd.code, 127);
  assert.match(cmd.stderr, /^berth: Error response from daemon: .*no-such-command.*\n\nRun 'berth run --help' for more information\n$/);
  const port = await d.berth(['run', '-p', 'abc', 'busybox']);
  assert.equal(port.code, 125);
  assert.equal(port.stderr, "berth: invalid containerPort: abc\n\nRun 'berth run --help' for more information\n");
  if (!need(t, hasDocker(), 'docker CLI')) return;
  await ok(d, ['create', '--name', 'taken', 'busybox']);
  for (const args of [
    ['create', '--name', 'taken', 'busybox'],
    ['run', '--name', 'taken', 'busybox'],
    ['run', '-p', 'abc', 'busybox'],
    ['create', '-p', '1:2:3:4', 'busybox'],
    ['run', '--restart', 'bad', 'busybox'],
    ['create', '--restart', 'on-failure:x', 'busybox'],
    ['run', '-m', 'lots', 'busybox'],
    ['run', '--mount', 'type=bind', 'busybox'],
    ['run', '--ulimit', 'nofile', 'busybox'],
    ['run', '-p', '[::1]:80:80', '--name', 'v6', '--network', 'none', '-d', 'busybox', 'true'].slice(0, 0).concat(['create', '-p', '1.2.3:80:80', 'busybox']),
  ]) {
    await sameAsDocker(d, args);
  }
});

test('flags become Config/HostConfig as docker\'s CLI sends them', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const c = await ok(d, [
    'create', '--name', 'flags', '--init', '--read-only', '--tmpfs', '/run:size=1m', '--shm-size', '2m', '--stop-signal', 'SIGUSR1', '--stop-timeout', '7',
    '--add-host', 'db:10.0.0.2', '--dns', '1.1.1.1', '--dns-search', 'example.com', '--dns-option', 'ndots:2', '--restart', 'on-failure:3',
    '--cap-add', 'NET_ADMIN', '--cap-drop', 'MKNOD', '--security-opt', 'no-new-privileges', '-m', '64m', '--cpus', '1.5', '--pids-limit', '50',
    '--health-cmd', 'true', '--health-interval', '5s', '--entrypoint', '/bin/sh', '--label', 'a=b', '--env', 'E=1', '-v', '/srv', '--network', 'none',
    'busybox', '-c', 'true',
  ]);
  const id = c.stdout.trim();
  const info = JSON.parse((await ok(d, ['inspect', id])).stdout)[0] as { Config: Record<string, unknown>; HostConfig: Record<string, unknown> };
  assert.deepEqual(info.Config['Entrypoint'], ['/bin/sh']);
  assert.deepEqual(info.Config['Cmd'], ['-c', 'true']);
  assert.equal(info.Config['StopSignal'], 'SIGUSR1');
  assert.equal(info.Config['StopTimeout'], 7);
  assert.deepEqual((info.Config['Healthcheck'] as { Test: string[] }).Test, ['CMD-SHELL', 'true']);
  assert.equal((info.Config['Healthcheck'] as { Interval: number }).Interval, 5_000_000_000);
  assert.equal(info.HostConfig['Init'], true);
  assert.equal(info.HostConfig['ReadonlyRootfs'], true);
  assert.deepEqual(info.HostConfig['Tmpfs'], { '/run': 'size=1m' });
  assert.equal(info.HostConfig['ShmSize'], 2 * 1024 * 1024);
  assert.deepEqual(info.HostConfig['ExtraHosts'], ['db:10.0.0.2']);
  assert.deepEqual(info.HostConfig['Dns'], ['1.1.1.1']);
  assert.deepEqual(info.HostConfig['RestartPolicy'], { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.equal(info.HostConfig['Memory'], 64 * 1024 * 1024);
  assert.equal(info.HostConfig['NanoCpus'], 1_500_000_000);
  assert.equal(info.HostConfig['PidsLimit'], 50);
  assert.deepEqual(info.HostConfig['CapAdd'], ['NET_ADMIN']);
  assert.equal(info.HostConfig['NetworkMode'], 'none');
  await ok(d, ['rm', id]);
});

test('container prune removes stopped containers and reports them', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  await ok(d, ['run', '--name', 'done1', 'busybox', 'true']);
  const r = await ok(d, ['container', 'prune', '-f']);
  assert.match(r.stdout, /^Deleted Containers:\n([0-9a-f]{64}\n)+\nTotal reclaimed space: \S+\n$/);
  assert.equal((await ok(d, ['ps', '-a', '--filter', 'status=exited', '-q'])).stdout, '');
  if (!need(t, hasDocker(), 'docker CLI')) return;
  await sameAsDocker(d, ['container', 'prune', '-f']);
});

test('log drivers: json-file by default, none keeps nothing readable, unknown drivers refused (berth and docker)', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const plain = await ok(d, ['run', '-d', '--name', 'logdef', 'busybox', 'echo', 'hello']);
  assert.match(plain.stdout, /^[0-9a-f]{64}\n$/);
  assert.equal((await ok(d, ['inspect', '-f', '{{.HostConfig.LogConfig.Type}}', 'logdef'])).stdout, 'json-file\n');
  assert.equal((await ok(d, ['wait', 'logdef'])).stdout, '0\n');
  assert.equal((await ok(d, ['logs', 'logdef'])).stdout, 'hello\n');
  await ok(d, ['run', '-d', '--name', 'lognone', '--log-driver', 'none', 'busybox', 'echo', 'gone']);
  await ok(d, ['wait', 'lognone']);
  const none = await d.berth(['logs', 'lognone']);
  assert.equal(none.code, 1);
  assert.equal(none.stderr, 'Error response from daemon: configured logging driver does not support reading\n');
  const bad = await d.berth(['run', '--rm', '--log-driver', 'nosuch', 'busybox', 'true']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /logger: no log driver named 'nosuch' is registered/);
  if (!need(t, hasDocker(), 'the docker CLI')) return;
  const dn = await d.docker(['logs', 'lognone']);
  assert.equal(dn.code, 1);
  assert.equal(dn.stderr, 'Error response from daemon: configured logging driver does not support reading\n');
  await ok(d, ['rm', 'logdef', 'lognone']);
});

test('inspect finds containers, images, networks and volumes, as docker does', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  await ok(d, ['volume', 'create', 'insp-vol']);
  await ok(d, ['network', 'create', '--subnet', '10.213.90.0/24', 'insp-net']);
  try {
    const r = await ok(d, ['inspect', '-f', '{{.Name}}', 'insp-vol', 'insp-net']);
    assert.equal(r.stdout, 'insp-vol\ninsp-net\n');
    const typed = await d.berth(['inspect', '--type', 'volume', 'insp-net']);
    assert.equal(typed.code, 1);
    assert.match(typed.stderr, /no such volume/i);
    if (!need(t, hasDocker(), 'the docker CLI')) return;
    const dk = await d.docker(['inspect', '-f', '{{.Name}}', 'insp-vol', 'insp-net']);
    assert.equal(dk.stdout, r.stdout);
  } finally {
    await d.berth(['volume', 'rm', 'insp-vol']);
    await d.berth(['network', 'rm', 'insp-net']);
  }
});
