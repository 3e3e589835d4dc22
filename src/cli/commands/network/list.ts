// berth network ls
import type { Command } from '../../command.js';
import { filterFlag, formatFlag, parseFilters, shortId } from '../common.js';
import { renderRows } from '../../format/formatter.js';
import { goTimeString } from '../../format/units.js';
import type { Network } from '../../../engine-api/network.js';
import { networkApi } from './api.js';

const HEADERS = { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv4: 'IPV4', IPv6: 'IPV6', Internal: 'INTERNAL', CreatedAt: 'CREATED AT', Labels: 'LABELS' };

export const command: Command = {
  use: '[OPTIONS]',
  short: 'List networks',
  args: { max: 0 },
  flags: [filterFlag(), formatFlag(), { name: 'no-trunc', type: 'bool', usage: 'Do not truncate the output' }, { name: 'quiet', short: 'q', type: 'bool', usage: 'Only display network IDs' }],
  async run(ctx, flags) {
    const nets = await networkApi(ctx).list(parseFilters(flags.list('filter')));
    nets.sort((a, b) => a.Name.localeCompare(b.Name));
    const trunc = !flags.bool('no-trunc');
    let format = flags.string('format');
    if (flags.bool('quiet')) format = '{{.ID}}';
    else if (format === '' || format === 'table') format = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';
    const rows = nets.map((n: Network) => ({
      ID: trunc ? shortId(n.Id) : n.Id,
      Name: n.Name,
      Driver: n.Driver,
      Scope: n.Scope,
      IPv4: String(n.EnableIPv4),
      IPv6: String(n.EnableIPv6),
      Internal: String(n.Internal),
      CreatedAt: goTimeString(new Date(n.Created)),
      Labels: Object.entries(n.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
      Label: (k: string) => n.Labels?.[k] ?? '',
    }));
    ctx.out(renderRows({ format, headers: HEADERS, rows }));
    return 0;
  },
};
