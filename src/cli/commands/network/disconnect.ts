// berth network disconnect [OPTIONS] NETWORK CONTAINER
import type { Command } from '../../command.js';
import { networkApi } from './api.js';

export const command: Command = {
  use: '[OPTIONS] NETWORK CONTAINER',
  short: 'Disconnect a container from a network',
  args: { min: 2, max: 2 },
  flags: [{ name: 'force', short: 'f', type: 'bool', usage: 'Force the container to disconnect from a network' }],
  async run(ctx, flags) {
    const [network, container] = flags.args as [string, string];
    await networkApi(ctx).disconnect(network, container, flags.bool('force'));
    return 0;
  },
};
