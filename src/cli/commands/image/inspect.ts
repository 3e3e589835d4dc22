// berth image inspect
import type { Command } from '../../command.js';
import { forEachArg, printInspect } from '../common.js';

export const command: Command = {
  use: '[OPTIONS] IMAGE [IMAGE...]',
  short: 'Display detailed information on one or more images',
  args: { min: 1 },
  flags: [
    { name: 'format', short: 'f', type: 'string', usage: "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template." },
    { name: 'platform', type: 'string', usage: 'Inspect a specific platform of the multi-platform image.' },
  ],
  async run(ctx, flags) {
    const found: unknown[] = [];
    const errors: string[] = [];
    const code = await forEachArg(ctx, flags.args, async (name) => {
      found.push(await ctx.client().inspectImage(name));
    }, { deferErrors: errors });
    if (found.length > 0 || flags.string('format') === '') printInspect(ctx, found, flags.string('format'));
    ctx.err(errors.join(''));
    return code;
  },
};
