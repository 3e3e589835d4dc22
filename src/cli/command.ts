// What a command is (flags, argument rule, run) and what it gets to run with.
import type { EngineClient } from '../client/client.js';
import { ArgsError } from './exit-codes.js';
import { flagLabel, type FlagSpec, type FlagValues } from './flags.js';

export interface GlobalOptions {
  host: string;
  debug: boolean;
  logLevel: string;
  configDir: string;
}

export interface CommandContext {
  /** "berth image ls" */
  readonly path: string;
  readonly globals: GlobalOptions;
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  /** The Engine API client (created on first use). */
  client(): EngineClient;
  out(text: string): void;
  err(text: string): void;
}

export interface ArgsRule {
  min?: number;
  max?: number;
}

export interface Command {
  /** The usage after the command path: "[OPTIONS] IMAGE [IMAGE...]". */
  use: string;
  short: string;
  flags: FlagSpec[];
  args?: ArgsRule;
  /** false: flags end at the first positional (run, exec, create). */
  interspersed?: boolean;
  /** Returns the exit code (default 0). */
  run(ctx: CommandContext, flags: FlagValues): Promise<number | void>;
}

/** Check positional arguments the way docker 28's cobra.Args helpers word it. */
export function checkArgs(path: string, rule: ArgsRule | undefined, n: number): void {
  if (!rule) return;
  const { min, max } = rule;
  const plural = (k: number): string => `${k} argument${k === 1 ? '' : 's'}`;
  if (min !== undefined && max !== undefined && min === max && n !== min) {
    throw new ArgsError(min === 0 ? `'${path}' accepts no arguments` : `'${path}' requires ${plural(min)}`);
  }
  if (min !== undefined && max !== undefined && min !== max && (n < min || n > max)) {
    throw new ArgsError(`'${path}' requires at least ${min} and at most ${plural(max)}`);
  }
  if (min !== undefined && max === undefined && n < min) throw new ArgsError(`'${path}' requires at least ${plural(min)}`);
  if (max !== undefined && min === undefined && n > max) throw new ArgsError(`'${path}' requires at most ${plural(max)}`);
}

/** docker says "See" for "requires at least" errors and "Run" for the others. */
export function argsHelpVerb(message: string): string {
  return / requires at least \d+ argument/.test(message) && !/at most/.test(message) ? 'See' : 'Run';
}

const TYPE_NAMES: Record<string, string> = { string: 'string', int: 'int', list: 'list', duration: 'duration', bytes: 'bytes', float: 'decimal' };

/** Options section of --help, formatted like cobra's FlagUsages. */
export function flagUsages(specs: readonly FlagSpec[]): string {
  const rows = specs
    .filter((s) => !s.hidden)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((s) => {
      const type = s.type === 'bool' ? '' : ` ${s.valueName ?? TYPE_NAMES[s.type] ?? s.type}`;
      const left = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${type}`;
      let usage = s.usage;
      if (s.default !== undefined && s.default !== '' && s.default !== false && s.default !== 0) usage += ` (default ${typeof s.default === 'string' ? JSON.stringify(s.default) : String(s.default)})`;
      return { left, usage };
    });
  const w = Math.max(0, ...rows.map((r) => r.left.length));
  return rows.map((r) => `  ${r.left.padEnd(w)}   ${r.usage}`.trimEnd()).join('\n');
}

export function commandHelp(path: string, cmd: Command, aliases: string[]): string {
  let s = `Usage:  ${path} ${cmd.use}\n\n${cmd.short}\n`;
  if (aliases.length > 1) s += `\nAliases:\n  ${aliases.join(', ')}\n`;
  if (cmd.flags.some((f) => !f.hidden)) s += `\nOptions:\n${flagUsages(cmd.flags)}\n`;
  return s;
}

export { flagLabel };
