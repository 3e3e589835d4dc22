// `docker top`: run `ps` on the host and keep the processes of the container (those in its
// pid namespace), in Docker's {Titles, Processes} shape (moby daemon/top_unix.go).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { conflict, invalidArgument, systemError } from '../../errdefs/index.js';
import type { ContainerBackend } from '../containers/index.js';

export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

/** Docker refuses ps_args that pick other fields named like PID ("-o user=PID"). */
export function validatePsArgs(psArgs: string): void {
  const re = /\s+(\S*)=\s*(PID\S*)/g;
  for (const m of psArgs.matchAll(re)) {
    if (m[1] !== 'pid') throw invalidArgument(`specifying "${m[1]}=${m[2]}" is not allowed`);
  }
}

/** Keep the lines whose PID column is one of `pids` (and thread lines "-" that follow them). */
export function parsePsOutput(output: string, pids: ReadonlySet<number>): TopResult {
  const lines = output.split('\n');
  const titles = (lines[0] ?? '').trim().split(/\s+/).filter(Boolean);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw systemError("Couldn't find PID field in ps output");
  const result: TopResult = { Titles: titles, Processes: [] };
  const add = (fields: string[]): void => {
    const n = titles.length - 1;
    result.Processes.push([...fields.slice(0, n), fields.slice(n).join(' ')]);
  };
  let lastKept = false;
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const fields = line.trim().split(/\s+/);
    const field = fields[pidIndex] ?? '';
    if (field === '-') {
      if (lastKept) add(fields);
      continue;
    }
    const pid = Number.parseInt(field, 10);
    if (Number.isNaN(pid)) throw systemError(`Unexpected pid '${field}': invalid syntax`);
    lastKept = pids.has(pid);
    if (lastKept) add(fields);
  }
  return result;
}

/** Host pids in the same pid namespace as `pid` (the container's init). */
export function pidsInNamespaceOf(pid: number): Set<number> {
  const out = new Set<number>();
  let ns: string;
  try {
    ns = fs.readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return out;
  }
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readlinkSync(`/proc/${entry}/ns/pid`) === ns) out.add(Number(entry));
    } catch {
      /* gone */
    }
  }
  return out;
}

export class ContainerTop {
  readonly #containers: ContainerBackend;

  constructor(containers: ContainerBackend) {
    this.#containers = containers;
  }

  async top(idOrName: string, psArgs = ''): Promise<TopResult> {
    const c = this.#containers.get(idOrName);
    if (c.state.status === 'restarting') throw conflict(`Container ${c.id} is restarting, wait until the container is running`);
    if (!(c.state.status === 'running' || c.state.status === 'paused') || c.state.pid <= 0) throw conflict(`container ${c.id} is not running`);
    const args = psArgs === '' ? '-ef' : psArgs;
    validatePsArgs(args);
    const pids = pidsInNamespaceOf(c.state.pid);
    const output = await new Promise<string>((resolve, reject) => {
      execFile('ps', args.split(' ').filter((a) => a !== ''), { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
        if (err) reject(systemError(`ps: ${stderr.trim() || err.message}`, { cause: err }));
        else resolve(stdout);
      });
    });
    return parsePsOutput(output, pids);
  }
}
