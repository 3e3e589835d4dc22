// The berth CLI: global flags, command dispatch, error printing and exit codes.
import { EngineClient } from '../client/client.js';
import { DEFAULT_HOST } from '../client/host.js';
import { isDaemonError } from '../client/errors.js';
import { argsHelpVerb, checkArgs, commandHelp, flagUsages, type Command, type CommandContext, type GlobalOptions } from './command.js';
import { ArgsError, FlagError, StatusError, exitCodeFor } from './exit-codes.js';
import { Flags, FlagValues, type FlagSpec } from './flags.js';
import { ROOT, aliasesOf, findEntry, type Entry } from './registry.js';

import { CLIENT_COMMIT, CLIENT_VERSION } from './build-info.js';

const ROOT_FLAGS: FlagSpec[] = [
  { name: 'config', type: 'string', usage: 'Location of client config files', default: '~/.berth' },
  { name: 'context', short: 'c', type: 'string', usage: 'Name of the context to use to connect to the daemon (accepted for compatibility; ignored)' },
  { name: 'debug', short: 'D', type: 'bool', usage: 'Enable debug mode' },
  { name: 'host', short: 'H', type: 'list', usage: 'Daemon socket to connect to' },
  { name: 'log-level', short: 'l', type: 'string', usage: 'Set the logging level ("debug", "info", "warn", "error", "fatal")', default: 'info' },
  { name: 'tls', type: 'bool', usage: 'Use TLS; implied by --tlsverify', hidden: true },
  { name: 'tlsverify', type: 'bool', usage: 'Use TLS and verify the remote', hidden: true },
  { name: 'version', short: 'v', type: 'bool', usage: 'Print version information and quit' },
];

const LOG_LEVELS = new Set(['debug', 'info', 'warn', 'error', 'fatal', 'panic', 'trace']);

function rootHelp(): string {
  const line = (e: Entry): string => `  ${e.name.padEnd(11)} ${e.short}`;
  const groups = ROOT.filter((e) => e.sub);
  // docker's "Common Commands" (without build and bake), then the rest
  const firstGroup = ROOT.findIndex((e) => e.sub);
  const common = ROOT.slice(0, firstGroup).filter((e) => !e.sub);
  const rest = ROOT.slice(firstGroup).filter((e) => !e.sub);
  return (
    `Usage:  berth [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n\nCommon Commands:\n${common.map(line).join('\n')}\n\n` +
    `Management Commands:\n${groups.map(line).join('\n')}\n\nCommands:\n${rest.map(line).join('\n')}\n\n` +
    `Global Options:\n${flagUsages(ROOT_FLAGS)}\n\nRun 'berth COMMAND --help' for more information on a command.\n`
  );
}

function groupHelp(pathName: string, entry: Entry): string {
  const subs = entry.sub ?? [];
  return `Usage:  ${pathName} COMMAND\n\n${entry.short}\n\nCommands:\n${subs.map((e) => `  ${e.name.padEnd(11)} ${e.short}`).join('\n')}\n\nRun '${pathName} COMMAND --help' for more information on a command.\n`;
}

function expandHome(p: string): string {
  const home = process.env['HOME'] ?? '/root';
  return p === '~' ? home : p.startsWith('~/') ? `${home}${p.slice(1)}` : p;
}

/** Resolve the daemon address: -H, then BERTH_HOST, then DOCKER_HOST, then the default. */
export function resolveHost(flagHosts: string[], env: NodeJS.ProcessEnv): string {
  if (flagHosts.length > 1) throw new StatusError(1, 'Specify only one -H');
  return flagHosts[0] ?? (env['BERTH_HOST'] || env['DOCKER_HOST'] || DEFAULT_HOST);
}

function makeContext(pathName: string, globals: GlobalOptions): CommandContext & { dispose(): void } {
  let client: EngineClient | undefined;
  return {
    path: pathName,
    globals,
    // process.stdin is created on first use (a tty or pipe stream: a few ms at start-up)
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    stderr: process.stderr,
    client() {
      client ??= new EngineClient({ host: globals.host, ...(process.env['BERTH_API_VERSION'] ? { apiVersion: process.env['BERTH_API_VERSION'] } : {}) });
      return client;
    },
    out(text: string) {
      process.stdout.write(text);
    },
    err(text: string) {
      process.stderr.write(text);
    },
    dispose() {
      client?.close();
    },
  };
}

function printError(err: unknown, pathName: string, cmd: Command | undefined): void {
  if (err instanceof FlagError) {
    const usage = cmd ? `\n\nUsage:  ${pathName} ${cmd.use}` : `\n\nUsage:  berth [OPTIONS] COMMAND [ARG...]`;
    process.stderr.write(`${err.message}${usage}\n\nRun '${pathName} --help' for more information\n`);
    return;
  }
  if (err instanceof ArgsError) {
    process.stderr.write(`berth: ${err.message}\n\nUsage:  ${pathName} ${cmd?.use ?? ''}\n\n${argsHelpVerb(err.message)} '${pathName} --help' for more information\n`);
    return;
  }
  const msg = err instanceof Error ? err.message : String(err);
  if (msg === '') return;
  if (isDaemonError(err)) process.stderr.write(`Error response from daemon: ${msg}\n`);
  else process.stderr.write(`${msg}\n`);
  if (process.env['BERTH_DEBUG_STACK'] && err instanceof Error) process.stderr.write(`${err.stack ?? ''}\n`);
}

export async function main(argv: string[]): Promise<number> {
  const rootFlags = new Flags(ROOT_FLAGS);
  let pathName = 'berth';
  let cmd: Command | undefined;
  let ctx: (CommandContext & { dispose(): void }) | undefined;
  try {
    const root = new FlagValues(rootFlags, rootFlags.parse(argv, { interspersed: false }));
    if (root.bool('version')) {
      process.stdout.write(`berth version ${CLIENT_VERSION}, build ${CLIENT_COMMIT}\n`);
      return 0;
    }
    const logLevel = root.string('log-level');
    if (!LOG_LEVELS.has(logLevel)) throw new StatusError(1, `Unable to parse logging level: ${logLevel}`);
    const globals: GlobalOptions = {
      host: resolveHost(root.list('host'), process.env),
      debug: root.bool('debug') || process.env['DEBUG'] === '1',
      logLevel,
      configDir: expandHome(root.changed('config') ? root.string('config') : process.env['BERTH_CONFIG'] || root.string('config')),
    };
    let rest = root.args;
    if (rest.length === 0 || root.parsed.help) {
      process.stdout.write(rootHelp());
      return 0;
    }
    let list = ROOT;
    let entry: Entry | undefined;
    while (rest.length > 0) {
      const name = rest[0] as string;
      const found = findEntry(list, name);
      if (!found) {
        if (entry?.sub) {
          process.stderr.write(`berth: unknown command: ${pathName} ${name}\n\nUsage:  ${pathName}\n\nRun '${pathName} --help' for more information\n`);
        } else process.stderr.write(`berth: unknown command: ${pathName} ${name}\n\nRun '${pathName} --help' for more information\n`);
        return 1;
      }
      entry = found;
      pathName = `${pathName} ${name}`;
      rest = rest.slice(1);
      if (!found.sub) break;
      list = found.sub;
      if (rest.length === 0 || rest[0] === '--help' || rest[0] === '-h') {
        process.stdout.write(groupHelp(pathName, found));
        return 0;
      }
      if ((rest[0] ?? '').startsWith('-')) {
        throw new FlagError(`unknown flag: ${rest[0]}`);
      }
    }
    if (!entry?.load) throw new StatusError(1, `berth: unknown command: ${pathName}`);
    cmd = (await entry.load()).command;
    const flags = new Flags(cmd.flags);
    const parsed = flags.parse(rest, { interspersed: cmd.interspersed ?? true });
    if (parsed.help) {
      process.stdout.write(commandHelp(pathName, cmd, aliasesOf(entry)));
      return 0;
    }
    checkArgs(pathName, cmd.args, parsed.args.length);
    ctx = makeContext(pathName, globals);
    const code = await cmd.run(ctx, new FlagValues(flags, parsed));
    return code ?? 0;
  } catch (err) {
    printError(err, pathName, cmd);
    return exitCodeFor(err);
  } finally {
    ctx?.dispose();
  }
}
