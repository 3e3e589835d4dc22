// berth update [OPTIONS] CONTAINER [CONTAINER...]: change resource limits (and the restart
// policy) of containers, after docker's cli/command/container/update.go.
import type { Command } from '../../command.js';
import type { FlagSpec, FlagValues } from '../../flags.js';
import { parseRamBytes } from '../../flags.js';
import { StatusError } from '../../exit-codes.js';
import { forEachArg } from '../common.js';

const FLAGS: FlagSpec[] = [
  { name: 'blkio-weight', type: 'int', usage: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)' },
  { name: 'cpu-period', type: 'int', usage: 'Limit CPU CFS (Completely Fair Scheduler) period' },
  { name: 'cpu-quota', type: 'int', usage: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
  { name: 'cpu-rt-period', type: 'int', usage: 'Limit the CPU real-time period in microseconds' },
  { name: 'cpu-rt-runtime', type: 'int', usage: 'Limit the CPU real-time runtime in microseconds' },
  { name: 'cpu-shares', short: 'c', type: 'int', usage: 'CPU shares (relative weight)' },
  { name: 'cpus', type: 'float', valueName: 'decimal', usage: 'Number of CPUs' },
  { name: 'cpuset-cpus', type: 'string', usage: 'CPUs in which to allow execution (0-3, 0,1)' },
  { name: 'cpuset-mems', type: 'string', usage: 'MEMs in which to allow execution (0-3, 0,1)' },
  { name: 'kernel-memory', type: 'bytes', usage: 'Kernel memory limit (deprecated)', hidden: true },
  { name: 'memory', short: 'm', type: 'bytes', usage: 'Memory limit' },
  { name: 'memory-reservation', type: 'bytes', usage: 'Memory soft limit' },
  { name: 'memory-swap', type: 'bytes', usage: "Swap limit equal to memory plus swap: -1 to enable unlimited swap" },
  { name: 'pids-limit', type: 'int', usage: 'Tune container pids limit (set -1 for unlimited)' },
  { name: 'restart', type: 'string', usage: 'Restart policy to apply when a container exits' },
];

type Json = Record<string, unknown>;

function bytes(flags: FlagValues, name: string, label: string): number {
  if (!flags.changed(name)) return 0;
  const v = flags.string(name);
  if (v === '-1') {
    if (name === 'memory-swap') return -1;
    throw new StatusError(125, `invalid argument "-1" for "${label}" flag: invalid size: '-1'`);
  }
  return parseRamBytes(v);
}

/** The UpdateConfig body from the flags (only what was given). */
export function buildUpdateConfig(flags: FlagValues): Json {
  const anyFlag = FLAGS.some((f) => flags.changed(f.name));
  if (!anyFlag) throw new StatusError(1, 'you must provide one or more flags when using this command');
  const body: Json = {
    BlkioWeight: flags.changed('blkio-weight') ? flags.int('blkio-weight') : 0,
    CpuShares: flags.changed('cpu-shares') ? flags.int('cpu-shares') : 0,
    CpuPeriod: flags.changed('cpu-period') ? flags.int('cpu-period') : 0,
    CpuQuota: flags.changed('cpu-quota') ? flags.int('cpu-quota') : 0,
    CpuRealtimePeriod: flags.changed('cpu-rt-period') ? flags.int('cpu-rt-period') : 0,
    CpuRealtimeRuntime: flags.changed('cpu-rt-runtime') ? flags.int('cpu-rt-runtime') : 0,
    CpusetCpus: flags.changed('cpuset-cpus') ? flags.string('cpuset-cpus') : '',
    CpusetMems: flags.changed('cpuset-mems') ? flags.string('cpuset-mems') : '',
    KernelMemory: bytes(flags, 'kernel-memory', '--kernel-memory'),
    Memory: bytes(flags, 'memory', '-m, --memory'),
    MemoryReservation: bytes(flags, 'memory-reservation', '--memory-reservation'),
    MemorySwap: bytes(flags, 'memory-swap', '--memory-swap'),
    NanoCpus: flags.changed('cpus') ? Math.round(Number(flags.string('cpus')) * 1e9) : 0,
  };
  if (flags.changed('pids-limit')) body['PidsLimit'] = flags.int('pids-limit');
  if (flags.changed('restart')) {
    const [name = '', count] = flags.string('restart').split(':');
    if (count !== undefined && !/^-?\d+$/.test(count)) throw new StatusError(125, 'invalid restart policy format: maximum retry count must be an integer');
    body['RestartPolicy'] = { Name: name, MaximumRetryCount: count !== undefined ? Number(count) : 0 };
  }
  return body;
}

export const command: Command = {
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Update configuration of one or more containers',
  args: { min: 1 },
  flags: FLAGS,
  async run(ctx, flags) {
    const body = buildUpdateConfig(flags);
    const client = ctx.client();
    const errors: string[] = [];
    const code = await forEachArg(
      ctx,
      flags.args,
      async (id) => {
        const r = await client.transport.json<{ Warnings?: string[] | null }>({ method: 'POST', path: `/containers/${encodeURIComponent(id)}/update`, body });
        for (const w of r.Warnings ?? []) ctx.err(`${w}\n`);
        ctx.out(`${id}\n`);
      },
      { deferErrors: errors },
    );
    if (code !== 0) throw new StatusError(1, errors.join('').trimEnd());
    return 0;
  },
};
