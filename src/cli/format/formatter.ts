// docker's formatter.Context: "table ..." (tabwriter + a header row rendered from the same
// template over header names), "json" (one JSON object per line), "raw", or any Go template.
import { MARSHAL_JSON, Template, TemplateError, type TemplateFunc } from './template.js';
import { tabwrite } from './tabwriter.js';
import { StatusError } from '../exit-codes.js';

export const TABLE_PREFIX = 'table';

export function isTable(format: string): boolean {
  return format.startsWith(TABLE_PREFIX);
}

export function isJson(format: string): boolean {
  return format.trim() === 'json';
}

/** docker's preFormat: strip "table", trim spaces, turn literal \t and \n into tabs and newlines. */
export function preFormat(format: string): string {
  let f = isTable(format) ? format.slice(TABLE_PREFIX.length) : format;
  f = f.replace(/^ +| +$/g, '');
  return f.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

/** In the header row every string function returns its argument: "{{upper .Name}}" -> "NAME". */
const HEADER_FUNCS: Record<string, TemplateFunc> = {
  json: (v) => v,
  split: (v) => v,
  join: (v) => v,
  title: (v) => v,
  lower: (v) => v,
  upper: (v) => v,
  truncate: (v) => v,
  pad: (v) => v,
};

/** Compile a user template, turning parse errors into docker's message and exit status. */
export function compile(format: string, funcs?: Record<string, TemplateFunc>): Template {
  try {
    return new Template(format, funcs);
  } catch (e) {
    if (e instanceof TemplateError) throw new StatusError(64, `template parsing error: ${e.message}`);
    throw e;
  }
}

export function execute(tmpl: Template, data: unknown): string {
  try {
    return tmpl.execute(data);
  } catch (e) {
    if (e instanceof TemplateError) throw new StatusError(1, `template: :1: executing "" at <${tmpl.source}>: ${e.message}`);
    throw e;
  }
}

/** Go's json.Marshal: like JSON.stringify, but <, > and & are escaped as \u003c, \u003e, \u0026. */
export function goJson(v: unknown): string {
  return (JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? (JSON as unknown as { rawJSON(s: string): unknown }).rawJSON(x.toString()) : x)) ?? 'null').replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** docker marshals a row as a map: keys sorted, methods (functions) left out. */
function sortedKeys(v: unknown): unknown {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (typeof x !== 'function') out[k] = x;
  }
  return out;
}

export interface RenderOptions {
  format: string;
  /** Header names by field ("ID" -> "IMAGE ID"). */
  headers: Record<string, string>;
  /** Each row's template context (objects whose fields/getters the template reads). */
  rows: readonly unknown[];
  /** For --format json: the raw object of a row (docker marshals the context). */
  json?: (row: unknown) => unknown;
}

/** Render rows with a docker format string; returns the text to print. */
export function renderRows(opts: RenderOptions): string {
  const { format } = opts;
  if (isJson(format)) return opts.rows.map((r) => `${goJson(sortedKeys(opts.json ? opts.json(r) : r))}\n`).join('');
  const tmpl = compile(preFormat(format));
  let body = '';
  for (const row of opts.rows) {
    if (row !== null && typeof row === 'object' && !(MARSHAL_JSON in row)) {
      Object.defineProperty(row, MARSHAL_JSON, { value: () => goJson(sortedKeys(opts.json ? opts.json(row) : row)), enumerable: false });
    }
    body += `${execute(tmpl, row)}\n`;
  }
  if (!isTable(format)) return body;
  const headerTmpl = compile(preFormat(format), HEADER_FUNCS);
  const header = execute(headerTmpl, opts.headers);
  return tabwrite(`${header}\n${body}`);
}
