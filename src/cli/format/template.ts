// A subset of Go's text/template, enough for docker's --format strings: field chains (.A.B),
// variables ($, $x, $k, $v := ...), pipelines with |, parentheses, if/else if/else, range
// (with else), with, and docker's template functions (json, join, split, lower, upper, title,
// truncate, pad, printf, println, index, len, eq/ne/lt/le/gt/ge, and/or/not, slice).

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

type Operand =
  | { t: 'dot'; chain: string[] }
  | { t: 'field'; chain: string[] }
  | { t: 'var'; name: string; chain: string[] }
  | { t: 'ident'; name: string }
  | { t: 'lit'; value: unknown }
  | { t: 'sub'; pipe: Pipe; chain: string[] };

type Cmd = Operand[];
interface Pipe {
  decls: string[];
  cmds: Cmd[];
  /** text for error messages */
  src: string;
}

type Node =
  | { t: 'text'; s: string }
  | { t: 'action'; pipe: Pipe }
  | { t: 'if' | 'with' | 'range'; pipe: Pipe; list: Node[]; elseList: Node[] | undefined };

export type TemplateFunc = (...args: unknown[]) => unknown;

// ---------------------------------------------------------------- lexing an action

type Tok = { k: 'field'; v: string } | { k: 'chain'; v: string } | { k: 'var'; v: string } | { k: 'ident'; v: string } | { k: 'str'; v: string } | { k: 'num'; v: number } | { k: 'op'; v: string };

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '|' || c === '(' || c === ')' || c === ',') {
      toks.push({ k: 'op', v: c });
      i++;
      continue;
    }
    if (c === ':' && src[i + 1] === '=') {
      toks.push({ k: 'op', v: ':=' });
      i += 2;
      continue;
    }
    if (c === '=') {
      toks.push({ k: 'op', v: '=' });
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let out = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\') {
          const n = src[j + 1];
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", '0': '\0' };
          if (n === undefined) break;
          out += map[n] ?? n;
          j += 2;
        } else out += src[j++];
      }
      if (j >= src.length) throw new TemplateError(`unterminated quoted string`);
      toks.push({ k: 'str', v: out });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw new TemplateError('unterminated raw quoted string');
      toks.push({ k: 'str', v: src.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    if (c === '.' || c === '$') {
      const m = /^(\$[A-Za-z0-9_]*|)((?:\.[A-Za-z0-9_]+)*)(\.?)/.exec(src.slice(i));
      const whole = m?.[0] ?? '';
      if (c === '.' && whole === '') {
        toks.push({ k: 'field', v: '.' });
        i++;
        continue;
      }
      if (m?.[1]) toks.push({ k: 'var', v: whole });
      else if (src[i - 1] === ')') toks.push({ k: 'chain', v: whole });
      else toks.push({ k: 'field', v: whole });
      i += whole.length;
      continue;
    }
    const num = /^[+-]?(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+)/.exec(src.slice(i));
    if (num && (c !== '+' && c !== '-' ? true : /\d|\./.test(src[i + 1] ?? ''))) {
      toks.push({ k: 'num', v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      toks.push({ k: 'ident', v: id[0] });
      i += id[0].length;
      // an identifier directly followed by .Field (e.g. a parenthesised result) is not Go; reject
      continue;
    }
    throw new TemplateError(`unexpected ${JSON.stringify(c)} in command`);
  }
  return toks;
}

function splitChain(s: string): string[] {
  return s.split('.').filter((p) => p !== '');
}

function parsePipe(src: string): Pipe {
  const toks = tokenize(src);
  let pos = 0;
  const decls: string[] = [];
  // declarations: $x := / $k, $v :=
  const save = pos;
  const names: string[] = [];
  while (toks[pos]?.k === 'var') {
    names.push(toks[pos]?.v as string);
    pos++;
    if (toks[pos]?.k === 'op' && toks[pos]?.v === ',') {
      pos++;
      continue;
    }
    break;
  }
  if (names.length > 0 && toks[pos]?.k === 'op' && (toks[pos]?.v === ':=' || toks[pos]?.v === '=')) {
    decls.push(...names);
    pos++;
  } else pos = save;

  const parseCmds = (stopAtParen: boolean): Cmd[] => {
    const cmds: Cmd[] = [];
    let cur: Cmd = [];
    while (pos < toks.length) {
      const tk = toks[pos] as Tok;
      if (tk.k === 'op' && tk.v === ')') {
        if (!stopAtParen) throw new TemplateError(`unexpected ")" in command`);
        break;
      }
      pos++;
      if (tk.k === 'op' && tk.v === '|') {
        if (cur.length === 0) throw new TemplateError('missing command');
        cmds.push(cur);
        cur = [];
        continue;
      }
      if (tk.k === 'op' && tk.v === '(') {
        const inner = parseCmds(true);
        if (toks[pos]?.k !== 'op' || toks[pos]?.v !== ')') throw new TemplateError('unclosed left paren');
        pos++;
        let chain: string[] = [];
        const nx = toks[pos];
        if (nx?.k === 'chain') {
          chain = splitChain(nx.v);
          pos++;
        }
        cur.push({ t: 'sub', pipe: { decls: [], cmds: inner, src }, chain });
        continue;
      }
      if (tk.k === 'op' || tk.k === 'chain') throw new TemplateError(`unexpected ${JSON.stringify(tk.v)} in operand`);
      if (tk.k === 'field') cur.push(tk.v === '.' ? { t: 'dot', chain: [] } : { t: 'field', chain: splitChain(tk.v) });
      else if (tk.k === 'var') {
        const [name, ...chain] = tk.v.split('.');
        cur.push({ t: 'var', name: name as string, chain: chain.filter((p) => p !== '') });
      } else if (tk.k === 'str') cur.push({ t: 'lit', value: tk.v });
      else if (tk.k === 'num') cur.push({ t: 'lit', value: tk.v });
      else if (tk.v === 'true' || tk.v === 'false') cur.push({ t: 'lit', value: tk.v === 'true' });
      else if (tk.v === 'nil') cur.push({ t: 'lit', value: null });
      else cur.push({ t: 'ident', name: tk.v });
    }
    if (cur.length > 0) cmds.push(cur);
    else if (cmds.length > 0) throw new TemplateError('missing command');
    return cmds;
  };
  const cmds = parseCmds(false);
  if (pos < toks.length) throw new TemplateError(`unexpected ${JSON.stringify((toks[pos] as Tok).v)} in command`);
  if (cmds.length === 0 && decls.length === 0) throw new TemplateError('missing value for command');
  return { decls, cmds, src };
}

// ---------------------------------------------------------------- parsing the template

interface RawAction {
  text: string;
  line: number;
}

function parseTemplate(src: string): Node[] {
  // Split into text and actions, honouring {{- and -}} trim markers.
  const parts: (string | RawAction)[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      parts.push(src.slice(i));
      break;
    }
    let text = src.slice(i, open);
    let start = open + 2;
    if (src[start] === '-' && /\s/.test(src[start + 1] ?? '')) {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    // find the closing braces outside string literals
    let j = start;
    let close = -1;
    while (j < src.length) {
      const ch = src[j];
      if (ch === '"') {
        j++;
        while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
        j++;
        continue;
      }
      if (ch === '`') {
        const e = src.indexOf('`', j + 1);
        j = e < 0 ? src.length : e + 1;
        continue;
      }
      if (ch === '}' && src[j + 1] === '}') {
        close = j;
        break;
      }
      j++;
    }
    const line = src.slice(0, open).split('\n').length;
    if (close < 0) throw new TemplateError(`template: :${line}: unclosed action`);
    let body = src.slice(start, close);
    let next = close + 2;
    if (/\s-$/.test(body)) {
      body = body.slice(0, -1);
      while (next < src.length && /\s/.test(src[next] as string)) next++;
    }
    if (text !== '') parts.push(text);
    parts.push({ text: body.trim(), line });
    i = next;
  }

  let pos = 0;
  const parseList = (terminators: string[]): { list: Node[]; end: string } => {
    const list: Node[] = [];
    while (pos < parts.length) {
      const p = parts[pos++] as string | RawAction;
      if (typeof p === 'string') {
        list.push({ t: 'text', s: p });
        continue;
      }
      const word = /^([a-z]+)\b/.exec(p.text)?.[1] ?? '';
      if (p.text.startsWith('/*')) continue; // comment
      try {
        if (word === 'end' || word === 'else') {
          if (!terminators.includes(word)) throw new TemplateError(`unexpected {{${word}}}`);
          if (word === 'else') {
            const rest = p.text.slice(4).trim();
            return { list, end: rest === '' ? 'else' : `else ${rest}` };
          }
          return { list, end: 'end' };
        }
        if (word === 'if' || word === 'with' || word === 'range') {
          list.push(parseBlock(word, p.text.slice(word.length).trim()));
          continue;
        }
        if (word === 'define' || word === 'template' || word === 'block' || word === 'break' || word === 'continue') throw new TemplateError(`{{${word}}} is not supported`);
        list.push({ t: 'action', pipe: parsePipe(p.text) });
      } catch (e) {
        if (e instanceof TemplateError && !e.message.startsWith('template:')) throw new TemplateError(`template: :${p.line}: ${e.message}`);
        throw e;
      }
    }
    if (terminators.length > 0) throw new TemplateError('template: :1: unexpected EOF');
    return { list, end: '' };
  };
  const parseBlock = (kind: 'if' | 'with' | 'range', pipeSrc: string): Node => {
    if (pipeSrc === '') throw new TemplateError(`missing value for ${kind}`);
    const pipe = parsePipe(pipeSrc);
    const body = parseList(['end', 'else']);
    let elseList: Node[] | undefined;
    if (body.end === 'else') elseList = parseList(['end']).list;
    else if (body.end.startsWith('else ')) {
      // {{else if x}} / {{else with x}}: a nested block that shares our {{end}}
      const rest = body.end.slice(5).trim();
      const w = /^(if|with)\b/.exec(rest)?.[1] as 'if' | 'with' | undefined;
      if (!w) throw new TemplateError(`unexpected ${JSON.stringify(rest)} in else`);
      elseList = [parseBlock(w, rest.slice(w.length).trim())];
    }
    return { t: kind, pipe, list: body.list, elseList };
  };
  return parseList([]).list;
}

// ---------------------------------------------------------------- values

export const NO_VALUE = Symbol('no value');

export function truth(v: unknown): boolean {
  if (v === undefined || v === null || v === NO_VALUE) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0 || Object.getPrototypeOf(v) !== Object.prototype;
  return true;
}

/** Go's fmt %v for the values templates see. */
export function formatValue(v: unknown): string {
  if (v === undefined || v === NO_VALUE) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : formatFloat(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map(formatInner).join(' ')}]`;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') {
    const toString = (v as { toString?: () => string }).toString;
    if (Object.getPrototypeOf(v) !== Object.prototype && typeof toString === 'function' && toString !== Object.prototype.toString) return toString.call(v);
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${formatInner((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  }
  return String(v);
}

function formatInner(v: unknown): string {
  return v === null || v === undefined ? '<nil>' : formatValue(v);
}

function formatFloat(v: number): string {
  // Go's %v for float64 is %g with the shortest representation
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) return v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return String(v);
}

function field(value: unknown, name: string): unknown {
  if (value === undefined || value === null || value === NO_VALUE) return NO_VALUE;
  if (value instanceof Map) return value.has(name) ? value.get(name) : NO_VALUE;
  if (typeof value !== 'object') throw new TemplateError(`can't evaluate field ${name} in type ${goType(value)}`);
  const obj = value as Record<string, unknown>;
  if (!(name in obj)) {
    if (Object.getPrototypeOf(obj) !== Object.prototype && !Array.isArray(obj)) throw new TemplateError(`can't evaluate field ${name} in type ${goType(value)}`);
    return NO_VALUE;
  }
  const v = obj[name];
  return typeof v === 'function' ? (v as () => unknown).call(obj) : v;
}

function goType(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  if (v && typeof v === 'object') return Object.getPrototypeOf(v) === Object.prototype ? 'map[string]interface {}' : (v.constructor?.name ?? 'struct');
  return 'interface {}';
}

// ---------------------------------------------------------------- functions

function toStr(v: unknown): string {
  return typeof v === 'string' ? v : formatValue(v);
}

function toInt(v: unknown, fn: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) throw new TemplateError(`error calling ${fn}: wrong type for value; expected int; got ${goType(v)}`);
  return Math.trunc(n);
}

function compare(fn: string, a: unknown, b: unknown): number {
  const norm = (x: unknown): unknown => (x === NO_VALUE ? undefined : x);
  const x = norm(a);
  const y = norm(b);
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : x > y ? 1 : 0;
  if (fn === 'eq' || fn === 'ne') return x === y ? 0 : 1;
  throw new TemplateError(`error calling ${fn}: incompatible types for comparison`);
}

/** Go fmt.Sprintf for the common verbs: %s %v %d %q %t %x %X %f %e %g %c %%, width, precision, flags. */
export function sprintf(format: string, args: unknown[]): string {
  let ai = 0;
  return format.replace(/%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*))?([a-zA-Z%])/g, (_m, flags: string, width: string | undefined, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (width === '*') width = String(args[ai++]);
    if (prec === '*') prec = String(args[ai++]);
    if (ai >= args.length) return `%!${verb}(MISSING)`;
    const arg = args[ai++];
    const p = prec === undefined ? undefined : Number(prec);
    let s: string;
    switch (verb) {
      case 'd':
        s = typeof arg === 'number' ? String(Math.trunc(arg)) : `%!d(${goType(arg)}=${toStr(arg)})`;
        if (flags.includes('+') && typeof arg === 'number' && arg >= 0) s = `+${s}`;
        break;
      case 's':
      case 'v':
        s = verb === 'v' && flags.includes('+') ? formatValue(arg) : toStr(arg);
        if (p !== undefined && verb === 's') s = [...s].slice(0, p).join('');
        break;
      case 'q':
        s = JSON.stringify(toStr(arg));
        break;
      case 't':
        s = String(arg === true);
        break;
      case 'x':
      case 'X':
        s = typeof arg === 'number' ? Math.trunc(arg).toString(16) : Buffer.from(toStr(arg)).toString('hex');
        if (verb === 'X') s = s.toUpperCase();
        break;
      case 'f':
      case 'F':
        s = Number(arg).toFixed(p ?? 6);
        break;
      case 'e':
        s = Number(arg).toExponential(p ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
        break;
      case 'g':
        s = p === undefined ? String(Number(arg)) : String(Number(Number(arg).toPrecision(p)));
        break;
      case 'c':
        s = String.fromCodePoint(Number(arg));
        break;
      default:
        s = `%!${verb}(${goType(arg)}=${toStr(arg)})`;
    }
    const w = width === undefined ? 0 : Number(width);
    const len = [...s].length;
    if (len < w) {
      if (flags.includes('-')) s += ' '.repeat(w - len);
      else if (flags.includes('0') && /[dfFeg]/.test(verb)) s = s.startsWith('-') ? `-${'0'.repeat(w - len)}${s.slice(1)}` : '0'.repeat(w - len) + s;
      else s = ' '.repeat(w - len) + s;
    }
    return s;
  }) + (ai < args.length ? `%!(EXTRA ${args.slice(ai).map((a) => `${goType(a)}=${toStr(a)}`).join(', ')})` : '');
}

/** A value with this method marshals itself (docker's formatter contexts: Go's json.Marshal, HTML-escaped). */
export const MARSHAL_JSON = Symbol('marshalJSON');

function jsonOf(v: unknown): string {
  if (v === undefined || v === NO_VALUE) return 'null';
  const own = v !== null && typeof v === 'object' ? (v as { [MARSHAL_JSON]?: () => string })[MARSHAL_JSON] : undefined;
  if (typeof own === 'function') return own.call(v);
  const raw = (JSON as unknown as { rawJSON(s: string): unknown }).rawJSON;
  return JSON.stringify(v, (_k, x: unknown) => (x instanceof Map ? Object.fromEntries(x) : typeof x === 'bigint' ? raw(x.toString()) : x)) ?? 'null';
}

export const BUILTINS: Record<string, TemplateFunc> = {
  json: (v) => jsonOf(v),
  join: (a, sep) => (Array.isArray(a) ? a.map(toStr).join(toStr(sep)) : toStr(a)),
  split: (s, sep) => toStr(s).split(toStr(sep)),
  lower: (s) => toStr(s).toLowerCase(),
  upper: (s) => toStr(s).toUpperCase(),
  title: (s) => toStr(s).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toUpperCase()),
  truncate: (s, n) => {
    const chars = [...toStr(s)];
    const len = toInt(n, 'truncate');
    return chars.length < len ? chars.join('') : chars.slice(0, len).join('');
  },
  pad: (s, prefix, suffix) => ' '.repeat(Math.max(0, toInt(prefix, 'pad'))) + toStr(s) + ' '.repeat(Math.max(0, toInt(suffix, 'pad'))),
  printf: (fmt, ...args) => sprintf(toStr(fmt), args),
  print: (...args) => goPrint(args),
  println: (...args) => `${args.map(toStr).join(' ')}\n`,
  len: (v) => {
    if (typeof v === 'string') return Buffer.byteLength(v);
    if (Array.isArray(v)) return v.length;
    if (v instanceof Map) return v.size;
    if (v && typeof v === 'object') return Object.keys(v).length;
    throw new TemplateError(`error calling len: len of type ${goType(v)}`);
  },
  index: (v, ...keys) => {
    let cur = v;
    for (const k of keys) {
      if (cur === null || cur === undefined || cur === NO_VALUE) throw new TemplateError('error calling index: index of untyped nil');
      if (Array.isArray(cur) || typeof cur === 'string') {
        const i = toInt(k, 'index');
        if (i < 0 || i >= cur.length) throw new TemplateError(`error calling index: index out of range: ${i}`);
        cur = cur[i];
      } else if (cur instanceof Map) cur = cur.has(toStr(k)) ? cur.get(toStr(k)) : NO_VALUE;
      else if (typeof cur === 'object') {
        const key = toStr(k);
        cur = key in cur ? (cur as Record<string, unknown>)[key] : NO_VALUE;
      } else throw new TemplateError(`error calling index: can't index item of type ${goType(cur)}`);
    }
    return cur;
  },
  slice: (v, ...idx) => {
    if (typeof v !== 'string' && !Array.isArray(v)) throw new TemplateError(`error calling slice: can't slice item of type ${goType(v)}`);
    const a = idx[0] === undefined ? 0 : toInt(idx[0], 'slice');
    const b = idx[1] === undefined ? v.length : toInt(idx[1], 'slice');
    return v.slice(a, b);
  },
  not: (v) => !truth(v),
  // and/or short-circuit on values; evaluated specially in #cmd
  and: (...args) => args.find((a) => !truth(a)) ?? args.at(-1),
  or: (...args) => args.find((a) => truth(a)) ?? args.at(-1),
  eq: (a, ...bs) => bs.some((b) => compare('eq', a, b) === 0),
  ne: (a, b) => compare('ne', a, b) !== 0,
  lt: (a, b) => compare('lt', a, b) < 0,
  le: (a, b) => compare('le', a, b) <= 0,
  gt: (a, b) => compare('gt', a, b) > 0,
  ge: (a, b) => compare('ge', a, b) >= 0,
  urlquery: (...args) => encodeURIComponent(args.map(toStr).join('')),
};

function goPrint(args: unknown[]): string {
  // fmt.Sprint: spaces between operands when neither side is a string
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += toStr(a);
  });
  return out;
}

// ---------------------------------------------------------------- execution

interface Scope {
  vars: Map<string, unknown>;
}

export class Template {
  readonly source: string;
  readonly #nodes: Node[];
  readonly #funcs: Record<string, TemplateFunc>;

  constructor(source: string, funcs: Record<string, TemplateFunc> = {}) {
    this.source = source;
    this.#funcs = { ...BUILTINS, ...funcs };
    this.#nodes = parseTemplate(source);
    this.#checkFuncs(this.#nodes);
  }

  #checkFuncs(nodes: Node[]): void {
    const checkPipe = (p: Pipe): void => {
      for (const cmd of p.cmds)
        for (const op of cmd) {
          if (op.t === 'ident' && !(op.name in this.#funcs)) throw new TemplateError(`template: :1: function ${JSON.stringify(op.name)} not defined`);
          if (op.t === 'sub') checkPipe(op.pipe);
        }
    };
    for (const n of nodes) {
      if (n.t === 'text') continue;
      checkPipe(n.pipe);
      if (n.t !== 'action') {
        this.#checkFuncs(n.list);
        if (n.elseList) this.#checkFuncs(n.elseList);
      }
    }
  }

  execute(data: unknown): string {
    const out: string[] = [];
    const scope: Scope = { vars: new Map([['$', data]]) };
    this.#run(this.#nodes, data, scope, out);
    return out.join('');
  }

  #run(nodes: Node[], dot: unknown, scope: Scope, out: string[]): void {
    for (const n of nodes) {
      switch (n.t) {
        case 'text':
          out.push(n.s);
          break;
        case 'action': {
          const v = this.#pipe(n.pipe, dot, scope);
          if (n.pipe.decls.length === 0) out.push(formatValue(v));
          break;
        }
        case 'if':
        case 'with': {
          const inner: Scope = { vars: new Map(scope.vars) };
          const v = this.#pipe(n.pipe, dot, inner);
          if (truth(v)) this.#run(n.list, n.t === 'with' ? v : dot, inner, out);
          else if (n.elseList) this.#run(n.elseList, dot, inner, out);
          break;
        }
        case 'range': {
          const inner: Scope = { vars: new Map(scope.vars) };
          const decls = n.pipe.decls;
          const v = this.#pipe({ ...n.pipe, decls: [] }, dot, inner);
          const items: [unknown, unknown][] = [];
          if (Array.isArray(v)) v.forEach((x, i) => items.push([i, x]));
          else if (v instanceof Map) [...v.keys()].sort().forEach((k) => items.push([k, v.get(k)]));
          else if (typeof v === 'number') for (let i = 0; i < v; i++) items.push([i, i]);
          else if (v && typeof v === 'object') Object.keys(v).sort().forEach((k) => items.push([k, (v as Record<string, unknown>)[k]]));
          else if (v !== null && v !== undefined && v !== NO_VALUE) throw new TemplateError(`range can't iterate over ${formatValue(v)}`);
          if (items.length === 0) {
            if (n.elseList) this.#run(n.elseList, dot, inner, out);
            break;
          }
          for (const [k, x] of items) {
            if (decls.length === 1) inner.vars.set(decls[0] as string, x);
            else if (decls.length >= 2) {
              inner.vars.set(decls[0] as string, k);
              inner.vars.set(decls[1] as string, x);
            }
            this.#run(n.list, x, inner, out);
          }
          break;
        }
      }
    }
  }

  #pipe(p: Pipe, dot: unknown, scope: Scope): unknown {
    let value: unknown = NO_VALUE;
    let first = true;
    for (const cmd of p.cmds) {
      value = this.#cmd(cmd, dot, scope, first ? undefined : { v: value });
      first = false;
    }
    if (p.decls.length > 0) scope.vars.set(p.decls[0] as string, value);
    return value;
  }

  #operand(op: Operand, dot: unknown, scope: Scope): unknown {
    switch (op.t) {
      case 'dot':
        return dot;
      case 'field':
        return op.chain.reduce(field, dot);
      case 'var': {
        if (!scope.vars.has(op.name)) throw new TemplateError(`undefined variable: ${op.name}`);
        return op.chain.reduce(field, scope.vars.get(op.name));
      }
      case 'lit':
        return op.value;
      case 'sub':
        return op.chain.reduce(field, this.#pipe(op.pipe, dot, scope));
      case 'ident': {
        const fn = this.#funcs[op.name];
        if (!fn) throw new TemplateError(`function ${JSON.stringify(op.name)} not defined`);
        return fn();
      }
    }
  }

  #cmd(cmd: Cmd, dot: unknown, scope: Scope, final: { v: unknown } | undefined): unknown {
    const head = cmd[0] as Operand;
    if (head.t === 'ident') {
      const fn = this.#funcs[head.name];
      if (!fn) throw new TemplateError(`function ${JSON.stringify(head.name)} not defined`);
      const args = cmd.slice(1).map((o) => this.#operand(o, dot, scope));
      if (final) args.push(final.v);
      if (head.name === 'and' || head.name === 'or') {
        for (const a of args) if (truth(a) === (head.name === 'or')) return a;
        return args.at(-1);
      }
      return fn(...args);
    }
    if ((cmd.length > 1 || final) && (head.t === 'field' || head.t === 'var' || head.t === 'dot') && head.chain.length > 0) {
      // a method call with arguments: {{.Label "com.example"}}
      const chain = head.chain;
      const base = head.t === 'var' ? scope.vars.get(head.name) : dot;
      const receiver = chain.slice(0, -1).reduce(field, base);
      const name = chain[chain.length - 1] as string;
      const method = receiver && typeof receiver === 'object' ? (receiver as Record<string, unknown>)[name] : undefined;
      if (typeof method === 'function') {
        const args = cmd.slice(1).map((o) => this.#operand(o, dot, scope));
        if (final) args.push(final.v);
        return (method as (...a: unknown[]) => unknown).apply(receiver, args);
      }
    }
    if (cmd.length > 1 || final) throw new TemplateError(`can't give argument to non-function ${describe(head)}`);
    return this.#operand(head, dot, scope);
  }
}

function describe(op: Operand): string {
  if (op.t === 'field') return `.${op.chain.join('.')}`;
  if (op.t === 'var') return op.name;
  if (op.t === 'lit') return JSON.stringify(op.value);
  return '.';
}

/** Parse and run a template once. */
export function renderTemplate(source: string, data: unknown, funcs?: Record<string, TemplateFunc>): string {
  return new Template(source, funcs).execute(data);
}
