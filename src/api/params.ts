// Query-string helpers with Docker's conventions (booleans as 1/true, filters as JSON).
import { invalidArgument } from '../errdefs/index.js';
import type { Filters } from '../daemon/events.js';

export type Query = Record<string, string | string[] | undefined>;

function first(q: Query, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? v[0] : v;
}

export function qString(q: Query, name: string): string | undefined {
  return first(q, name);
}

/** Docker treats "1", "true", "True" as true; absent or "0"/"false" as false. */
export function qBool(q: Query, name: string, def = false): boolean {
  const v = first(q, name);
  if (v === undefined || v === '') return def;
  return !['0', 'false', 'False', 'FALSE', 'no'].includes(v);
}

export function qInt(q: Query, name: string): number | undefined {
  const v = first(q, name);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw invalidArgument(`invalid value for ${name}: ${JSON.stringify(v)}`);
  return Number.parseInt(v, 10);
}

/** Docker's `filters` JSON: {"k":["v"]} or the old {"k":{"v":true}} map form. */
export function qFilters(q: Query, name = 'filters'): Filters {
  const raw = first(q, name);
  if (raw === undefined || raw === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw invalidArgument(`invalid filter: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidArgument('invalid filter: expected a JSON object');
  const out: Filters = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(v)) out[k] = v.map(String);
    else if (typeof v === 'object' && v !== null) out[k] = Object.entries(v as Record<string, unknown>).filter(([, b]) => b === true).map(([x]) => x);
    else throw invalidArgument(`invalid filter: value of ${k} must be a list`);
  }
  return out;
}

/** Reject filter keys a route does not know, with Docker's message. */
export function checkFilterKeys(filters: Filters, allowed: readonly string[]): void {
  for (const k of Object.keys(filters)) {
    if (!allowed.includes(k)) throw invalidArgument(`invalid filter '${k}'`);
  }
}

/** Docker timestamps in queries: seconds since epoch, optionally with a fraction ("1700000000.123456789"). */
export function qTimestampNano(q: Query, name: string): bigint | undefined {
  const v = first(q, name);
  if (v === undefined || v === '') return undefined;
  const m = /^(-?\d+)(?:\.(\d{1,9}))?$/.exec(v);
  if (!m) throw invalidArgument(`invalid value for ${name}: ${JSON.stringify(v)}`);
  return BigInt(m[1] ?? '0') * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
}
