// The volume side of a container: what the container service stores per mount point and the
// narrow interface it calls at create, start, exit and remove (MountResolver).
import type { HostConfig } from '../../engine-api/container.js';

export type MountType = 'volume' | 'bind' | 'tmpfs';

/** One resolved mount point of a container (persisted with the container record). */
export interface MountPointRecord {
  type: MountType;
  destination: string;
  /** host path: the bind source, or the volume's mountpoint (plugins: filled at start) */
  source: string;
  /** volume name ('' for binds and tmpfs) */
  name: string;
  /** volume driver ('' for binds and tmpfs) */
  driver: string;
  rw: boolean;
  /** the mode as given ("ro,z"); Docker shows "z" for local volumes given without one */
  mode: string;
  /** bind propagation ("rprivate" by default for binds, '' otherwise) */
  propagation: string;
  /** fill the volume with the image's content at first start (volumes only) */
  copyData: boolean;
  /** the volume was made for this container (anonymous): `rm -v` and `--rm` remove it */
  anonymous: boolean;
  /** binds: create a missing source directory at start (-v does, --mount does not) */
  createSource?: boolean;
  /** bind-recursive: "enabled" (default), "disabled", "writable", "readonly" */
  bindRecursive?: string;
  /** volume subpath (--mount volume-subpath) */
  subpath?: string;
  /** tmpfs mount data ("size=64m,mode=1777") */
  tmpfsData?: string;
}

/** An OCI runtime spec mount (config.json "mounts" entry). */
export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface PrepareOptions {
  containerId: string;
  hostConfig: HostConfig;
  /** Config.Volumes: the image's VOLUMEs merged with `-v /path` */
  volumes: Record<string, unknown> | null | undefined;
  /** another container's ID and mount points for --volumes-from; throws not-found */
  containerMounts: (idOrName: string) => { id: string; mounts: readonly MountPointRecord[] };
}

/**
 * What the container service calls (all idempotent):
 *   create: mounts = await resolver.prepare({containerId, hostConfig, volumes, containerMounts})
 *           (validates everything first: on bad input nothing is created or referenced)
 *   start:  ociMounts = await resolver.setup({containerId, rootfs, mounts})   // after the rootfs mount
 *   exit:   await resolver.teardown(containerId, mounts)
 *   rm:     await resolver.release(containerId, mounts, {removeAnonymous: v || autoRemove})
 */
export interface MountResolver {
  prepare(o: PrepareOptions): Promise<MountPointRecord[]>;
  /** mount volumes, copy image content up (once), return the OCI mounts sorted parents first */
  setup(o: { containerId: string; rootfs: string; mounts: MountPointRecord[] }): Promise<OciMount[]>;
  teardown(containerId: string, mounts: readonly MountPointRecord[]): Promise<void>;
  release(containerId: string, mounts: readonly MountPointRecord[], o: { removeAnonymous: boolean }): Promise<void>;
}
