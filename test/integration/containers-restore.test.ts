// Containers outlive berthd: kill -9 the daemon while containers run, start it again on the
// same root; running containers are adopted, exits that happened meanwhile are recorded with
// their real status, --rm containers that exited are removed, and nothing piles up (mounts,
// conmon processes, exit files, attach sockets, runtime state, cgroups).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { startDaemon, importBusybox, need, isRoot, sleep, type Daemon } from './harness.js';

const daemons: Daemon[] = [];
after(async () => {
  for (const d of daemons) await d.cleanup();
});

interface State {
  Status: string;
  Pid: number;
  ExitCode: number;
  FinishedAt: string;
  StartedAt: string;
}

async function create(d: Daemon, body: Record<string, unknown>): Promise<string> {
  const r = await d.request('POST', '/containers/create', { body: { Image: 'busybox', ...body } });
  assert.equal(r.status, 201, r.text);
  const id = r.json<{ Id: string }>().Id;
  const s = await d.request('POST', `/containers/${id}/start`);
  assert.equal(s.status, 204, s.text);
  return id;
}

async function state(d: Daemon, id: string): Promise<State & { RestartCount: number }> {
  const r = await d.request('GET', `/containers/${id}/json`);
  assert.equal(r.status, 200, r.text);
  const j = r.json<{ State: State; RestartCount: number }>();
  return { ...j.State, RestartCount: j.RestartCount };
}

async function waitFor(what: string, fn: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** A process that exists and is not a zombie (this sandbox's PID 1 reaps late). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function conmonPids(root: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (cmd.startsWith('/usr/bin/conmon') && cmd.includes(`${root}/`)) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Everything that must not pile up once all containers are gone. */
function leftovers(d: Daemon): Record<string, number> {
  const ls = (p: string): string[] => {
    try {
      return fs.readdirSync(p);
    } catch {
      return [];
    }
  };
  const tag = path.basename(d.root);
  let cgroups = 0;
  for (const c of ls('/sys/fs/cgroup')) cgroups += ls(path.join('/sys/fs/cgroup', c, tag)).filter((x) => /^[0-9a-f]{64}$/.test(x)).length;
  return {
    // the read-only pins of the runtime binaries stay for the exec root's life (pinMounts)
    mounts: fs.readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(`${d.root}/`) && !l.includes(`${d.execRoot}/runtime-bin/`)).length,
    conmon: conmonPids(d.root).length,
    exitFiles: ls(path.join(d.execRoot, 'exits')).length,
    sockets: ls(path.join(d.execRoot, 'socks')).length,
    runtimeState: ls(path.join(d.execRoot, 'runtimes')).reduce((n, rt) => n + ls(path.join(d.execRoot, 'runtimes', rt)).length, 0),
    containerDirs: ls(path.join(d.dataRoot, 'containers')).length,
    cgroups,
  };
}

/** Mounts of the runtime binaries' read-only pins (runtime/pinned-binary.ts), by mount point. */
function pinMounts(d: Daemon): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of fs.readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const target = l.split(' ')[1] ?? '';
    if (target.startsWith(`${d.execRoot}/runtime-bin/`)) out.set(target, (out.get(target) ?? 0) + 1);
  }
  return out;
}

const NONE = { mounts: 0, conmon: 0, exitFiles: 0, sockets: 0, runtimeState: 0, containerDirs: 0, cgroups: 0 };

test('kill -9 berthd: running containers are adopted, exits meanwhile recorded, --rm removed', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const d = await startDaemon();
  daemons.push(d);
  await importBusybox(d);
  const long = await create(d, { Cmd: ['sleep', '300'] });
  const short = await create(d, { Cmd: ['sh', '-c', 'sleep 1; exit 7'] });
  const gone = await create(d, { Cmd: ['sh', '-c', 'sleep 1'], HostConfig: { AutoRemove: true } });
  const longPid = (await state(d, long)).Pid;
  assert.ok(longPid > 0);
  const conmons = conmonPids(d.root);
  assert.equal(conmons.length, 3);

  assert.notEqual(await d.stop('SIGKILL'), 0);
  // conmon and the containers do not depend on the daemon
  for (const p of conmons) assert.ok(fs.existsSync(`/proc/${p}`), `conmon ${p} survived`);
  const killedAt = Date.now();
  await sleep(2500);

  await d.start();
  const ls = await state(d, long);
  assert.equal(ls.Status, 'running');
  assert.equal(ls.Pid, longPid);
  const ss = await state(d, short);
  assert.equal(ss.Status, 'exited');
  assert.equal(ss.ExitCode, 7);
  const finished = Date.parse(ss.FinishedAt);
  assert.ok(finished < killedAt + 2500 && finished > Date.parse(ss.StartedAt), `FinishedAt ${ss.FinishedAt} is when it exited`);
  assert.equal((await d.request('GET', `/containers/${gone}/json`)).status, 404);

  // the adopted container is fully managed: wait, stop, exit detection
  const w = d.request('POST', `/containers/${long}/wait`);
  assert.equal((await d.request('POST', `/containers/${long}/stop?t=1`)).status, 204);
  assert.equal((await w).json<{ StatusCode: number }>().StatusCode, 137);
  // an adopted container that exits on its own is noticed too
  const again = await create(d, { Cmd: ['sleep', '4'] });
  assert.notEqual(await d.stop('SIGKILL'), 0);
  await d.start();
  assert.equal((await state(d, again)).Status, 'running');
  await waitFor('adopted container exit', async () => (await state(d, again)).Status === 'exited');
  assert.equal((await state(d, again)).ExitCode, 0);

  for (const id of [long, short, again]) assert.equal((await d.request('DELETE', `/containers/${id}?force=1`)).status, 204);
  assert.deepEqual(leftovers(d), NONE);
});

test('kill -9 berthd in the middle of a start: the half-started container is removed, not left under an unmounted rootfs', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const d = await startDaemon();
  daemons.push(d);
  await importBusybox(d);
  const id = await create(d, { Cmd: ['sleep', '300'] });
  const pid = (await state(d, id)).Pid;
  const conmon = conmonPids(d.root);
  assert.equal(conmon.length, 1);
  assert.notEqual(await d.stop('SIGKILL'), 0);
  // the window between conmon's launch and the record saying "running": the record still says
  // "created" while conmon and the container's process exist
  const db = new DatabaseSync(path.join(d.dataRoot, 'berth.db'));
  try {
    db.prepare("UPDATE containers SET data = json_set(data, '$.state.status', 'created', '$.state.pid', 0, '$.state.conmonPid', 0, '$.state.startedAt', '0001-01-01T00:00:00Z') WHERE id = ?").run(id);
  } finally {
    db.close();
  }
  await d.start();
  const st = await state(d, id);
  assert.equal(st.Status, 'created');
  assert.equal(alive(pid), false, 'the half-started process is gone');
  assert.equal(alive(conmon[0] ?? 0), false, 'its conmon is gone');
  // and the container starts normally afterwards
  assert.equal((await d.request('POST', `/containers/${id}/start`)).status, 204);
  assert.equal((await state(d, id)).Status, 'running');
  assert.equal((await d.request('DELETE', `/containers/${id}?force=1`)).status, 204);
  assert.deepEqual(leftovers(d), NONE);
});

test('nothing piles up over many runs (mounts, conmon, exit files, sockets, cgroups)', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const d = await startDaemon();
  daemons.push(d);
  await importBusybox(d);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push(await create(d, { Cmd: ['sh', '-c', 'exit 0'] }));
  for (const id of ids) await waitFor('exit', async () => (await state(d, id)).Status === 'exited');
  // stopped containers keep only their directory (writable layer, logs)
  const mid = leftovers(d);
  assert.deepEqual({ ...mid, containerDirs: 0 }, NONE);
  assert.equal(mid['containerDirs'], 5);
  for (const id of ids) {
    assert.equal((await d.request('POST', `/containers/${id}/start`)).status, 204);
  }
  for (const id of ids) await waitFor('exit', async () => (await state(d, id)).Status === 'exited');
  for (const id of ids) assert.equal((await d.request('DELETE', `/containers/${id}`)).status, 204);
  assert.deepEqual(leftovers(d), NONE);
  // the runtime binaries' pins: one mount each, the same ones after daemon restarts
  const pins = pinMounts(d);
  assert.ok(pins.size >= 1, 'crun or runc runs from a read-only pin');
  for (const n of pins.values()) assert.equal(n, 1);
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    await d.stop(signal);
    await d.start();
    assert.deepEqual(pinMounts(d), pins);
  }
});

test('--live-restore=false: SIGTERM stops containers; always/unless-stopped start again at boot', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const d = await startDaemon({ args: ['--live-restore=false'] });
  daemons.push(d);
  await importBusybox(d);
  const always = await create(d, { Cmd: ['sleep', '300'], StopSignal: 'SIGKILL', HostConfig: { RestartPolicy: { Name: 'always' } } });
  const unless = await create(d, { Cmd: ['sleep', '300'], StopSignal: 'SIGKILL', HostConfig: { RestartPolicy: { Name: 'unless-stopped' } } });
  const plain = await create(d, { Cmd: ['sleep', '300'], StopSignal: 'SIGKILL' });
  const stopped = await create(d, { Cmd: ['sleep', '300'], StopSignal: 'SIGKILL', HostConfig: { RestartPolicy: { Name: 'unless-stopped' } } });
  assert.equal((await d.request('POST', `/containers/${stopped}/stop`)).status, 204);
  assert.equal(await d.stop('SIGTERM'), 0);
  assert.equal(conmonPids(d.root).length, 0, 'containers stopped with the daemon');
  await d.start();
  await waitFor('boot restarts', async () => (await state(d, always)).Status === 'running' && (await state(d, unless)).Status === 'running');
  assert.equal((await state(d, plain)).Status, 'exited');
  assert.equal((await state(d, stopped)).Status, 'exited', 'a manual stop is not undone');
  for (const id of [always, unless, plain, stopped]) assert.equal((await d.request('DELETE', `/containers/${id}?force=1`)).status, 204);
  assert.deepEqual(leftovers(d), NONE);
});
