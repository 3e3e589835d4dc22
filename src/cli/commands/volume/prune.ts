// berth volume prune: anonymous volumes by default, --all for named ones too (Docker 23+).
import type { Command } from '../../command.js';
import { confirm, filterFlag, parseFilters } from '../common.js';
import { humanSize } from '../../format/units.js';
import { StatusError } from '../../exit-codes.js';
import { volumesApi } from './shared.js';

export const command: Command = {
  use: '[OPTIONS]',
  short: 'Remove unused local volumes',
  args: { min: 0, max: 0 },
  flags: [
    { name: 'all', short: 'a', type: 'bool', usage: 'Remove all unused volumes, not just anonymous ones' },
    { ...filterFlag(), short: undefined as never, usage: 'Provide filter values (e.g. "label=<label>")' },
    { name: 'force', short: 'f', type: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  async run(ctx, flags) {
    const all = flags.bool('all');
    const filters = parseFilters(flags.list('filter'));
    if (all) {
      if (filters['all']) throw new StatusError(1, 'conflicting options: cannot specify both --all and --filter all=1');
      filters['all'] = ['true'];
    }
    if (!flags.bool('force')) {
      const warning = all ? 'WARNING! This will remove all local volumes not used by at least one container.' : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
      if (!(await confirm(ctx, warning))) throw new StatusError(1, 'volume prune has been cancelled');
    }
    const report = await volumesApi(ctx).prune(filters);
    const deleted = report.VolumesDeleted ?? [];
    if (deleted.length > 0) ctx.out(`Deleted Volumes:\n${deleted.map((d) => `${d}\n`).join('')}\n`);
    ctx.out(`Total reclaimed space: ${humanSize(report.SpaceReclaimed ?? 0)}\n`);
    return 0;
  },
};
