// Docker's image list/prune filters: dangling, reference (path.Match globs), label, before, since, until.
import { invalidArgument } from '../../errdefs/index.js';
import type { Filters } from '../events.js';

/** Go's path.Match as a RegExp: `*` and `?` never match "/", `[...]` classes, `\` escapes. */
export function globToRegExp(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw invalidArgument(`invalid reference pattern ${JSON.stringify(pattern)}: syntax error in pattern`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i] ?? ''}`;
    else re += c.replace(/[.+^${}()|\]\\]/g, '\\$&');
  }
  return new RegExp(`${re}$`);
}

export function boolFilter(filters: Filters, key: string): boolean | undefined {
  const v = filters[key];
  if (!v || v.length === 0) return undefined;
  const set = new Set(v.map((x) => x.toLowerCase()));
  const truthy = [...set].every((x) => x === 'true' || x === '1');
  const falsy = [...set].every((x) => x === 'false' || x === '0');
  if (!truthy && !falsy) throw invalidArgument(`invalid filter '${key}=${v.join(',')}'`);
  return truthy;
}

/** label=k, label=k=v (all must match); label!=... (none may match). */
export function labelsMatch(filters: Filters, labels: Record<string, string>): boolean {
  const test = (l: string): boolean => {
    const eq = l.indexOf('=');
    return eq < 0 ? l in labels : labels[l.slice(0, eq)] === l.slice(eq + 1);
  };
  if (filters['label'] && !filters['label'].every(test)) return false;
  if (filters['label!'] && filters['label!'].some(test)) return false;
  return true;
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
