// Container streams through a real berthd over raw HTTP: logs (every option, running and
// exited containers, after a daemon restart), attach (before start, detach keys, stdin
// closing), exec (exit codes, user, workdir, env, tty), resize, top, and bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startDaemon, importBusybox, need, isRoot, which, sleep, type Daemon } from './harness.js';

const ok = isRoot() && which('conmon') !== undefined && (which('crun') !== undefined || which('runc') !== undefined);
let d: Daemon;

before(async () => {
  if (!ok) return;
  d = await startDaemon();
  await importBusybox(d);
});
after(async () => d?.cleanup());

// ------------------------------------------------------------------ helpers

interface Frame {
  stream: number;
  data: string;
}

function demux(buf: Buffer): Frame[] {
  const out: Frame[] = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    const len = buf.readUInt32BE(off + 4);
    if (off + 8 + len > buf.length) break;
    out.push({ stream: buf[off] ?? 0, data: buf.subarray(off + 8, off + 8 + len).toString() });
    off += 8 + len;
  }
  return out;
}
const joined = (frames: Frame[], stream?: number): string =>
  frames
    .filter((f) => stream === undefined || f.stream === stream)
    .map((f) => f.data)
    .join('');

/** A raw connection that asked to upgrade (Docker's hijack): the status line, headers, then the stream. */
class Hijacked {
  readonly socket: net.Socket;
  status = 0;
  headers = '';
  body: Buffer = Buffer.alloc(0);
  ended = false;
  readonly #head: Promise<void>;
  readonly closed: Promise<void>;

  constructor(socketPath: string, method: string, urlPath: string, body?: unknown, upgrade = true) {
    this.socket = net.connect(socketPath);
    const payload = body === undefined ? '' : JSON.stringify(body);
    const headers = [`${method} ${urlPath} HTTP/1.1`, 'Host: docker', ...(upgrade ? ['Connection: Upgrade', 'Upgrade: tcp'] : []), 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(payload)}`];
    this.socket.write(`${headers.join('\r\n')}\r\n\r\n${payload}`);
    let raw = Buffer.alloc(0);
    let gotHead = false;
    let resolveHead!: () => void;
    this.#head = new Promise((r) => (resolveHead = r));
    this.closed = new Promise((r) => this.socket.once('close', () => r()));
    this.socket.on('data', (chunk: Buffer) => {
      if (gotHead) {
        this.body = Buffer.concat([this.body, chunk]);
        return;
      }
      raw = Buffer.concat([raw, chunk]);
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) return;
      gotHead = true;
      this.headers = raw.subarray(0, end).toString();
      this.status = Number(/^HTTP\/1\.[01] (\d+)/.exec(this.headers)?.[1] ?? 0);
      this.body = raw.subarray(end + 4);
      resolveHead();
    });
    this.socket.on('end', () => {
      this.ended = true;
      resolveHead();
    });
    this.socket.on('error', () => resolveHead());
  }

  head(): Promise<void> {
    return this.#head;
  }

  frames(): Frame[] {
    return demux(this.body);
  }

  async until(pred: (h: Hijacked) => boolean, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (!pred(this) && Date.now() < end) await sleep(20);
    assert.ok(pred(this), `timed out; got ${JSON.stringify(this.body.toString())}`);
  }

  async end(ms = 10_000): Promise<void> {
    await Promise.race([this.closed, sleep(ms)]);
    assert.ok(this.ended || this.socket.destroyed, 'the server ended the stream');
  }
}

async function create(body: Record<string, unknown>): Promise<string> {
  const r = await d.request('POST', '/containers/create', { body: { Image: 'busybox', ...body } });
  assert.equal(r.status, 201, r.text);
  return r.json<{ Id: string }>().Id;
}
async function start(id: string): Promise<void> {
  const r = await d.request('POST', `/containers/${id}/start`);
  assert.ok(r.status === 204 || r.status === 304, `${r.status} ${r.text}`);
}
async function wait(id: string): Promise<number> {
  const r = await d.request('POST', `/containers/${id}/wait`, { timeoutMs: 30_000 });
  assert.equal(r.status, 200, r.text);
  return r.json<{ StatusCode: number }>().StatusCode;
}
async function inspect(id: string): Promise<{ State: { Running: boolean; Status: string; Pid: number } }> {
  const r = await d.request('GET', `/containers/${id}/json`);
  assert.equal(r.status, 200, r.text);
  return r.json();
}
async function logs(id: string, query: string): Promise<{ status: number; frames: Frame[]; text: string; headers: Record<string, unknown> }> {
  const r = await d.request('GET', `/containers/${id}/logs?${query}`, { timeoutMs: 30_000 });
  return { status: r.status, frames: r.status === 200 ? demux(r.body) : [], text: r.text, headers: r.headers };
}
async function execRun(id: string, cfg: Record<string, unknown>, startBody: Record<string, unknown> = {}): Promise<{ out: string; err: string; exitCode: number; raw: string }> {
  const c = await d.request('POST', `/containers/${id}/exec`, { body: { AttachStdout: true, AttachStderr: true, ...cfg } });
  assert.equal(c.status, 201, c.text);
  const execId = c.json<{ Id: string }>().Id;
  const h = new Hijacked(d.socket, 'POST', `/exec/${execId}/start`, { Detach: false, Tty: cfg['Tty'] === true, ...startBody });
  await h.head();
  assert.equal(h.status, 101, h.headers);
  await h.end();
  const ins = await d.request('GET', `/exec/${execId}/json`);
  assert.equal(ins.status, 200, ins.text);
  const f = h.frames();
  return { out: joined(f, 1), err: joined(f, 2), exitCode: ins.json<{ ExitCode: number }>().ExitCode, raw: h.body.toString() };
}

// ------------------------------------------------------------------ logs

test('logs of an exited container: streams apart, tail, since, until, timestamps, details', async (t) => {
  if (!need(t, ok, 'root, conmon, crun or runc')) return;
  const id = await create({ Cmd: ['sh', '-c', 'echo out1; echo err1 >&2; sleep 1.2; echo out2; printf part; sleep 0.1; echo ial'] });
  await start(id);
  assert.equal(await wait(id), 0);

  const all = await logs(id, 'stdout=1&stderr=1');
  assert.equal(all.status, 200);
  assert.equal(all.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
  assert.equal(joined(all.frames, 1), 'out1\nout2\npartial\n');
  assert.equal(joined(all.frames, 2), 'err1\n');
  assert.deepEqual(
    all.frames.map((f) => f.data),
    ['out1\n', 'err1\n', 'out2\n', 'partial\n'],
    'one frame per message, the partial line joined',
  );

  assert.equal(joined((await logs(id, 'stdout=1')).frames), 'out1\nout2\npartial\n');
  assert.equal(joined((await logs(id, 'stderr=1')).frames), 'err1\n');
  assert.equal(joined((await logs(id, 'stdout=1&stderr=1&tail=2')).frames), 'out2\npartial\n');
  assert.equal(joined((await logs(id, 'stdout=1&stderr=1&tail=0')).frames), '');
  assert.equal((await logs(id, 'stdout=1&stderr=1&tail=all')).frames.length, 4);

  const ts = await logs(id, 'stdout=1&timestamps=1');
  const lines = joined(ts.frames).split('\n').filter(Boolean);
  assert.equal(lines.length, 3);
  for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (out1|out2|partial)$/);
  const t2 = Date.parse(lines[1]?.slice(0, 23) + 'Z');
  // since (seconds with a fraction): the messages from the second burst on
  const sinceSec = (t2 - 500) / 1000;
  assert.equal(joined((await logs(id, `stdout=1&stderr=1&since=${sinceSec.toFixed(3)}`)).frames), 'out2\npartial\n');
  assert.equal(joined((await logs(id, `stdout=1&stderr=1&until=${sinceSec.toFixed(3)}`)).frames), 'out1\nerr1\n');
  assert.equal(joined((await logs(id, 'stdout=1&details=1&tail=1')).frames), ' partial\n');
});

test('logs of a running container; follow ends when the container stops', async (t) => {
  if (!need(t, ok, 'root, conmon, crun or runc')) return;
  const id = await create({ Cmd: ['sh', '-c', 'for i in 1 2 3 4; do echo line$i; sleep 0.3; done'] });
  await start(id);
  await sleep(200);
  const now = await logs(id, 'stdout=1');
  assert.match(joined(now.frames), /^line1\n/);
  const t0 = Date.now();
  const followed = await logs(id, 'stdout=1&stderr=1&follow=1');
  assert.equal(followed.status, 200);
  assert.equal(joined(followed.frames), 'line1\nline2\nline3\nline4\n');
  assert.ok(Date.now() - t0 < 10_000);
  assert.equal((await inspect(id)).State.Running, false);
  // follow on an exited container returns at once
  const again = await logs(id, 'stdout=1&follow=1&tail=1');
  assert.equal(joined(again.frames), 'line4\n');
});

test('logs of a TTY container are raw', async (t) => {
  if (!need(t, ok, 'root, conmon, crun or runc')) return;
  const id = await create({ Cmd: ['sh', '-c', 'echo tty-out; echo tty-err >&2'], Tty: true });
  await start(id);
  await wait(id);
  const r = await d.request('GET', `/containers/${id}/logs?stdout=1&stderr=1`);
  assert.equal(r.headers['content-type'], 'application/vnd.docker.raw-stream');
  assert.equal(r.text, 'tty-out\r\ntty-err\r\n');
});

test('logs: unknown container 404, no stream chosen 400', async (t) => {
  if (!need(t, ok, 'root, conmon, crun or runc')) return;
  const r = await d.request('GET', '/containers/nope-not-here/logs?stdout=1');
  assert.equal(r.status, 404);
  assert.deepEqual(r.json(), { message: 'No such container: nope-not-here' });
  const id = await create({ Cmd: ['true'] });
  const b = await d.request('GET', `/containers/${id}/logs`);
  assert.equal(b.status, 400);
  assert.deepEqual(b.json(), { message: 'Bad parameters: you must choose at least one stream' });
});

// ------------------------------------------------------------------ attach

test('attach before start loses no output; the stream ends with the container', async (t) => {
  if (!need(t, ok, 'root, conmon, crun or runc')) return;
  const id = await create({ Cmd: ['sh', '-c', 'echo first; echo to-err >&2; echo last'], AttachStdout: true, AttachStderr: true });
  const h = new Hijacked(d.socket, 'POST', `/containers/${id}/attach?stream=1&stdout=1&stderr=1`);
  await h.head();
  assert.equal(h.status, 101);
  assert.match(h.headers, /Content-Type: application\/vnd\.docker\.multiplexed-stream/);
  assert.match(h.headers, /Upgrade: tcp/);
  await sleep(100);
  await start(id);
  await h.end();
  assert.equal(joined(h.frames(), 1), 'first\nlast\n');
  assert.equal(joined(h.frames(), 2), 'to-err\n');
  assert.equal(await wait(id), 0);
});

test('attach without upgrade gets a plain 200 stream; logs=1 replays first', async (t) => {
  if (!need(t, ok, 'root, conmon, crun or runc')) return;
  const id = await create({ Cmd: ['sh', '-c', 'echo replayed'] });
  await start(id);
  await wait(id);
  const r = await d.request('POST', `/containers/${id}/attach?logs=1&stdout=1&stderr=1`);
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/vnd.docker.raw-stream');
  assert.equal(joined(demux(r.body)), 'replayed\n');
});

test('detach with ctrl-p ctrl-q leaves the container running (tty)', async (t) => {
  if (!need(t, ok, 'root, conmon, crun or runc')) return;
  const id = await create({ Cmd: ['cat'], Tty: true, OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true });
  await start(id);
  const h = new Hijacked(d.socket, 'POST', `/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1`);
  await h.head();
  assert.equal(h.status, 101);
  assert.match(h.headers, /application\/vnd\.docker\.raw-stream/);
  h.socket.write('hello\r');
  await h.until((x) => x.body.toString().includes('hello'));
  h.socket.write('\x10\x11');
  await h.end();
  await sleep(300);
  assert.equal((await inspect(id)).State.Running, true, 'still running after detach');
  // attach again: input still reaches the container (stdin was not closed)
  const h2 = new Hijacked(d.socket, 'POST', `/containers/${id}/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-x`);
  await h2.head();
  h2.socket.write('again\r');
  await h2.until((x) => x.body.toString().includes('again'));
  h2.socket.write('\x18');
  await h2.end();
  assert.equal((await inspect(id)).State.Running, true);
  await d.request('POST', `/containers/${id}/kill`);
});

test('-i (StdinOnce, no tty): detaching or EOF closes the container stdin', async (t) => {
  if (!need(t, ok, 'root, conmon, crun or runc')) return;
  // detach: the container sees EOF and goes on
  const id = await create({ Cmd: ['sh', '-c', 'while read l; do echo "got $l"; done; echo stdin-closed; sleep 30'], OpenStdin: true, StdinOnce: true, AttachStdin: true });
  const h = new Hijacked(d.socket, 'POST', `/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1`);
  await h.head();
  await start(id);
  h.socket.write('one\n');
  await h.until((x) => joined(x.frames()).includes('got one'));
  h.socket.write('\x10\x11');
  await h.end();
  let text = '';
  for (let i = 0; i < 100 && !text.includes('stdin-closed'); i++) {
    text = joined((await logs(id, 'stdout=1')).frames);
    await sleep(50);
  }
  assert.equal(text, 'got one\nstdin-closed\n');
  assert.equal((await inspect(id)).State.Running, true, 'detach leaves it running');
  await d.request('POST', `/containers/${id}/kill`);

  // EOF: the stream goes on until the container ends
  const id2 = await create({ Cmd: ['sh', '-c', 'cat; echo after-eof'], OpenStdin: true, StdinOnce: true, AttachStdin: true });
  const h2 = new Hijacked(d.socket, 'POST', `/containers/${id2}/attach?stream=1&stdin=1&stdout=1&stderr=1`);
  await h2.head();
  await start(id2);
  h2.socket.end('data\n');
  await h2.end();
  assert.equal(joined(h2.frames(), 1), 'data\nafter-eof\n');
  assert.equal(await wait(id2), 0);
});

test('attach: unknown container 404, bad detach keys 400', async (t) => {
  if (!need(t, ok, 'root, conmon, crun or runc')) return;
  const h = new Hijacked(d.socket, 'POST', '/containers/nope-not-here/attach?stream=1&stdout=1');
  await h.head();
  assert.equal(h.status, 404);
  assert.deepEqual(JSON.parse(h.body.toString()), { message: 'No such container: nope-not-here' });
  const id = await create({ Cmd: ['true'] });
  const b = new Hijacked(d.socket, 'POST', `/containers/${id}/attach?stream=1&stdout=1&detachKeys=ctrl-1`);
  await b.head();
  assert.equal(b.status, 400);
  assert.match(b.body.toString(), /Invalid detach keys \(ctrl-1\) provided/);
});

// ------------------------------------------------------------------ resize

test('resize a container tty and an exec tty (stty size inside)', async (t) => {
  if (!need(t, ok, 'root, conmon, crun or runc')) return;
  const id = await create({ Cmd: ['sh', '-c', 'sleep 0.8; stty size; sleep 60'], Tty: true, OpenStdin: true });
  await start(id);
  const r = await d.request('POST', `/containers/${id}/resize?h=40&w=100`);
  assert.equal(r.status, 200, r.text);
  let text = '';
  for (let i = 0; i < 100 && !text.includes('40 100'); i++) {
    text = (await d.request('GET', `/containers/${id}/logs?stdout=1`)).text;
    await sleep(50);
  }
  assert.match(text, /40 100/);
  const bad = await d.request('POST', `/containers/${id}/resize?h=x&w=1`);
  assert.equal(bad.status, 400);

  // exec: ConsoleSize at start, then a resize while it runs
  const c = await d.request('POST', `/containers/${id}/exec`, { body: { AttachStdout: true, Tty: true, Cmd: ['sh', '-c', 'stty size; sleep 0.6; stty size'], ConsoleSize: [20, 70] } });
  const execId = c.json<{ Id: string }>().Id;
  const h = new Hijacked(d.socket, 'POST', `/exec/${execId}/start`, { Detach: false, Tty: true, ConsoleSize: [20, 70] });
  await h.head();
  await sleep(250);
  const rr = await d.request('POST', `/exec/${execId}/resize?h=33&w=99`);
  assert.equal(rr.status, 200, rr.text);
  await h.end();
  assert.match(h.body.toString(), /20 70\r\n[\s\S]*33 99\r\n/);
  await d.request('POST', `/containers/${id}/kill`);
  await wait(id);
  const stopped = await d.request('POST', `/containers/${id}/resize?h=1&w=1`);
  assert.equal(stopped.status, 409);
  assert.deepEqual(stopped.json(), { message: `container ${id} is not running` });
});

// ------------------------------------------------------------------ exec

test('exec: output, exit codes, user, workdir, env, tty, inspect, events', async (t) => {
  if (!need(t, ok, 'root, conmon, crun or runc')) return;
  const id = await create({ Cmd: ['sleep', '60'], Env: ['FROM_IMAGE=1'] });
  await start(id);
  const since = Math.floor(Date.now() / 1000) - 1;

  const a = await execRun(id, { Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
  assert.deepEqual([a.out, a.err, a.exitCode], ['out\n', 'err\n', 3]);
  assert.equal((await execRun(id, { Cmd: ['id', '-u'], User: 'nobody' })).out, '65534\n');
  assert.equal((await execRun(id, { Cmd: ['id', '-u'], User: '33:33' })).out, '33\n');
  assert.equal((await execRun(id, { Cmd: ['pwd'], WorkingDir: '/tmp' })).out, '/tmp\n');
  assert.equal((await execRun(id, { Cmd: ['sh', '-c', 'echo $FOO $FROM_IMAGE'], Env: ['FOO=bar'] })).out, 'bar 1\n');
  const tty = await execRun(id, { Cmd: ['tty'], Tty: true });
  assert.match(tty.raw, /^\/dev\/pts\/\d+\r\n$/, 'raw stream, no frames');
  assert.equal(tty.exitCode, 0);
  const nf = await execRun(id, { Cmd: ['no-such-binary'] });
  assert.equal(nf.exitCode, 127);
  assert.match(nf.out, /executable file not found/);
  const badUser = await d.request('POST', `/containers/${id}/exec`, { body: { Cmd: ['true'], User: 'nosuchuser', AttachStdout: true } });
  assert.equal(badUser.status, 201); // Docker resolves the user at start

  // detached exec, then inspect
  const c = await d.request('POST', `/containers/${id}/exec`, { body: { Cmd: ['sh', '-c', 'sleep 0.3; exit 5'] } });
  const execId = c.json<{ Id: string }>().Id;
  const before = (await d.request('GET', `/exec/${execId}/json`)).json();
  assert.equal(before.Running, false);
  assert.equal(before.ExitCode, null);
  assert.equal(before.ContainerID, id);
  assert.deepEqual(before.ProcessConfig, { tty: false, entrypoint: 'sh', arguments: ['-c', 'sleep 0.3; exit 5'], privileged: false, user: '' });
  const s = await d.request('POST', `/exec/${execId}/start`, { body: { Detach: true } });
  assert.equal(s.status, 200, s.text);
  const during = (await d.request('GET', `/exec/${execId}/json`)).json();
  assert.equal(during.Running, true);
  assert.ok(during.Pid > 0);
  let after: { Running: boolean; ExitCode: number } = during;
  for (let i = 0; i < 100 && after.Running; i++) {
    await sleep(50);
    after = (await d.request('GET', `/exec/${execId}/json`)).json();
  }
  assert.equal(after.ExitCode, 5);
  const again = await d.request('POST', `/exec/${execId}/start`, { body: { Detach: true } });
  assert.equal(again.status, 409);

  const ev = await d.request('GET', `/events?since=${since}&until=${Math.ceil(Date.now() / 1000) + 1}&filters=${encodeURIComponent(JSON.stringify({ container: [id] }))}`);
  const actions = ev.text.trim().split('\n').map((l) => JSON.parse(l) as { Action: string; Actor: { Attributes: Record<string, string> } });
  assert.ok(actions.some((e) => e.Action === 'exec_create: sh -c sleep 0.3; exit 5'));
  assert.ok(actions.some((e) => e.Action === 'exec_start: sh -c sleep 0.3; exit 5'));
  assert.ok(actions.some((e) => e.Action === 'exec_die' && e.Actor.Attributes['exitCode'] === '5' && e.Actor.Attributes['execID'] === execId));

  // exec sessions are gone when the container stops
  await d.request('POST', `/containers/${id}/kill`);
  await wait(id);
  await sleep(100);
  const gone = await d.request('GET', `/exec/${execId}/json`);
  assert.equal(gone.status, 404);
  assert.deepEqual(gone.json(), { message: `No such exec instance: ${execId}` });
});

test('exec: stopped container 409, unknown container 404, no command 400', async (t) => {
  if (!need(t, ok, 'root, conmon, crun or runc')) return;
  const id = await create({ Cmd: ['true'] });
  const r = await d.request('POST', `/containers/${id}/exec`, { body: { Cmd: ['true'] } });
  assert.equal(r.status, 409);
  assert.deepEqual(r.json(), { message: `container ${id} is not running` });
  const u = await d.request('POST', '/containers/nope-not-here/exec', { body: { Cmd: ['true'] } });
  assert.equal(u.status, 404);
  const id2 = await create({ Cmd: ['sleep', '30'] });
  await start(id2);
  const n = await d.request('POST', `/containers/${id2}/exec`, { body: { Cmd: [] } });
  assert.equal(n.status, 400);
  assert.deepEqual(n.json(), { message: 'No exec command specified' });
  const p = await d.request('POST', `/containers/${id2}/pause`);
  if (p.status === 204) {
    const pr = await d.request('POST', `/containers/${id2}/exec`, { body: { Cmd: ['true'] } });
    assert.equal(pr.status, 409);
    assert.match(pr.json().message, /is paused, unpause the container before exec/);
    await d.request('POST', `/containers/${id2}/unpause`);
  }
  const ue = await d.request('GET', '/exec/0123456789abcdef/json');
  assert.equal(ue.status, 404);
  await d.request('POST', `/containers/${id2}/kill`);
});

// ------------------------------------------------------------------ top

test('top: the container\'s processes in Docker\'s shape; 409 when stopped', async (t) => {
  if (!need(t, ok, 'root, conmon, crun or runc')) return;
  const id = await create({ Cmd: ['sh', '-c', 'sleep 41 & sleep 42'] });
  await start(id);
  await sleep(200);
  const r = await d.request('GET', `/containers/${id}/top`);
  assert.equal(r.status, 200, r.text);
  const top = r.json<{ Titles: string[]; Processes: string[][] }>();
  assert.deepEqual(top.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  const cmds = top.Processes.map((p) => p.at(-1));
  assert.ok(cmds.includes('sleep 41') && cmds.includes('sleep 42'), JSON.stringify(cmds));
  assert.equal(top.Processes.length, 2, 'only the container\'s processes (sh execs its last command)');
  const aux = (await d.request('GET', `/containers/${id}/top?ps_args=aux`)).json<{ Titles: string[] }>();
  assert.ok(aux.Titles.includes('%CPU'));
  await d.request('POST', `/containers/${id}/kill`);
  await wait(id);
  const s = await d.request('GET', `/containers/${id}/top`);
  assert.equal(s.status, 409);
  assert.deepEqual(s.json(), { message: `container ${id} is not running` });
});

// ------------------------------------------------------------------ restart

test('logs after a daemon restart (exited and running containers)', async (t) => {
  if (!need(t, ok, 'root, conmon, crun or runc')) return;
  const exited = await create({ Cmd: ['sh', '-c', 'echo from-before'] });
  await start(exited);
  await wait(exited);
  const running = await create({ Cmd: ['sh', '-c', 'echo a; sleep 2; echo b'] });
  await start(running);
  await sleep(200);
  await d.restart();
  assert.equal(joined((await logs(exited, 'stdout=1')).frames), 'from-before\n');
  const f = await logs(running, 'stdout=1&follow=1');
  assert.equal(joined(f.frames), 'a\nb\n');
});
