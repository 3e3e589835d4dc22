// berth network inspect NETWORK [NETWORK...]
import type { Command } from '../../command.js';
import { printInspect } from '../common.js';
import { networkApi } from './api.js';

export const command: Command = {
  use: '[OPTIONS] NETWORK [NETWORK...]',
  short: 'Display detailed information on one or more networks',
  args: { min: 1 },
  flags: [
    { name: 'format', short: 'f', type: 'string', usage: "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates" },
    { name: 'verbose', short: 'v', type: 'bool', usage: 'Verbose output for diagnostics' },
  ],
  async run(ctx, flags) {
    const api = networkApi(ctx);
    const found: unknown[] = [];
    const errors: string[] = [];
    for (const id of flags.args) {
      try {
        found.push(await api.inspect(id, flags.bool('verbose')));
      } catch (err) {
        errors.push(`Error response from daemon: ${(err as Error).message}\n`);
      }
    }
    if (found.length > 0 || errors.length === 0) printInspect(ctx, found, flags.string('format'));
    for (const e of errors) ctx.err(e);
    return errors.length > 0 ? 1 : 0;
  },
};
