// Volume drivers: the local driver and plugin drivers behind one small interface. Drivers know
// nothing of containers or of Docker's JSON; the volume service (src/daemon/volumes) keeps the
// metadata (labels, options, references) and calls a driver only for the data.

/** What a driver needs to know about one of its volumes. */
export interface VolumeRef {
  name: string;
  /** the options given at create (DriverOpts) */
  options: Record<string, string>;
}

/** A volume as a driver reports it. */
export interface DriverVolume {
  name: string;
  mountpoint: string;
  createdAt?: string;
  status?: Record<string, unknown>;
}

export interface VolumeDriver {
  readonly name: string;
  /** "local": volumes belong to this host; "global": the cluster's */
  scope(): Promise<'local' | 'global'>;
  /** validate the options and create the volume; nothing is left behind on failure */
  create(vol: VolumeRef): Promise<void>;
  remove(vol: VolumeRef): Promise<void>;
  /** make the volume's data available for user `ref` (a container ID); the host path */
  mount(vol: VolumeRef, ref: string): Promise<string>;
  /** `last`: no other user has it mounted (the local driver unmounts only then) */
  unmount(vol: VolumeRef, ref: string, last: boolean): Promise<void>;
  /** the host path (without mounting); '' when the driver does not know one */
  path(vol: VolumeRef): Promise<string>;
  get(name: string): Promise<DriverVolume | undefined>;
  list(): Promise<DriverVolume[]>;
}

/** Finds a driver by name: "local" or a plugin in the plugins directories. */
export interface DriverRegistry {
  driver(name: string): Promise<VolumeDriver>;
  /** names of the plugins found (for /info Plugins.Volume) */
  names(): string[];
}
