// berth events: stream daemon events until --until or Ctrl-C.
import type { Command } from '../../command.js';
import { bigintReplacer, type ExactEventMessage } from '../../../client/client.js';
import { filterFlag, formatFlag, parseFilters } from '../common.js';
import { compile, execute } from '../../format/formatter.js';
import { getTimestamp } from '../../timestamps.js';

/** rfc3339NanoFixed in local time: 2006-01-02T15:04:05.000000000Z07:00 */
export function eventTime(timeNano: bigint | number, time: number): string {
  const nanos = timeNano ? BigInt(timeNano) : BigInt(time) * 1_000_000_000n;
  const ms = Number(nanos / 1_000_000n);
  const d = new Date(ms);
  const pad = (n: number, w = 2): string => String(Math.trunc(Math.abs(n))).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${pad(off / 60)}:${pad(off % 60)}`;
  const frac = String(nanos % 1_000_000_000n).padStart(9, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${frac}${zone}`;
}

/** events.Message's field order (status, id and from omitted when empty), as docker's {{json .}} prints it. */
function goOrder(e: ExactEventMessage): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (e.status) out['status'] = e.status;
  if (e.id) out['id'] = e.id;
  if (e.from) out['from'] = e.from;
  const attrs: Record<string, string> = {};
  for (const k of Object.keys(e.Actor?.Attributes ?? {}).sort()) attrs[k] = e.Actor.Attributes[k] as string;
  Object.assign(out, { Type: e.Type, Action: e.Action, Actor: { ID: e.Actor?.ID ?? '', Attributes: attrs }, scope: e.scope, time: e.time, timeNano: e.timeNano });
  return out;
}

function goJsonNoEscape(v: unknown): string {
  return JSON.stringify(v, bigintReplacer);
}

export function defaultEventLine(e: ExactEventMessage): string {
  const attrs = Object.keys(e.Actor?.Attributes ?? {})
    .sort()
    .map((k) => `${k}=${e.Actor.Attributes[k]}`);
  return `${eventTime(e.timeNano, e.time)} ${e.Type} ${e.Action} ${e.Actor?.ID ?? ''}${attrs.length > 0 ? ` (${attrs.join(', ')})` : ''}\n`;
}

export const command: Command = {
  use: '[OPTIONS]',
  short: 'Get real time events from the server',
  args: { min: 0, max: 0 },
  flags: [
    filterFlag(),
    formatFlag("Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template."),
    { name: 'since', type: 'string', usage: 'Show all events created since timestamp' },
    { name: 'until', type: 'string', usage: 'Stream events until this timestamp' },
  ],
  async run(ctx, flags) {
    const now = Date.now();
    const since = flags.changed('since') ? getTimestamp(flags.string('since'), now) : undefined;
    const until = flags.changed('until') ? getTimestamp(flags.string('until'), now) : undefined;
    const format = flags.string('format');
    const tmpl = format !== '' && format !== 'json' ? compile(format) : undefined;
    const ctl = new AbortController();
    const onSig = (): void => ctl.abort();
    process.once('SIGINT', onSig);
    process.once('SIGTERM', onSig);
    try {
      for await (const e of ctx.client().events({ ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}), filters: parseFilters(flags.list('filter')), signal: ctl.signal })) {
        if (format === 'json') ctx.out(`${goJsonNoEscape(goOrder(e))}\n`);
        else if (tmpl) ctx.out(`${execute(tmpl, goOrder(e))}\n`);
        else ctx.out(defaultEventLine(e));
      }
    } catch (err) {
      if (!ctl.signal.aborted) throw err;
    } finally {
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
    }
    return 0;
  },
};
