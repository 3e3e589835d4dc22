// Public surface of container security and limits (used by the container service and berthd).
//
//   const sec = setupSecurity({ config, layers: snapshots, rootfs: snapshots })
//   new ContainerService({ ..., rootfs: sec.rootfs, security: sec.policy })
//   sec.policy.validate(hostConfig)        // create: Docker's checks, returns Warnings
//   buildSpec({ ..., security: sec.policy }) // start: seccomp, caps, devices, namespaces, userns
import type { RootfsMounter, Snapshotter } from '../../store/snapshots/types.js';
import { daemonHardLimits } from '../spec.js';
import { SecurityPolicy } from './policy.js';
import { RemappedRootfs } from './remap-rootfs.js';
import { resolveRemap, type Remap } from './userns.js';
import { ShmAwareRootfs } from './shm.js';

export { SecurityPolicy, parseSecurityOpts, checkSysctl, type NamespaceDonor, type SecurityPolicyOptions } from './policy.js';
export { effectiveCaps, capMask, availableCaps, normalizeCaps, DOCKER_DEFAULT_CAPS } from './caps.js';
export { SeccompCache, dockerDefaultProfile, parseProfile, renderProfile, type OciSeccomp, type SeccompProfile } from './seccomp.js';
export { verifyResources, adaptResources, mergeUpdate, updateResources, cgroupInfo, parseDeviceCgroupRule, type ResourcesConfig, type UpdateConfig } from './resources.js';
export { resolveRemap, subIdRanges, toHost, type Remap, type IdMap } from './userns.js';
export { RemappedRootfs } from './remap-rootfs.js';

export interface SecuritySetup {
  policy: SecurityPolicy;
  /** the rootfs mounter containers must use (remapped layers when userns-remap is on) */
  rootfs: RootfsMounter;
  remap: Remap | undefined;
}

/** Read the daemon's security settings (userns-remap, seccomp-profile, no-new-privileges). */
export function setupSecurity(o: {
  config: { dataRoot: string; usernsRemap: string | undefined; raw: Record<string, unknown> };
  layers: Pick<Snapshotter, 'lowerDirs'>;
  rootfs: RootfsMounter;
}): SecuritySetup {
  const raw = o.config.raw;
  const remap = resolveRemap(o.config.usernsRemap);
  const policy = new SecurityPolicy({
    seccompProfile: typeof raw['seccomp-profile'] === 'string' ? raw['seccomp-profile'] : undefined,
    noNewPrivileges: raw['no-new-privileges'] === true,
    remap,
    hardLimits: daemonHardLimits,
  });
  const remapped = remap ? new RemappedRootfs({ layers: o.layers, remap, dataRoot: o.config.dataRoot }) : undefined;
  void remapped?.sweep().catch(() => undefined);
  return { policy, rootfs: new ShmAwareRootfs(remapped ?? o.rootfs), remap };
}
