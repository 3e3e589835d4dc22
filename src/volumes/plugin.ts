// Docker's volume plugin protocol (v1 plugins): JSON over HTTP POST on a unix socket.
// /Plugin.Activate -> {"Implements": ["VolumeDriver"]}, then /VolumeDriver.Create, .Remove,
// .Mount, .Unmount, .Path, .Get, .List, .Capabilities; every response may carry {"Err": "..."}.
import { systemError, unavailable } from '../errdefs/index.js';
import type { DriverVolume, VolumeDriver, VolumeRef } from './types.js';

// node:http through process.getBuiltinModule, not an ESM import: an ESM import builds the
// module's namespace by reading every export, and node:http's lazy WebSocket/MessageEvent/
// CloseEvent getters then load node's internal undici, http2 and webstreams (about 14 MiB of
// RSS for a daemon that never uses them).
const http = process.getBuiltinModule('node:http');

const MEDIA_TYPE = 'application/vnd.docker.plugins.v1.2+json';
const TIMEOUT_MS = 30_000;

interface PluginVolume {
  Name?: string;
  Mountpoint?: string;
  CreatedAt?: string;
  Status?: Record<string, unknown>;
}

/** One request to a plugin; plain (non-Err) HTTP errors become unavailable. */
export function pluginCall<T>(socketPath: string, method: string, body: unknown, timeoutMs = TIMEOUT_MS): Promise<T> {
  const payload = Buffer.from(JSON.stringify(body ?? {}));
  return new Promise<T>((resolve, reject) => {
    const req = http.request(
      { socketPath, method: 'POST', path: `/${method}`, headers: { Accept: MEDIA_TYPE, 'Content-Type': MEDIA_TYPE, 'Content-Length': payload.length }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json: unknown;
          try {
            json = text.trim() === '' ? {} : JSON.parse(text);
          } catch {
            json = undefined;
          }
          const errText = (json as { Err?: unknown } | undefined)?.Err;
          if (typeof errText === 'string' && errText !== '') return reject(systemError(errText));
          if ((res.statusCode ?? 500) >= 400) return reject(systemError(text.trim() || `plugin returned HTTP ${res.statusCode}`));
          if (json === undefined) return reject(systemError(`plugin returned invalid JSON for ${method}`));
          resolve(json as T);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`plugin call ${method} timed out`)));
    req.on('error', (err) => reject(unavailable(`error while calling volume plugin: ${err.message}`, { cause: err })));
    req.end(payload);
  });
}

export class PluginVolumeDriver implements VolumeDriver {
  readonly name: string;
  readonly socketPath: string;
  #scope: 'local' | 'global' | undefined;

  constructor(name: string, socketPath: string) {
    this.name = name;
    this.socketPath = socketPath;
  }

  /** Handshake: the plugin must implement VolumeDriver. */
  async activate(): Promise<void> {
    const r = await pluginCall<{ Implements?: string[] }>(this.socketPath, 'Plugin.Activate', {});
    if (!(r.Implements ?? []).includes('VolumeDriver')) throw systemError(`plugin "${this.name}" does not implement VolumeDriver`);
  }

  #call<T>(method: string, body: unknown): Promise<T> {
    return pluginCall<T>(this.socketPath, `VolumeDriver.${method}`, body);
  }

  async scope(): Promise<'local' | 'global'> {
    if (this.#scope) return this.#scope;
    try {
      const r = await this.#call<{ Capabilities?: { Scope?: string } }>('Capabilities', {});
      this.#scope = r.Capabilities?.Scope === 'global' ? 'global' : 'local';
    } catch {
      this.#scope = 'local'; // old plugins have no Capabilities
    }
    return this.#scope;
  }

  async create(vol: VolumeRef): Promise<void> {
    await this.#call('Create', { Name: vol.name, Opts: vol.options });
  }

  async remove(vol: VolumeRef): Promise<void> {
    await this.#call('Remove', { Name: vol.name });
  }

  async mount(vol: VolumeRef, ref: string): Promise<string> {
    const r = await this.#call<{ Mountpoint?: string }>('Mount', { Name: vol.name, ID: ref });
    if (!r.Mountpoint) throw systemError(`volume plugin ${this.name} returned no mountpoint for ${vol.name}`);
    return r.Mountpoint;
  }

  async unmount(vol: VolumeRef, ref: string): Promise<void> {
    await this.#call('Unmount', { Name: vol.name, ID: ref });
  }

  async path(vol: VolumeRef): Promise<string> {
    try {
      return (await this.#call<{ Mountpoint?: string }>('Path', { Name: vol.name })).Mountpoint ?? '';
    } catch {
      return '';
    }
  }

  async get(name: string): Promise<DriverVolume | undefined> {
    try {
      const r = await this.#call<{ Volume?: PluginVolume }>('Get', { Name: name });
      return r.Volume ? toDriverVolume(r.Volume, name) : undefined;
    } catch {
      return undefined;
    }
  }

  async list(): Promise<DriverVolume[]> {
    const r = await this.#call<{ Volumes?: PluginVolume[] }>('List', {});
    return (r.Volumes ?? []).map((v) => toDriverVolume(v, v.Name ?? ''));
  }
}

function toDriverVolume(v: PluginVolume, name: string): DriverVolume {
  const out: DriverVolume = { name: v.Name ?? name, mountpoint: v.Mountpoint ?? '' };
  if (v.CreatedAt) out.createdAt = v.CreatedAt;
  if (v.Status && Object.keys(v.Status).length > 0) out.status = v.Status;
  return out;
}
