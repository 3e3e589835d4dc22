// A CNI runtime (what libcni does): run a conflist's plugins in order for ADD and CHECK, in
// reverse for DEL, with prevResult chaining, runtimeConfig for declared capabilities, and the
// final ADD result kept by the caller (in the metadata database) for CHECK and DEL.
import fs from 'node:fs';
import path from 'node:path';
import { invalidArgument, systemError } from '../errdefs/index.js';
import { spawner } from './spawner.js';

export interface CniPlugin {
  type: string;
  capabilities?: Record<string, boolean>;
  [k: string]: unknown;
}

export interface CniConflist {
  cniVersion: string;
  name: string;
  plugins: CniPlugin[];
  disableCheck?: boolean;
}

export interface CniRuntime {
  containerId: string;
  netns: string;
  ifname: string;
  /** capability args, e.g. portMappings */
  runtimeConfig?: Record<string, unknown>;
  pluginDirs: string[];
}

export type CniResult = Record<string, unknown> & {
  ips?: { address: string; gateway?: string; interface?: number }[];
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
};

/** Parse a .conflist (or a single-plugin .conf) from text. */
export function parseConflist(text: string, source: string): CniConflist {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw invalidArgument(`invalid CNI config ${source}: ${(err as Error).message}`);
  }
  if (typeof obj['name'] !== 'string' || obj['name'] === '') throw invalidArgument(`invalid CNI config ${source}: no "name"`);
  const cniVersion = typeof obj['cniVersion'] === 'string' ? obj['cniVersion'] : '1.0.0';
  if (Array.isArray(obj['plugins'])) {
    const plugins = obj['plugins'] as CniPlugin[];
    if (plugins.length === 0 || plugins.some((p) => typeof p?.type !== 'string')) throw invalidArgument(`invalid CNI config ${source}: every plugin needs a "type"`);
    return { cniVersion, name: obj['name'], plugins, ...(obj['disableCheck'] === true ? { disableCheck: true } : {}) };
  }
  if (typeof obj['type'] !== 'string') throw invalidArgument(`invalid CNI config ${source}: no "plugins" and no "type"`);
  const { name, cniVersion: _v, ...plugin } = obj;
  void _v;
  return { cniVersion, name: name as string, plugins: [plugin as CniPlugin] };
}

/** Every conflist in a directory (files ending .conflist, .conf or .json), sorted by file name. */
export function loadConfigDir(dir: string): { file: string; conf: CniConflist }[] {
  let files: string[];
  try {
    files = fs.readdirSync(dir).filter((f) => /\.(conflist|conf|json)$/.test(f)).sort();
  } catch {
    return [];
  }
  const out: { file: string; conf: CniConflist }[] = [];
  for (const f of files) {
    const p = path.join(dir, f);
    try {
      out.push({ file: p, conf: parseConflist(fs.readFileSync(p, 'utf8'), p) });
    } catch {
      /* skipped: a broken file is not a network */
    }
  }
  return out;
}

function findPlugin(type: string, dirs: readonly string[]): string {
  for (const d of dirs) {
    const p = path.join(d, type);
    if (fs.existsSync(p)) return p;
  }
  throw systemError(`failed to find plugin "${type}" in path [${dirs.join(' ')}]`);
}

async function execPlugin(bin: string, env: NodeJS.ProcessEnv, stdin: string): Promise<string> {
  // from the spawner's worker thread: a plugin start does not block the daemon's thread
  const r = await spawner.run(bin, [], { env, input: stdin, timeoutMs: 120_000 });
  const text = r.stdout;
  if (r.code === 0) return text;
  let msg = r.stderr.trim();
  try {
    const e = JSON.parse(text) as { msg?: string; details?: string };
    msg = [e.msg, e.details].filter(Boolean).join('; ') || msg;
  } catch {
    /* not JSON */
  }
  throw systemError(`plugin type="${path.basename(bin)}" failed (${env['CNI_COMMAND']}): ${msg || `exit ${r.code}`}`);
}

function pluginInput(conf: CniConflist, p: CniPlugin, rt: CniRuntime, prev: unknown): string {
  const input: Record<string, unknown> = { ...p, cniVersion: conf.cniVersion, name: conf.name };
  if (prev !== undefined) input['prevResult'] = prev;
  const caps = Object.entries(p.capabilities ?? {}).filter(([, on]) => on).map(([k]) => k);
  const rc: Record<string, unknown> = {};
  for (const c of caps) if (rt.runtimeConfig?.[c] !== undefined) rc[c] = rt.runtimeConfig[c];
  if (Object.keys(rc).length > 0) input['runtimeConfig'] = rc;
  return JSON.stringify(input);
}

function envFor(cmd: 'ADD' | 'DEL' | 'CHECK', rt: CniRuntime): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: cmd,
    CNI_CONTAINERID: rt.containerId,
    CNI_NETNS: rt.netns,
    CNI_IFNAME: rt.ifname,
    CNI_PATH: rt.pluginDirs.join(':'),
  };
}

export async function cniAdd(conf: CniConflist, rt: CniRuntime): Promise<CniResult> {
  let prev: unknown;
  for (const p of conf.plugins) {
    const out = await execPlugin(findPlugin(p.type, rt.pluginDirs), envFor('ADD', rt), pluginInput(conf, p, rt, prev));
    if (out.trim() !== '') prev = JSON.parse(out);
  }
  return (prev ?? {}) as CniResult;
}

/** CHECK exists from CNI 0.4.0 on (libcni refuses it for older conflists), and a conflist may turn it off. */
export function supportsCheck(conf: CniConflist): boolean {
  if (conf.disableCheck) return false;
  const [maj = 0, min = 0] = conf.cniVersion.split('.').map((x) => Number.parseInt(x, 10) || 0);
  return maj > 0 || min >= 4;
}

export async function cniCheck(conf: CniConflist, rt: CniRuntime, cached: CniResult): Promise<void> {
  if (!supportsCheck(conf)) return;
  for (const p of conf.plugins) await execPlugin(findPlugin(p.type, rt.pluginDirs), envFor('CHECK', rt), pluginInput(conf, p, rt, cached));
}

/** DEL in reverse order; every plugin runs even when one fails (the first error is thrown). */
export async function cniDel(conf: CniConflist, rt: CniRuntime, cached: CniResult | undefined): Promise<void> {
  let first: unknown;
  for (const p of [...conf.plugins].reverse()) {
    try {
      await execPlugin(findPlugin(p.type, rt.pluginDirs), envFor('DEL', rt), pluginInput(conf, p, rt, cached));
    } catch (err) {
      first ??= err;
    }
  }
  if (first) throw first;
}
