// berth pull [OPTIONS] NAME[:TAG|@DIGEST]
import type { Command } from '../../command.js';
import { StatusError } from '../../exit-codes.js';
import { parseNormalizedNamed } from '../../reference.js';
import { domainOf, loadAuth, registryAuthHeader } from './credentials.js';
import { renderJsonProgress } from './progress.js';

export const command: Command = {
  use: '[OPTIONS] NAME[:TAG|@DIGEST]',
  short: 'Download an image from a registry',
  args: { min: 1, max: 1 },
  flags: [
    { name: 'all-tags', short: 'a', type: 'bool', usage: 'Download all tagged images in the repository' },
    { name: 'disable-content-trust', type: 'bool', usage: 'Skip image verification', default: true },
    { name: 'platform', type: 'string', usage: 'Set platform if server is multi-platform capable' },
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Suppress verbose output' },
  ],
  async run(ctx, flags) {
    const name = flags.args[0] as string;
    const ref = parseNormalizedNamed(name);
    const all = flags.bool('all-tags');
    if (all && (ref.tag !== undefined || ref.digest !== undefined)) throw new StatusError(1, 'tag can\'t be used with --all-tags/-a');
    const quiet = flags.bool('quiet');
    let tag = ref.digest ?? ref.tag;
    if (!all && tag === undefined) {
      tag = 'latest';
      if (!quiet) ctx.out('Using default tag: latest\n');
    }
    const auth = registryAuthHeader(loadAuth(ctx.globals.configDir, domainOf(ref.name)));
    const platform = flags.optString('platform') ?? process.env['DOCKER_DEFAULT_PLATFORM'];
    const res = await ctx.client().transport.request({
      method: 'POST',
      path: '/images/create',
      query: { fromImage: ref.name, tag: all ? undefined : tag, platform: platform || undefined },
      ...(auth ? { headers: { 'X-Registry-Auth': auth } } : {}),
    });
    await renderJsonProgress(ctx, res, { quiet });
    if (!all) ctx.out(`${ref.name}${ref.digest !== undefined ? `@${ref.digest}` : `:${tag}`}\n`);
    return 0;
  },
};
