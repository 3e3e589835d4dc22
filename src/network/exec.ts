// Running the kernel-configuration tools (ip, nft) with input on stdin, from the spawner's
// worker thread; sysctls and sysfs are written directly (no process).
import fs from 'node:fs';
import { systemError } from '../errdefs/index.js';
import { spawner } from './spawner.js';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function exec(cmd: string, args: readonly string[], input?: string): Promise<ExecResult> {
  return spawner.run(cmd, args, { input: input ?? '', timeoutMs: 60_000 });
}

/** Run and throw a system error with the tool's stderr on failure. */
export async function mustExec(cmd: string, args: readonly string[], input?: string): Promise<string> {
  const r = await exec(cmd, args, input);
  if (r.code !== 0) throw systemError(`${cmd} ${args.join(' ')} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
  return r.stdout;
}

/** `ip -batch -` (optionally inside a named netns): one exec for many netlink changes. */
export function ipBatch(lines: readonly string[], opts: { netns?: string; force?: boolean } = {}): Promise<string> {
  const args = [...(opts.netns ? ['-n', opts.netns] : []), ...(opts.force ? ['-force'] : []), '-batch', '-'];
  return mustExec('ip', args, `${lines.join('\n')}\n`);
}

/** Write a sysctl given in path form ("net/ipv4/ip_forward"); false when it cannot be set. */
export function writeSysctl(key: string, value: string): boolean {
  try {
    const p = `/proc/sys/${key}`;
    if (fs.readFileSync(p, 'utf8').trim() === value) return true;
    fs.writeFileSync(p, value);
    return true;
  } catch {
    return false;
  }
}

/** Write a sysfs attribute (e.g. a bridge port's hairpin_mode); false when it cannot be set. */
export function writeSysfs(file: string, value: string): boolean {
  try {
    fs.writeFileSync(file, value);
    return true;
  } catch {
    return false;
  }
}

export function linkExists(name: string): boolean {
  return fs.existsSync(`/sys/class/net/${name}`);
}

/** Interfaces enslaved to a bridge (from sysfs). */
export function bridgePorts(bridge: string): string[] {
  try {
    return fs.readdirSync(`/sys/class/net/${bridge}/brif`);
  } catch {
    return [];
  }
}
