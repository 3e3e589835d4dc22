// berth image prune
import type { Command } from '../../command.js';
import { confirm, filterFlag, parseFilters } from '../common.js';
import { humanSize } from '../../format/units.js';
import { StatusError } from '../../exit-codes.js';

export const command: Command = {
  use: '[OPTIONS]',
  short: 'Remove unused images',
  args: { min: 0, max: 0 },
  flags: [
    { name: 'all', short: 'a', type: 'bool', usage: 'Remove all unused images, not just dangling ones' },
    { ...filterFlag(), short: undefined as never, usage: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', type: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  async run(ctx, flags) {
    const all = flags.bool('all');
    const filters = parseFilters(flags.list('filter'));
    filters['dangling'] = [String(!all)];
    if (!flags.bool('force')) {
      const warning = all ? 'WARNING! This will remove all images without at least one container associated to them.' : 'WARNING! This will remove all dangling images.';
      if (!(await confirm(ctx, warning))) throw new StatusError(1, 'image prune has been cancelled');
    }
    const report = await ctx.client().pruneImages(filters);
    const deleted = report.ImagesDeleted ?? [];
    if (deleted.length > 0) {
      ctx.out('Deleted Images:\n');
      for (const d of deleted) {
        if (d.Untagged) ctx.out(`untagged: ${d.Untagged}\n`);
        if (d.Deleted) ctx.out(`deleted: ${d.Deleted}\n`);
      }
      ctx.out('\n');
    }
    ctx.out(`Total reclaimed space: ${humanSize(report.SpaceReclaimed ?? 0)}\n`);
    return 0;
  },
};
