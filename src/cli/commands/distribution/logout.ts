// berth logout [SERVER]
import type { Command } from '../../command.js';
import { INDEX_SERVER, authKey, removeAuth } from './credentials.js';

export const command: Command = {
  use: '[SERVER]',
  short: 'Log out from a registry',
  args: { min: 0, max: 1 },
  flags: [],
  async run(ctx, flags) {
    const server = (flags.args[0] as string | undefined) ?? INDEX_SERVER;
    const key = authKey(server);
    if (!removeAuth(ctx.globals.configDir, key)) {
      ctx.out(`Not logged in to ${key}\n`);
      return 0;
    }
    ctx.out(`Removing login credentials for ${key}\n`);
    return 0;
  },
};
