// GET /containers/{id}/stats: Docker's StatsResponse JSON, one sample (stream=false) or one per
// second (stream=true, the default) as JSON lines until the client goes away.
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { CpuSample, StatsSample, StatsService } from '../../daemon/stats/index.js';
import type { BlkioEntry } from '../../daemon/stats/index.js';
import { qBool, type Query } from '../params.js';

export interface StatsRouterDeps {
  stats: StatsService;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

function cpuToWire(c: CpuSample | undefined): Record<string, unknown> {
  if (!c) return { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
  return {
    cpu_usage: {
      total_usage: c.cpu.total,
      ...(c.cpu.perCpu ? { percpu_usage: c.cpu.perCpu } : {}),
      usage_in_kernelmode: c.cpu.kernel,
      usage_in_usermode: c.cpu.user,
    },
    system_cpu_usage: c.systemUsage,
    online_cpus: c.onlineCpus,
    throttling_data: { periods: c.cpu.throttling.periods, throttled_periods: c.cpu.throttling.throttledPeriods, throttled_time: c.cpu.throttling.throttledTime },
  };
}

const entries = (l: BlkioEntry[] | undefined): BlkioEntry[] | null => (l && l.length > 0 ? l.map((e) => ({ major: e.major, minor: e.minor, op: e.op, value: e.value })) : null);

/** Docker's container.StatsResponse (field order as moby marshals it). */
export function statsToWire(s: StatsSample): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: s.name,
    id: s.id,
    read: s.read ?? ZERO_TIME,
    preread: s.preread ?? ZERO_TIME,
    pids_stats: s.pids ? { ...(s.pids.current !== undefined ? { current: s.pids.current } : {}), ...(s.pids.limit ? { limit: s.pids.limit } : {}) } : {},
    blkio_stats: {
      io_service_bytes_recursive: entries(s.blkio?.serviceBytes),
      io_serviced_recursive: entries(s.blkio?.serviced),
      io_queue_recursive: entries(s.blkio?.queued),
      io_service_time_recursive: entries(s.blkio?.serviceTime),
      io_wait_time_recursive: entries(s.blkio?.waitTime),
      io_merged_recursive: entries(s.blkio?.merged),
      io_time_recursive: entries(s.blkio?.time),
      sectors_recursive: entries(s.blkio?.sectors),
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuToWire(s.cpu),
    precpu_stats: cpuToWire(s.precpu),
    memory_stats: s.memory
      ? {
          ...(s.memory.usage !== undefined ? { usage: s.memory.usage } : {}),
          ...(s.memory.maxUsage !== undefined ? { max_usage: s.memory.maxUsage } : {}),
          stats: s.memory.stats,
          ...(s.memory.failcnt !== undefined ? { failcnt: s.memory.failcnt } : {}),
          ...(s.memory.limit !== undefined ? { limit: s.memory.limit } : {}),
        }
      : {},
  };
  if (s.networks) {
    const nets: Record<string, unknown> = {};
    for (const [k, n] of Object.entries(s.networks)) {
      nets[k] = { rx_bytes: n.rxBytes, rx_packets: n.rxPackets, rx_errors: n.rxErrors, rx_dropped: n.rxDropped, tx_bytes: n.txBytes, tx_packets: n.txPackets, tx_errors: n.txErrors, tx_dropped: n.txDropped };
    }
    out['networks'] = nets;
  }
  return out;
}

export function statsRouter(deps: StatsRouterDeps): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Params: { id: string } }>('/containers/:id/stats', async (request, reply) => {
      const q = request.query as Query;
      const stream = qBool(q, 'stream', true);
      const oneShot = qBool(q, 'one-shot');
      const ctl = new AbortController();
      reply.raw.on('close', () => ctl.abort());
      const samples = deps.stats.stream(request.params.id, { stream, oneShot, signal: ctl.signal });
      async function* lines(): AsyncGenerator<string> {
        for await (const s of samples) yield `${JSON.stringify(statsToWire(s))}\n`;
      }
      return reply.header('content-type', 'application/json').send(Readable.from(lines()));
    });
  };
}
