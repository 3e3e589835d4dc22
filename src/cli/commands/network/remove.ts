// berth network rm NETWORK [NETWORK...]
import type { Command } from '../../command.js';
import { forEachArg } from '../common.js';
import { networkApi } from './api.js';

export const command: Command = {
  use: 'NETWORK [NETWORK...]',
  short: 'Remove one or more networks',
  args: { min: 1 },
  flags: [{ name: 'force', short: 'f', type: 'bool', usage: 'Do not error if the network does not exist' }],
  async run(ctx, flags) {
    const api = networkApi(ctx);
    const force = flags.bool('force');
    return forEachArg(ctx, flags.args, async (id) => {
      try {
        await api.remove(id);
      } catch (err) {
        if (force && (err as { kind?: string }).kind === 'not-found') return;
        throw err;
      }
      ctx.out(`${id}\n`);
    });
  },
};
