// The built-in "local" driver: a directory <data-root>/volumes/<name>/_data, or, with
// `--opt type=... --opt device=... --opt o=...`, whatever mount(8) makes of those (tmpfs, nfs,
// a bind with type=none,o=bind), mounted at _data while at least one container uses it.
import fs from 'node:fs';
import path from 'node:path';
import { invalidArgument, systemError } from '../errdefs/index.js';
import { validateVolumeName } from './names.js';
import { execTool, isMountPoint } from './mountinfo.js';
import type { DriverVolume, VolumeDriver, VolumeRef } from './types.js';

const VALID_OPTS = new Set(['type', 'o', 'device', 'size']);
const MANDATORY: Record<string, string[]> = { device: ['type'], type: ['device'], o: ['device', 'type'] };
export const DATA_DIR = '_data';

/** moby volume/local validateOpts, same messages. */
export function validateLocalOptions(opts: Record<string, string>): void {
  for (const k of Object.keys(opts)) if (!VALID_OPTS.has(k)) throw invalidArgument(`invalid option: ${JSON.stringify(k)}`);
  if (opts['type'] === 'cifs' && opts['device'] && /^[a-z]+:\/\/[^/]*:\d+/i.test(opts['device'])) {
    throw invalidArgument("port not allowed in CIFS device URL, include 'port' in 'o='");
  }
  const size = opts['size'];
  if (size !== undefined) {
    if (!/^\d+(\.\d+)?\s*([kmgtp]i?b?)?$/i.test(size.trim())) throw invalidArgument(`invalid size: '${size}'`);
    if (Number.parseFloat(size) > 0) throw invalidArgument('quota size requested but no quota support');
  }
  for (const [opt, req] of Object.entries(MANDATORY)) {
    if (opts[opt] === undefined) continue;
    for (const r of req) if (opts[r] === undefined) throw invalidArgument(`missing required option: ${JSON.stringify(r)}`);
  }
}

export function needsMount(opts: Record<string, string>): boolean {
  return Boolean(opts['device'] || opts['type']);
}

function hidePassword(s: string, opts: string): string {
  const pw = /(?:^|,)password=([^,]*)/.exec(opts)?.[1];
  return pw ? s.split(`password=${pw}`).join('password=********') : s;
}

export class LocalDriver implements VolumeDriver {
  readonly name = 'local';
  readonly root: string;

  /** Owner of new volumes' _data: the remapped root under userns-remap (Docker's root IDs). */
  readonly #owner: { uid: number; gid: number } | undefined;

  /** root: <data-root>/volumes */
  constructor(root: string, opts: { rootOwner?: { uid: number; gid: number } | undefined } = {}) {
    this.root = root;
    this.#owner = opts.rootOwner;
    fs.mkdirSync(root, { recursive: true, mode: 0o701 });
  }

  #mkdata(p: string): void {
    fs.mkdirSync(p, { mode: 0o755 });
    if (this.#owner) fs.chownSync(p, this.#owner.uid, this.#owner.gid);
  }

  dir(name: string): string {
    return path.join(this.root, name);
  }

  dataPath(name: string): string {
    return path.join(this.root, name, DATA_DIR);
  }

  async scope(): Promise<'local'> {
    return 'local';
  }

  /** Validate only (no side effects): the service calls this before it records anything. */
  validate(vol: VolumeRef): void {
    validateVolumeName(vol.name);
    validateLocalOptions(vol.options);
  }

  async create(vol: VolumeRef): Promise<void> {
    this.validate(vol);
    const dir = this.dir(vol.name);
    try {
      fs.mkdirSync(dir, { mode: 0o701 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw systemError(`error while creating volume root path '${dir}': ${(err as Error).message}`, { cause: err });
    }
    try {
      this.#mkdata(this.dataPath(vol.name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        fs.rmSync(dir, { recursive: true, force: true });
        throw systemError(`error while creating volume data path '${this.dataPath(vol.name)}': ${(err as Error).message}`, { cause: err });
      }
    }
  }

  async remove(vol: VolumeRef): Promise<void> {
    const data = this.dataPath(vol.name);
    if (isMountPoint(data)) await this.#umount(data);
    const dir = this.dir(vol.name);
    const real = fs.existsSync(dir) ? fs.realpathSync(dir) : dir;
    if (real === this.root || !real.startsWith(`${this.root}/`)) throw systemError(`unable to remove a directory outside of the local volume root ${this.root}: ${real}`);
    // Rename first: a crash mid-removal leaves a trash dir (cleaned at start-up), never half a volume.
    const trash = path.join(this.root, `.trash-${vol.name}-${process.hrtime.bigint()}`);
    try {
      fs.renameSync(dir, trash);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw systemError(`error removing volume path '${dir}': ${(err as Error).message}`, { cause: err });
    }
    fs.rmSync(trash, { recursive: true, force: true });
  }

  async mount(vol: VolumeRef, _ref: string): Promise<string> {
    const data = this.dataPath(vol.name);
    if (!fs.existsSync(data)) {
      fs.mkdirSync(path.dirname(data), { recursive: true, mode: 0o701 });
      this.#mkdata(data);
    }
    if (!needsMount(vol.options) || isMountPoint(data)) return data;
    const type = vol.options['type'] ?? '';
    const device = vol.options['device'] ?? '';
    const o = vol.options['o'] ?? '';
    if (!device) throw systemError('missing device in volume options');
    const args = ['-t', type, ...(o ? ['-o', o] : []), device, data];
    const r = await execTool('mount', args);
    if (r.code !== 0) {
      const msg = r.stderr.trim().replace(/^mount: /, '');
      throw systemError(hidePassword(`failed to mount local volume: mount ${device}:${data}, data: ${o}: ${msg}`, o));
    }
    return data;
  }

  async unmount(vol: VolumeRef, _ref: string, last: boolean): Promise<void> {
    if (!last || !needsMount(vol.options)) return;
    const data = this.dataPath(vol.name);
    if (isMountPoint(data)) await this.#umount(data);
  }

  async #umount(p: string): Promise<void> {
    const r = await execTool('umount', [p]);
    if (r.code !== 0 && isMountPoint(p)) throw systemError(`failed to unmount ${p}: ${r.stderr.trim()}`);
  }

  async path(vol: VolumeRef): Promise<string> {
    return this.dataPath(vol.name);
  }

  async get(name: string): Promise<DriverVolume | undefined> {
    return fs.existsSync(this.dir(name)) ? { name, mountpoint: this.dataPath(name) } : undefined;
  }

  async list(): Promise<DriverVolume[]> {
    return this.dirNames().map((name) => ({ name, mountpoint: this.dataPath(name) }));
  }

  /** Volume directories on disk (trash of interrupted removals is cleaned up here). */
  dirNames(): string[] {
    const out: string[] = [];
    for (const e of fs.readdirSync(this.root, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      if (e.name.startsWith('.trash-')) {
        const p = path.join(this.root, e.name);
        if (!isMountPoint(path.join(p, DATA_DIR))) fs.rmSync(p, { recursive: true, force: true });
        continue;
      }
      out.push(e.name);
    }
    return out;
  }
}
