// Distribution progress events -> Docker's JSON messages (jsonmessage.JSONMessage), with the
// progress bar string dockerd renders for clients that do not draw their own.
import type { ProgressEvent } from '../../daemon/distribution/index.js';
import type { ProgressMessage } from '../../engine-api/image.js';

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** go-units HumanSize: decimal units, 4 significant digits ("1.234MB", "528B"). */
export function humanSize(n: number): string {
  let size = n;
  let i = 0;
  while (size >= 1000 && i < UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  return `${Number(size.toPrecision(4))}${UNITS[i]}`;
}

/** jsonmessage.JSONProgress.String() at dockerd's width (bar included). */
export function progressBar(current: number, total: number): string {
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return humanSize(current).padStart(8);
  let pct = Math.floor((Math.floor((current / total) * 100)) / 2);
  if (pct > 50) pct = 50;
  const bar = `[${'='.repeat(pct)}>${' '.repeat(Math.max(0, 50 - pct))}] `;
  const numbers = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}

export function progressToWire(e: ProgressEvent): ProgressMessage {
  const m: ProgressMessage = {};
  if (e.aux) {
    m.progressDetail = {};
    m.aux = e.aux;
    return m;
  }
  m.status = e.status;
  if (e.current !== undefined || e.total !== undefined) {
    m.progressDetail = { ...(e.current !== undefined ? { current: e.current } : {}), ...(e.total !== undefined ? { total: e.total } : {}) };
    m.progress = progressBar(e.current ?? 0, e.total ?? 0);
  } else if (e.detail) m.progressDetail = {};
  if (e.id !== undefined) m.id = e.id;
  return m;
}
