// berth rename CONTAINER NEW_NAME
import type { Command } from '../../command.js';
import { StatusError } from '../../exit-codes.js';
import { isDaemonError } from '../../../client/errors.js';

export const command: Command = {
  use: 'CONTAINER NEW_NAME',
  short: 'Rename a container',
  args: { min: 2, max: 2 },
  flags: [],
  async run(ctx, flags) {
    const [id, name] = flags.args as [string, string];
    if (name.trim() === '') throw new StatusError(1, 'Error: neither old nor new names may be empty');
    try {
      await ctx.client().renameContainer(id, name.trim());
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new StatusError(1, `${isDaemonError(err) ? 'Error response from daemon: ' : ''}${msg}\nError: failed to rename container named ${id}`, { cause: err });
    }
    return 0;
  },
};
