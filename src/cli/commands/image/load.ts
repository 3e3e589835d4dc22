// berth load [-i file] [-q]
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import type { Command } from '../../command.js';
import { renderProgress } from '../common.js';
import { copyRaw } from '../../../client/stdcopy.js';
import { StatusError } from '../../exit-codes.js';

export const command: Command = {
  use: '[OPTIONS]',
  short: 'Load an image from a tar archive or STDIN',
  args: { min: 0, max: 0 },
  flags: [
    { name: 'input', short: 'i', type: 'string', usage: 'Read from tar archive file, instead of STDIN' },
    { name: 'platform', type: 'list', usage: 'Load only the given platform(s).' },
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Suppress the load output' },
  ],
  async run(ctx, flags) {
    const input = flags.string('input');
    let src: Readable;
    if (input !== '') {
      try {
        fs.accessSync(input, fs.constants.R_OK);
      } catch {
        throw new StatusError(1, `open ${input}: no such file or directory`);
      }
      src = fs.createReadStream(input);
    } else {
      if (ctx.stdin.isTTY) throw new StatusError(1, 'requested load from stdin, but stdin is empty');
      src = ctx.stdin;
    }
    // Quiet also when stdout is not a terminal, as docker does (no progress bars in pipes).
    const quiet = flags.bool('quiet') || !ctx.stdout.isTTY;
    const res = await ctx.client().loadImages(src, quiet);
    if (String(res.headers['content-type'] ?? '').includes('application/json')) await renderProgress(ctx, res, { quiet: flags.bool('quiet') });
    else await copyRaw(res, ctx.stdout);
    return 0;
  },
};
