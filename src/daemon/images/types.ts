// What the rest of the daemon (containers, builder) needs from the image service.
import type { Digest } from '../../store/content/types.js';
import type { ChainId } from '../../store/snapshots/types.js';

/** The parts of an image config's `config` section (OCI/Docker, wire names). */
export interface ImageRunConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number };
  OnBuild?: string[] | null;
  Shell?: string[];
}

export interface ResolvedImage {
  /** image ID = config digest */
  id: Digest;
  /** the reference as the user wrote it, normalised ("docker.io/library/busybox:latest"), if any */
  ref: string | undefined;
  config: ImageRunConfig;
  /** top chain ID; undefined for an image with no layers */
  chainId: ChainId | undefined;
  os: string;
  architecture: string;
}

export interface ImageResolver {
  /** By name[:tag], name@digest, full or short ID. not-found error: "No such image: <ref>". */
  resolve(refOrId: string): ResolvedImage;
}

/** Containers tell the image service which images are in use (rmi conflicts, prune). */
export interface ImageUsage {
  imagesInUse(): Map<Digest, string[]>; // image ID -> container IDs
  /**
   * Whether a container is running (rmi: a running container is a hard conflict, a stopped one a
   * soft conflict that force overrides). When absent every user counts as running.
   */
  isRunning?(containerId: string): boolean;
}
