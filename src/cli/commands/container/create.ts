// berth create
import type { Command } from '../../command.js';
import { CREATE_FLAGS, buildCreateRequest } from './options.js';
import { createContainer, runError } from './create-flow.js';

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
    } catch (e) {
      throw runError(ctx, e);
    }
    const id = await createContainer(ctx, req, flags.bool('quiet'));
    ctx.out(`${id}\n`);
    return 0;
  },
};
