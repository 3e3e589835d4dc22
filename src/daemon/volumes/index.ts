// Public surface of the volume service.
//
//   const drivers = new VolumeDrivers({ local: new LocalDriver(`${dataRoot}/volumes`), pluginDirs })
//   const volumes = new VolumeService({ db, drivers, events, logger }); await volumes.init()
//   const mounts = new VolumeMounts({ volumes, events, logger })   // the containers' MountResolver
//
// Events (type "volume"): create, destroy, mount, unmount, prune.
export type { MountPointRecord, MountResolver, MountType, OciMount, PrepareOptions } from './types.js';
export { VolumeService, ANONYMOUS_LABEL, type VolumeInfo, type VolumeUsage, type CreateVolumeOptions } from './service.js';
export { VolumeMounts } from './resolver.js';
export type { VolumeRecord } from './store.js';
export { setupVolumes, type VolumeSetup } from './setup.js';
