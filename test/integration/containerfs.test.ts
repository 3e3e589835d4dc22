// docker cp / diff / export / commit against a real berthd, with berth and the real docker CLI:
// running and stopped containers, Docker's path rules, errors, and copies that must never leave
// the container's root (paths with "..", symlinks to "/", and a symlink swapped during the copy).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startDaemon, importBusybox, need, isRoot, hasDocker, sleep, run, type Daemon } from './harness.js';

let d: Daemon;
let tmp: string;
before(async () => {
  if (!isRoot()) return;
  d = await startDaemon();
  await importBusybox(d);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-cfs-'));
});
after(async () => {
  await d?.cleanup();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function ok(p: Promise<{ code: number; stdout: string; stderr: string }>): Promise<string> {
  const r = await p;
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

async function runDetached(name: string, cmd: string): Promise<string> {
  return (await ok(d.berth(['run', '-d', '--name', name, 'busybox', 'sh', '-c', cmd]))).trim();
}

function mergedMounts(): string[] {
  return fs
    .readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(d.dataRoot) && m.endsWith('/merged'));
}

async function waitNoMount(id: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (!mergedMounts().some((m) => m.includes(id))) return;
    await sleep(50);
  }
  assert.fail(`the rootfs of ${id} is still mounted: ${mergedMounts().join(', ')}`);
}

function tarOf(dir: string, ...names: string[]): Buffer {
  const r = spawnSync('tar', ['-c', '-C', dir, ...names]);
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout;
}

test('cp both ways on a running container (berth and docker): files, directories, "/.", -a, stdin/stdout tar', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  await runDetached('cp1', 'mkdir -p /data/sub && echo inner > /data/sub/f && echo top > /data/t && ln -s /etc /data/etclink && chown 1000:1000 /data/t && sleep 1000');
  await sleep(300);
  for (const cli of ['berth', 'docker'] as const) {
    if (cli === 'docker' && !hasDocker()) continue;
    const c = (args: string[]) => (cli === 'berth' ? d.berth(args) : d.docker(args));
    const out = path.join(tmp, `out-${cli}`);
    fs.mkdirSync(out);
    // a file into an existing directory, a directory, a directory's contents into a new name
    await ok(c(['cp', 'cp1:/data/t', out]));
    assert.equal(fs.readFileSync(path.join(out, 't'), 'utf8'), 'top\n');
    await ok(c(['cp', 'cp1:/data', out]));
    assert.equal(fs.readFileSync(path.join(out, 'data/sub/f'), 'utf8'), 'inner\n');
    assert.equal(fs.readlinkSync(path.join(out, 'data/etclink')), '/etc');
    await ok(c(['cp', 'cp1:/data/.', path.join(out, 'copy')]));
    assert.deepEqual(fs.readdirSync(path.join(out, 'copy')).sort(), ['etclink', 'sub', 't']);
    // a file to a new name, -L follows the link
    await ok(c(['cp', 'cp1:/data/t', path.join(out, 'renamed')]));
    assert.equal(fs.readFileSync(path.join(out, 'renamed'), 'utf8'), 'top\n');
    await ok(c(['cp', '-L', 'cp1:/data/etclink', path.join(out, 'etc')]));
    assert.ok(fs.statSync(path.join(out, 'etc')).isDirectory());
    assert.ok(fs.existsSync(path.join(out, 'etc/passwd')));
    // into the container: a file, a directory, a directory's contents; root-owned unless -a
    fs.writeFileSync(path.join(out, 'up'), `from ${cli}\n`);
    fs.chownSync(path.join(out, 'up'), 1234, 1234);
    await ok(c(['cp', path.join(out, 'up'), `cp1:/tmp/up-${cli}`]));
    await ok(c(['cp', '-a', path.join(out, 'up'), `cp1:/tmp/upa-${cli}`]));
    await ok(c(['cp', path.join(out, 'data'), `cp1:/d-${cli}`]));
    await ok(c(['cp', `${path.join(out, 'data')}/.`, `cp1:/tmp/`]));
    const ls = await ok(d.berth(['exec', 'cp1', 'sh', '-c', `cat /tmp/up-${cli}; stat -c '%u:%g' /tmp/up-${cli} /tmp/upa-${cli}; cat /d-${cli}/sub/f /tmp/sub/f; readlink /d-${cli}/etclink`]));
    assert.equal(ls, `from ${cli}\n0:0\n1234:1234\ninner\ninner\n/etc\n`);
    // stdout and stdin tar streams
    const tarOut = await run('sh', ['-c', `${cli === 'berth' ? 'bin/berth' : 'docker'} cp cp1:/data/t - | tar -t`], { env: d.clientEnv(), cwd: path.resolve(import.meta.dirname, '../../..') });
    assert.equal(tarOut.stdout.trim(), 't');
    const r = await (cli === 'berth' ? d.berth(['cp', '-', 'cp1:/tmp'], { input: tarOf(out, 'renamed') }) : d.docker(['cp', '-', 'cp1:/tmp'], { input: tarOf(out, 'renamed') }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await ok(d.berth(['exec', 'cp1', 'cat', '/tmp/renamed'])), 'top\n');
  }
});

test('HEAD archive: X-Docker-Container-Path-Stat as Docker sends it; errors are Docker\'s', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  await runDetached('stat1', 'mkdir /x && echo abc > /x/f && ln -s /x/f /x/l && sleep 1000');
  await sleep(300);
  const head = async (p: string) => d.request('HEAD', `/containers/stat1/archive?path=${encodeURIComponent(p)}`);
  const decode = (h: string | string[] | undefined) => JSON.parse(Buffer.from(String(h), 'base64').toString()) as { name: string; size: number; mode: number; mtime: string; linkTarget: string };
  let r = await head('/x/f');
  assert.equal(r.status, 200);
  let s = decode(r.headers['x-docker-container-path-stat']);
  assert.deepEqual(Object.keys(s), ['name', 'size', 'mode', 'mtime', 'linkTarget']);
  assert.equal(s.name, 'f');
  assert.equal(s.size, 4);
  assert.equal(s.mode, 0o644);
  assert.match(s.mtime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  r = await head('/x');
  s = decode(r.headers['x-docker-container-path-stat']);
  assert.equal(s.mode, (2 ** 31 + 0o755) >>> 0);
  r = await head('/x/l');
  s = decode(r.headers['x-docker-container-path-stat']);
  assert.equal(s.mode, (2 ** 27 + 0o777) >>> 0);
  assert.equal(s.linkTarget, '/x/f');
  // missing path: Docker's 404 message on GET and PUT; HEAD has no body
  r = await head('/nope');
  assert.equal(r.status, 404);
  const g = await d.request('GET', '/containers/stat1/archive?path=/nope/file');
  assert.equal(g.status, 404);
  assert.equal(g.json().message, 'Could not find the file /nope/file in container stat1');
  fs.writeFileSync(path.join(tmp, 'small'), 'x');
  const p = await d.request('PUT', '/containers/stat1/archive?path=/nope', { body: tarOf(tmp, 'small'), headers: { 'content-type': 'application/x-tar' } });
  assert.equal(p.status, 404);
  assert.equal(p.json().message, 'Could not find the file /nope in container stat1');
  const nf = await d.request('PUT', '/containers/stat1/archive?path=/x/f', { body: tarOf(tmp, 'small'), headers: { 'content-type': 'application/x-tar' } });
  assert.equal(nf.status, 400);
  assert.equal(nf.json().message, 'extraction point is not a directory');
  const empty = await d.request('GET', '/containers/stat1/archive');
  assert.equal(empty.status, 400);
  const unknown = await d.request('GET', '/containers/nosuch/archive?path=/');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json().message, 'No such container: nosuch');
  const bc = await d.berth(['cp', 'stat1:/nope', tmp]);
  assert.equal(bc.code, 1);
  assert.equal(bc.stderr.trim(), 'Error response from daemon: Could not find the file /nope in container stat1');
  if (hasDocker()) {
    const dc = await d.docker(['cp', 'stat1:/nope', tmp]);
    assert.equal(dc.code, 1);
    assert.match(dc.stderr, /Could not find the file \/nope in container stat1/);
  }
});

test('cp on a stopped container mounts its rootfs only for the copy', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const id = (await ok(d.berth(['create', '--name', 'stopped1', 'busybox', 'true']))).trim();
  fs.writeFileSync(path.join(tmp, 'sfile'), 'stopped\n');
  await ok(d.berth(['cp', path.join(tmp, 'sfile'), 'stopped1:/etc/']));
  await waitNoMount(id);
  const out = path.join(tmp, 'sout');
  await ok(d.berth(['cp', 'stopped1:/etc/sfile', out]));
  assert.equal(fs.readFileSync(out, 'utf8'), 'stopped\n');
  await waitNoMount(id);
  const diff = await ok(d.berth(['diff', 'stopped1']));
  assert.match(diff, /^C \/etc\nA \/etc\/sfile\n$/);
  await ok(d.berth(['rm', 'stopped1']));
});

test('cp never leaves the container root: "..", absolute and relative symlinks to the host', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  await runDetached('esc1', 'ln -s / /rootlink && ln -s ../../../../../../ /rel && mkdir /sub && ln -s /etc /sub/etc && sleep 1000');
  await sleep(300);
  const tag = crypto.randomBytes(6).toString('hex');
  const name = `bt-escape-${tag}`;
  fs.writeFileSync(path.join(tmp, name), 'payload\n');
  for (const dest of ['../../etc/', '/rootlink/etc/', '/rel/etc', '/sub/etc/', '/sub/../../../etc']) {
    await ok(d.berth(['cp', path.join(tmp, name), `esc1:${dest}`]));
    assert.equal(fs.existsSync(`/etc/${name}`), false, `host /etc written through ${dest}`);
    assert.equal(await ok(d.berth(['exec', 'esc1', 'cat', `/etc/${name}`])), 'payload\n');
    await ok(d.berth(['exec', 'esc1', 'rm', `/etc/${name}`]));
  }
  // reading the host through a link gives the container's file, never the host's
  fs.writeFileSync(`/tmp/${name}`, 'host secret\n');
  try {
    for (const src of ['/rootlink/tmp/', '/rel/tmp/', '/../../tmp/']) {
      const r = await d.request('GET', `/containers/esc1/archive?path=${encodeURIComponent(src + name)}`);
      assert.equal(r.status, 404, `host file read through ${src}`);
    }
  } finally {
    fs.rmSync(`/tmp/${name}`, { force: true });
  }
  // a tar entry climbing out or a symlink pointing out of the destination is refused
  const evil = path.join(tmp, 'evil');
  fs.mkdirSync(evil);
  fs.symlinkSync('../../../../../etc', path.join(evil, 'out'));
  const r = await d.request('PUT', '/containers/esc1/archive?path=/tmp', { body: tarOf(evil, 'out'), headers: { 'content-type': 'application/x-tar' } });
  assert.equal(r.status, 400);
  assert.match(r.json().message, /invalid symlink/);
});

test('a directory swapped with a symlink to / during the copies never lets a copy out (CVE-2018-15664)', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  // the container flips /w/d between a real directory and a symlink to "/" as fast as it can
  await runDetached('race1', 'mkdir -p /w/d0/tmp && echo inside > /w/d0/marker && ln -s / /w/l0 && while :; do mv /w/d0 /w/x; mv /w/l0 /w/d0; mv /w/d0 /w/l0; mv /w/x /w/d0; done');
  await sleep(300);
  const tag = crypto.randomBytes(6).toString('hex');
  const hostFile = `/tmp/bt-race-secret-${tag}`;
  fs.writeFileSync(hostFile, 'host secret\n');
  const payloadDir = path.join(tmp, `race-${tag}`);
  fs.mkdirSync(payloadDir);
  fs.writeFileSync(path.join(payloadDir, `bt-race-pwned-${tag}`), 'pwned\n');
  const payload = tarOf(payloadDir, `bt-race-pwned-${tag}`);
  let reads = 0;
  let writes = 0;
  try {
    const deadline = Date.now() + 6000;
    while (Date.now() < deadline) {
      const g = await d.request('GET', `/containers/race1/archive?path=${encodeURIComponent(`/w/d0/tmp/bt-race-secret-${tag}`)}`);
      assert.notEqual(g.status, 200, 'a host file was read through the swapped symlink');
      const m = await d.request('GET', '/containers/race1/archive?path=/w/d0/marker');
      if (m.status === 200) reads++;
      const p = await d.request('PUT', '/containers/race1/archive?path=/w/d0/tmp', { body: payload, headers: { 'content-type': 'application/x-tar' } });
      if (p.status === 200) writes++;
      assert.equal(fs.existsSync(`/tmp/bt-race-pwned-${tag}`), false, 'a copy into the container wrote to the host');
    }
  } finally {
    fs.rmSync(hostFile, { force: true });
    fs.rmSync(`/tmp/bt-race-pwned-${tag}`, { force: true });
  }
  t.diagnostic(`successful in-container reads ${reads}, writes ${writes} during the swaps`);
  assert.ok(reads + writes > 0, 'no copy ever succeeded: the test did not exercise the race');
});

test('diff: C/A/D from the upper dir, whiteouts as D; unknown container is 404', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  await runDetached('diff1', 'rm /bin/vi && mkdir /newdir && echo x > /newdir/f && echo y >> /etc/passwd && rm -rf /home && mkdir /home && sleep 1000');
  await sleep(400);
  const out = await ok(d.berth(['diff', 'diff1']));
  const lines = out.trim().split('\n');
  for (const want of ['C /bin', 'D /bin/vi', 'A /newdir', 'A /newdir/f', 'C /etc/passwd', 'D /home']) assert.ok(lines.includes(want), `missing "${want}" in:\n${out}`);
  assert.ok(!lines.some((l) => /\/etc\/(hosts|hostname|resolv\.conf)$/.test(l)), `daemon-made files listed:\n${out}`);
  const api = await d.request('GET', '/containers/diff1/changes');
  assert.equal(api.status, 200);
  const kinds = new Map(api.json<{ Path: string; Kind: number }[]>().map((c) => [c.Path, c.Kind]));
  assert.equal(kinds.get('/bin/vi'), 2);
  assert.equal(kinds.get('/newdir'), 1);
  assert.equal(kinds.get('/etc/passwd'), 0);
  if (hasDocker()) assert.equal(await ok(d.docker(['diff', 'diff1'])), out);
  const bad = await d.berth(['diff', 'nosuch']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr.trim(), 'Error response from daemon: No such container: nosuch');
  assert.equal((await d.request('GET', '/containers/nosuch/changes')).status, 404);
});

test('export: the merged filesystem as a tar, running and stopped', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const id = await runDetached('exp1', 'echo exported > /root/mark && sleep 1000');
  await sleep(300);
  const file = path.join(tmp, 'exp1.tar');
  await ok(d.berth(['export', '-o', file, 'exp1']));
  const list = spawnSync('tar', ['-tf', file], { encoding: 'utf8' }).stdout.split('\n');
  assert.ok(list.includes('root/mark'));
  assert.ok(list.includes('bin/busybox'));
  assert.ok(!list.some((l) => l.startsWith('proc/') && l !== 'proc/'), 'proc contents exported');
  await ok(d.berth(['stop', '-t', '0', 'exp1']));
  const r = await run('sh', ['-c', `bin/berth export exp1 | tar -xO root/mark`], { env: d.clientEnv(), cwd: path.resolve(import.meta.dirname, '../../..') });
  assert.equal(r.stdout, 'exported\n');
  await waitNoMount(id);
  if (hasDocker()) {
    const dfile = path.join(tmp, 'exp1-docker.tar');
    await ok(d.docker(['export', '-o', dfile, 'exp1']));
    assert.ok(spawnSync('tar', ['-tf', dfile], { encoding: 'utf8' }).stdout.split('\n').includes('root/mark'));
  }
  const bad = await d.berth(['export', '-o', path.join(tmp, 'x.tar'), 'nosuch']);
  assert.equal(bad.code, 1);
  assert.equal(fs.existsSync(path.join(tmp, 'x.tar')), false);
});

test('commit: a new layer on the parent\'s, --change/-a/-m, pause, events; runs; survives save/load', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  await runDetached('com1', 'echo committed > /root/c && rm /bin/vi && sleep 1000');
  await sleep(300);
  const since = Math.floor(Date.now() / 1000) - 1;
  const id = (await ok(d.berth(['commit', '-a', 'Ann <a@b>', '-m', 'a message', '-c', 'ENV COMMITTED=yes', '-c', 'CMD ["cat", "/root/c"]', '-c', 'LABEL k=v', '-c', 'WORKDIR /root', '-c', 'EXPOSE 8080', 'com1', 'committed:v1']))).trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  // it runs, with the change and the files
  assert.equal(await ok(d.berth(['run', '--rm', 'committed:v1'])), 'committed\n');
  assert.equal(await ok(d.berth(['run', '--rm', 'committed:v1', 'sh', '-c', 'echo $COMMITTED $PWD; ls /bin/vi 2>&1 | grep -c "No such"'])), 'yes /root\n1\n');
  // layers: the parent's plus one
  const img = (await d.request('GET', '/images/committed:v1/json')).json<{ RootFS: { Layers: string[] }; Author: string; Comment: string; Config: { Labels: Record<string, string>; ExposedPorts: Record<string, object>; Env: string[] } }>();
  const parent = (await d.request('GET', '/images/busybox/json')).json<{ RootFS: { Layers: string[] } }>();
  assert.deepEqual(img.RootFS.Layers.slice(0, -1), parent.RootFS.Layers);
  assert.equal(img.RootFS.Layers.length, parent.RootFS.Layers.length + 1);
  assert.equal(img.Author, 'Ann <a@b>');
  assert.equal(img.Comment, 'a message');
  assert.equal(img.Config.Labels['k'], 'v');
  assert.ok('8080/tcp' in img.Config.ExposedPorts);
  // paused while reading, then running again; a commit event
  const ev = await ok(d.berth(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'container=com1', '--format', '{{.Action}}']));
  assert.deepEqual(ev.trim().split('\n').filter((a) => ['pause', 'unpause', 'commit'].includes(a)), ['pause', 'unpause', 'commit']);
  assert.equal((await ok(d.berth(['inspect', '-f', '{{.State.Status}}', 'com1']))).trim(), 'running');
  // save, remove, load: the same image ID
  const saved = path.join(tmp, 'committed.tar');
  await ok(d.berth(['save', '-o', saved, 'committed:v1']));
  await ok(d.berth(['rmi', 'committed:v1']));
  await ok(d.berth(['load', '-i', saved]));
  assert.equal((await ok(d.berth(['image', 'inspect', '-f', '{{.Id}}', 'committed:v1']))).trim(), id);
  // --pause=false, and the docker CLI
  if (hasDocker()) {
    const id2 = (await ok(d.docker(['commit', '--pause=false', '-c', 'CMD ["sh"]', 'com1', 'committed:docker']))).trim();
    assert.match(id2, /^sha256:/);
    assert.equal(await ok(d.docker(['run', '--rm', 'committed:docker', 'cat', '/root/c'])), 'committed\n');
  }
  // nothing committed for bad input
  const before = (await d.request('GET', '/images/json?all=1')).json<unknown[]>().length;
  const bad = await d.berth(['commit', 'nosuch', 'x:y']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr.trim(), 'Error response from daemon: No such container: nosuch');
  const badChange = await d.request('POST', '/commit?container=com1&changes=' + encodeURIComponent('RUN echo no'));
  assert.equal(badChange.status, 400);
  const badRepo = await d.request('POST', '/commit?container=com1&repo=UPPER');
  assert.equal(badRepo.status, 400);
  assert.equal((await d.request('GET', '/images/json?all=1')).json<unknown[]>().length, before);
});
