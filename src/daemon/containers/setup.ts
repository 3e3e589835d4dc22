// Wiring helper for berthd: probe the runtimes, derive the service's options from the daemon
// configuration, start the service and hand back the SystemService providers it feeds.
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config.js';
import type { EventsService } from '../events.js';
import type { ImageResolver, ImageUsage } from '../images/types.js';
import type { SystemProviders } from '../system.js';
import type { MetadataDb } from '../../store/metadata/db.js';
import type { RootfsMounter } from '../../store/snapshots/types.js';
import path from 'node:path';
import { defaultLibexecDir, findInitBinary, probeRuntimes, type RuntimeTable } from '../../runtime/probe.js';
import { CrunSeccompCache } from '../../runtime/crun.js';
import { pinBinary } from '../../runtime/pinned-binary.js';
import { ContainerService } from './service.js';
import type { MountResolver } from '../volumes/types.js';
import type { NetworkAttacher } from '../networks/types.js';
import type { SecurityPolicy } from '../../runtime/security/policy.js';

export interface ContainerSetup {
  service: ContainerService;
  runtimes: RuntimeTable;
  /** SystemService providers: containerCounts, runtimes */
  providers: Pick<SystemProviders, 'containerCounts' | 'runtimes'>;
}

export async function setupContainers(o: {
  config: DaemonConfig;
  db: MetadataDb;
  events: EventsService;
  images: ImageResolver & { setUsage?: (u: ImageUsage) => void };
  rootfs: RootfsMounter;
  logger: Logger;
  mounts?: MountResolver;
  network?: NetworkAttacher;
  security?: SecurityPolicy;
}): Promise<ContainerSetup> {
  const raw = o.config.raw;
  const str = (k: string): string | undefined => (typeof raw[k] === 'string' ? (raw[k] as string) : undefined);
  const list = (k: string): string[] => (Array.isArray(raw[k]) ? (raw[k] as string[]) : []);
  let cgroupParent = str('cgroup-parent') ?? '/berth';
  if (!cgroupParent.startsWith('/')) cgroupParent = `/${cgroupParent}`;
  const runtimes = await probeRuntimes({
    execRoot: o.config.execRoot,
    libexecDir: defaultLibexecDir(),
    configured: o.config.runtimes,
    defaultRuntime: o.config.defaultRuntime,
    cgroupParent,
  });
  // crun and runc run from read-only bind mounts of their binaries (pinned-binary.ts)
  for (const r of runtimes.info().runtimes) {
    if (!/^(crun|runc)/.test(path.basename(r.path))) continue;
    const pinned = pinBinary(r.path, path.join(o.config.execRoot, 'runtime-bin'));
    o.logger.debug({ runtime: r.name, path: r.path, pinned: pinned ?? false }, 'runtime binary pinned read-only');
  }
  const ulimits: Record<string, { Soft: number; Hard: number }> = {};
  for (const [k, v] of Object.entries((raw['default-ulimits'] as Record<string, { Soft?: number; Hard?: number }> | undefined) ?? {})) {
    ulimits[k] = { Soft: v.Soft ?? 0, Hard: v.Hard ?? v.Soft ?? 0 };
  }
  const logOpts = (raw['log-opts'] ?? {}) as Record<string, unknown>;
  const service = new ContainerService({
    defaultLogConfig: { Type: str('log-driver') ?? 'json-file', Config: Object.fromEntries(Object.entries(logOpts).map(([k, v]) => [k, String(v)])) },
    db: o.db,
    events: o.events,
    images: o.images,
    rootfs: o.rootfs,
    runtimes,
    dataRoot: o.config.dataRoot,
    execRoot: o.config.execRoot,
    cgroupParent,
    liveRestore: o.config.liveRestore,
    logger: o.logger,
    initPath: findInitBinary(str('init-path')),
    defaultUlimits: ulimits,
    dns: { servers: list('dns'), search: list('dns-search'), options: list('dns-opts') },
    shutdownTimeout: o.config.shutdownTimeout,
    crunSeccomp: new CrunSeccompCache(path.join(o.config.execRoot, 'seccomp-bpf')),
    ...(o.mounts ? { mounts: o.mounts } : {}),
    ...(o.network ? { network: o.network } : {}),
    ...(o.security ? { security: o.security } : {}),
  });
  o.security?.setContainerLookup((x) => {
    const r = service.find(x);
    return r ? { id: r.id, pid: r.state.pid, running: r.state.status === 'running' || r.state.status === 'paused', ipcMode: r.hostConfig.IpcMode ?? '', dir: r.paths.dir } : undefined;
  });
  await service.init();
  o.logger.info({ defaultRuntime: runtimes.defaultRuntime, runtimes: runtimes.names() }, 'container runtimes ready');
  void runtimes.loadVersions();
  return {
    service,
    runtimes,
    providers: {
      containerCounts: () => service.counts(),
      runtimes: () => runtimes.info(),
    },
  };
}
