// Running the kernel-configuration tools (ip, nft, sysctl writes) with input on stdin.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { systemError } from '../errdefs/index.js';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function exec(cmd: string, args: readonly string[], input?: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
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
