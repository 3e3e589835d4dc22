import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ShellSpawner, resolveCommand, shQuote } from './shell-spawner.js';
import { SpawnPool } from './spawn-pool.js';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-shell-')));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// both shells where they exist: busybox's (what berthd prefers) and /bin/sh
const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p));
const shells: [string, string[]][] = [['/bin/sh', ['/bin/sh']], ...(busybox ? [['busybox sh', [busybox, 'sh']] as [string, string[]]] : [])];

test('resolveCommand: bare names are looked up on PATH like spawn() does', () => {
  assert.equal(resolveCommand('/bin/true'), '/bin/true');
  assert.match(resolveCommand('sh'), /^\/.*\/sh$/);
  assert.equal(resolveCommand('no-such-command-here'), 'no-such-command-here');
});

test('shQuote: any bytes but NUL survive as one word', () => {
  assert.equal(shQuote(`it's`), `'it'\\''s'`);
  assert.equal(ShellSpawner.accepts({ cmd: 'a', args: ['b\nc'] }), false);
  assert.equal(ShellSpawner.accepts({ cmd: 'a', args: ['b c', `'"$x`] }), true);
  assert.equal(ShellSpawner.accepts({ cmd: 'a', args: [], env: { 'BAD-NAME': '1' } }), false);
});

for (const [name, shell] of shells) {
  test(`ShellSpawner (${name}).run: output, input, exit codes, cwd, quoting, concurrency, timeout`, async (t) => {
    const dir = tmp(t);
    const sp = new ShellSpawner(shell, path.join(dir, 'spawn'));
    t.after(() => sp.close());
    assert.deepEqual(await sp.run({ cmd: 'sh', args: ['-c', 'cat; echo err >&2; exit 3'], input: 'hi' }), { code: 3, stdout: 'hi', stderr: 'err\n' });
    const odd = [`it's`, '$HOME', '`id`', '"q"', ' two  spaces ', '\\n', ''];
    const echoed = await sp.run({ cmd: 'printf', args: ['%s|', ...odd] });
    assert.equal(echoed.stdout, odd.map((a) => `${a}|`).join(''));
    assert.equal((await sp.run({ cmd: 'pwd', args: [], cwd: dir })).stdout.trim(), dir);
    assert.equal((await sp.run({ cmd: 'sh', args: ['-c', 'printf %s "$FOO"'], env: { FOO: `a'b $x` } })).stdout, `a'b $x`, 'env for the command');
    const missingCwd = await sp.run({ cmd: 'pwd', args: [], cwd: path.join(dir, 'missing') });
    assert.equal(missingCwd.code, -1);
    assert.notEqual(missingCwd.stderr, '');
    assert.notEqual((await sp.run({ cmd: path.join(dir, 'no-such-binary'), args: [] })).code, 0);
    assert.deepEqual(await sp.run({ cmd: 'no-such-command-here', args: [] }), { code: -1, stdout: '', stderr: 'spawn no-such-command-here ENOENT' });
    // a bare name is the program on PATH, never one of busybox's applets (its `ip` has no -batch)
    if (resolveCommand('ip').startsWith('/')) {
      const ip = await sp.run({ cmd: 'ip', args: ['-V'] });
      assert.match(ip.stdout, /iproute2/, `${name}: iproute2's ip, not an applet`);
    }
    // many at once: each gets its own result
    const many = await Promise.all(Array.from({ length: 40 }, (_, i) => sp.run({ cmd: 'sh', args: ['-c', `echo ${i}; exit ${i % 7}`] })));
    many.forEach((r, i) => assert.deepEqual([r.code, r.stdout], [i % 7, `${i}\n`]));
    // a timeout kills the command (SIGKILL: 128+9)
    const t0 = Date.now();
    const slow = await sp.run({ cmd: 'sleep', args: ['30'], timeoutMs: 200 });
    assert.equal(slow.code, 137);
    assert.ok(Date.now() - t0 < 10_000);
    const ac = new AbortController();
    const aborted = sp.run({ cmd: 'sleep', args: ['30'] }, ac.signal);
    setTimeout(() => ac.abort(), 100);
    assert.equal((await aborted).code, 137);
    // nothing is left in the output directory
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(fs.readdirSync(path.join(dir, 'spawn')), []);
  });

  test(`ShellSpawner (${name}).conmon: the sync pipe's first message, the pid file, env and errors`, async (t) => {
    const dir = tmp(t);
    const sp = new ShellSpawner(shell, path.join(dir, 'spawn'));
    t.after(() => sp.close());
    // a stand-in for conmon: reads its start pipe, writes the pid file and one sync message
    const fake = path.join(dir, 'fake-conmon');
    fs.writeFileSync(
      fake,
      `#!/bin/sh
read -r _ <&4 || true
[ "$FAKE_MODE" = fail ] && { printf '%s\\n' '{"data": -1, "message": "executable file not found in $PATH"}' >&3; exit 1; }
[ "$FAKE_MODE" = silent ] && { echo broken >&2; exit 1; }
echo "$$" > "$1"
printf '{"data": %s}\\n' "$(pwd | wc -c)" >&3
`,
      { mode: 0o755 },
    );
    const pidFile = path.join(dir, 'conmon.pid');
    const ok = await sp.conmon({ cmd: fake, args: [pidFile], env: { _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', FAKE_MODE: 'ok' }, cwd: dir, pidFile, timeoutMs: 10_000 });
    assert.equal(ok.error, undefined);
    assert.equal(ok.data, dir.length + 1, 'ran in the cwd');
    assert.ok(ok.conmonPid > 0);
    const failed = await sp.conmon({ cmd: fake, args: [pidFile], env: { _OCI_SYNCPIPE: '3', FAKE_MODE: 'fail' }, cwd: dir, pidFile, timeoutMs: 10_000 });
    assert.equal(failed.data, -1);
    assert.equal(failed.message, 'executable file not found in $PATH');
    const silent = await sp.conmon({ cmd: fake, args: [pidFile], env: { _OCI_SYNCPIPE: '3', FAKE_MODE: 'silent' }, cwd: dir, pidFile, timeoutMs: 10_000 });
    assert.equal(silent.data, -1);
    assert.match(silent.error ?? '', /closed the sync pipe without a pid/);
    assert.equal(silent.stderr.trim(), 'broken');
  });
}

test('SpawnPool with a shell: requests it cannot carry (a newline in an argument) go to the workers', async (t) => {
  const dir = tmp(t);
  const pool = new SpawnPool(1, 50);
  pool.useShell(new ShellSpawner(['/bin/sh'], path.join(dir, 'spawn')));
  try {
    assert.equal((await pool.run({ cmd: 'printf', args: ['%s', 'a\nb'] })).stdout, 'a\nb');
    assert.equal((await pool.run({ cmd: 'printf', args: ['%s', 'a b'] })).stdout, 'a b');
    // a shell that cannot start: the pool notices and uses its workers
    pool.useShell(new ShellSpawner([path.join(dir, 'no-shell')], path.join(dir, 'spawn2')));
    const first = await pool.run({ cmd: 'true', args: [] });
    assert.equal(first.code, -1, 'the request in flight fails');
    assert.equal((await pool.run({ cmd: 'printf', args: ['ok'] })).stdout, 'ok');
  } finally {
    await pool.close();
  }
});
