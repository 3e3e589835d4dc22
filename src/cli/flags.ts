// A flag parser with pflag's semantics (docker's CLI): long flags `--name=value` and
// `--name value`, combined short flags `-it`, `-p8080:80`, `-d=false`, repeatable list flags,
// `--` ends flags, and optionally flags stop at the first positional (run, exec).
import { FlagError } from './exit-codes.js';

export type FlagType = 'bool' | 'string' | 'int' | 'list' | 'duration' | 'bytes' | 'float';

export interface FlagSpec {
  name: string;
  short?: string;
  type: FlagType;
  usage: string;
  default?: string | number | boolean;
  hidden?: boolean;
  /** The value name shown in help (defaults by type: string, int, list, duration, bytes). */
  valueName?: string;
}

export function flagLabel(spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
}

const TRUE_WORDS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

export function parseBool(v: string): boolean {
  if (TRUE_WORDS.has(v)) return true;
  if (FALSE_WORDS.has(v)) return false;
  throw new Error(`strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

export function parseInt64(v: string): number {
  if (!/^[+-]?\d+$/.test(v)) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number.parseInt(v, 10);
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in milliseconds. */
export function parseGoDuration(v: string): number {
  const bad = new Error(`time: invalid duration ${JSON.stringify(v)}`);
  let s = v;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw bad;
  let total = 0;
  const re = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length > 0) {
    const m = re.exec(s);
    if (!m) {
      if (/^(\d+(?:\.\d*)?|\.\d+)$/.test(s)) throw new Error(`time: missing unit in duration ${JSON.stringify(v)}`);
      throw bad;
    }
    total += Number(m[1]) * (DURATION_UNITS[m[2] ?? ''] ?? 0);
    s = s.slice(m[0].length);
  }
  return sign * total;
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units RAMInBytes: "512m", "1g", "1024", "1.5GB" (binary multiples). */
export function parseRamBytes(v: string): number {
  const m = /^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(v);
  if (!m) throw new Error(`invalid size: '${v}'`);
  return Math.floor(Number(m[1]) * (SIZE_UNITS[(m[2] ?? '').toLowerCase()] ?? 1));
}

export type FlagValue = boolean | string | number | string[];

export interface ParsedFlags {
  /** Positional arguments. */
  args: string[];
  /** Names (long) of flags given on the command line. */
  changed: Set<string>;
  help: boolean;
  values: Map<string, FlagValue>;
}

export class Flags {
  readonly specs: readonly FlagSpec[];
  readonly #long = new Map<string, FlagSpec>();
  readonly #short = new Map<string, FlagSpec>();

  constructor(specs: readonly FlagSpec[]) {
    this.specs = specs;
    for (const s of specs) {
      this.#long.set(s.name, s);
      if (s.short) this.#short.set(s.short, s);
    }
  }

  lookup(name: string): FlagSpec | undefined {
    return this.#long.get(name);
  }

  #set(out: ParsedFlags, spec: FlagSpec, raw: string): void {
    let value: FlagValue;
    try {
      switch (spec.type) {
        case 'bool':
          value = parseBool(raw);
          break;
        case 'int':
          value = parseInt64(raw);
          break;
        case 'float':
          if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(raw)}: invalid syntax`);
          value = Number(raw);
          break;
        case 'duration':
          parseGoDuration(raw);
          value = raw;
          break;
        case 'bytes':
          if (raw !== '-1') parseRamBytes(raw);
          value = raw;
          break;
        case 'list': {
          const prev = out.values.get(spec.name);
          value = [...(Array.isArray(prev) ? prev : []), raw];
          break;
        }
        default:
          value = raw;
      }
    } catch (e) {
      throw new FlagError(`invalid argument ${JSON.stringify(raw)} for ${JSON.stringify(flagLabel(spec))} flag: ${(e as Error).message}`);
    }
    out.values.set(spec.name, value);
    out.changed.add(spec.name);
  }

  /**
   * Parse argv. With `interspersed: false`, the first positional and everything after it are
   * arguments (docker run IMAGE CMD --flags-for-the-container).
   */
  parse(argv: readonly string[], opts: { interspersed?: boolean } = {}): ParsedFlags {
    const interspersed = opts.interspersed ?? true;
    const out: ParsedFlags = { args: [], changed: new Set(), help: false, values: new Map() };
    const rest = [...argv];
    while (rest.length > 0) {
      const s = rest.shift() as string;
      if (s === '--') {
        out.args.push(...rest);
        break;
      }
      if (s.startsWith('--') && s.length > 2) {
        const eq = s.indexOf('=');
        const name = eq >= 0 ? s.slice(2, eq) : s.slice(2);
        const spec = this.#long.get(name);
        if (!spec) {
          if (name === 'help') {
            out.help = true;
            continue;
          }
          throw new FlagError(`unknown flag: --${name}`);
        }
        if (eq >= 0) this.#set(out, spec, s.slice(eq + 1));
        else if (spec.type === 'bool') this.#set(out, spec, 'true');
        else if (rest.length > 0) this.#set(out, spec, rest.shift() as string);
        else throw new FlagError(`flag needs an argument: --${name}`);
        continue;
      }
      if (s.startsWith('-') && s.length > 1 && !s.startsWith('--')) {
        let shorts = s.slice(1);
        while (shorts.length > 0) {
          const c = shorts[0] as string;
          const spec = this.#short.get(c);
          if (!spec) {
            if (c === 'h') {
              out.help = true;
              shorts = shorts.slice(1);
              continue;
            }
            throw new FlagError(`unknown shorthand flag: '${c}' in -${shorts}`);
          }
          if (shorts.length > 2 && shorts[1] === '=') {
            this.#set(out, spec, shorts.slice(2));
            shorts = '';
          } else if (spec.type === 'bool') {
            this.#set(out, spec, 'true');
            shorts = shorts.slice(1);
          } else if (shorts.length > 1) {
            this.#set(out, spec, shorts.slice(1));
            shorts = '';
          } else if (rest.length > 0) {
            this.#set(out, spec, rest.shift() as string);
            shorts = '';
          } else {
            throw new FlagError(`flag needs an argument: '${c}' in -${shorts}`);
          }
        }
        continue;
      }
      out.args.push(s);
      if (!interspersed) {
        out.args.push(...rest);
        break;
      }
    }
    return out;
  }
}

/** Typed access to parsed flags with their defaults. */
export class FlagValues {
  readonly parsed: ParsedFlags;
  readonly #flags: Flags;
  constructor(flags: Flags, parsed: ParsedFlags) {
    this.#flags = flags;
    this.parsed = parsed;
  }
  get args(): string[] {
    return this.parsed.args;
  }
  changed(name: string): boolean {
    return this.parsed.changed.has(name);
  }
  #get(name: string): FlagValue | undefined {
    const v = this.parsed.values.get(name);
    if (v !== undefined) return v;
    const spec = this.#flags.lookup(name);
    if (!spec) throw new Error(`no such flag defined: ${name}`);
    return spec.default;
  }
  bool(name: string): boolean {
    return this.#get(name) === true;
  }
  string(name: string): string {
    const v = this.#get(name);
    return v === undefined ? '' : String(v);
  }
  /** The string value only when the flag was given or has a non-empty default. */
  optString(name: string): string | undefined {
    const v = this.#get(name);
    return v === undefined || v === '' ? undefined : String(v);
  }
  int(name: string): number {
    const v = this.#get(name);
    return typeof v === 'number' ? v : Number(v ?? 0);
  }
  list(name: string): string[] {
    const v = this.#get(name);
    return Array.isArray(v) ? v : [];
  }
}
