// The stream plumbing against conmon directly (no berthd): a busybox container under conmon
// and crun, its attach socket (SOCK_SEQPACKET via node-unix-socket), the k8s-file log,
// resize through the ctl FIFO, and exec sessions under conmon.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { need, isRoot, which, busyboxTar, REPO, sleep, killProcessesUnder, removeCgroupsNamed } from './harness.js';
import { ConmonAttachSocket, pump, parseDetachKeys, resizeTty } from '../../src/runtime/attach/index.js';
import { readLogs } from '../../src/runtime/logs/index.js';
import { startExec, cleanupExec } from '../../src/runtime/exec/conmon-exec.js';

const ok = isRoot() && which('conmon') !== undefined && which('crun') !== undefined;
let root = '';
let rootfs = '';
const crunRoot = (): string => path.join(root, 'crun');
const socks = (): string => path.join(root, 'socks');
const tag = `bsc${process.pid}`;
const started: string[] = [];

before(() => {
  if (!ok) return;
  root = fs.mkdtempSync('/tmp/bt-');
  rootfs = path.join(root, 'rootfs');
  fs.mkdirSync(rootfs);
  const r = spawnSync('tar', ['-xf', busyboxTar(), '-C', rootfs]);
  assert.equal(r.status, 0, String(r.stderr));
  fs.mkdirSync(socks());
  fs.mkdirSync(path.join(root, 'exits'));
});

after(() => {
  if (!root) return;
  for (const id of started) spawnSync('crun', ['--root', crunRoot(), 'delete', '-f', id]);
  killProcessesUnder(root);
  removeCgroupsNamed(tag);
  fs.rmSync(root, { recursive: true, force: true });
});

interface Ctr {
  id: string;
  bundle: string;
  log: string;
  attach: string;
  ctl: string;
  exitFile: string;
  start(): void;
}

let seq = 0;
async function create(args: string[], o: { tty?: boolean; stdin?: boolean; leaveStdinOpen?: boolean } = {}): Promise<Ctr> {
  const id = `${tag}c${seq++}`.padEnd(64, '0');
  const bundle = path.join(root, 'b', id.slice(0, 16));
  fs.mkdirSync(bundle, { recursive: true });
  const spec = {
    ociVersion: '1.0.2',
    process: {
      terminal: o.tty === true,
      user: { uid: 0, gid: 0 },
      args,
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root'],
      cwd: '/',
      noNewPrivileges: true,
    },
    root: { path: rootfs, readonly: true },
    hostname: 'streams',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      cgroupsPath: `/${tag}/${id.slice(0, 16)}`,
    },
  };
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
  const a = ['--api-version', '1', '-c', id, '-u', id, '-n', id.slice(0, 12), '-r', path.join(REPO, 'libexec/crun-unshare')];
  for (const x of ['/usr/bin/crun', '--root', crunRoot()]) a.push('--runtime-arg', x);
  a.push('-b', bundle, '-p', path.join(bundle, 'pidfile'), '-P', path.join(bundle, 'conmon.pid'), '-l', `k8s-file:${path.join(bundle, 'ctr.log')}`);
  a.push('--exit-dir', path.join(root, 'exits'), '--socket-dir-path', socks(), '--log-level', 'error');
  if (o.stdin) a.push('-i');
  if (o.tty) a.push('-t');
  if (o.leaveStdinOpen) a.push('--leave-stdin-open');
  const child = spawn('conmon', a, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], env: { ...process.env, _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4' }, detached: true, cwd: bundle });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  (child.stdio[4] as NodeJS.WritableStream).end('0');
  const line = await new Promise<string>((resolve) => {
    let buf = '';
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(buf);
    });
    (child.stdio[3] as NodeJS.ReadableStream).on('end', () => resolve(buf));
  });
  child.unref();
  (child.stdio[3] as NodeJS.ReadableStream & { destroy(): void }).destroy();
  const pid = (JSON.parse(line) as { data: number }).data;
  assert.ok(pid > 0, `conmon: ${line} ${err}`);
  started.push(id);
  return {
    id,
    bundle,
    log: path.join(bundle, 'ctr.log'),
    attach: path.join(socks(), id, 'attach'),
    ctl: path.join(bundle, 'ctl'),
    exitFile: path.join(root, 'exits', id),
    start() {
      const r = spawnSync('crun', ['--root', crunRoot(), 'start', id]);
      assert.equal(r.status, 0, String(r.stderr));
    },
  };
}

async function exitCode(c: Ctr, timeoutMs = 10_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      const t = fs.readFileSync(c.exitFile, 'utf8');
      if (t) return Number(t);
    } catch {
      /* not yet */
    }
    await sleep(20);
  }
  throw new Error('container did not exit');
}

function collector(): { out: string[]; client: { output(s: 'stdout' | 'stderr', d: Buffer): Promise<void> } } {
  const out: string[] = [];
  return { out, client: { output: async (s, d) => void out.push(`${s}:${d.toString()}`) } };
}

test('attach before start gets all output; streams stay apart; the end of the container ends it', async (t) => {
  if (!need(t, ok, 'root, conmon, crun')) return;
  const c = await create(['sh', '-c', 'echo out1; echo err1 >&2; printf partial; echo; exit 3']);
  const conn = await ConmonAttachSocket.connect(c.attach);
  const { out, client } = collector();
  const p = pump(conn, client, { stdout: true, stderr: true, detachKeys: Buffer.alloc(0), closeStdinOnEof: false });
  c.start();
  assert.equal(await p, 'exited');
  conn.close();
  assert.equal(await exitCode(c), 3);
  assert.equal(out.filter((x) => x.startsWith('stderr')).join(''), 'stderr:err1\n');
  assert.equal(out.filter((x) => x.startsWith('stdout')).map((x) => x.slice(7)).join(''), 'out1\npartial\n');
  // The same output is in the log file, joined and apart.
  const msgs: string[] = [];
  for await (const m of readLogs(c.log)) msgs.push(`${m.stream}:${m.line.toString()}`);
  assert.deepEqual(msgs.sort(), ['stderr:err1\n', 'stdout:out1\n', 'stdout:partial\n'].sort());
});

test('stdin: input reaches the container; detach keys end the session and leave it running', async (t) => {
  if (!need(t, ok, 'root, conmon, crun')) return;
  const c = await create(['sh', '-c', 'while read l; do echo "got $l"; done; echo stdin-closed; sleep 30'], { stdin: true });
  c.start();
  const conn = await ConmonAttachSocket.connect(c.attach);
  const stdin = new PassThrough();
  const { out, client } = collector();
  const p = pump(conn, { ...client, stdin }, { stdout: true, stderr: true, detachKeys: parseDetachKeys('ctrl-p,ctrl-q'), closeStdinOnEof: true });
  stdin.write('hello\n');
  for (let i = 0; i < 100 && !out.join('').includes('got hello'); i++) await sleep(20);
  assert.match(out.join(''), /got hello/);
  stdin.write('x\x10y\n');
  for (let i = 0; i < 100 && !out.join('').includes('got x'); i++) await sleep(20);
  assert.match(out.join(''), /got x\x10y/, 'a broken-off detach sequence reaches the container');
  stdin.write('\x10\x11ignored\n');
  assert.equal(await p, 'detached');
  conn.close(); // no --leave-stdin-open: conmon closes the container's stdin (StdinOnce)
  for (let i = 0; i < 100 && !fs.readFileSync(c.log, 'utf8').includes('stdin-closed'); i++) await sleep(20);
  assert.match(fs.readFileSync(c.log, 'utf8'), /stdin-closed/);
  assert.equal(fs.existsSync(c.exitFile), false, 'still running after detach');
  spawnSync('crun', ['--root', crunRoot(), 'kill', c.id, 'KILL']);
  assert.equal(await exitCode(c), 137);
});

test('stdin EOF with StdinOnce closes the container stdin and output continues to the end', async (t) => {
  if (!need(t, ok, 'root, conmon, crun')) return;
  const c = await create(['sh', '-c', 'cat; echo done'], { stdin: true });
  const conn = await ConmonAttachSocket.connect(c.attach);
  const stdin = new PassThrough();
  const { out, client } = collector();
  const p = pump(conn, { ...client, stdin }, { stdout: true, stderr: true, detachKeys: Buffer.alloc(0), closeStdinOnEof: true });
  c.start();
  stdin.end('abc\n');
  assert.equal(await p, 'exited');
  conn.close();
  assert.equal(out.map((x) => x.slice(7)).join(''), 'abc\ndone\n');
  assert.equal(await exitCode(c), 0);
});

test('tty: resize through the ctl FIFO shows in stty size', async (t) => {
  if (!need(t, ok, 'root, conmon, crun')) return;
  const c = await create(['sh', '-c', 'sleep 0.5; stty size; sleep 0.5; stty size'], { tty: true, stdin: true, leaveStdinOpen: true });
  const conn = await ConmonAttachSocket.connect(c.attach);
  const { out, client } = collector();
  const p = pump(conn, client, { stdout: true, stderr: true, detachKeys: Buffer.alloc(0), closeStdinOnEof: false });
  c.start();
  await sleep(100);
  await resizeTty(c.ctl, 50, 120);
  await sleep(600);
  await resizeTty(c.ctl, 33, 99);
  assert.equal(await p, 'exited');
  conn.close();
  const text = out.map((x) => x.slice(7)).join('');
  assert.match(text, /50 120\r\n/);
  assert.match(text, /33 99\r\n/);
  assert.ok(out.every((x) => x.startsWith('stdout:')), 'a tty has one stream');
  await exitCode(c);
  // conmon writes the exit file just before it exits (and closes the FIFO)
  const conmonPid = Number(fs.readFileSync(path.join(c.bundle, 'conmon.pid'), 'utf8'));
  for (let i = 0; i < 200 && fs.existsSync(`/proc/${conmonPid}`); i++) await sleep(10);
  await assert.rejects(resizeTty(c.ctl, 1, 1), /not running/);
});

test('exec under conmon: output, exit code, attach before run, tty, missing binary', async (t) => {
  if (!need(t, ok, 'root, conmon, crun')) return;
  const c = await create(['sleep', '60']);
  c.start();
  const base = { containerId: c.id, socketDir: socks(), runtimePath: '/usr/bin/crun', runtimeArgs: ['--root', crunRoot()] };
  const proc = (args: string[], tty = false) => ({ terminal: tty, user: { uid: 0, gid: 0 }, args, env: ['PATH=/bin:/usr/bin', 'HOME=/root'], cwd: '/tmp', noNewPrivileges: true });

  // attached, no tty
  const e1 = `e1${seq++}`.padEnd(64, 'a');
  const d1 = path.join(c.bundle, 'exec', e1.slice(0, 12));
  const { out, client } = collector();
  let pumped: Promise<string> | undefined;
  let conn: ConmonAttachSocket | undefined;
  const s1 = await startExec({ ...base, execId: e1, dir: d1, process: proc(['sh', '-c', 'pwd; echo e >&2; exit 42']), tty: false, stdin: false, attach: true }, async (sock) => {
    conn = await ConmonAttachSocket.connect(sock);
    pumped = pump(conn, client, { stdout: true, stderr: true, detachKeys: Buffer.alloc(0), closeStdinOnEof: false });
  });
  assert.ok(s1.pid > 0);
  assert.equal(await s1.exited, 42);
  assert.equal(await pumped, 'exited');
  conn?.close();
  assert.deepEqual(out.sort(), ['stderr:e\n', 'stdout:/tmp\n']);
  cleanupExec(d1, socks(), e1);
  assert.equal(fs.existsSync(d1), false);

  // tty + stdin
  const e2 = `e2${seq++}`.padEnd(64, 'b');
  const d2 = path.join(c.bundle, 'exec', e2.slice(0, 12));
  const col = collector();
  const stdin = new PassThrough();
  let p2: Promise<string> | undefined;
  const s2 = await startExec({ ...base, execId: e2, dir: d2, process: proc(['sh', '-c', 'read x; echo "[$x]"; tty'], true), tty: true, stdin: true, attach: true }, async (sock) => {
    conn = await ConmonAttachSocket.connect(sock);
    p2 = pump(conn, { ...col.client, stdin }, { stdout: true, stderr: true, detachKeys: Buffer.alloc(0), closeStdinOnEof: false });
  });
  stdin.write('hi\r');
  assert.equal(await s2.exited, 0);
  await p2;
  conn?.close();
  const text = col.out.map((x) => x.slice(7)).join('');
  assert.match(text, /\[hi\]/);
  assert.match(text, /\/dev\/pts\/\d+/);
  cleanupExec(d2, socks(), e2);

  // detached exec: exit code only
  const e3 = `e3${seq++}`.padEnd(64, 'c');
  const d3 = path.join(c.bundle, 'exec', e3.slice(0, 12));
  const s3 = await startExec({ ...base, execId: e3, dir: d3, process: proc(['sh', '-c', 'exit 7']), tty: false, stdin: false, attach: false });
  assert.equal(await s3.exited, 7);
  cleanupExec(d3, socks(), e3);

  // a binary that is not there
  const e4 = `e4${seq++}`.padEnd(64, 'd');
  const d4 = path.join(c.bundle, 'exec', e4.slice(0, 12));
  await assert.rejects(
    startExec({ ...base, execId: e4, dir: d4, process: proc(['nope-not-here']), tty: false, stdin: false, attach: false }),
    (err: Error & { exitCode?: number }) => {
      assert.match(err.message, /executable file not found/);
      assert.equal(err.exitCode, 127);
      return true;
    },
  );
  cleanupExec(d4, socks(), e4);
  spawnSync('crun', ['--root', crunRoot(), 'kill', c.id, 'KILL']);
  await exitCode(c);
});
