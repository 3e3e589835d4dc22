// berth history / berth image history
import type { Command } from '../../command.js';
import { ellipsis, formatFlag, shortId } from '../common.js';
import { renderRows } from '../../format/formatter.js';
import { humanSize, isoLocal, timeAgo } from '../../format/units.js';

export const command: Command = {
  use: '[OPTIONS] IMAGE',
  short: 'Show the history of an image',
  args: { min: 1, max: 1 },
  flags: [
    formatFlag(),
    { name: 'human', short: 'H', type: 'bool', usage: 'Print sizes and dates in human readable format', default: true },
    { name: 'no-trunc', type: 'bool', usage: "Don't truncate output" },
    { name: 'platform', type: 'string', usage: 'Show history for the given platform.' },
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Only show image IDs' },
  ],
  async run(ctx, flags) {
    const items = await ctx.client().imageHistory(flags.args[0] as string);
    const human = flags.bool('human');
    const trunc = !flags.bool('no-trunc');
    const rows = items.map((h) => {
      const createdBy = h.CreatedBy.replace(/\t/g, ' ');
      return {
        ID: h.Id === '<missing>' || h.Id === '' ? '<missing>' : trunc ? shortId(h.Id) : h.Id,
        CreatedSince: human ? timeAgo(h.Created) : isoLocal(new Date(h.Created * 1000)),
        CreatedAt: isoLocal(new Date(h.Created * 1000)),
        CreatedBy: trunc ? ellipsis(createdBy, 45) : createdBy,
        Size: human ? humanSize(h.Size, 3) : String(h.Size),
        Comment: h.Comment,
      };
    });
    let format = flags.string('format');
    if (flags.bool('quiet')) format = '{{.ID}}';
    else if (format === '' || format === 'table') format = human ? 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}' : 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
    ctx.out(renderRows({ format, headers: { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' }, rows }));
    return 0;
  },
};
