// System-wide facts for /info, /version and /system/df: gathered from the host and from the
// services that own the counts (passed in as small provider functions; no service reaches
// into another).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import type { DaemonConfig } from './config.js';

export const BERTH_VERSION = '0.1.0';

export interface ContainerCounts {
  total: number;
  running: number;
  paused: number;
  stopped: number;
}

export interface RuntimeInfo {
  name: string;
  path: string;
  args?: string[];
  /** Why this runtime is the default, or why another was skipped (shown in info warnings). */
  notes?: string[];
  /** what `<runtime> --version` says, once known */
  version?: string;
  commit?: string;
}

export interface SystemProviders {
  containerCounts?: () => ContainerCounts;
  imageCount?: () => number;
  runtimes?: () => { defaultRuntime: string; runtimes: RuntimeInfo[] };
  securityOptions?: () => string[];
  warnings?: () => string[];
  eventListeners?: () => number;
  volumeDrivers?: () => string[];
  /** Parts of /system/df, each from the service that owns that kind of object. */
  diskUsage?: Partial<{
    images: () => Promise<{ layersSize: number; images: unknown[] }>;
    containers: () => Promise<unknown[]>;
    volumes: () => Promise<unknown[]>;
    buildCache: () => Promise<unknown[]>;
  }>;
}

export interface DiskUsage {
  LayersSize: number;
  Images: unknown[];
  Containers: unknown[];
  Volumes: unknown[];
  BuildCache: unknown[];
}

export interface HostFacts {
  kernelVersion: string;
  operatingSystem: string;
  osVersion: string;
  cgroupVersion: '1' | '2';
  cgroupDriver: 'cgroupfs' | 'systemd' | 'none';
  ipv4Forwarding: boolean;
  swapLimit: boolean;
}

function readFirst(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function detectHost(): HostFacts {
  const osRelease = readFirst('/etc/os-release') ?? '';
  const field = (k: string): string => (new RegExp(`^${k}="?([^"\\n]*)"?`, 'm').exec(osRelease)?.[1] ?? '');
  const unified = readFirst('/sys/fs/cgroup/cgroup.controllers') !== undefined;
  return {
    kernelVersion: os.release(),
    operatingSystem: field('PRETTY_NAME') || 'Linux',
    osVersion: field('VERSION_ID'),
    cgroupVersion: unified ? '2' : '1',
    cgroupDriver: 'cgroupfs',
    ipv4Forwarding: (readFirst('/proc/sys/net/ipv4/ip_forward') ?? '0').trim() === '1',
    swapLimit: unified || fs.existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'),
  };
}

/** The engine's persistent identity (dockerd's engine-id). */
export function engineId(dataRoot: string): string {
  const file = path.join(dataRoot, 'engine-id');
  const existing = readFirst(file)?.trim();
  if (existing) return existing;
  const id = crypto.randomUUID();
  fs.writeFileSync(`${file}.tmp`, id);
  fs.renameSync(`${file}.tmp`, file);
  return id;
}

export class SystemService {
  readonly host: HostFacts;
  readonly id: string;
  readonly startedAt = new Date();

  private config: DaemonConfig;
  private readonly providers: SystemProviders;

  constructor(config: DaemonConfig, providers: SystemProviders) {
    this.config = config;
    this.providers = providers;
    this.host = detectHost();
    this.id = engineId(config.dataRoot);
  }

  /** SIGHUP: take the reloadable settings (log level, labels). */
  reload(config: DaemonConfig): void {
    this.config = config;
  }

  get settings(): DaemonConfig {
    return this.config;
  }

  containerCounts(): ContainerCounts {
    return this.providers.containerCounts?.() ?? { total: 0, running: 0, paused: 0, stopped: 0 };
  }

  imageCount(): number {
    return this.providers.imageCount?.() ?? 0;
  }

  runtimes(): { defaultRuntime: string; runtimes: RuntimeInfo[] } {
    return this.providers.runtimes?.() ?? { defaultRuntime: 'runc', runtimes: [] };
  }

  securityOptions(): string[] {
    return this.providers.securityOptions?.() ?? ['name=seccomp,profile=builtin'];
  }

  warnings(): string[] {
    return this.providers.warnings?.() ?? [];
  }

  volumeDrivers(): string[] {
    return this.providers.volumeDrivers?.() ?? ['local'];
  }

  eventListeners(): number {
    return this.providers.eventListeners?.() ?? 0;
  }

  async diskUsage(types: readonly string[] | undefined): Promise<DiskUsage> {
    const want = (t: string): boolean => !types || types.length === 0 || types.includes(t);
    const du = this.providers.diskUsage ?? {};
    const images = want('image') && du.images ? await du.images() : { layersSize: 0, images: [] };
    return {
      LayersSize: images.layersSize,
      Images: images.images,
      Containers: want('container') && du.containers ? await du.containers() : [],
      Volumes: want('volume') && du.volumes ? await du.volumes() : [],
      BuildCache: want('build-cache') && du.buildCache ? await du.buildCache() : [],
    };
  }

  openFds(): number {
    try {
      return fs.readdirSync('/proc/self/fd').length;
    } catch {
      return 0;
    }
  }
}
