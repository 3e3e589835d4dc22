// berth network connect [OPTIONS] NETWORK CONTAINER
import type { Command } from '../../command.js';
import { mapOpt, networkApi } from './api.js';

export const command: Command = {
  use: '[OPTIONS] NETWORK CONTAINER',
  short: 'Connect a container to a network',
  args: { min: 2, max: 2 },
  flags: [
    { name: 'alias', type: 'list', valueName: 'strings', usage: 'Add network-scoped alias for the container' },
    { name: 'driver-opt', type: 'list', valueName: 'strings', usage: 'driver options for the network' },
    { name: 'gw-priority', type: 'int', usage: 'Highest gw-priority provides the default gateway. Accepts positive and negative values.' },
    { name: 'ip', type: 'string', usage: 'IPv4 address (e.g., "172.30.100.104")' },
    { name: 'ip6', type: 'string', usage: 'IPv6 address (e.g., "2001:db8::33")' },
    { name: 'link', type: 'list', valueName: 'list', usage: 'Add link to another container' },
    { name: 'link-local-ip', type: 'list', valueName: 'strings', usage: 'Add a link-local address for the container' },
  ],
  async run(ctx, flags) {
    const [network, container] = flags.args as [string, string];
    const ip = flags.string('ip');
    const ip6 = flags.string('ip6');
    const lls = flags.list('link-local-ip');
    await networkApi(ctx).connect(network, container, {
      ...(ip || ip6 || lls.length > 0 ? { IPAMConfig: { ...(ip ? { IPv4Address: ip } : {}), ...(ip6 ? { IPv6Address: ip6 } : {}), ...(lls.length > 0 ? { LinkLocalIPs: lls } : {}) } } : {}),
      ...(flags.list('alias').length > 0 ? { Aliases: flags.list('alias') } : {}),
      ...(flags.list('link').length > 0 ? { Links: flags.list('link') } : {}),
      ...(flags.list('driver-opt').length > 0 ? { DriverOpts: mapOpt(flags.list('driver-opt')) } : {}),
    });
    return 0;
  },
};
