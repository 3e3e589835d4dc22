// Helpers shared by commands: standard flags, filters, IDs, JSON and progress rendering.
import type { Filters } from '../../client/client.js';
import type { JsonMessage } from '../../client/types.js';
import { jsonLines } from '../../client/client.js';
import { BerthError } from '../../errdefs/index.js';
import { StatusError } from '../exit-codes.js';
import type { FlagSpec } from '../flags.js';
import { compile, execute } from '../format/formatter.js';
import type { CommandContext } from '../command.js';

export const FORMAT_USAGE =
  "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";

export const formatFlag = (usage = FORMAT_USAGE): FlagSpec => ({ name: 'format', type: 'string', usage });
export const filterFlag = (): FlagSpec => ({ name: 'filter', short: 'f', type: 'list', valueName: 'filter', usage: 'Filter output based on conditions provided' });

/** "-f key=value" flags to the API's filters map. */
export function parseFilters(values: readonly string[]): Filters {
  const out: Filters = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new StatusError(1, 'bad format of filter (expected name=value)');
    const k = v.slice(0, eq).trim().toLowerCase();
    (out[k] ??= []).push(v.slice(eq + 1));
  }
  return out;
}

/** stringid.TruncateID: strip the algorithm, keep 12 hex digits. */
export function shortId(id: string): string {
  const i = id.indexOf(':');
  return (i >= 0 ? id.slice(i + 1) : id).slice(0, 12);
}

/** stringutils.Ellipsis */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  return `${chars.slice(0, max - 1).join('')}…`;
}

/** docker inspect's output: an indented JSON array, or each object through a template. */
export function printInspect(ctx: CommandContext, objects: unknown[], format: string): void {
  if (format === '' || format === 'json') {
    ctx.out(`${JSON.stringify(objects, null, 4)}\n`);
    return;
  }
  const tmpl = compile(format);
  for (const o of objects) ctx.out(`${execute(tmpl, o)}\n`);
}

/** Render a JSON-lines progress stream like jsonmessage.DisplayJSONMessagesStream; throws on an error line. */
export async function renderProgress(ctx: CommandContext, src: AsyncIterable<Buffer | string>, opts: { quiet?: boolean } = {}): Promise<void> {
  const tty = ctx.stdout.isTTY === true;
  for await (const m of jsonLines<JsonMessage>(src)) {
    if (m.error !== undefined || m.errorDetail?.message !== undefined) {
      throw new BerthError('system', m.errorDetail?.message ?? m.error ?? 'unknown error');
    }
    if (opts.quiet && m.stream === undefined) continue;
    if (m.stream !== undefined) {
      ctx.out(m.stream);
      continue;
    }
    if (m.status === undefined) continue;
    const prefix = m.id ? `${m.id}: ` : '';
    if (m.progressDetail?.total !== undefined || (m.progress !== undefined && m.progress !== '')) {
      if (tty) ctx.out(`\r\x1b[2K${prefix}${m.status} ${m.progress ?? ''}`);
      continue;
    }
    ctx.out(`${tty ? '\r\x1b[2K' : ''}${prefix}${m.status}\n`);
  }
}

/**
 * Run an operation per argument, printing each error and failing at the end (docker's rm,
 * stop...). With `deferErrors`, errors are returned for printing after the output (inspect).
 */
export async function forEachArg(ctx: CommandContext, args: readonly string[], fn: (arg: string) => Promise<void>, opts: { deferErrors?: string[] } = {}): Promise<number> {
  let failed = false;
  for (const a of args) {
    try {
      await fn(a);
    } catch (err) {
      if (err instanceof BerthError && err.kind === 'unavailable' && !isFromDaemon(err)) throw err;
      failed = true;
      const msg = err instanceof Error ? err.message : String(err);
      const line = isFromDaemon(err) ? `Error response from daemon: ${msg}\n` : `${msg}\n`;
      if (opts.deferErrors) opts.deferErrors.push(line);
      else ctx.err(line);
    }
  }
  return failed ? 1 : 0;
}

function isFromDaemon(err: unknown): boolean {
  return err instanceof BerthError && err.details['fromDaemon'] === true;
}

/** Read yes/no from stdin like docker's prompt (anything but y/yes is no). */
export async function confirm(ctx: CommandContext, message: string): Promise<boolean> {
  ctx.out(`${message}\nAre you sure you want to continue? [y/N] `);
  const line = await readLine(ctx.stdin);
  return /^\s*y(es)?\s*$/i.test(line);
}

function readLine(stdin: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString();
      if (buf.includes('\n')) done();
    };
    const done = (): void => {
      stdin.off('data', onData);
      stdin.off('end', done);
      stdin.pause();
      resolve(buf.split('\n')[0] ?? '');
    };
    stdin.on('data', onData);
    stdin.on('end', done);
  });
}
