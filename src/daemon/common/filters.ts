// Filter helpers shared by the image, container, volume and network services (Docker's semantics).
import { invalidArgument } from '../../errdefs/index.js';

/** label=k / label=k=v: every `want` must match; none of `notWant` may. */
export function labelsMatch(labels: Record<string, string>, want: readonly string[], notWant: readonly string[] = []): boolean {
  const has = (l: string): boolean => {
    const eq = l.indexOf('=');
    return eq < 0 ? l in labels : labels[l.slice(0, eq)] === l.slice(eq + 1);
  };
  return want.every(has) && !notWant.some(has);
}

/** Docker's `until`: a Unix timestamp (with fraction), an RFC 3339 date, or a duration ago ("10m"). */
export function parseUntil(v: string, now = Date.now()): number {
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const d = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(v);
  if (d) {
    const mult: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };
    return now - Number(d[1]) * (mult[d[2] ?? 's'] ?? 1);
  }
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidArgument(`failed to parse value as time or duration: "${v}"`);
  return t;
}
