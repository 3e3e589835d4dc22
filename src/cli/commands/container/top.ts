// berth top CONTAINER [ps OPTIONS]
import type { Command } from '../../command.js';
import { tabwrite } from '../../format/tabwriter.js';

export const command: Command = {
  use: 'CONTAINER [ps OPTIONS]',
  short: 'Display the running processes of a container',
  args: { min: 1 },
  interspersed: false,
  flags: [],
  async run(ctx, flags) {
    const [id, ...ps] = flags.args as [string, ...string[]];
    const top = await ctx.client().topContainer(id, ps.length > 0 ? ps.join(' ') : undefined);
    const lines = [top.Titles.join('\t'), ...top.Processes.map((p) => p.join('\t'))];
    ctx.out(tabwrite(`${lines.join('\n')}\n`, { minWidth: 20, padding: 3 }));
    return 0;
  },
};
