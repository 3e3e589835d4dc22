// berth registry gc: remove manifests and blobs no tag reaches (mark and sweep), printing each.
import type { Command } from '../../command.js';
import { StatusError } from '../../exit-codes.js';
import { loadRegistryServer } from './load-server.js';

export const command: Command = {
  use: '[OPTIONS]',
  short: 'Remove registry manifests and blobs that no tag reaches',
  args: { max: 0 },
  flags: [
    { name: 'root', type: 'string', usage: 'Storage root directory', default: '/var/lib/berth-registry' },
    { name: 'dry-run', short: 'n', type: 'bool', usage: 'Print what would be removed without removing it' },
  ],
  async run(ctx, flags) {
    const { collectGarbage } = await loadRegistryServer();
    let r;
    try {
      r = await collectGarbage({ root: flags.string('root'), dryRun: flags.bool('dry-run'), out: (line) => ctx.out(`${line}\n`) });
    } catch (e) {
      throw new StatusError(1, `berth registry gc: ${(e as Error).message}`, { cause: e });
    }
    const dry = flags.bool('dry-run');
    ctx.out(`${dry ? 'would remove' : 'removed'} ${r.manifests.length} manifests, ${r.blobs.length} blobs (${r.freedBytes} bytes), ${r.links.length} blob links, ${r.uploads.length} uploads\n`);
    return 0;
  },
};
