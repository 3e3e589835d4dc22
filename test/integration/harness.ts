// Integration-test harness: a real berthd as root on a temporary data root, exec root and
// socket, driven with `berth`, the real `docker` CLI and raw HTTP. Everything a test starts is
// removed by cleanup(), even when the test failed: containers, conmon processes (by PID),
// mounts under the temporary root, the root itself.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BERTH = path.join(REPO, 'bin/berth');
export const BERTHD = path.join(REPO, 'bin/berthd');
export const IN_CI = process.env['CI'] === 'true';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json<T = any>(): T; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Run a command and collect its output; never rejects on a non-zero exit. */
export function run(cmd: string, args: readonly string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], cwd: opts.cwd });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : -1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.on('error', () => undefined);
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

export function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * Skip the test (saying why) when a dependency is missing on a developer's machine; under
 * CI=true a missing dependency fails the test instead, so CI never passes by skipping.
 */
export function need(t: TestContext, ok: boolean, what: string): boolean {
  if (ok) return true;
  if (IN_CI) throw new Error(`missing dependency under CI: ${what}`);
  t.skip(`missing dependency: ${what}`);
  return false;
}

export const isRoot = (): boolean => process.getuid?.() === 0;
export const hasDocker = (): boolean => which('docker') !== undefined;

let busyboxCache: string | undefined;
/** The busybox rootfs tarball made from the host's busybox-static package (built once per run). */
export function busyboxTar(): string {
  if (busyboxCache && fs.existsSync(busyboxCache)) return busyboxCache;
  const out = path.join(os.tmpdir(), `berth-test-fixtures-${process.getuid?.() ?? 0}`, 'busybox-rootfs.tar');
  if (!fs.existsSync(out)) {
    const r = spawnSync(path.join(REPO, 'scripts/mk-busybox-rootfs'), [out], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mk-busybox-rootfs failed: ${r.stderr}`);
  }
  busyboxCache = out;
  return out;
}

export interface DaemonOptions {
  /** extra berthd flags */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** daemon.json content; written to the temp root and passed with --config-file */
  config?: Record<string, unknown>;
  /** reuse an existing temp root (for restart tests) */
  root?: string;
}

export class Daemon {
  readonly root: string;
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly socket: string;
  readonly host: string;
  readonly logFile: string;
  readonly opts: DaemonOptions;
  child: ChildProcess | undefined;

  constructor(opts: DaemonOptions) {
    this.opts = opts;
    this.root = opts.root ?? fs.mkdtempSync('/tmp/bt-');
    this.dataRoot = path.join(this.root, 'data');
    this.execRoot = path.join(this.root, 'run');
    this.socket = path.join(this.root, 'berth.sock');
    this.host = `unix://${this.socket}`;
    this.logFile = path.join(this.root, 'berthd.log');
  }

  bip: string | undefined;

  /** The daemon's default bridge (and so its nftables table "berth_<bridge>" and netns prefix "<bridge>-"). */
  bridgeName(): string {
    const a = this.opts.args ?? [];
    const i = Math.max(a.indexOf('--bridge'), a.indexOf('-b'));
    const fromConfig = this.opts.config?.['bridge'];
    return (i >= 0 ? a[i + 1] : undefined) ?? (typeof fromConfig === 'string' ? fromConfig : path.basename(this.root));
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  /** Environment for clients: DOCKER_HOST at this daemon, no stray docker config. */
  clientEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...process.env, DOCKER_HOST: this.host, BERTH_HOST: this.host, DOCKER_CONFIG: path.join(this.root, 'docker-config'), BERTH_CONFIG: path.join(this.root, 'berth-config'), ...extra };
  }

  async start(): Promise<void> {
    // A cgroup parent named after the temp root, so cleanup() can find and remove its cgroups.
    const args = ['--data-root', this.dataRoot, '--exec-root', this.execRoot, '-H', this.host, '--pidfile', path.join(this.root, 'berthd.pid'), '--cgroup-parent', `/${path.basename(this.root)}`, ...(this.opts.args ?? [])];
    // Networking: each daemon gets its own default bridge (which also names its nftables table
    // and netns) on a /24 no route uses, unless the test chose them.
    if (!args.includes('--bridge') && !args.includes('-b') && this.opts.config?.['bridge'] === undefined) args.push('--bridge', this.bridgeName());
    if (!args.includes('--bip') && this.opts.config?.['bip'] === undefined && this.opts.config?.['default-address-pools'] === undefined) args.push('--bip', (this.bip ??= freeBip()));
    if (this.opts.config) {
      const file = path.join(this.root, 'daemon.json');
      fs.writeFileSync(file, JSON.stringify(this.opts.config));
      args.push('--config-file', file);
    } else {
      args.push('--config-file', path.join(this.root, 'no-daemon.json'));
      fs.writeFileSync(path.join(this.root, 'no-daemon.json'), '{}');
    }
    const log = fs.openSync(this.logFile, 'a');
    const child = spawn(BERTHD, args, { stdio: ['ignore', log, log], env: { ...process.env, ...this.opts.env } });
    fs.closeSync(log);
    this.child = child;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`berthd exited with ${child.exitCode}:\n${this.log()}`);
      try {
        const r = await this.request('GET', '/_ping');
        if (r.status === 200) return;
      } catch {
        /* not up yet */
      }
      await sleep(25);
    }
    throw new Error(`berthd did not come up in 20 s:\n${this.log()}`);
  }

  log(): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  berth(args: readonly string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
    return run(BERTH, args, { ...opts, env: this.clientEnv(opts.env) });
  }

  docker(args: readonly string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
    return run('docker', args, { ...opts, env: this.clientEnv(opts.env) });
  }

  request(method: string, urlPath: string, opts: { body?: unknown; headers?: http.OutgoingHttpHeaders; timeoutMs?: number } = {}): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = { ...opts.headers };
      let payload: Buffer | undefined;
      let stream: NodeJS.ReadableStream | undefined;
      if (Buffer.isBuffer(opts.body) || typeof opts.body === 'string') payload = Buffer.from(opts.body);
      else if (opts.body && typeof (opts.body as NodeJS.ReadableStream).pipe === 'function') stream = opts.body as NodeJS.ReadableStream;
      else if (opts.body !== undefined) {
        payload = Buffer.from(JSON.stringify(opts.body));
        headers['content-type'] ??= 'application/json';
      }
      if (payload) headers['content-length'] = payload.length;
      const req = http.request({ socketPath: this.socket, method, path: urlPath, headers, timeout: opts.timeoutMs ?? 60_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const text = body.toString();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`request ${method} ${urlPath} timed out`)));
      req.on('error', reject);
      if (stream) stream.pipe(req);
      else req.end(payload);
    });
  }

  /** Stop berthd with a signal and wait for it to exit; returns its exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Remove everything this daemon and its tests made. Safe to call more than once. */
  async cleanup(): Promise<void> {
    if (this.pid !== undefined) {
      try {
        const list = await this.request('GET', '/containers/json?all=1', { timeoutMs: 10_000 });
        if (list.status === 200) {
          for (const c of list.json<{ Id: string }[]>()) await this.request('DELETE', `/containers/${c.Id}?force=1&v=1`, { timeoutMs: 30_000 }).catch(() => undefined);
        }
      } catch {
        /* daemon not answering: the process sweep below handles it */
      }
      await this.stop();
    }
    killProcessesUnder(this.root);
    unmountUnder(this.root);
    removeCgroupsNamed(path.basename(this.root));
    removeNetworkState(this.bridgeName());
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** A 10.213.128-255.1/24 no route of the host uses (a test daemon's default bridge). */
export function freeBip(): string {
  const routes = spawnSync('ip', ['-4', 'route', 'show'], { encoding: 'utf8' }).stdout ?? '';
  for (let i = 0; i < 64; i++) {
    const x = 128 + Math.floor(Math.random() * 128);
    if (!routes.includes(`10.213.${x}.`)) return `10.213.${x}.1/24`;
  }
  throw new Error('no free 10.213.x.0/24 for a test bridge');
}

/** Remove a test daemon's network leftovers by name (after a kill -9): netns "<bridge>-*", its bridge and nftables tables. */
export function removeNetworkState(bridge: string): void {
  if (!bridge || bridge === 'berth0') return;
  let names: string[] = [];
  try {
    names = fs.readdirSync('/run/netns');
  } catch {
    /* none */
  }
  for (const n of names) if (n.startsWith(`${bridge}-`)) spawnSync('ip', ['netns', 'del', n]);
  if (fs.existsSync(`/sys/class/net/${bridge}`)) spawnSync('ip', ['link', 'del', bridge]);
  const table = `berth_${bridge.replace(/[^A-Za-z0-9_]/g, '_')}`;
  spawnSync('nft', ['-f', '-'], { input: `table ip ${table} {}\ndelete table ip ${table}\ntable ip6 ${table} {}\ndelete table ip6 ${table}\n` });
}

/**
 * A network namespace of the test's joined to the host by one veth: `hostIp` on the host end,
 * `nsIp` on the namespace's eth0 (both /30), lo up. Stands for "the outside" or a remote server.
 */
export function vethNamespace(ns: string, veth: string, hostIp: string, nsIp: string): { remove(): void } {
  const ip = (...args: string[]): void => {
    const r = spawnSync('ip', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  };
  ip('netns', 'add', ns);
  ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
  ip('addr', 'add', `${hostIp}/30`, 'dev', veth);
  ip('link', 'set', veth, 'up');
  ip('-n', ns, 'addr', 'add', `${nsIp}/30`, 'dev', 'eth0');
  ip('-n', ns, 'link', 'set', 'eth0', 'up');
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  return {
    remove(): void {
      spawnSync('ip', ['link', 'del', veth]);
      spawnSync('ip', ['netns', 'del', ns]);
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Kill (by PID) every process whose command line mentions the directory: conmon, containers. */
export function killProcessesUnder(dir: string): void {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(`${dir}/`)) process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Unmount (lazily, deepest first) everything mounted under the directory. */
export function unmountUnder(dir: string): void {
  const mounts = fs
    .readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => m !== undefined && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m]);
}

/**
 * Remove the cgroup directories named after the tag (a daemon's --cgroup-parent) and everything
 * below them (its containers' cgroups), in every hierarchy, leaves first. Also used by bench/.
 */
export function removeCgroupsNamed(tag: string): void {
  if (!tag) return;
  const found: string[] = [];
  const walk = (d: string, depth: number, inside: boolean): void => {
    if (depth > 6) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = path.join(d, e.name);
      const mine = inside || e.name.includes(tag);
      if (mine) found.push(p);
      walk(p, depth + 1, mine);
    }
  };
  walk('/sys/fs/cgroup', 0, false);
  for (const p of found.sort((a, b) => b.length - a.length)) {
    try {
      fs.rmdirSync(p);
    } catch {
      /* busy or gone */
    }
  }
}

/** Start a daemon for a test file; the caller registers `after(() => d.cleanup())`. */
export async function startDaemon(opts: DaemonOptions = {}): Promise<Daemon> {
  const d = new Daemon(opts);
  try {
    await d.start();
  } catch (err) {
    await d.cleanup();
    throw err;
  }
  return d;
}

/** Import the busybox rootfs as an image (default busybox:latest); returns the image ID. */
export async function importBusybox(d: Daemon, ref = 'busybox:latest'): Promise<string> {
  const [repo, tag] = ref.split(':');
  const r = await d.request('POST', `/images/create?fromSrc=-&repo=${encodeURIComponent(repo ?? 'busybox')}&tag=${encodeURIComponent(tag ?? 'latest')}&changes=${encodeURIComponent('CMD ["sh"]')}`, {
    body: fs.createReadStream(busyboxTar()),
    headers: { 'content-type': 'application/x-tar' },
  });
  if (r.status !== 200) throw new Error(`import failed: ${r.status} ${r.text}`);
  const lines = r.text.trim().split('\n').map((l) => JSON.parse(l) as { status?: string; error?: string });
  const err = lines.find((l) => l.error);
  if (err) throw new Error(`import failed: ${err.error}`);
  const id = lines.at(-1)?.status ?? '';
  if (!id.startsWith('sha256:')) throw new Error(`import returned no image ID: ${r.text}`);
  return id;
}

// ---------------------------------------------------------------- berth's own registry server

export interface BerthRegistry {
  /** "http://127.0.0.1:PORT" (https with --tls-cert) */
  readonly url: string;
  /** "127.0.0.1:PORT", for image references */
  readonly addr: string;
  readonly port: number;
  readonly root: string;
  readonly logFile: string;
  readonly pid: number;
  /** SIGTERM by PID; resolves with the exit code (SIGKILL after 10 s). */
  stop(): Promise<number | null>;
  /** stop(), then remove the root (when this helper created it) and the log. */
  cleanup(): Promise<void>;
}

/**
 * Start `berth registry serve` on 127.0.0.1 with a free port and a temporary root (or `root`);
 * extra flags in `args` (--htpasswd, --tls-cert/--tls-key, --read-only).
 */
export async function startBerthRegistry(opts: { args?: string[]; root?: string } = {}): Promise<BerthRegistry> {
  const own = opts.root === undefined;
  const root = opts.root ?? fs.mkdtempSync('/tmp/bt-registry-');
  const logFile = `${fs.mkdtempSync('/tmp/bt-registry-log-')}/registry.log`;
  const log = fs.openSync(logFile, 'a');
  const child = spawn(BERTH, ['registry', 'serve', '--addr', '127.0.0.1:0', '--root', root, ...(opts.args ?? [])], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  let exited: number | null | undefined;
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve((exited = code))));
  const stop = async (): Promise<number | null> => {
    if (exited !== undefined || child.pid === undefined) return exited ?? null;
    process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(() => child.pid !== undefined && exited === undefined && process.kill(child.pid, 'SIGKILL'), 10_000);
    const code = await exit;
    clearTimeout(timer);
    return code;
  };
  const cleanup = async (): Promise<void> => {
    await stop();
    if (own) fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(path.dirname(logFile), { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const text = fs.readFileSync(logFile, 'utf8');
    for (const line of text.split('\n')) {
      if (!line.includes('registry listening')) continue;
      const info = JSON.parse(line) as { url: string; addr: string };
      const port = Number(info.addr.split(':').at(-1));
      return { url: info.url, addr: `127.0.0.1:${port}`, port, root, logFile, pid: child.pid as number, stop, cleanup };
    }
    if (exited !== undefined) break;
    await sleep(20);
  }
  const text = fs.readFileSync(logFile, 'utf8');
  await cleanup();
  throw new Error(`berth registry serve did not start:\n${text}`);
}
