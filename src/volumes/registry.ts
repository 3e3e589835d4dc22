// Driver lookup: "local" is built in; any other name is a plugin found in the plugin
// directories as Docker finds v1 plugins: <dir>/<name>.sock, <dir>/<name>/<name>.sock, or a
// <name>.spec / <name>.json file naming a unix:// address.
import fs from 'node:fs';
import path from 'node:path';
import { notFound } from '../errdefs/index.js';
import { LocalDriver } from './local.js';
import { PluginVolumeDriver } from './plugin.js';
import type { DriverRegistry, VolumeDriver } from './types.js';

export class VolumeDrivers implements DriverRegistry {
  readonly local: LocalDriver;
  readonly dirs: readonly string[];
  readonly #plugins = new Map<string, PluginVolumeDriver>();

  constructor(o: { local: LocalDriver; pluginDirs: readonly string[] }) {
    this.local = o.local;
    this.dirs = o.pluginDirs;
  }

  /** The plugin's socket, or undefined when no directory has it. */
  findSocket(name: string): string | undefined {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) return undefined;
    for (const dir of this.dirs) {
      for (const p of [path.join(dir, `${name}.sock`), path.join(dir, name, `${name}.sock`)]) {
        try {
          if (fs.statSync(p).isSocket()) return p;
        } catch {
          /* next */
        }
      }
      for (const ext of ['spec', 'json']) {
        let text: string;
        try {
          text = fs.readFileSync(path.join(dir, `${name}.${ext}`), 'utf8');
        } catch {
          continue;
        }
        const addr = ext === 'json' ? String((JSON.parse(text) as { Addr?: string }).Addr ?? '') : text.trim();
        if (addr.startsWith('unix://')) return addr.slice('unix://'.length);
      }
    }
    return undefined;
  }

  async driver(name: string): Promise<VolumeDriver> {
    if (name === '' || name === 'local') return this.local;
    const sock = this.findSocket(name);
    const cached = this.#plugins.get(name);
    if (cached && cached.socketPath === sock) return cached;
    if (!sock) throw notFound(`error looking up volume plugin ${name}: plugin ${JSON.stringify(name)} not found`);
    const d = new PluginVolumeDriver(name, sock);
    try {
      await d.activate();
    } catch (err) {
      throw notFound(`error looking up volume plugin ${name}: ${(err as Error).message}`, { cause: err });
    }
    this.#plugins.set(name, d);
    return d;
  }

  names(): string[] {
    const out = new Set<string>(['local']);
    for (const dir of this.dirs) {
      let entries: string[] = [];
      try {
        entries = fs.readdirSync(dir);
      } catch {
        continue;
      }
      for (const e of entries) {
        const m = /^(.+)\.(sock|spec|json)$/.exec(e);
        if (m?.[1]) out.add(m[1]);
      }
    }
    return [...out].sort();
  }
}
