// Container stats as Docker's daemon collects them: one sample per second from the container's
// cgroup (v1 or v2), the host's CPU time and online CPUs from /proc/stat, network counters from
// the container's network namespace; each sample carries the previous one's CPU figures
// (precpu_stats) so clients compute CPU % from the delta. A container that is not running gives
// samples with only its name and ID.
import fs from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerRecord } from '../containers/types.js';
import { locateCgroup, parseNetDev, readCgroupStats, systemCpu, type CgroupStats, type NetStats } from './cgroups.js';

export interface CpuSample {
  cpu: CgroupStats['cpu'];
  systemUsage: number;
  onlineCpus: number;
}

export interface StatsSample {
  id: string;
  /** with the leading "/" as Docker sends it */
  name: string;
  /** undefined for a container that is not running */
  read: string | undefined;
  preread: string | undefined;
  cpu: CpuSample | undefined;
  precpu: CpuSample | undefined;
  memory: CgroupStats['memory'] | undefined;
  pids: CgroupStats['pids'] | undefined;
  blkio: CgroupStats['blkio'] | undefined;
  /** per interface; undefined without a network namespace of its own */
  networks: Record<string, NetStats> | undefined;
}

export interface StatsBackend {
  get(idOrName: string): ContainerRecord;
  find(idOrName: string): ContainerRecord | undefined;
}

export interface StatsOptions {
  containers: StatsBackend;
  /** sampling interval (Docker: 1 s) */
  intervalMs?: number;
  cgroupRoot?: string;
}

export interface StreamOptions {
  /** false: one sample (after a second one primed precpu, unless oneShot) */
  stream: boolean;
  oneShot: boolean;
  signal?: AbortSignal;
}

const isRunning = (r: ContainerRecord): boolean => (r.state.status === 'running' || r.state.status === 'paused') && r.state.pid > 0;

function cgroupsPathOf(rec: ContainerRecord): string | undefined {
  try {
    const spec = JSON.parse(fs.readFileSync(rec.paths.configJson, 'utf8')) as { linux?: { cgroupsPath?: string } };
    return spec.linux?.cgroupsPath;
  } catch {
    return undefined;
  }
}

/** RFC 3339 with nanoseconds (as Go's time.Time marshals). */
function nowNano(): string {
  const ms = Date.now();
  const ns = process.hrtime.bigint() % 1_000_000n;
  return `${new Date(ms).toISOString().slice(0, 23)}${ns.toString().padStart(6, '0')}Z`;
}

export class StatsService {
  readonly #o: StatsOptions;
  readonly #machineMemory = os.totalmem();

  constructor(o: StatsOptions) {
    this.#o = o;
  }

  /** One sample of a container now (no precpu). */
  sample(rec: ContainerRecord): StatsSample {
    const empty: StatsSample = { id: rec.id, name: rec.name, read: undefined, preread: undefined, cpu: undefined, precpu: undefined, memory: undefined, pids: undefined, blkio: undefined, networks: undefined };
    if (!isRunning(rec)) return empty;
    const cgroupsPath = cgroupsPathOf(rec);
    const dirs = locateCgroup({ pid: rec.state.pid, ...(cgroupsPath !== undefined ? { cgroupsPath } : {}), ...(this.#o.cgroupRoot ? { root: this.#o.cgroupRoot } : {}) });
    const cg = readCgroupStats(dirs);
    const sys = systemCpu();
    const memory = { ...cg.memory };
    if (memory.limit === undefined || memory.limit > this.#machineMemory) memory.limit = this.#machineMemory;
    let networks: Record<string, NetStats> | undefined;
    const mode = rec.hostConfig.NetworkMode ?? '';
    if (mode !== 'host' && mode !== 'none') {
      try {
        networks = parseNetDev(fs.readFileSync(`/proc/${rec.state.pid}/net/dev`, 'utf8'));
        if (Object.keys(networks).length === 0) networks = undefined;
      } catch {
        networks = undefined;
      }
    }
    return { ...empty, read: nowNano(), cpu: { cpu: cg.cpu, systemUsage: sys.usage, onlineCpus: sys.onlineCpus }, memory, pids: cg.pids, blkio: cg.blkio, networks };
  }

  /**
   * Samples for GET /containers/{id}/stats. The container is looked up first (not-found
   * before anything is sent); the stream ends when the container is removed or `signal` aborts.
   */
  stream(idOrName: string, o: StreamOptions): AsyncGenerator<StatsSample> {
    const first = this.#o.containers.get(idOrName);
    const interval = this.#o.intervalMs ?? 1000;
    const self = this;
    return (async function* () {
      let pre: StatsSample | undefined;
      let primed = false;
      for (;;) {
        const rec = self.#o.containers.find(first.id);
        if (!rec) return;
        const s = self.sample(rec);
        if (!o.stream && (o.oneShot || !isRunning(rec))) {
          yield s;
          return;
        }
        s.precpu = pre?.cpu;
        s.preread = pre?.read;
        pre = s;
        if (!o.stream && !primed) {
          primed = true;
        } else {
          yield s;
          if (!o.stream) return;
        }
        try {
          await sleep(interval, undefined, o.signal ? { signal: o.signal } : {});
        } catch {
          return;
        }
      }
    })();
  }
}
