// Volumes -> Docker's wire shapes (Volume, list, prune, df entries, container MountPoint).
import type { MountPoint } from '../../engine-api/container.js';
import type { Volume } from '../../engine-api/volume.js';
import type { VolumeInfo, VolumeUsage, MountPointRecord } from '../../daemon/volumes/index.js';

export function volumeToWire(v: VolumeInfo): Volume {
  const empty = (o: Record<string, string>): boolean => Object.keys(o).length === 0;
  const out: Volume = {
    CreatedAt: v.createdAt,
    Driver: v.driver,
    Labels: empty(v.labels) && !v.anonymous ? {} : v.labels,
    Mountpoint: v.mountpoint,
    Name: v.name,
    Options: empty(v.options) ? (v.anonymous ? null : {}) : v.options,
    Scope: v.scope,
  };
  if (v.status) out.Status = v.status;
  return out;
}

export function volumeUsageToWire(v: VolumeUsage): Volume {
  return { ...volumeToWire(v), UsageData: { Size: v.size, RefCount: v.refCount } };
}

/** A container's mount point as inspect and `ps` show it. */
export function mountPointToWire(m: MountPointRecord): MountPoint {
  if (m.type === 'volume') {
    return { Type: 'volume', Name: m.name, Source: m.source, Destination: m.destination, Driver: m.driver, Mode: m.mode, RW: m.rw, Propagation: m.propagation };
  }
  if (m.type === 'tmpfs') return { Type: 'tmpfs', Source: '', Destination: m.destination, Mode: '', RW: m.rw, Propagation: '' };
  return { Type: 'bind', Source: m.source, Destination: m.destination, Mode: m.mode, RW: m.rw, Propagation: m.propagation };
}
