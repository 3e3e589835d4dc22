// berth rename CONTAINER NEW_NAME
import type { Command } from '../../command.js';
import { StatusError } from '../../exit-codes.js';

export const command: Command = {
  use: 'CONTAINER NEW_NAME',
  short: 'Rename a container',
  args: { min: 2, max: 2 },
  flags: [],
  async run(ctx, flags) {
    const [id, name] = flags.args as [string, string];
    if (name.trim() === '') throw new StatusError(1, 'Error: neither old nor new names may be empty');
    await ctx.client().renameContainer(id, name.trim());
    return 0;
  },
};
