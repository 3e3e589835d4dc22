// berth inspect: containers first, then images, networks and volumes, as docker (or --type).
import type { Command } from '../command.js';
import { BerthError } from '../../errdefs/index.js';
import { StatusError } from '../exit-codes.js';
import { printInspect } from './common.js';
import { networkApi } from './network/api.js';
import { volumesApi } from './volume/shared.js';

export const command: Command = {
  use: '[OPTIONS] NAME|ID [NAME|ID...]',
  short: 'Return low-level information on Docker objects',
  args: { min: 1 },
  flags: [
    { name: 'format', short: 'f', type: 'string', usage: "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template." },
    { name: 'size', short: 's', type: 'bool', usage: 'Display total file sizes if the type is container' },
    { name: 'type', type: 'string', usage: 'Only inspect objects of the given type' },
  ],
  async run(ctx, flags) {
    const type = flags.string('type');
    const known = ['', 'container', 'image', 'network', 'volume', 'node', 'service', 'task', 'secret', 'config', 'plugin'];
    if (!known.includes(type)) throw new StatusError(1, `"${type}" is not a valid value for --type`);
    const client = ctx.client();
    const found: unknown[] = [];
    const errors: string[] = [];
    for (const name of flags.args) {
      let got: unknown;
      let lastErr: unknown;
      const attempts: [string, () => Promise<unknown>][] = [
        ['container', () => client.inspectContainer(name, { size: flags.bool('size') })],
        ['image', () => client.inspectImage(name)],
        ['network', () => networkApi(ctx).inspect(name)],
        ['volume', () => volumesApi(ctx).inspect(name)],
      ];
      for (const [t, fn] of attempts) {
        if (type !== '' && type !== t) continue;
        try {
          got = await fn();
          break;
        } catch (err) {
          if (!(err instanceof BerthError) || err.kind !== 'not-found') throw err;
          lastErr = err;
        }
      }
      if (got !== undefined) found.push(got);
      else if (type === '') errors.push(`Error: No such object: ${name}`);
      else if (lastErr instanceof Error) errors.push(`Error response from daemon: ${lastErr.message}`);
      else errors.push(`Error: unsupported type ${JSON.stringify(type)} for ${name}`);
    }
    if (found.length > 0 || flags.string('format') === '') printInspect(ctx, found, flags.string('format'));
    if (errors.length > 0) {
      ctx.err(`${errors.join('\n')}\n`);
      return 1;
    }
    return 0;
  },
};
