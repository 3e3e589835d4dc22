// Container network namespaces for the bridge (and cni) driver, set up with as few processes as
// possible. Everything runs from *inside* the new namespace, in one `ip -batch -`:
//
//   link set lo up
//   link add <hostVeth> mtu M master if<bridge ifindex> up netns /proc/<berthd>/ns/net \
//        type veth peer name eth0 mtu M address <mac>
//   addr add <ip>/<prefix> dev eth0;  link set eth0 up;  route add default via <gw> dev eth0
//
// The veth's first end is created directly in the daemon's namespace, enslaved and up (the kernel
// applies IFLA_MASTER and the flags at creation; `if<N>` is iproute2's spelling of an ifindex,
// needed because the bridge's name means nothing inside the new namespace); the peer stays in the
// namespace `ip` runs in. So a namespace costs one process instead of two (netns add + host
// side, then `ip -n` inside), and no `link set master`/`up` round trips.
//
// Where that process comes from:
// - the pool: `unshare --net=/run/netns/<name> ip -batch -` started ahead of time (once the
//   daemon has been idle for a moment) and parked on its stdin (spawner.ts, parkHere). Taking
//   one and feeding it the lines runs no process at all on the start path, and skips the
//   namespace creation itself (about 3 ms of kernel work here). Parked entries are named like
//   every other berth netns (`<bridge>-<12 hex>`), so a daemon that dies leaves nothing the
//   start-up sweep does not remove; their `ip` reads EOF on its stdin and exits.
// - else one `unshare --net=<file> ip -batch -` with the lines on stdin (one spawn).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { systemError } from '../errdefs/index.js';
import { parkHere, spawner, type Parked, type Spawner } from './spawner.js';

export const NETNS_DIR = '/run/netns';

export interface VethPlan {
  /** host end, in the daemon's netns, enslaved to the bridge */
  hostVeth: string;
  /** container end */
  ifname: string;
  bridge: string;
  mtu: number;
  mac: string;
  ip: string;
  prefix: number;
  ip6: string;
  prefix6: number;
  /** default routes go via the first endpoint that has a gateway */
  gateway: string;
  gateway6: string;
}

/** The daemon's own network namespace, as `ip link ... netns` takes it from inside another one. */
export function hostNetnsRef(): string {
  return `/proc/${process.pid}/ns/net`;
}

/** ifindex of an interface of the daemon's netns (from sysfs); throws when it does not exist. */
export function ifindex(name: string): number {
  try {
    return Number(fs.readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim());
  } catch {
    throw systemError(`bridge ${name} does not exist`);
  }
}

/** The `ip -batch` lines, run inside the container's netns, that wire up the given veths. */
export function vethLines(eps: readonly VethPlan[], o: { hostNs: string; bridgeIndex: (bridge: string) => number; lo?: boolean; routed?: boolean }): string[] {
  const lines: string[] = o.lo === false ? [] : ['link set lo up'];
  let routed = o.routed === true;
  for (const e of eps) {
    lines.push(`link add ${e.hostVeth} mtu ${e.mtu} master if${o.bridgeIndex(e.bridge)} up netns ${o.hostNs} type veth peer name ${e.ifname} mtu ${e.mtu} address ${e.mac}`);
    lines.push(`addr add ${e.ip}/${e.prefix} dev ${e.ifname}`);
    if (e.ip6) lines.push(`addr add ${e.ip6}/${e.prefix6} dev ${e.ifname} nodad`);
    lines.push(`link set ${e.ifname} up`);
    if (!routed && e.gateway) {
      lines.push(`route add default via ${e.gateway} dev ${e.ifname}`);
      if (e.gateway6) lines.push(`route add ::/0 via ${e.gateway6} dev ${e.ifname}`);
      routed = true;
    }
  }
  return lines;
}

let dirReady: Promise<void> | undefined;

/**
 * /run/netns as `ip netns add` leaves it: a directory that is a shared mount point, so the
 * namespaces bound there propagate into mount namespaces made later. Once per process.
 */
export function ensureNetnsDir(run: Spawner = spawner): Promise<void> {
  dirReady ??= (async () => {
    fs.mkdirSync(NETNS_DIR, { recursive: true, mode: 0o755 });
    const info = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
    const mine = info.map((l) => l.split(' ')).filter((f) => f[4] === NETNS_DIR);
    if (mine.some((f) => f.slice(6, f.indexOf('-')).some((o) => o.startsWith('shared:')))) return;
    if (mine.length === 0) {
      const b = await run.run('mount', ['--rbind', NETNS_DIR, NETNS_DIR]);
      if (b.code !== 0) throw systemError(`cannot make ${NETNS_DIR} a mount point: ${b.stderr.trim()}`);
    }
    const s = await run.run('mount', ['--make-rshared', NETNS_DIR]);
    if (s.code !== 0) throw systemError(`cannot make ${NETNS_DIR} shared: ${s.stderr.trim()}`);
  })();
  dirReady.catch(() => {
    dirReady = undefined;
  });
  return dirReady;
}

/** The file a new namespace gets bound to (created empty, as `ip netns add` does). */
function netnsFile(name: string): string {
  const file = path.join(NETNS_DIR, name);
  fs.closeSync(fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0));
  return file;
}

function batchError(name: string, r: { code: number; stderr: string }): Error {
  return systemError(`setting up network namespace ${name} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
}

/** Create the named netns and run the lines inside it: one process (unshare, then ip). */
export async function createNetns(name: string, lines: readonly string[], run: Spawner = spawner): Promise<void> {
  await ensureNetnsDir(run);
  const file = netnsFile(name);
  const r = await run.run('unshare', [`--net=${file}`, 'ip', '-batch', '-'], { input: `${lines.join('\n')}\n`, timeoutMs: 60_000 });
  if (r.code !== 0) throw batchError(name, r);
}

/** Remove named netns (and host links) in one `ip -force -batch`; absent ones are fine. */
export async function deleteNetns(names: readonly string[], links: readonly string[] = [], run: Spawner = spawner): Promise<void> {
  const lines = [...links.map((l) => `link del ${l}`), ...names.filter((n) => fs.existsSync(path.join(NETNS_DIR, n))).map((n) => `netns del ${n}`)];
  if (lines.length === 0) return;
  const r = await run.run('ip', ['-force', '-batch', '-'], { input: `${lines.join('\n')}\n`, timeoutMs: 60_000 });
  if (r.code !== 0) throw systemError(`ip -batch failed: ${r.stderr.trim() || `exit ${r.code}`}`);
}

export interface PooledNetns {
  readonly name: string;
  /** Run the lines inside the namespace (once). */
  run(lines: readonly string[]): Promise<void>;
  /** Not needed after all (the start failed before plumbing): back into the pool, untouched. */
  giveBack(): void;
}

interface Entry {
  name: string;
  proc: Parked;
  dead: boolean;
}

export interface NetnsPoolOptions {
  /** every name starts with it (the daemon's sweep removes `<prefix>*` it does not own) */
  prefix: string;
  size: number;
  /** refill this long after the last take, so refilling does not compete with the start itself */
  refillDelayMs?: number;
  spawner?: Spawner;
  /** how pool entries are started (default: from this thread, see parkHere) */
  park?: (cmd: string, args: readonly string[]) => Promise<Parked | undefined>;
  onError?: (err: unknown) => void;
  /** after a refill: how many entries were started and how long it took */
  onFilled?: (added: number, ms: number) => void;
}

/**
 * Namespaces made ahead of time, each with an `ip -batch -` parked inside. Filled on first use
 * (an idle daemon holds none) and after takes; close() drains it and removes the namespaces.
 */
export class NetnsPool {
  readonly #o: NetnsPoolOptions;
  readonly #run: Spawner;
  readonly #ready: Entry[] = [];
  #filling: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #used = false;

  constructor(o: NetnsPoolOptions) {
    this.#o = o;
    this.#run = o.spawner ?? spawner;
  }

  newName(): string {
    return `${this.#o.prefix}${crypto.randomBytes(6).toString('hex')}`;
  }

  get size(): number {
    return this.#ready.length;
  }

  /** A ready namespace, or undefined (then use createNetns). Schedules a refill either way. */
  take(): PooledNetns | undefined {
    this.#used = true;
    let e: Entry | undefined;
    while ((e = this.#ready.shift()) && e.dead) void this.#remove(e);
    this.#schedule();
    if (!e) return undefined;
    const entry = e;
    let used = false;
    return {
      name: entry.name,
      run: async (lines) => {
        if (used) throw systemError('pooled netns used twice');
        used = true;
        const r = await entry.proc.feed(`${lines.join('\n')}\n`);
        if (r.code !== 0) throw batchError(entry.name, r);
      },
      giveBack: () => {
        if (used) return;
        used = true;
        if (this.#closed || entry.dead) void this.#remove(entry);
        else this.#ready.unshift(entry);
      },
    };
  }

  #schedule(): void {
    if (this.#closed || this.#o.size <= 0) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.fill();
    }, this.#o.refillDelayMs ?? 250);
    this.#timer.unref();
  }

  /** Top the pool up to its size (one spawn per entry, off the main thread). */
  fill(): Promise<void> {
    if (this.#filling) return this.#filling;
    this.#filling = (async () => {
      const t0 = performance.now();
      let added = 0;
      try {
        await ensureNetnsDir(this.#run);
        while (!this.#closed && this.#used && this.#ready.filter((e) => !e.dead).length < this.#o.size) {
          const name = this.newName();
          const file = netnsFile(name);
          const proc = await (this.#o.park ?? parkHere)('unshare', [`--net=${file}`, 'ip', '-batch', '-']);
          if (!proc) {
            fs.rmSync(file, { force: true });
            throw systemError('cannot start unshare for the netns pool');
          }
          const e: Entry = { name, proc, dead: false };
          proc.onExit(() => {
            e.dead = true;
          });
          if (this.#closed) {
            await this.#remove(e);
            break;
          }
          this.#ready.push(e);
          added++;
        }
      } catch (err) {
        this.#o.onError?.(err);
      } finally {
        this.#filling = undefined;
        if (added > 0) this.#o.onFilled?.(added, performance.now() - t0);
      }
    })();
    return this.#filling;
  }

  async #remove(e: Entry): Promise<void> {
    if (!e.dead) await e.proc.feed('').catch(() => undefined);
    await deleteNetns([e.name], [], this.#run).catch((err: unknown) => this.#o.onError?.(err));
  }

  /** Drain: every parked ip exits, every pooled namespace is removed. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#filling;
    const all = this.#ready.splice(0);
    await Promise.all(all.filter((e) => !e.dead).map((e) => e.proc.feed('').catch(() => undefined)));
    await deleteNetns(all.map((e) => e.name), [], this.#run).catch((err: unknown) => this.#o.onError?.(err));
  }
}
