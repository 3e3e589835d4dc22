// Container streams with the real docker CLI against berthd: run (attached, exit code),
// run -d + logs -f + stop, exec (-u, -w, -e, exit codes), run -it through a pseudo-terminal,
// attach, top.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startDaemon, importBusybox, need, isRoot, which, hasDocker, sleep, type Daemon } from './harness.js';

const ok = isRoot() && hasDocker() && which('conmon') !== undefined && (which('crun') !== undefined || which('runc') !== undefined);
let d: Daemon;

before(async () => {
  if (!ok) return;
  d = await startDaemon();
  await importBusybox(d);
});
after(async () => d?.cleanup());

test('docker run --rm busybox echo hi: output and exit code', async (t) => {
  if (!need(t, ok, 'root, docker CLI, conmon, crun or runc')) return;
  const r = await d.docker(['run', '--rm', 'busybox', 'echo', 'hi']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'hi\n', '']);
  const e = await d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo to-err >&2; exit 3']);
  assert.equal(e.code, 3);
  assert.equal(e.stderr, 'to-err\n');
  const i = await d.docker(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; echo end'], { input: 'piped\n' });
  assert.deepEqual([i.code, i.stdout], [0, 'piped\nend\n']);
});

test('docker run -d, docker logs -f ends at docker stop; logs options', async (t) => {
  if (!need(t, ok, 'root, docker CLI, conmon, crun or runc')) return;
  const r = await d.docker(['run', '-d', '--name', 'ticker', 'busybox', 'sh', '-c', 'trap "exit 0" TERM; i=0; while true; do i=$((i+1)); echo tick$i; sleep 0.2; done']);
  assert.equal(r.code, 0, r.stderr);
  await sleep(700);
  const follow = d.docker(['logs', '-f', 'ticker'], { timeoutMs: 30_000 });
  await sleep(500);
  const stop = await d.docker(['stop', '-t', '5', 'ticker']);
  assert.equal(stop.code, 0, stop.stderr);
  const f = await follow;
  assert.equal(f.code, 0, f.stderr);
  const lines = f.stdout.trim().split('\n');
  assert.ok(lines.length >= 4, f.stdout);
  assert.equal(lines[0], 'tick1');
  const tail = await d.docker(['logs', '--tail', '2', 'ticker']);
  assert.deepEqual(tail.stdout.trim().split('\n'), lines.slice(-2));
  const ts = await d.docker(['logs', '-t', '--tail', '1', 'ticker']);
  assert.match(ts.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z tick\d+\n$/);
  const since = await d.docker(['logs', '--since', '1h', 'ticker']);
  assert.equal(since.stdout, f.stdout);
  const none = await d.docker(['logs', '--until', '2000-01-01T00:00:00Z', 'ticker']);
  assert.equal(none.stdout, '');
  const missing = await d.docker(['logs', 'no-such-ctr']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No such container: no-such-ctr/);
});

test('docker exec: output, exit codes, -u, -w, -e, -i, -t; stopped container', async (t) => {
  if (!need(t, ok, 'root, docker CLI, conmon, crun or runc')) return;
  assert.equal((await d.docker(['run', '-d', '--name', 'ex', 'busybox', 'sleep', '300'])).code, 0);
  const hi = await d.docker(['exec', 'ex', 'echo', 'hi']);
  assert.deepEqual([hi.code, hi.stdout], [0, 'hi\n']);
  assert.equal((await d.docker(['exec', 'ex', 'sh', '-c', 'exit 7'])).code, 7);
  assert.equal((await d.docker(['exec', '-u', 'nobody', 'ex', 'id', '-u'])).stdout, '65534\n');
  assert.equal((await d.docker(['exec', '-w', '/tmp', 'ex', 'pwd'])).stdout, '/tmp\n');
  assert.equal((await d.docker(['exec', '-e', 'A=b', 'ex', 'sh', '-c', 'echo $A'])).stdout, 'b\n');
  assert.equal((await d.docker(['exec', '-i', 'ex', 'sh', '-c', 'cat | tr a-z A-Z'], { input: 'shout\n' })).stdout, 'SHOUT\n');
  const nf = await d.docker(['exec', 'ex', 'no-such-binary']);
  assert.equal(nf.code, 127);
  assert.match(nf.stdout + nf.stderr, /executable file not found/);
  const det = await d.docker(['exec', '-d', 'ex', 'sh', '-c', 'echo detached > /tmp/det']);
  assert.equal(det.code, 0, det.stderr);
  await sleep(300);
  assert.equal((await d.docker(['exec', 'ex', 'cat', '/tmp/det'])).stdout, 'detached\n');
  if (which('script')) {
    const tty = await runInPty(`docker exec -t ex tty`, d);
    assert.match(tty, /\/dev\/pts\/\d+/);
  }
  assert.equal((await d.docker(['stop', '-t', '1', 'ex'])).code, 0);
  const stopped = await d.docker(['exec', 'ex', 'true']);
  assert.notEqual(stopped.code, 0);
  assert.match(stopped.stderr, /container [0-9a-f]{64} is not running/);
});

/** Run a shell command line under a pseudo-terminal (util-linux script) and return its output. */
function runInPty(cmdline: string, daemon: Daemon, input?: string, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', cmdline, '/dev/null'], { env: daemon.clientEnv({ TERM: 'xterm' }), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    if (input !== undefined) {
      // give the CLI time to put the terminal in raw mode before typing
      setTimeout(() => child.stdin.write(input), 1500);
    }
  });
}

test('docker run -it through a pseudo-terminal', async (t) => {
  if (!need(t, ok && which('script') !== undefined, 'root, docker CLI, conmon, crun or runc, script')) return;
  const out = await runInPty(`stty rows 30 cols 100; docker run -it --rm busybox sh -c 'stty size; read x; echo "got-$x"'`, d, 'typed\r');
  assert.match(out, /got-typed/);
  assert.match(out, /^30 100\r?$/m, 'the container starts with the client terminal size');
});

test('docker attach and docker top', async (t) => {
  if (!need(t, ok, 'root, docker CLI, conmon, crun or runc')) return;
  assert.equal((await d.docker(['run', '-d', '--name', 'att', 'busybox', 'sh', '-c', 'sleep 1; echo attached-out; sleep 1; echo bye; exit 4'])).code, 0);
  const a = await d.docker(['attach', 'att'], { timeoutMs: 20_000 });
  assert.equal(a.code, 4);
  assert.match(a.stdout, /bye\n$/);
  const stopped = await d.docker(['attach', 'att']);
  assert.notEqual(stopped.code, 0);
  assert.match(stopped.stderr, /You cannot attach to a stopped container, start it first/);
  const unknown = await d.docker(['attach', 'nope-not-here']);
  assert.match(unknown.stderr, /No such container: nope-not-here/);

  assert.equal((await d.docker(['run', '-d', '--name', 'topper', 'busybox', 'sleep', '77'])).code, 0);
  const top = await d.docker(['top', 'topper']);
  assert.equal(top.code, 0, top.stderr);
  assert.match(top.stdout, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/m);
  assert.match(top.stdout, /sleep 77/);
  assert.equal(top.stdout.trim().split('\n').length, 2);
  const aux = await d.docker(['top', 'topper', 'aux']);
  assert.match(aux.stdout, /%CPU/);
  await d.docker(['rm', '-f', 'topper']);
});
