// Pull/push progress on the terminal as jsonmessage.DisplayJSONMessagesStream draws it: one line
// per layer id, redrawn in place with its bar on a TTY; plain status lines (no bars) otherwise.
import type { JsonMessage } from '../../../client/types.js';
import { jsonLines } from '../../../client/client.js';
import { StatusError } from '../../exit-codes.js';
import type { CommandContext } from '../../command.js';

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

function human(n: number): string {
  let s = n;
  let i = 0;
  while (s >= 1000 && i < UNITS.length - 1) {
    s /= 1000;
    i++;
  }
  return `${Number(s.toPrecision(4))}${UNITS[i]}`;
}

/** JSONProgress.String() for a terminal of `width` columns. */
export function bar(current: number, total: number, width: number): string {
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return human(current).padStart(8);
  const pct = Math.min(50, Math.floor(Math.floor((current / total) * 100) / 2));
  const box = width > 110 ? `[${'='.repeat(pct)}>${' '.repeat(Math.max(0, 50 - pct))}] ` : '';
  const numbers = current > total ? human(current).padStart(8) : `${human(current).padStart(8)}/${human(total)}`;
  return box + numbers;
}

export interface RenderResult {
  /** aux messages (push: Tag/Digest/Size) */
  aux: Record<string, unknown>[];
}

export async function renderJsonProgress(ctx: CommandContext, src: AsyncIterable<Buffer | string>, opts: { quiet?: boolean } = {}): Promise<RenderResult> {
  const tty = ctx.stdout.isTTY === true && !opts.quiet;
  const width = tty ? (ctx.stdout.columns ?? 200) : 200;
  const lines = new Map<string, number>();
  let count = 0;
  const aux: Record<string, unknown>[] = [];
  for await (const m of jsonLines<Omit<JsonMessage, "aux"> & { aux?: Record<string, unknown> }>(src)) {
    if (m.error !== undefined || m.errorDetail?.message !== undefined) throw new StatusError(1, m.errorDetail?.message ?? m.error ?? 'unknown error');
    if (m.aux) {
      aux.push(m.aux);
      continue;
    }
    if (opts.quiet) continue;
    const status = m.status ?? '';
    const hasProgress = m.progressDetail?.total !== undefined || m.progressDetail?.current !== undefined;
    if (!tty) {
      if (hasProgress) continue;
      ctx.out(`${m.id ? `${m.id}: ` : ''}${status}\n`);
      continue;
    }
    const text = `${m.id ? `${m.id}: ` : ''}${status}${hasProgress ? ` ${bar(m.progressDetail?.current ?? 0, m.progressDetail?.total ?? 0, width)}` : ''}`;
    if (m.id) {
      let line = lines.get(m.id);
      if (line === undefined) {
        line = count++;
        lines.set(m.id, line);
        ctx.out(`${text}\n`);
        continue;
      }
      const up = count - line;
      ctx.out(`\x1b[${up}A\r\x1b[2K${text}\x1b[${up}B\r`);
      continue;
    }
    ctx.out(`${text}\n`);
    // a line without id starts a new block (as docker: ids are forgotten)
    lines.clear();
    count = 0;
  }
  return { aux };
}
