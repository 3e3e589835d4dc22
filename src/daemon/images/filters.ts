// Docker's image list/prune filters: dangling, reference (path.Match globs), label, before, since, until.
import { invalidArgument } from '../../errdefs/index.js';
import type { Filters } from '../events.js';
import { labelsMatch as labelsMatchAll, parseUntil } from '../common/filters.js';

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
  return labelsMatchAll(labels, filters['label'] ?? [], filters['label!'] ?? []);
}

export { parseUntil };
