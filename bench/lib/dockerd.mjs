// A reference dockerd for the benches' side-by-side figures: Debian's dockerd 20.10 unpacked by
// bench/dockerd-ref/fetch (--dockerd DIR), or a dockerd installed on PATH. It runs on its own
// temporary data and exec roots with no iptables rules, under the cgroup parent it is given, with
// no bridge (containers with --network none, pulls from 127.0.0.1) or, with `bridge`, a bridge the
// bench creates for it (its default network then works, without NAT). stop() removes everything
// it started: dockerd and containerd by PID, the shims (their command lines name the root), mounts
// under the root, the bridge, its cgroups and the root itself.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { killProcessesUnder, removeCgroupsNamed, unmountUnder } from '../../dist/test/integration/harness.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** PATH for a dockerd from `dir` (an unpacked tree), or from PATH; undefined when there is none. */
export function findDockerd(dir) {
  if (dir) {
    const bins = ['usr/sbin', 'usr/bin'].map((d) => path.join(dir, 'root', d));
    if (!fs.existsSync(path.join(bins[0], 'dockerd'))) throw new Error(`${dir}: no root/usr/sbin/dockerd (run bench/dockerd-ref/fetch ${dir})`);
    return { PATH: `${bins.join(':')}:${process.env.PATH}` };
  }
  const found = spawnSync('sh', ['-c', 'command -v dockerd'], { encoding: 'utf8' }).stdout.trim();
  return found ? { PATH: process.env.PATH } : undefined;
}

/** A JSON/text request to a daemon's unix socket: { status, text }. */
export function unixRequest(socket, method, p, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) || typeof body === 'string' ? body : JSON.stringify(body);
    const h = { ...headers };
    if (payload !== undefined) {
      h['content-type'] ??= Buffer.isBuffer(body) ? 'application/x-tar' : 'application/json';
      h['content-length'] = Buffer.byteLength(payload);
    }
    const req = http.request({ socketPath: socket, method, path: p, headers: h, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Start dockerd under `root` (a fresh directory; its basename should be a unique tag). `env` is
 * findDockerd()'s result. Returns { socket, pid, stop }.
 */
export async function startDockerd(root, env, { cgroupParent = `/${path.basename(root)}`, extraEnv = {}, bridge } = {}) {
  fs.mkdirSync(root, { recursive: true });
  // bridge: { name, cidr } (say 10.213.51.1/24): created here, handed to dockerd with --bridge
  if (bridge) {
    for (const args of [['link', 'add', bridge.name, 'type', 'bridge'], ['addr', 'add', bridge.cidr, 'dev', bridge.name], ['link', 'set', bridge.name, 'up']]) {
      const r = spawnSync('ip', args, { encoding: 'utf8' });
      if (r.status !== 0) {
        spawnSync('ip', ['link', 'del', bridge.name]);
        throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
      }
    }
  }
  const socket = path.join(root, 'docker.sock');
  const log = fs.openSync(path.join(root, 'dockerd.log'), 'a');
  const child = spawn(
    'dockerd',
    ['--data-root', path.join(root, 'data'), '--exec-root', path.join(root, 'run'), '-H', `unix://${socket}`, '--pidfile', path.join(root, 'dockerd.pid'), `--bridge=${bridge ? bridge.name : 'none'}`, '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false', '--cgroup-parent', cgroupParent, '--storage-driver', 'overlay2'],
    { stdio: ['ignore', log, log], env: { ...process.env, ...env, ...extraEnv } },
  );
  fs.closeSync(log);
  /** removeRoot false: leave the data for the caller to remove (see pull-push: ext4 and deleted inodes) */
  const stop = async ({ removeRoot = true } = {}) => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(20000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    // containerd (dockerd's child, its --config is under the root) and the shims
    killProcessesUnder(root);
    await sleep(200);
    unmountUnder(root);
    removeCgroupsNamed(path.basename(cgroupParent));
    if (bridge && fs.existsSync(`/sys/class/net/${bridge.name}`)) spawnSync('ip', ['link', 'del', bridge.name]);
    if (removeRoot) fs.rmSync(root, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 600; i++) {
      if (child.exitCode !== null) throw new Error(`dockerd exited: ${fs.readFileSync(path.join(root, 'dockerd.log'), 'utf8').slice(-2000)}`);
      try {
        if ((await unixRequest(socket, 'GET', '/_ping')).status === 200) return { socket, pid: child.pid, stop };
      } catch {
        /* not yet */
      }
      await sleep(50);
    }
    throw new Error('dockerd did not start in 30 s');
  } catch (err) {
    await stop();
    throw err;
  }
}
