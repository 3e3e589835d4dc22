// berth create
import type { Command } from '../../command.js';
import { CREATE_FLAGS, buildCreateRequest } from './options.js';
import { createContainer, runError } from './create-flow.js';
import { parseNormalizedNamed } from '../../reference.js';

export const command: Command = {
  use: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  short: 'Create a new container',
  args: { min: 1 },
  interspersed: false,
  flags: CREATE_FLAGS,
  async run(ctx, flags) {
    let req;
    try {
      req = buildCreateRequest(flags, flags.args);
      parseNormalizedNamed(flags.args[0] as string);
    } catch (e) {
      throw runError(ctx, e);
    }
    // Daemon errors from create print plainly and exit 1, as docker create does.
    const id = await createContainer(ctx, req, flags.bool('quiet'));
    ctx.out(`${id}\n`);
    return 0;
  },
};
