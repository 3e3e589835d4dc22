// berth wait: print each container's exit code.
import type { Command } from '../../command.js';
import { forEachArg } from '../common.js';

export const command: Command = {
  use: 'CONTAINER [CONTAINER...]',
  short: 'Block until one or more containers stop, then print their exit codes',
  args: { min: 1 },
  flags: [],
  run(ctx, flags) {
    return forEachArg(ctx, flags.args, async (id) => {
      const r = await ctx.client().waitContainer(id, 'not-running');
      ctx.out(`${r.StatusCode}\n`);
    });
  },
};
