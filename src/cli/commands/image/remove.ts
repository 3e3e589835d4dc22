// berth rmi / berth image rm
import type { Command } from '../../command.js';
import { forEachArg } from '../common.js';

export const command: Command = {
  use: '[OPTIONS] IMAGE [IMAGE...]',
  short: 'Remove one or more images',
  args: { min: 1 },
  flags: [
    { name: 'force', short: 'f', type: 'bool', usage: 'Force removal of the image' },
    { name: 'no-prune', type: 'bool', usage: 'Do not delete untagged parents' },
    { name: 'platform', type: 'list', usage: 'Remove only the given platform variant.' },
  ],
  run(ctx, flags) {
    return forEachArg(ctx, flags.args, async (name) => {
      const items = await ctx.client().removeImage(name, { force: flags.bool('force'), noPrune: flags.bool('no-prune') });
      for (const i of items ?? []) {
        if (i.Untagged) ctx.out(`Untagged: ${i.Untagged}\n`);
        if (i.Deleted) ctx.out(`Deleted: ${i.Deleted}\n`);
      }
    });
  },
};
