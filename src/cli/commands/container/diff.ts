// berth diff CONTAINER: "C /etc", "A /x", "D /y" from GET /containers/{id}/changes.
import type { Command } from '../../command.js';

const KIND = ['C', 'A', 'D'];

export const command: Command = {
  use: 'CONTAINER',
  short: "Inspect changes to files or directories on a container's filesystem",
  args: { min: 1, max: 1 },
  flags: [],
  async run(ctx, flags) {
    const id = flags.args[0] as string;
    const changes = await ctx.client().transport.json<{ Path: string; Kind: number }[] | null>({ path: `/containers/${encodeURIComponent(id)}/changes` });
    let out = '';
    for (const c of changes ?? []) out += `${KIND[c.Kind] ?? '?'} ${c.Path}\n`;
    ctx.out(out);
    return 0;
  },
};
