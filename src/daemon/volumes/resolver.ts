// VolumeMounts: the MountResolver the container service calls. At create it turns
// HostConfig.Binds/Mounts/VolumesFrom/Tmpfs and Config.Volumes into mount points (validating all
// of it before creating any volume); at start it mounts volumes, copies image content up into
// fresh ones and returns OCI mounts; at exit it unmounts; at rm it drops references and removes
// the container's anonymous volumes.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { invalidArgument, isConflict, systemError } from '../../errdefs/index.js';
import type { EventsService } from '../events.js';
import { copyUp, resolveInRoot } from '../../volumes/copy.js';
import { parseTmpfsOptions } from '../../runtime/spec.js';
import { DEFAULT_PROPAGATION, parseBind, parseMountSpec, parseVolumesFrom, sortByDepth, volumesFromRW } from './parse.js';
import type { VolumeService } from './service.js';
import type { MountPointRecord, MountResolver, OciMount, PrepareOptions } from './types.js';

const duplicate = (dest: string): Error => invalidArgument(`Duplicate mount point: ${dest}`);

export class VolumeMounts implements MountResolver {
  readonly #volumes: VolumeService;
  readonly #events: EventsService;
  readonly #log: Logger;

  constructor(o: { volumes: VolumeService; events: EventsService; logger: Logger }) {
    this.#volumes = o.volumes;
    this.#events = o.events;
    this.#log = o.logger;
  }

  async prepare(o: PrepareOptions): Promise<MountPointRecord[]> {
    const hc = o.hostConfig;
    const tmpfs = new Set(Object.keys(hc.Tmpfs ?? {}).map((p) => path.posix.normalize(p)));
    const points = new Map<string, MountPointRecord>();
    const given = new Set<string>();
    /** volumes-from entries reuse the other container's volumes */
    const fromOthers = new Set<MountPointRecord>();
    // Phase 1: parse and validate everything; nothing is created or referenced yet.
    for (const spec of hc.VolumesFrom ?? []) {
      const { id, mode } = parseVolumesFrom(spec);
      let other: { id: string; mounts: readonly MountPointRecord[] };
      try {
        other = o.containerMounts(id);
      } catch (err) {
        throw invalidArgument((err as Error).message, { cause: err });
      }
      for (const m of other.mounts) {
        const cp: MountPointRecord = { ...m, rw: m.rw && volumesFromRW(mode), copyData: false, anonymous: false };
        points.set(cp.destination, cp);
        fromOthers.add(cp);
      }
    }
    for (const b of hc.Binds ?? []) {
      const m = parseBind(b, hc.VolumeDriver ?? '');
      if (given.has(m.destination) || tmpfs.has(m.destination)) throw duplicate(m.destination);
      given.add(m.destination);
      points.set(m.destination, m);
    }
    for (const spec of hc.Mounts ?? []) {
      const m = parseMountSpec(spec);
      if (given.has(m.destination)) throw duplicate(spec.Target ?? m.destination);
      if (m.type === 'volume' && spec.VolumeOptions?.DriverConfig?.Options) (m as MountPointRecord & { createOptions?: Record<string, string> }).createOptions = spec.VolumeOptions.DriverConfig.Options;
      if (m.type === 'volume' && spec.VolumeOptions?.Labels) (m as MountPointRecord & { createLabels?: Record<string, string> }).createLabels = spec.VolumeOptions.Labels;
      given.add(m.destination);
      points.set(m.destination, m);
    }
    for (const dest of Object.keys(o.volumes ?? {})) {
      const d = path.posix.normalize(dest);
      if (!d.startsWith('/')) throw invalidArgument(`invalid mount config for type "volume": invalid mount path: '${dest}' mount path must be absolute`);
      if (d === '/') throw invalidArgument(`invalid mount config for type "volume": invalid specification: destination can't be '/'`);
      if (points.has(d) || tmpfs.has(d)) continue;
      points.set(d, { type: 'volume', destination: d, source: '', name: '', driver: hc.VolumeDriver ?? '', rw: true, mode: '', propagation: '', copyData: true, anonymous: true });
    }
    for (const m of points.values()) {
      if (m.type !== 'volume' || fromOthers.has(m)) continue;
      const x = m as MountPointRecord & { createOptions?: Record<string, string> };
      await this.#volumes.validateCreate(m.name, m.driver || undefined, x.createOptions ?? {});
    }
    for (const m of fromOthers) if (m.type === 'volume') this.#volumes.get(m.name);

    // Phase 2: create and reference the volumes; undo all of it if one fails.
    const created: string[] = [];
    const referenced: string[] = [];
    try {
      for (const m of points.values()) {
        if (m.type !== 'volume') continue;
        if (fromOthers.has(m)) {
          this.#volumes.addRef(m.name, o.containerId);
          referenced.push(m.name);
          continue;
        }
        const x = m as MountPointRecord & { createOptions?: Record<string, string>; createLabels?: Record<string, string> };
        const existed = m.name !== '' && this.#volumes.find(m.name) !== undefined;
        const v = await this.#volumes.create({ name: m.name, driver: m.driver || undefined, options: x.createOptions, labels: x.createLabels, ref: o.containerId });
        delete x.createOptions;
        delete x.createLabels;
        referenced.push(v.name);
        if (!existed) created.push(v.name);
        m.name = v.name;
        m.driver = v.driver;
        m.source = v.mountpoint;
        if (m.driver === 'local' && m.mode === '') m.mode = 'z';
      }
    } catch (err) {
      for (const n of referenced) this.#volumes.releaseRef(n, o.containerId);
      for (const n of created) await this.#volumes.remove(n, { force: true }).catch(() => undefined);
      throw err;
    }
    return sortByDepth([...points.values()]);
  }

  async setup(o: { containerId: string; rootfs: string; mounts: MountPointRecord[] }): Promise<OciMount[]> {
    const out: OciMount[] = [];
    const mounted: MountPointRecord[] = [];
    try {
      for (const m of o.mounts) {
        switch (m.type) {
          case 'bind': {
            if (!fs.existsSync(m.source)) {
              if (!m.createSource) throw invalidArgument(`invalid mount config for type "bind": bind source path does not exist: ${m.source}`);
              fs.mkdirSync(m.source, { recursive: true, mode: 0o755 });
            }
            out.push({ destination: m.destination, type: 'bind', source: m.source, options: bindOptions(m) });
            break;
          }
          case 'tmpfs':
            out.push({ destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: parseTmpfsOptions(m.tmpfsData ?? '') });
            break;
          case 'volume': {
            const host = await this.#volumes.mount(m.name, o.containerId);
            mounted.push(m);
            m.source = host;
            let src = host;
            if (m.subpath) {
              src = resolveInRoot(host, m.subpath);
              if (!fs.existsSync(src)) throw systemError(`cannot access path ${src}: no such file or directory`);
            }
            if (m.copyData && !m.subpath) {
              const copied = await copyUp(o.rootfs, m.destination, host);
              if (copied) this.#log.debug({ volume: m.name, destination: m.destination }, 'copied image content into the volume');
              m.copyData = false;
            }
            out.push({ destination: m.destination, type: 'bind', source: src, options: ['rbind', m.propagation || DEFAULT_PROPAGATION, ...(m.rw ? [] : ['ro'])] });
            this.#events.publish('volume', 'mount', m.name, {
              container: o.containerId,
              destination: m.destination,
              driver: m.driver,
              propagation: m.propagation,
              'read/write': String(m.rw),
            });
            break;
          }
        }
      }
    } catch (err) {
      await this.teardown(o.containerId, mounted);
      throw err;
    }
    return out;
  }

  async teardown(containerId: string, mounts: readonly MountPointRecord[]): Promise<void> {
    for (const m of mounts) {
      if (m.type !== 'volume') continue;
      try {
        await this.#volumes.unmount(m.name, containerId);
        this.#events.publish('volume', 'unmount', m.name, { container: containerId, driver: m.driver });
      } catch (err) {
        this.#log.warn({ err, volume: m.name }, 'volume unmount failed');
      }
    }
  }

  async release(containerId: string, mounts: readonly MountPointRecord[], o: { removeAnonymous: boolean }): Promise<void> {
    await this.teardown(containerId, mounts);
    for (const m of mounts) {
      if (m.type !== 'volume') continue;
      this.#volumes.releaseRef(m.name, containerId);
      if (!o.removeAnonymous || !m.anonymous) continue;
      try {
        await this.#volumes.remove(m.name);
      } catch (err) {
        // still used by another container (--volumes-from): not an error
        if (!isConflict(err)) this.#log.warn({ err, volume: m.name }, 'removing an anonymous volume failed');
      }
    }
  }
}

function bindOptions(m: MountPointRecord): string[] {
  const rec = m.bindRecursive ?? 'enabled';
  const o = [rec === 'disabled' ? 'bind' : 'rbind', m.propagation || DEFAULT_PROPAGATION];
  if (!m.rw) o.push(rec === 'readonly' ? 'rro' : 'ro');
  return o;
}

