// berth volume inspect
import type { Command } from '../../command.js';
import { forEachArg, printInspect } from '../common.js';
import { volumesApi } from './shared.js';

export const command: Command = {
  use: '[OPTIONS] VOLUME [VOLUME...]',
  short: 'Display detailed information on one or more volumes',
  args: { min: 1 },
  flags: [{ name: 'format', short: 'f', type: 'string', usage: "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates" }],
  async run(ctx, flags) {
    const found: unknown[] = [];
    const errors: string[] = [];
    const api = volumesApi(ctx);
    const code = await forEachArg(ctx, flags.args, async (name) => {
      found.push(await api.inspect(name));
    }, { deferErrors: errors });
    if (found.length > 0 || flags.string('format') === '') printInspect(ctx, found, flags.string('format'));
    ctx.err(errors.join(''));
    return code;
  },
};
