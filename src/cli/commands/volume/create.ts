// berth volume create
import type { Command } from '../../command.js';
import { StatusError } from '../../exit-codes.js';
import { volumesApi } from './shared.js';

function kv(values: readonly string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (what === 'opt' && eq <= 0) throw new StatusError(125, `invalid argument "${v}" for "-o, --opt" flag: invalid key value pair format: ${v}`);
    if (eq < 0) out[v] = '';
    else out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

export const command: Command = {
  use: '[OPTIONS] [VOLUME]',
  short: 'Create a volume',
  args: { min: 0, max: 1 },
  flags: [
    { name: 'driver', short: 'd', type: 'string', usage: 'Specify volume driver name', default: 'local' },
    { name: 'label', type: 'list', usage: 'Set metadata for a volume' },
    { name: 'name', type: 'string', usage: 'Specify volume name', hidden: true },
    { name: 'opt', short: 'o', type: 'list', valueName: 'map', usage: 'Set driver specific options' },
  ],
  async run(ctx, flags) {
    const flagName = flags.string('name');
    const arg = flags.args[0];
    if (arg !== undefined && flagName !== '' && flagName !== arg) {
      throw new StatusError(1, 'conflicting options: either specify --name or provide positional arg, not both');
    }
    const name = arg ?? flagName;
    const v = await volumesApi(ctx).create({
      Name: name,
      Driver: flags.string('driver') || 'local',
      DriverOpts: kv(flags.list('opt'), 'opt'),
      Labels: kv(flags.list('label'), 'label'),
    });
    ctx.out(`${v.Name}\n`);
    return 0;
  },
};
