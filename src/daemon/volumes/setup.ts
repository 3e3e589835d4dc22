// Wiring helper for berthd: the local driver under <data-root>/volumes, plugins found in
// <exec-root>/plugins and /etc/berth/plugins (Docker's /run/docker/plugins and /etc/docker/plugins), the
// service (recovered at start-up) and the mount resolver the container service takes.
import path from 'node:path';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config.js';
import type { EventsService } from '../events.js';
import type { MetadataDb } from '../../store/metadata/db.js';
import { LocalDriver } from '../../volumes/local.js';
import { VolumeDrivers } from '../../volumes/registry.js';
import { VolumeService } from './service.js';
import { VolumeMounts } from './resolver.js';

export interface VolumeSetup {
  service: VolumeService;
  mounts: VolumeMounts;
  drivers: VolumeDrivers;
}

export async function setupVolumes(o: { config: DaemonConfig; db: MetadataDb; events: EventsService; logger: Logger; rootOwner?: { uid: number; gid: number } | undefined }): Promise<VolumeSetup> {
  const pluginDirs = [path.join(o.config.execRoot, 'plugins'), '/etc/berth/plugins'];
  const drivers = new VolumeDrivers({ local: new LocalDriver(path.join(o.config.dataRoot, 'volumes'), { rootOwner: o.rootOwner }), pluginDirs });
  const service = new VolumeService({ db: o.db, drivers, events: o.events, logger: o.logger });
  await service.init();
  const mounts = new VolumeMounts({ volumes: service, events: o.events, logger: o.logger });
  return { service, mounts, drivers };
}
