// berth commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]: prints the new image ID.
import type { Command } from '../../command.js';
import { StatusError } from '../../exit-codes.js';
import { parseNormalizedNamed, splitRepoTag } from '../../reference.js';

export const command: Command = {
  use: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  short: "Create a new image from a container's changes",
  args: { min: 1, max: 2 },
  flags: [
    { name: 'author', short: 'a', type: 'string', usage: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
    { name: 'change', short: 'c', type: 'list', usage: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', type: 'string', usage: 'Commit message' },
    { name: 'pause', short: 'p', type: 'bool', default: true, usage: 'Pause container during commit' },
    { name: 'no-pause', type: 'bool', usage: 'Disable pausing container during commit', hidden: true },
  ],
  async run(ctx, flags) {
    const [container, ref] = flags.args as [string, string | undefined];
    let repo: string | undefined;
    let tag: string | undefined;
    if (ref !== undefined && ref !== '') {
      try {
        parseNormalizedNamed(ref);
      } catch (e) {
        throw new StatusError(1, (e as Error).message);
      }
      ({ repo, tag } = splitRepoTag(ref));
    }
    const pause = flags.bool('pause') && !flags.bool('no-pause');
    const r = await ctx.client().transport.json<{ Id: string }>({
      method: 'POST',
      path: '/commit',
      query: { container, repo, tag: tag || undefined, comment: flags.optString('message'), author: flags.optString('author'), pause: pause ? undefined : '0', changes: flags.list('change') },
    });
    ctx.out(`${r.Id}\n`);
    return 0;
  },
};
