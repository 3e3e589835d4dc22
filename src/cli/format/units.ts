// Human-readable sizes and durations as docker prints them (github.com/docker/go-units).

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** Go's %.<p>g: p significant digits, no trailing zeros. */
function goG(v: number, precision: number): string {
  if (v === 0) return '0';
  const s = v.toPrecision(precision);
  if (s.includes('e')) {
    const [m, e] = s.split('e') as [string, string];
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const exp = Number(e);
    return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

function custom(size: number, precision: number, base: number, units: string[]): string {
  let i = 0;
  let s = size;
  while (s >= base && i < units.length - 1) {
    s /= base;
    i++;
  }
  return `${goG(s, precision)}${units[i]}`;
}

/** units.HumanSizeWithPrecision: decimal (1000) units, e.g. "4.27MB" with precision 3. */
export function humanSize(size: number, precision = 4): string {
  return custom(size, precision, 1000, DECIMAL);
}

/** units.BytesSize: binary (1024) units, e.g. "23.54GiB". */
export function bytesSize(size: number): string {
  return custom(size, 4, 1024, BINARY);
}

/** units.HumanDuration for a duration in milliseconds. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(ms / 3_600_000 / 24 / 365)} years`;
}

/** "2 minutes ago" for a time (seconds since the epoch or a Date), as docker's CreatedSince. */
export function timeAgo(when: number | Date, now: number = Date.now()): string {
  const ms = typeof when === 'number' ? when * 1000 : when.getTime();
  return `${humanDuration(now - ms)} ago`;
}

/** The status text docker computes for a container state (State.Status + timestamps). */
export function containerStatus(state: { Status: string; ExitCode?: number; StartedAt?: string; FinishedAt?: string; Health?: { Status?: string } | null; Restarting?: boolean }, now: number = Date.now()): string {
  const since = (iso: string | undefined): number => (iso ? now - Date.parse(iso) : 0);
  switch (state.Status) {
    case 'running': {
      const health = state.Health?.Status;
      const h = health === 'starting' ? ' (health: starting)' : health === 'healthy' || health === 'unhealthy' ? ` (${health})` : '';
      return `Up ${humanDuration(since(state.StartedAt))}${h}`;
    }
    case 'paused':
      return `Up ${humanDuration(since(state.StartedAt))} (Paused)`;
    case 'restarting':
      return `Restarting (${state.ExitCode ?? 0}) ${humanDuration(since(state.FinishedAt))} ago`;
    case 'exited':
      return state.FinishedAt && !state.FinishedAt.startsWith('0001') ? `Exited (${state.ExitCode ?? 0}) ${humanDuration(since(state.FinishedAt))} ago` : `Exited (${state.ExitCode ?? 0})`;
    case 'created':
      return 'Created';
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    default:
      return state.Status;
  }
}

/** Go-style RFC 3339 with the local offset (docker's created time in inspect-like output). */
export function isoLocal(d: Date): string {
  const off = -d.getTimezoneOffset();
  const pad = (n: number): string => String(Math.trunc(Math.abs(n))).padStart(2, '0');
  const tz = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${pad(off / 60)}:${pad(off % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${tz}`;
}

/** Go's time.Time.String()-like "2006-01-02 15:04:05 -0700 MST" used by docker's CreatedAt. */
export function goTimeString(d: Date): string {
  const off = -d.getTimezoneOffset();
  const pad = (n: number): string => String(Math.trunc(Math.abs(n))).padStart(2, '0');
  const zone = off === 0 ? 'UTC' : `${off > 0 ? '+' : '-'}${pad(off / 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${off >= 0 ? '+' : '-'}${pad(off / 60)}${pad(off % 60)} ${zone}`;
}
