// berth import file|URL|- [REPOSITORY[:TAG]]
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import type { Command } from '../../command.js';
import { renderProgress } from '../common.js';
import { StatusError } from '../../exit-codes.js';
import { parseNormalizedNamed, splitRepoTag } from '../../reference.js';

export const command: Command = {
  use: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  short: 'Import the contents from a tarball to create a filesystem image',
  args: { min: 1, max: 2 },
  flags: [
    { name: 'change', short: 'c', type: 'list', usage: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', type: 'string', usage: 'Set commit message for imported image' },
    { name: 'platform', type: 'string', usage: 'Set platform if server is multi-platform capable' },
  ],
  async run(ctx, flags) {
    const [source, ref] = flags.args as [string, string | undefined];
    let repo: string | undefined;
    let tag: string | undefined;
    if (ref !== undefined) {
      try {
        parseNormalizedNamed(ref);
      } catch (e) {
        throw new StatusError(1, (e as Error).message);
      }
      ({ repo, tag } = splitRepoTag(ref));
    }
    let body: Readable | undefined;
    let fromSrc = source;
    if (source === '-') body = ctx.stdin;
    else if (!/^https?:\/\//.test(source)) {
      try {
        fs.accessSync(source, fs.constants.R_OK);
      } catch {
        throw new StatusError(1, `open ${source}: no such file or directory`);
      }
      body = fs.createReadStream(source);
      fromSrc = '-';
    }
    const res = await ctx.client().importImage(body, {
      fromSrc,
      ...(repo !== undefined ? { repo } : {}),
      ...(tag ? { tag } : {}),
      changes: flags.list('change'),
      ...(flags.changed('message') ? { message: flags.string('message') } : {}),
      ...(flags.optString('platform') !== undefined ? { platform: flags.string('platform') } : {}),
    });
    await renderProgress(ctx, res);
    return 0;
  },
};
