// berth stats [OPTIONS] [CONTAINER...]: docker's live resource usage table. CPU % and memory %
// are computed as docker's CLI does (cli/command/container/stats_helpers.go): CPU from the delta
// of the container's and the host's CPU time between a sample and its precpu, times the online
// CPUs; memory as usage minus inactive file cache over the limit.
import type { IncomingMessage } from 'node:http';
import type { Command, CommandContext } from '../../command.js';
import { jsonLines } from '../../../client/client.js';
import { StatusError } from '../../exit-codes.js';
import { renderRows } from '../../format/formatter.js';
import { bytesSize, humanSize } from '../../format/units.js';
import { formatFlag, shortId } from '../common.js';

interface CpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
}

export interface StatsJson {
  id: string;
  name: string;
  read?: string;
  cpu_stats?: CpuStats;
  precpu_stats?: CpuStats;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  pids_stats?: { current?: number };
  blkio_stats?: { io_service_bytes_recursive?: { op: string; value: number }[] | null };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
}

export interface StatsEntry {
  container: string;
  name: string;
  id: string;
  cpuPercentage: number;
  memory: number;
  memoryLimit: number;
  memoryPercentage: number;
  networkRx: number;
  networkTx: number;
  blockRead: number;
  blockWrite: number;
  pidsCurrent: number;
  isInvalid: boolean;
}

export function calculateCpuPercentUnix(v: StatsJson): number {
  const cpuDelta = (v.cpu_stats?.cpu_usage?.total_usage ?? 0) - (v.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (v.cpu_stats?.system_cpu_usage ?? 0) - (v.precpu_stats?.system_cpu_usage ?? 0);
  let online = v.cpu_stats?.online_cpus ?? 0;
  if (online === 0) online = v.cpu_stats?.cpu_usage?.percpu_usage?.length ?? 0;
  return systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
}

export function memUsageNoCache(m: StatsJson['memory_stats']): number {
  const usage = m?.usage ?? 0;
  const v1 = m?.stats?.['total_inactive_file'];
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = m?.stats?.['inactive_file'] ?? 0;
  if (v2 < usage) return usage - v2;
  return usage;
}

export function toEntry(container: string, v: StatsJson): StatsEntry {
  let blockRead = 0;
  let blockWrite = 0;
  for (const e of v.blkio_stats?.io_service_bytes_recursive ?? []) {
    const c = e.op[0];
    if (c === 'r' || c === 'R') blockRead += e.value;
    else if (c === 'w' || c === 'W') blockWrite += e.value;
  }
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(v.networks ?? {})) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  const mem = memUsageNoCache(v.memory_stats);
  const limit = v.memory_stats?.limit ?? 0;
  return {
    container,
    name: (v.name ?? '').replace(/^\//, ''),
    id: v.id,
    cpuPercentage: calculateCpuPercentUnix(v),
    memory: mem,
    memoryLimit: limit,
    memoryPercentage: limit !== 0 ? (mem / limit) * 100 : 0,
    networkRx: rx,
    networkTx: tx,
    blockRead,
    blockWrite,
    pidsCurrent: v.pids_stats?.current ?? 0,
    isInvalid: false,
  };
}

const DEFAULT_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';
const HEADERS = {
  Container: 'CONTAINER',
  ID: 'CONTAINER ID',
  Name: 'NAME',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
};

/** The template context of a row (docker's statsContext). */
function row(e: StatsEntry, trunc: boolean) {
  const dash = (s: string): string => (e.isInvalid ? '--' : s);
  const pct = (n: number): string => dash(`${n.toFixed(2)}%`);
  const row = {
    Container: e.container,
    Name: e.name !== '' ? e.name : '--',
    ID: trunc ? shortId(e.id) : e.id,
    CPUPerc: pct(e.cpuPercentage),
    MemUsage: e.isInvalid ? '-- / --' : `${bytesSize(e.memory)} / ${bytesSize(e.memoryLimit)}`,
    MemPerc: pct(e.memoryPercentage),
    NetIO: e.isInvalid ? '--' : `${humanSize(e.networkRx, 3)} / ${humanSize(e.networkTx, 3)}`,
    BlockIO: e.isInvalid ? '--' : `${humanSize(e.blockRead, 3)} / ${humanSize(e.blockWrite, 3)}`,
    PIDs: dash(String(e.pidsCurrent)),
  };
  return row;
}

function render(entries: StatsEntry[], format: string, trunc: boolean): string {
  const f = format === '' ? DEFAULT_FORMAT : format === 'table' ? DEFAULT_FORMAT : format;
  return renderRows({ format: f, headers: HEADERS, rows: entries.map((e) => row(e, trunc)) });
}

async function containerNames(ctx: CommandContext, all: boolean): Promise<string[]> {
  const list = await ctx.client().transport.json<{ Id: string }[]>({ path: '/containers/json', query: { all: all || undefined } });
  return list.map((c) => c.Id);
}

export const command: Command = {
  use: '[OPTIONS] [CONTAINER...]',
  short: 'Display a live stream of container(s) resource usage statistics',
  flags: [
    { name: 'all', short: 'a', type: 'bool', usage: 'Show all containers (default shows just running)' },
    formatFlag(
      'Format output using a custom template:\n\'table\':            Print output in table format with column headers (default)\n\'table TEMPLATE\':   Print output in table format using the given Go template\n\'json\':             Print in JSON format\n\'TEMPLATE\':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates',
    ),
    { name: 'no-stream', type: 'bool', usage: 'Disable streaming stats and only pull the first result' },
    { name: 'no-trunc', type: 'bool', usage: 'Do not truncate output' },
  ],
  async run(ctx, flags) {
    const format = flags.string('format');
    const trunc = !flags.bool('no-trunc');
    const named = flags.args.length > 0;
    const ids = named ? [...flags.args] : await containerNames(ctx, flags.bool('all'));
    const client = ctx.client();
    if (flags.bool('no-stream')) {
      const entries: StatsEntry[] = [];
      const errors: string[] = [];
      await Promise.all(
        ids.map(async (id, i) => {
          try {
            const v = await client.transport.json<StatsJson>({ path: `/containers/${encodeURIComponent(id)}/stats`, query: { stream: 'false' } });
            entries[i] = toEntry(named ? id : v.id, v);
          } catch (err) {
            if (!named) return; // removed meanwhile
            errors.push((err as Error).message);
          }
        }),
      );
      if (errors.length > 0) throw new StatusError(1, errors.join('\n'));
      ctx.out(render(entries.filter((e) => e !== undefined), format, trunc));
      return 0;
    }
    // streaming: one connection per container, the table redrawn every 500 ms
    const latest = new Map<string, StatsEntry>();
    const order = [...ids];
    const ctl = new AbortController();
    const errors: string[] = [];
    const open = (id: string): void => {
      void (async () => {
        let res: IncomingMessage;
        try {
          res = await client.transport.request({ path: `/containers/${encodeURIComponent(id)}/stats`, query: { stream: 'true' }, signal: ctl.signal });
        } catch (err) {
          if (named) errors.push((err as Error).message);
          latest.delete(id);
          return;
        }
        try {
          for await (const v of jsonLines<StatsJson>(res)) latest.set(id, toEntry(named ? id : v.id, v));
        } catch {
          /* closed */
        }
        if (!named) {
          latest.delete(id);
          order.splice(order.indexOf(id), 1);
        } else {
          const e = latest.get(id);
          if (e) latest.set(id, { ...e, isInvalid: true });
        }
      })();
    };
    for (const id of ids) open(id);
    const stop = (): void => ctl.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const tty = ctx.stdout.isTTY === true;
    if (tty) ctx.out('\x1b[2J\x1b[H');
    let ticks = 0;
    try {
      while (!ctl.signal.aborted) {
        await new Promise((r) => setTimeout(r, 500));
        if (errors.length > 0 && named) throw new StatusError(1, errors.join('\n'));
        // newly started containers join the table when no names were given
        if (!named && ++ticks % 4 === 0) {
          for (const id of await containerNames(ctx, flags.bool('all')).catch(() => [])) {
            if (!order.includes(id)) {
              order.push(id);
              open(id);
            }
          }
        }
        const entries = order.map((id) => latest.get(id)).filter((e): e is StatsEntry => e !== undefined);
        const text = render(entries, format, trunc);
        if (tty) ctx.out(`\x1b[H${text.split('\n').join('\x1b[K\n')}\x1b[J`);
        else ctx.out(text);
        if (!named && !flags.bool('all') && order.length === 0) break;
      }
    } finally {
      ctl.abort();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    return 0;
  },
};
