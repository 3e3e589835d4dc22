// docker's timetypes.GetTimestamp: --since/--until accept Go durations ("10m", "1h30m"),
// RFC 3339 timestamps and dates (local time without a zone), or Unix timestamps.
import { parseGoDuration } from './flags.js';
import { StatusError } from './exit-codes.js';

export function getTimestamp(value: string, reference: number = Date.now()): string {
  if (value !== '0') {
    try {
      const d = parseGoDuration(value);
      return String(Math.trunc((reference - d) / 1000));
    } catch {
      /* not a duration */
    }
  }
  if (value.includes('-')) {
    const hasZone = /[zZ+]/.test(value) || (value.match(/-/g) ?? []).length === 3;
    const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2}))?(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|z|[+-]\d{2}:\d{2})?$/.exec(value);
    if (!m) throw new StatusError(1, `parsing time ${JSON.stringify(value)}: cannot parse ${JSON.stringify(value)} as a timestamp`);
    const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
    const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}`;
    const ms = hasZone && zone ? Date.parse(`${iso}${zone.toUpperCase()}`) : Date.parse(iso);
    if (Number.isNaN(ms)) throw new StatusError(1, `parsing time ${JSON.stringify(value)}: out of range`);
    return `${Math.floor(ms / 1000)}.${frac.padEnd(9, '0')}`;
  }
  if (/^\d+(\.\d{1,9})?$/.test(value)) return value;
  throw new StatusError(1, `failed to parse value as time or duration: ${JSON.stringify(value)}`);
}
