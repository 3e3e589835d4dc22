// Interactive TTY sessions through a real pseudo-terminal (util-linux `script`): `run -it`,
// detaching with ctrl-p ctrl-q (the client returns, the container runs on), `attach` again and
// the container's exit code as attach's, with berth and with the docker CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startDaemon, need, isRoot, hasDocker, importBusybox, which, sleep, BERTH, type Daemon } from './harness.js';

let d: Daemon;
before(async () => {
  if (!isRoot()) return;
  d = await startDaemon();
  await importBusybox(d);
});
after(async () => d?.cleanup());

const DETACH = '\x10\x11'; // ctrl-p ctrl-q

/** Run `cmd` on a pty, typing each input after its delay; resolves with the exit code and output. */
function ttySession(cmd: string, inputs: [number, string][], timeoutMs = 20_000): Promise<{ code: number | null; out: string }> {
  const child = spawn('script', ['-qec', cmd, '/dev/null'], { env: d.clientEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const typing = (async () => {
    for (const [delay, text] of inputs) {
      await sleep(delay);
      if (child.exitCode !== null) return;
      child.stdin.write(text);
    }
  })();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      void typing.then(() => resolve({ code, out }));
    });
  });
}

async function state(name: string): Promise<{ Running: boolean; ExitCode: number }> {
  return (await d.request('GET', `/containers/${name}/json`)).json().State;
}

test('run -it, detach with ctrl-p ctrl-q, attach again, exit: the container runs on, attach returns its code', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  if (!need(t, which('script') !== undefined, 'script (util-linux)')) return;
  const first = await ttySession(`${BERTH} run -it --name tty1 busybox sh`, [[1500, 'echo hi-$((40+2))\r'], [700, DETACH]]);
  assert.equal(first.code, 0, first.out);
  assert.match(first.out, /hi-42/);
  assert.equal((await state('tty1')).Running, true, 'the container keeps running after a detach');
  const again = await ttySession(`${BERTH} attach tty1`, [[1500, 'echo back-$((1+1))\r'], [500, 'exit 7\r']]);
  assert.equal(again.code, 7, again.out);
  assert.match(again.out, /back-2/);
  const s = await state('tty1');
  assert.equal(s.Running, false);
  assert.equal(s.ExitCode, 7);
  // --rm: a detached container is not removed; it is when it exits
  const rm = await ttySession(`${BERTH} run -it --rm --name tty2 busybox sh`, [[1500, DETACH]]);
  assert.equal(rm.code, 0, rm.out);
  assert.equal((await state('tty2')).Running, true);
  assert.equal((await d.berth(['stop', '-t', '1', 'tty2'])).code, 0);
  for (let i = 0; i < 50 && (await d.request('GET', '/containers/tty2/json')).status !== 404; i++) await sleep(100);
  assert.equal((await d.request('GET', '/containers/tty2/json')).status, 404);
});

test('docker run -it detaches and docker attach gets the exit code', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  if (!need(t, which('script') !== undefined, 'script (util-linux)')) return;
  if (!need(t, hasDocker(), 'the docker CLI')) return;
  const first = await ttySession('docker run -it --name dk1 busybox sh', [[1500, 'echo hi-$((40+2))\r'], [700, DETACH]]);
  assert.equal(first.code, 0, first.out);
  assert.match(first.out, /hi-42/);
  assert.equal((await state('dk1')).Running, true);
  const again = await ttySession('docker attach dk1', [[1500, 'exit 5\r']]);
  assert.equal(again.code, 5, again.out);
  assert.equal((await state('dk1')).ExitCode, 5);
});
