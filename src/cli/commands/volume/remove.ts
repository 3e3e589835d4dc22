// berth volume rm
import type { Command } from '../../command.js';
import { forEachArg } from '../common.js';
import { volumesApi } from './shared.js';

export const command: Command = {
  use: '[OPTIONS] VOLUME [VOLUME...]',
  short: 'Remove one or more volumes',
  args: { min: 1 },
  flags: [{ name: 'force', short: 'f', type: 'bool', usage: 'Force the removal of one or more volumes' }],
  run(ctx, flags) {
    const api = volumesApi(ctx);
    return forEachArg(ctx, flags.args, async (name) => {
      await api.remove(name, flags.bool('force'));
      ctx.out(`${name}\n`);
    });
  },
};
