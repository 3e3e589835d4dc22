// Commands that apply one API call to each argument and echo it (stop, kill, pause, rm...).
import type { Command, CommandContext } from '../../command.js';
import type { EngineClient } from '../../../client/client.js';
import type { FlagSpec, FlagValues } from '../../flags.js';
import { forEachArg } from '../common.js';

export function perContainer(spec: { use?: string; short: string; flags?: FlagSpec[]; call: (client: EngineClient, id: string, flags: FlagValues) => Promise<void> }): Command {
  return {
    use: spec.use ?? '[OPTIONS] CONTAINER [CONTAINER...]',
    short: spec.short,
    args: { min: 1 },
    flags: spec.flags ?? [],
    run(ctx: CommandContext, flags: FlagValues) {
      return forEachArg(ctx, flags.args, async (id) => {
        await spec.call(ctx.client(), id, flags);
        ctx.out(`${id}\n`);
      });
    },
  };
}

export const TIMEOUT_FLAGS: FlagSpec[] = [
  { name: 'signal', short: 's', type: 'string', usage: 'Signal to send to the container' },
  { name: 'timeout', short: 't', type: 'int', usage: 'Seconds to wait before killing the container' },
  { name: 'time', type: 'int', usage: 'Seconds to wait before killing the container (deprecated: use --timeout)', hidden: true },
];

export function stopOptions(flags: FlagValues): { timeout?: number; signal?: string } {
  const out: { timeout?: number; signal?: string } = {};
  if (flags.changed('timeout')) out.timeout = flags.int('timeout');
  else if (flags.changed('time')) out.timeout = flags.int('time');
  if (flags.changed('signal')) out.signal = flags.string('signal');
  return out;
}
