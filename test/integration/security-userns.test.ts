// Daemon userns-remap ("default": a `berth` user with /etc/subuid and /etc/subgid ranges, as
// dockerd's dockremap): container root is an unprivileged host uid, image files look right
// inside (remapped layer copies), writes land in the range on the host, host files are not
// writable by container root (breakout check), --userns host opts out, --privileged is refused.
// /etc/{passwd,group,shadow,gshadow,subuid,subgid} (and their "-" backups) are restored exactly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, importBusybox, need, isRoot, which, type Daemon, type RunResult } from './harness.js';

const ETC_FILES = ['/etc/passwd', '/etc/group', '/etc/shadow', '/etc/gshadow', '/etc/subuid', '/etc/subgid', '/etc/passwd-', '/etc/group-', '/etc/shadow-', '/etc/gshadow-', '/etc/subuid-', '/etc/subgid-', '/var/log/lastlog', '/var/log/faillog'];
const saved = new Map<string, { data: Buffer; mode: number; uid: number; gid: number } | null>();
let d: Daemon | undefined;
let hostDir: string | undefined;
let start = 0;

function saveEtc(): void {
  for (const f of ETC_FILES) {
    try {
      const st = fs.statSync(f);
      saved.set(f, { data: fs.readFileSync(f), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
    } catch {
      saved.set(f, null);
    }
  }
}

function restoreEtc(): void {
  for (const [f, v] of saved) {
    if (v === null) fs.rmSync(f, { force: true });
    else {
      fs.writeFileSync(f, v.data);
      fs.chmodSync(f, v.mode);
      fs.chownSync(f, v.uid, v.gid);
    }
  }
}

before(async () => {
  if (!isRoot() || !which('useradd')) return;
  saveEtc();
  try {
    d = await startDaemon({ args: ['--userns-remap', 'default'] });
    // like /var/lib for /var/lib/berth: the remapped root must be able to walk to the data root
    fs.chmodSync(d.root, 0o711);
    await importBusybox(d);
  } catch (err) {
    restoreEtc();
    throw err;
  }
  const line = fs.readFileSync('/etc/subuid', 'utf8').split('\n').find((l) => l.startsWith('berth:'));
  start = Number(line?.split(':')[1]);
  hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-userns-'));
  fs.chmodSync(hostDir, 0o755);
  fs.writeFileSync(path.join(hostDir, 'secret'), 'host\n', { mode: 0o644 });
});

after(async () => {
  try {
    await d?.cleanup();
  } finally {
    if (saved.size > 0) restoreEtc();
    if (hostDir) fs.rmSync(hostDir, { recursive: true, force: true });
  }
});

function ok(r: RunResult, what: string): string {
  assert.equal(r.code, 0, `${what}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

function ready(t: import('node:test').TestContext): boolean {
  return need(t, isRoot(), 'root') && need(t, which('useradd') !== undefined, 'useradd') && need(t, d !== undefined, 'a daemon with --userns-remap');
}

test('"default" creates the berth user with subordinate ranges', (t) => {
  if (!ready(t)) return;
  assert.match(fs.readFileSync('/etc/passwd', 'utf8'), /^berth:x:\d+:\d+:/m);
  assert.ok(start >= 100000, `subuid start ${start}`);
  assert.match(fs.readFileSync('/etc/subgid', 'utf8'), /^berth:\d+:65536$/m);
});

test('container root maps to the range; image files look owned by root; writes land in the range', async (t) => {
  if (!ready(t) || !d) return;
  const t0 = performance.now();
  const id = ok(await d.berth(['run', '-d', 'busybox', 'sh', '-c', 'touch /created; sleep 300']), 'run').trim();
  const firstMs = Math.round(performance.now() - t0);
  const out = ok(await d.berth(['exec', id, 'sh', '-c', 'cat /proc/self/uid_map; id -u; stat -c "%u %g" /bin/busybox /etc/passwd /; ls -ln /created | awk "{print \\$3, \\$4}"']), 'exec');
  const lines = out.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  assert.deepEqual(lines, [`0 ${start} 65536`, '0', '0 0', '0 0', '0 0', '0 0']);
  // on the host the new file belongs to the remapped root
  const upper = path.join(d.dataRoot, 'containers', id, 'upper', 'created');
  const st = fs.statSync(upper);
  assert.equal(st.uid, start);
  // the layer copy is made once: a second container starts without it
  const t1 = performance.now();
  ok(await d.berth(['run', '--rm', 'busybox', 'true']), 'second run');
  const secondMs = Math.round(performance.now() - t1);
  t.diagnostic(`first run -d with the layer copy: ${firstMs} ms; second run --rm: ${secondMs} ms`);
  ok(await d.berth(['rm', '-f', id]), 'rm');
});

test('volumes belong to the remapped root: container root can write to a new volume', async (t) => {
  if (!ready(t) || !d) return;
  // a path the image does not have: _data is created for the remapped root (as Docker's root IDs)
  const w = ok(await d.berth(['run', '--rm', '-v', 'remapvol:/newdir', 'busybox', 'sh', '-c', 'echo hi > /newdir/f && stat -c "%u %g" /newdir /newdir/f']), 'write to volume');
  assert.deepEqual(w.trim().split('\n'), ['0 0', '0 0']);
  const data = path.join(d.dataRoot, 'volumes', 'remapvol', '_data');
  assert.equal(fs.statSync(data).uid, start);
  assert.equal(fs.statSync(path.join(data, 'f')).uid, start);
  ok(await d.berth(['volume', 'rm', 'remapvol']), 'volume rm');
});

test('breakout: host files are not writable by container root', async (t) => {
  if (!ready(t) || !d || !hostDir) return;
  const out = ok(await d.berth(['run', '--rm', '-v', `${hostDir}:/host`, 'busybox', 'sh', '-c', 'cat /host/secret; (echo pwned >> /host/secret) 2>&1; (touch /host/new) 2>&1; chown 0 /host/secret 2>&1; stat -c "%u" /host/secret; true']), 'run');
  assert.match(out, /^host\n/);
  assert.match(out, /can't create \/host\/secret: Permission denied/);
  assert.match(out, /touch: \/host\/new: Permission denied/);
  assert.match(out, /chown: \/host\/secret: (Operation not permitted|Invalid argument|Permission denied)/);
  assert.equal(out.trim().split('\n').at(-1), '65534', 'host root shows as the overflow uid');
  assert.equal(fs.readFileSync(path.join(hostDir, 'secret'), 'utf8'), 'host\n');
  assert.equal(fs.existsSync(path.join(hostDir, 'new')), false);
});

test('--userns host opts out; --privileged needs it', async (t) => {
  if (!ready(t) || !d) return;
  const out = ok(await d.berth(['run', '--rm', '--userns', 'host', 'busybox', 'cat', '/proc/self/uid_map']), 'run');
  assert.equal(out.trim().split(/\s+/).join(' '), '0 0 4294967295');
  const r = await d.berth(['run', '--rm', '--privileged', 'busybox', 'true']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /privileged mode is incompatible with user namespaces/);
  ok(await d.berth(['run', '--rm', '--privileged', '--userns', 'host', 'busybox', 'true']), 'privileged + userns host');
});
