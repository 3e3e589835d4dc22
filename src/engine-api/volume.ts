// Engine API wire types for the Volume tag (moby api/types/volume), type-only.

export interface VolumeUsageData {
  /** bytes used, -1 when not computed */
  Size: number;
  /** containers referencing the volume, -1 when not computed */
  RefCount: number;
}

export interface Volume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt?: string;
  Status?: Record<string, unknown>;
  Labels: Record<string, string> | null;
  Scope: 'local' | 'global' | string;
  Options: Record<string, string> | null;
  UsageData?: VolumeUsageData | null;
}

export interface VolumeCreateOptions {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
  ClusterVolumeSpec?: unknown;
}

export interface VolumeListResponse {
  Volumes: Volume[];
  Warnings: string[] | null;
}

export interface VolumePruneResponse {
  VolumesDeleted: string[] | null;
  SpaceReclaimed: number;
}
