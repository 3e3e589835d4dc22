// berth export [-o file] CONTAINER: the container's filesystem as a tar archive.
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Command } from '../../command.js';
import { StatusError } from '../../exit-codes.js';

export const command: Command = {
  use: '[OPTIONS] CONTAINER',
  short: "Export a container's filesystem as a tar archive",
  args: { min: 1, max: 1 },
  flags: [{ name: 'output', short: 'o', type: 'string', usage: 'Write to a file, instead of STDOUT' }],
  async run(ctx, flags) {
    const output = flags.string('output');
    if (output === '' && ctx.stdout.isTTY) throw new StatusError(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
    if (output !== '') {
      const dir = path.dirname(path.resolve(output));
      if (!fs.existsSync(dir)) throw new StatusError(1, `failed to export container: invalid output path: stat ${dir}: no such file or directory`);
    }
    const res = await ctx.client().transport.request({ path: `/containers/${encodeURIComponent(flags.args[0] as string)}/export` });
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
