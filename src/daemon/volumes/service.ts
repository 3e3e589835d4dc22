// VolumeService: named and anonymous volumes over the local driver and volume plugins, with
// metadata and references in SQLite. A volume referenced by a container (running or not)
// cannot be removed; local volumes with mount options are mounted while a container runs.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { BerthError, conflict, invalidArgument, isNotFound, notFound, wrap } from '../../errdefs/index.js';
import type { EventsService, Filters } from '../events.js';
import type { MetadataDb } from '../../store/metadata/db.js';
import { needsMount, type LocalDriver } from '../../volumes/local.js';
import type { DriverRegistry, VolumeDriver, VolumeRef } from '../../volumes/types.js';
import { VolumeStore, type VolumeRecord } from './store.js';
import { labelsMatch } from '../common/filters.js';
import { KeyedLock } from '../common/keyed-lock.js';

export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

export interface VolumeInfo extends VolumeRecord {
  mountpoint: string;
  scope: 'local' | 'global';
  status?: Record<string, unknown>;
}

export interface VolumeUsage extends VolumeInfo {
  /** bytes, -1 when not computed (volumes with mount options, plugins) */
  size: number;
  refCount: number;
}

export interface CreateVolumeOptions {
  name?: string | undefined;
  driver?: string | undefined;
  options?: Record<string, string> | null | undefined;
  labels?: Record<string, string> | null | undefined;
  /** a user (container ID) that takes a reference at once */
  ref?: string | undefined;
}

export interface VolumeServiceOptions {
  db: MetadataDb;
  drivers: DriverRegistry & { local: LocalDriver };
  events: EventsService;
  logger: Logger;
}

const LIST_FILTERS = ['dangling', 'name', 'driver', 'label'];
const PRUNE_FILTERS = ['label', 'label!', 'all'];
const nowSeconds = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function boolFilter(key: string, v: string): boolean {
  const l = v.toLowerCase();
  if (l === 'true' || l === '1') return true;
  if (l === 'false' || l === '0') return false;
  throw invalidArgument(`invalid filter '${key}=${v}'`);
}

function checkFilters(f: Filters, allowed: readonly string[]): void {
  for (const k of Object.keys(f)) if (!allowed.includes(k)) throw invalidArgument(`invalid filter '${k}'`);
}


function nameMatches(name: string, pattern: string): boolean {
  if (name.includes(pattern)) return true;
  try {
    return new RegExp(pattern).test(name);
  } catch {
    return false;
  }
}

export function dirSize(dir: string): number {
  let total = 0;
  const seen = new Set<string>();
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      try {
        const st = fs.lstatSync(p);
        if (e.isDirectory()) {
          walk(p);
          continue;
        }
        const key = `${st.dev}:${st.ino}`;
        if (st.nlink > 1) {
          if (seen.has(key)) continue;
          seen.add(key);
        }
        total += st.size;
      } catch {
        /* gone */
      }
    }
  };
  walk(dir);
  return total;
}

export class VolumeService {
  readonly #o: VolumeServiceOptions;
  readonly #store: VolumeStore;
  readonly #log: Logger;
  readonly #locks = new KeyedLock();
  #pruning = false;

  constructor(o: VolumeServiceOptions) {
    this.#o = o;
    this.#log = o.logger;
    this.#store = new VolumeStore(o.db);
  }

  /** Start-up: adopt local volume directories without a record, recreate missing data dirs. */
  async init(): Promise<void> {
    const local = this.#o.drivers.local;
    const known = new Set(this.#store.all().filter((v) => v.driver === 'local').map((v) => v.name));
    for (const name of local.dirNames()) {
      if (known.has(name)) {
        known.delete(name);
        continue;
      }
      let created = nowSeconds();
      try {
        created = fs.statSync(local.dir(name)).mtime.toISOString().replace(/\.\d+Z$/, 'Z');
      } catch {
        /* keep now */
      }
      const anonymous = /^[0-9a-f]{64}$/.test(name);
      this.#store.insert({ name, driver: 'local', labels: anonymous ? { [ANONYMOUS_LABEL]: '' } : {}, options: {}, createdAt: created, anonymous });
      this.#log.info({ volume: name }, 'adopted a local volume directory without a record');
    }
    for (const name of known) {
      this.#log.warn({ volume: name }, 'local volume directory was missing; recreated empty');
      await local.create({ name, options: {} }).catch((err: unknown) => this.#log.error({ err, volume: name }, 'recreate failed'));
    }
  }


  #ref(v: VolumeRecord): VolumeRef {
    return { name: v.name, options: v.options };
  }

  async #driverOf(v: VolumeRecord): Promise<VolumeDriver> {
    return this.#o.drivers.driver(v.driver);
  }

  async #info(v: VolumeRecord, o: { status?: boolean } = {}): Promise<VolumeInfo> {
    if (v.driver === 'local') return { ...v, mountpoint: this.#o.drivers.local.dataPath(v.name), scope: 'local' };
    let mountpoint = '';
    let scope: 'local' | 'global' = 'local';
    let status: Record<string, unknown> | undefined;
    try {
      const d = await this.#driverOf(v);
      scope = await d.scope();
      const got = await d.get(v.name);
      mountpoint = got?.mountpoint || (await d.path(this.#ref(v)));
      status = got?.status;
    } catch (err) {
      this.#log.warn({ err, volume: v.name, driver: v.driver }, 'volume plugin not reachable');
    }
    return { ...v, mountpoint, scope, ...(o.status && status ? { status } : {}) };
  }

  /**
   * Check what create would refuse, without creating anything (name, driver, options). Used by
   * container create before it creates any volume.
   */
  async validateCreate(name: string, driverName: string | undefined, options: Record<string, string> = {}): Promise<void> {
    const existing = name ? this.#store.get(name) : undefined;
    if (existing) return;
    const driver = driverName || 'local';
    try {
      if (driver === 'local') this.#o.drivers.local.validate({ name: name || 'x'.repeat(64), options });
      else await this.#o.drivers.driver(driver);
    } catch (err) {
      throw wrap(err, `create ${name}`);
    }
  }

  /** Docker's create: an existing volume of that name is returned as it is (same driver). */
  async create(o: CreateVolumeOptions): Promise<VolumeInfo> {
    let name = o.name ?? '';
    const labels = { ...(o.labels ?? {}) };
    const anonymous = name === '';
    if (anonymous) {
      name = crypto.randomBytes(32).toString('hex');
      labels[ANONYMOUS_LABEL] = '';
    }
    return this.#locks.run(name, async () => {
      const existing = this.#store.get(name);
      if (existing) {
        if (o.driver && o.driver !== existing.driver) {
          throw conflict(`create ${name}: driver '${existing.driver}' already has volume '${name}': volume name must be unique`);
        }
        if (o.ref) this.#store.addRef(name, o.ref);
        return this.#info(existing);
      }
      const driverName = o.driver || 'local';
      const options = { ...(o.options ?? {}) };
      let driver: VolumeDriver;
      try {
        driver = await this.#o.drivers.driver(driverName);
        await driver.create({ name, options });
      } catch (err) {
        throw wrap(err, `create ${name}`);
      }
      const rec: VolumeRecord = { name, driver: driverName, labels, options, createdAt: nowSeconds(), anonymous };
      try {
        this.#store.insert(rec, o.ref);
      } catch (err) {
        await driver.remove({ name, options }).catch(() => undefined);
        throw err;
      }
      this.#o.events.publish('volume', 'create', name, { driver: driverName });
      return this.#info(rec);
    });
  }

  get(name: string): VolumeRecord {
    const v = this.#store.get(name);
    if (!v) throw notFound(`get ${name}: no such volume`);
    return v;
  }

  find(name: string): VolumeRecord | undefined {
    return this.#store.get(name);
  }

  async inspect(name: string): Promise<VolumeInfo> {
    return this.#info(this.get(name), { status: true });
  }

  async list(filters: Filters = {}): Promise<{ volumes: VolumeInfo[]; warnings: string[] }> {
    checkFilters(filters, LIST_FILTERS);
    const dangling = filters['dangling']?.map((v) => boolFilter('dangling', v));
    const counts = this.#store.refCounts();
    const out: VolumeInfo[] = [];
    for (const v of this.#store.all()) {
      if (dangling && dangling.length > 0 && !dangling.some((d) => d === !counts.has(v.name))) continue;
      if (filters['name']?.length && !filters['name'].some((p) => nameMatches(v.name, p))) continue;
      if (filters['driver']?.length && !filters['driver'].includes(v.driver)) continue;
      if (filters['label']?.length && !labelsMatch(v.labels, filters['label'])) continue;
      out.push(await this.#info(v));
    }
    return { volumes: out, warnings: [] };
  }

  refs(name: string): string[] {
    return this.#store.refs(name);
  }

  async remove(name: string, o: { force?: boolean } = {}): Promise<void> {
    const v = this.#store.get(name);
    if (!v) {
      if (o.force) return;
      throw notFound(`get ${name}: no such volume`);
    }
    await this.#locks.run(name, async () => {
      const cur = this.#store.get(name);
      if (!cur) return;
      const refs = this.#store.refs(name);
      if (refs.length > 0) throw conflict(`remove ${name}: volume is in use - [${refs.join(', ')}]`);
      try {
        const d = await this.#driverOf(cur);
        await d.remove(this.#ref(cur));
      } catch (err) {
        if (!o.force) throw wrap(err, `remove ${name}`);
        this.#log.warn({ err, volume: name }, 'force remove: driver failed; record purged');
      }
      this.#store.delete(name);
      this.#o.events.publish('volume', 'destroy', name, { driver: cur.driver });
    });
  }

  /** Docker 23+: anonymous, unused local volumes without mount options (`all=true`: named too). */
  async prune(filters: Filters = {}): Promise<{ deleted: string[]; reclaimed: number }> {
    checkFilters(filters, PRUNE_FILTERS);
    if (this.#pruning) throw conflict('a prune operation is already running');
    this.#pruning = true;
    try {
      const all = (filters['all'] ?? []).some((v) => boolFilter('all', v));
      const counts = this.#store.refCounts();
      const deleted: string[] = [];
      let reclaimed = 0;
      for (const v of this.#store.all()) {
        if (v.driver !== 'local' || Object.keys(v.options).length > 0 || counts.has(v.name)) continue;
        if (!all && !v.anonymous && !(ANONYMOUS_LABEL in v.labels)) continue;
        if (!labelsMatch(v.labels, filters['label'] ?? [], filters['label!'] ?? [])) continue;
        const size = dirSize(this.#o.drivers.local.dataPath(v.name));
        try {
          await this.remove(v.name);
          deleted.push(v.name);
          reclaimed += size;
        } catch (err) {
          if (!isNotFound(err)) this.#log.warn({ err, volume: v.name }, 'could not remove volume');
        }
      }
      this.#o.events.publish('volume', 'prune', '', { reclaimed: String(reclaimed) });
      return { deleted, reclaimed };
    } finally {
      this.#pruning = false;
    }
  }

  /** /system/df: local volumes without mount options, with size and reference count. */
  async diskUsage(): Promise<VolumeUsage[]> {
    const counts = this.#store.refCounts();
    const out: VolumeUsage[] = [];
    for (const v of this.#store.all()) {
      if (v.driver !== 'local' || Object.keys(v.options).length > 0) continue;
      const info = await this.#info(v);
      out.push({ ...info, size: dirSize(info.mountpoint), refCount: counts.get(v.name) ?? 0 });
    }
    return out;
  }

  count(): number {
    return this.#store.all().length;
  }

  // ---------------------------------------------------------------- users (containers)

  addRef(name: string, ref: string): void {
    this.get(name);
    this.#store.addRef(name, ref);
  }

  releaseRef(name: string, ref: string): void {
    this.#store.releaseRef(name, ref);
  }

  pruneRefs(live: ReadonlySet<string>): number {
    return this.#store.pruneRefs(live);
  }

  /** Make the volume's data available to user `ref`; returns the host path. */
  async mount(name: string, ref: string): Promise<string> {
    const plain = this.#store.get(name);
    // a plain local directory: nothing to mount, nothing to record (no fsync on the start path)
    if (plain && plain.driver === 'local' && !needsMount(plain.options)) return this.#o.drivers.local.mount(this.#ref(plain), ref);
    return this.#locks.run(name, async () => {
      const v = this.get(name);
      const d = await this.#driverOf(v);
      const p = await d.mount(this.#ref(v), ref).catch((err: unknown) => {
        throw err instanceof BerthError ? err : wrap(err, `error while mounting volume '${name}'`);
      });
      this.#store.addMount(name, ref);
      return p;
    });
  }

  /** Undo mount(); idempotent (no active mount for the user: nothing to do). */
  async unmount(name: string, ref: string): Promise<void> {
    await this.#locks.run(name, async () => {
      const v = this.#store.get(name);
      if (!v || !this.#store.hasMount(name, ref)) return;
      const left = this.#store.removeMount(name, ref);
      const d = await this.#driverOf(v);
      await d.unmount(this.#ref(v), ref, left === 0);
    });
  }

  /** Whether the volume's data lives in a mount of its own (local with mount options). */
  isMounted(v: VolumeRecord): boolean {
    return v.driver === 'local' && needsMount(v.options);
  }
}
