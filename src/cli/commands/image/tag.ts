// berth tag SOURCE TARGET: the target is normalized as docker's client does.
import type { Command } from '../../command.js';
import { StatusError } from '../../exit-codes.js';
import { parseNormalizedNamed } from '../../reference.js';

export const command: Command = {
  use: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  short: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  args: { min: 2, max: 2 },
  flags: [],
  async run(ctx, flags) {
    const [source, target] = flags.args as [string, string];
    let ref;
    try {
      ref = parseNormalizedNamed(target);
    } catch (e) {
      throw new StatusError(1, `Error parsing reference: ${JSON.stringify(target)} is not a valid repository/tag: ${(e as Error).message}`);
    }
    if (ref.digest !== undefined) throw new StatusError(1, 'refusing to create a tag with a digest reference');
    await ctx.client().tagImage(source, ref.name, ref.tag ?? 'latest');
    return 0;
  },
};
