// berth network prune
import type { Command } from '../../command.js';
import { confirm, parseFilters } from '../common.js';
import { StatusError } from '../../exit-codes.js';
import { networkApi } from './api.js';

export const command: Command = {
  use: '[OPTIONS]',
  short: 'Remove all unused networks',
  args: { max: 0 },
  flags: [
    { name: 'filter', type: 'list', valueName: 'filter', usage: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', type: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  async run(ctx, flags) {
    if (!flags.bool('force') && !(await confirm(ctx, 'WARNING! This will remove all custom networks not used by at least one container.'))) {
      throw new StatusError(1, 'network prune has been cancelled');
    }
    const r = await networkApi(ctx).prune(parseFilters(flags.list('filter')));
    const deleted = r.NetworksDeleted ?? [];
    if (deleted.length > 0) ctx.out(`Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
    return 0;
  },
};
