// berth push [OPTIONS] NAME[:TAG]
import type { Command } from '../../command.js';
import { StatusError } from '../../exit-codes.js';
import { familiarName, parseNormalizedNamed } from '../../reference.js';
import { domainOf, loadAuth, registryAuthHeader } from './credentials.js';
import { renderJsonProgress } from './progress.js';

export const command: Command = {
  use: '[OPTIONS] NAME[:TAG]',
  short: 'Upload an image to a registry',
  args: { min: 1, max: 1 },
  flags: [
    { name: 'all-tags', short: 'a', type: 'bool', usage: 'Push all tags of an image to the repository' },
    { name: 'disable-content-trust', type: 'bool', usage: 'Skip image signing', default: true },
    { name: 'platform', type: 'string', usage: 'Push a platform-specific manifest as a single-platform image to the registry.' },
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Suppress verbose output' },
  ],
  async run(ctx, flags) {
    const name = flags.args[0] as string;
    const ref = parseNormalizedNamed(name);
    if (ref.digest !== undefined) throw new StatusError(1, 'invalid reference format');
    const all = flags.bool('all-tags');
    if (all && ref.tag !== undefined) throw new StatusError(1, 'tag can\'t be used with --all-tags/-a');
    const quiet = flags.bool('quiet');
    let tag = ref.tag;
    if (!all && tag === undefined) {
      tag = 'latest';
      if (!quiet) ctx.out('Using default tag: latest\n');
    }
    // as the docker CLI sends it: the OCI platform's JSON
    let platform: string | undefined;
    const p = flags.string('platform');
    if (p) {
      const [os, architecture, variant, ...rest] = p.toLowerCase().split('/');
      if (!os || !architecture || rest.length > 0 || variant === '') throw new StatusError(1, `invalid platform: "${p}": unknown operating system or architecture`);
      platform = JSON.stringify({ architecture, os, ...(variant ? { variant } : {}) });
    }
    const auth = registryAuthHeader(loadAuth(ctx.globals.configDir, domainOf(ref.name))) ?? Buffer.from('{}').toString('base64url');
    const res = await ctx.client().transport.request({
      method: 'POST',
      path: `/images/${encodeURIComponent(ref.name)}/push`,
      query: { tag: all ? undefined : tag, platform },
      headers: { 'X-Registry-Auth': auth },
    });
    await renderJsonProgress(ctx, res, { quiet });
    if (quiet) ctx.out(`${familiarName(ref.name) === ref.name ? ref.name : ref.name}${all ? '' : `:${tag}`}\n`);
    return 0;
  },
};
