// A registry on TLS with a private CA (`berth registry serve --tls-cert/--tls-key`, certificate
// from a CA the test makes with openssl): berthd refuses it until the CA is in
// /etc/berth/certs.d/<host:port>/ca.crt, as dockerd with /etc/docker/certs.d; then push and pull
// work, through berth and the docker CLI. The registry runs in a network namespace of the test's
// (10.213.97.2, reached over a veth): on 127.0.0.0/8 it would be an insecure registry by default,
// as for dockerd, and its certificate would not be checked. The certs.d entry, the registry, the
// netns and the veth are removed at the end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BERTH, startDaemon, importBusybox, need, isRoot, hasDocker, sleep, vethNamespace, which, type Daemon } from './harness.js';
import { NO_INTERNET_ENV } from './distribution-helpers.js';

const ok = isRoot() && which('openssl') !== undefined && which('ip') !== undefined;
const CERTS_D = '/etc/berth/certs.d';
const NS = `btls${process.pid % 100000}`;
const VETH = `btlsh${process.pid % 100000}`;
const HOST_IP = '10.213.97.1';
const REG_IP = '10.213.97.2';
const REG_ADDR = `${REG_IP}:5000`;

let d: Daemon | undefined;
let reg: ChildProcess | undefined;
let dir = '';
let regRoot = '';
let remote: { remove(): void } | undefined;
/** what this test created under /etc/berth, removed in after() (deepest first) */
const created: string[] = [];

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function mkdirTracked(p: string): void {
  if (fs.existsSync(p)) return;
  mkdirTracked(path.dirname(p));
  fs.mkdirSync(p);
  created.push(p);
}

before(async () => {
  if (!ok) return;
  dir = fs.mkdtempSync('/tmp/bt-tls-');
  // a CA, and a server certificate it signs for the registry's address
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=berth test CA']);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${REG_IP}`]);
  fs.writeFileSync(path.join(dir, 'ext.cnf'), `subjectAltName=IP:${REG_IP}\nextendedKeyUsage=serverAuth\n`);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf']);
  remote = vethNamespace(NS, VETH, HOST_IP, REG_IP);
  regRoot = path.join(dir, 'registry');
  const log = fs.openSync(path.join(dir, 'registry.log'), 'a');
  reg = spawn('ip', ['netns', 'exec', NS, BERTH, 'registry', 'serve', '--addr', REG_ADDR, '--root', regRoot, '--tls-cert', path.join(dir, 'server.crt'), '--tls-key', path.join(dir, 'server.key')], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  for (let i = 0; i < 150 && !fs.readFileSync(path.join(dir, 'registry.log'), 'utf8').includes('registry listening'); i++) await sleep(20);
  // a proxy at a closed port for everything but the test's own registry
  d = await startDaemon({ env: { ...NO_INTERNET_ENV, NO_PROXY: REG_IP } });
  await importBusybox(d);
});

after(async () => {
  await d?.cleanup();
  if (reg?.pid !== undefined && reg.exitCode === null) {
    const exited = new Promise((r) => reg?.once('exit', r));
    process.kill(reg.pid, 'SIGTERM');
    await exited;
  }
  remote?.remove();
  for (const p of created.reverse()) fs.rmSync(p, { recursive: true, force: true });
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('tls registry: refused without the CA, push and pull with it in certs.d (berth and docker CLI)', async (t) => {
  if (!need(t, ok, 'root, openssl, ip') || !d || !reg) return;
  const dm = d;
  assert.match(fs.readFileSync(path.join(dir, 'registry.log'), 'utf8'), /https:\/\/10\.213\.97\.2:5000/);
  const ref = `${REG_ADDR}/tls/busybox:1`;
  assert.equal((await dm.berth(['tag', 'busybox', ref])).code, 0);
  // an unknown CA: refused, with the reason a person can act on; nothing was uploaded
  const refused = await dm.berth(['push', ref]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /x509: certificate signed by unknown authority/, refused.stderr);
  // the CA where dockerd would look for it (berth's directory)
  const hostDir = path.join(CERTS_D, REG_ADDR);
  mkdirTracked(hostDir);
  fs.copyFileSync(path.join(dir, 'ca.crt'), path.join(hostDir, 'ca.crt'));
  const pushed = await dm.berth(['push', ref]);
  assert.equal(pushed.code, 0, pushed.stderr);
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed.stdout)?.[1];
  assert.ok(digest, pushed.stdout);
  assert.equal((await dm.berth(['rmi', ref])).code, 0);
  const pulled = await (hasDocker() ? dm.docker(['pull', ref]) : dm.berth(['pull', ref]));
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.match(pulled.stdout, new RegExp(`Digest: ${digest}`));
  const r = await dm.berth(['run', '--rm', '--network', 'none', ref, 'echo', 'over tls']);
  assert.equal(r.stdout, 'over tls\n');
});
