// berth save [-o file] IMAGE...: a tarball to a file (written atomically) or to stdout.
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Command } from '../../command.js';
import { StatusError } from '../../exit-codes.js';

export const command: Command = {
  use: '[OPTIONS] IMAGE [IMAGE...]',
  short: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  args: { min: 1 },
  flags: [
    { name: 'output', short: 'o', type: 'string', usage: 'Write to a file, instead of STDOUT' },
    { name: 'platform', type: 'list', usage: 'Save only the given platform(s).' },
  ],
  async run(ctx, flags) {
    const output = flags.string('output');
    if (output === '' && ctx.stdout.isTTY) throw new StatusError(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
    if (output !== '') {
      const dir = path.dirname(path.resolve(output));
      if (!fs.existsSync(dir)) throw new StatusError(1, `failed to save image: invalid output path: stat ${dir}: no such file or directory`);
    }
    const res = await ctx.client().saveImages(flags.args);
    if (output === '') {
      await pipeline(res, ctx.stdout, { end: false });
      return 0;
    }
    const tmp = path.join(path.dirname(path.resolve(output)), `.${path.basename(output)}.${process.pid}.tmp`);
    try {
      await pipeline(res, fs.createWriteStream(tmp, { mode: 0o600 }));
      fs.renameSync(tmp, output);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
    return 0;
  },
};
