// Creating a container the way docker's CLI does: cidfile, pull on a missing image (policy
// "missing"/"always"/"never"), warnings, and docker's error shape for run/create.
import fs from 'node:fs';
import type { CommandContext } from '../../command.js';
import type { CreateRequest } from './options.js';
import { BerthError } from '../../../errdefs/index.js';
import { isDaemonError } from '../../../client/errors.js';
import { FlagError, StatusError } from '../../exit-codes.js';
import { familiarString, parseNormalizedNamed } from '../../reference.js';
import { renderProgress } from '../common.js';

/** docker's "docker: <error>\n\nRun 'docker run --help' for more information" (exit 125 unless given). */
export function runError(ctx: CommandContext, err: unknown, status = 125): Error {
  if (err instanceof FlagError) return err;
  if (err instanceof StatusError && err.message.startsWith('berth: ')) return err;
  const msg = err instanceof Error ? err.message : String(err);
  const text = `berth: ${isDaemonError(err) ? 'Error response from daemon: ' : ''}${msg}\n\nRun '${ctx.path} --help' for more information`;
  return new StatusError(status, text, { cause: err });
}

async function pull(ctx: CommandContext, image: string, platform: string | undefined, quiet: boolean): Promise<void> {
  const ref = parseNormalizedNamed(image);
  const fromImage = ref.digest !== undefined ? `${ref.name}@${ref.digest}` : ref.name;
  let res;
  try {
    res = await ctx.client().pullImage({ fromImage, ...(ref.digest === undefined ? { tag: ref.tag ?? 'latest' } : {}), ...(platform ? { platform } : {}) });
  } catch (err) {
    if (err instanceof BerthError && err.kind === 'not-found' && err.message === 'page not found') {
      throw new BerthError('not-implemented', `pulling images is not supported by this daemon yet (no pull route): import or load ${familiarString(ref)} first`, { details: { fromDaemon: true } });
    }
    throw err;
  }
  const errCtx: CommandContext = { ...ctx, out: (t: string) => ctx.err(t), stdout: ctx.stderr };
  await renderProgress(quiet ? { ...errCtx, out: () => undefined } : errCtx, res);
}

export async function createContainer(ctx: CommandContext, req: CreateRequest, quiet: boolean): Promise<string> {
  const client = ctx.client();
  const image = req.body['Image'] as string;
  let cidWritten = false;
  if (req.cidfile !== undefined) {
    if (fs.existsSync(req.cidfile)) throw runError(ctx, new Error(`Container ID file found, make sure the other container isn't running or delete ${req.cidfile}`));
    try {
      fs.writeFileSync(req.cidfile, '', { flag: 'wx' });
      cidWritten = true;
    } catch (e) {
      throw runError(ctx, new Error(`failed to create the container ID file: ${(e as Error).message}`));
    }
  }
  const display = familiarString(parseNormalizedNamed(image));
  const opts = { ...(req.name !== undefined ? { name: req.name } : {}), ...(req.platform !== undefined ? { platform: req.platform } : {}) };
  try {
    if (req.pull === 'always') await pull(ctx, image, req.platform, quiet);
    let created;
    try {
      created = await client.createContainer(req.body, opts);
    } catch (err) {
      if (!(err instanceof BerthError) || err.kind !== 'not-found' || req.pull !== 'missing' || !/image/i.test(err.message)) throw err;
      ctx.err(`Unable to find image '${display}' locally\n`);
      await pull(ctx, image, req.platform, quiet);
      created = await client.createContainer(req.body, opts);
    }
    for (const w of created.Warnings ?? []) ctx.err(`WARNING: ${w}\n`);
    if (req.cidfile !== undefined) fs.writeFileSync(req.cidfile, created.Id);
    return created.Id;
  } catch (err) {
    if (cidWritten && req.cidfile !== undefined) fs.rmSync(req.cidfile, { force: true });
    throw err;
  }
}
