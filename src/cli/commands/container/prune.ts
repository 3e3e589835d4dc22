// berth container prune
import type { Command } from '../../command.js';
import { confirm, parseFilters } from '../common.js';
import { humanSize } from '../../format/units.js';
import { StatusError } from '../../exit-codes.js';

export const command: Command = {
  use: '[OPTIONS]',
  short: 'Remove all stopped containers',
  args: { min: 0, max: 0 },
  flags: [
    { name: 'filter', type: 'list', valueName: 'filter', usage: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', type: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  async run(ctx, flags) {
    if (!flags.bool('force') && !(await confirm(ctx, 'WARNING! This will remove all stopped containers.'))) throw new StatusError(1, 'container prune has been cancelled');
    const report = await ctx.client().pruneContainers(parseFilters(flags.list('filter')));
    const deleted = report.ContainersDeleted ?? [];
    if (deleted.length > 0) ctx.out(`Deleted Containers:\n${deleted.map((d) => `${d}\n`).join('')}\n`);
    ctx.out(`Total reclaimed space: ${humanSize(report.SpaceReclaimed ?? 0)}\n`);
    return 0;
  },
};
