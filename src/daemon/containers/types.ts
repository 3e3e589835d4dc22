// The container domain model: what the service keeps per container (persisted in SQLite as
// JSON) and the narrow interfaces other parts (streams, images, system) build on.
import type { ContainerConfig, HostConfig, Health } from '../../engine-api/container.js';
import type { MountPointRecord } from '../volumes/types.js';

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerStateRecord {
  status: ContainerStatus;
  /** container init pid on the host (0 when not running) */
  pid: number;
  /** conmon's pid (0 when not running); conmon outlives berthd */
  conmonPid: number;
  exitCode: number;
  error: string;
  oomKilled: boolean;
  /** ISO timestamps; "0001-01-01T00:00:00Z" when never */
  startedAt: string;
  finishedAt: string;
  /** set by `stop`/`kill` from a user, cleared by `start` (restart policy must not undo it) */
  manuallyStopped: boolean;
  health?: Health;
}

/** Where a container's files are. Everything under `dir` goes away with the container. */
export interface ContainerPaths {
  /** <data-root>/containers/<id> */
  dir: string;
  /** OCI bundle: config.json (+ conmon's attach socket target, ctl and winsz FIFOs) */
  bundle: string;
  configJson: string;
  /** conmon's k8s-file log: "<RFC3339Nano> stdout|stderr F|P <text>" per line */
  logPath: string;
  /** overlay mount point = config.json root.path (mounted only while the container runs) */
  rootfs: string;
  hostsPath: string;
  hostnamePath: string;
  resolvConfPath: string;
  /** conmon's SOCK_SEQPACKET attach socket (through the short symlink <exec-root>/socks/<id>) */
  attachSocket: string;
  /** conmon's control FIFO: write "1 <rows> <cols>\n" to resize a tty */
  ctlFifo: string;
  winszFifo: string;
  /** conmon's persist dir: exit, oom */
  persistDir: string;
  /** <exec-root>/exits/<id>: written by conmon when the container exits */
  exitFile: string;
  conmonPidFile: string;
  pidFile: string;
}

/** How to call the OCI runtime for a container (fixed at create: per-container --runtime). */
export interface RuntimeHandle {
  /** name as in /info Runtimes ("crun", "runc", or a daemon.json runtime) */
  name: string;
  /** the runtime binary for start/kill/delete/state/pause/resume/exec/ps/update */
  path: string;
  /** global args before the subcommand, including --root */
  args: string[];
  /** what to run for create/run (conmon's -r): a wrapper on hybrid cgroup hosts for crun */
  createPath: string;
  createArgs: string[];
  /** the runtime's state root (never /run/crun) */
  root: string;
}

export interface ContainerRecord {
  id: string;
  /** with the leading "/" as Docker shows it */
  name: string;
  created: string;
  /** image ID (sha256:...) and the reference as given (Config.Image) */
  imageId: string;
  config: ContainerConfig;
  hostConfig: HostConfig;
  /** entrypoint + cmd resolved at create: Path and Args in inspect */
  path: string;
  args: string[];
  /** top chain ID of the image, for the rootfs mount */
  chainId: string | undefined;
  platform: string;
  state: ContainerStateRecord;
  restartCount: number;
  runtime: RuntimeHandle;
  paths: ContainerPaths;
  /** exec session IDs (owned by the streams engineer's exec service) */
  execIds: string[];
  /** stopped by the daemon on shutdown (live-restore off): restart policy applies at next boot */
  daemonStopped: boolean;
  /** the process user as resolved from the image's /etc/passwd at the last start (exec uses it) */
  user?: { uid: number; gid: number; additionalGids: number[] };
  /** last restart back-off delay */
  restartDelayMs?: number;
  /** volumes, binds and tmpfs mounts resolved by the volume service at create (inspect Mounts) */
  mounts?: MountPointRecord[];
}

/** wait() conditions, as Docker's ?condition= */
export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface WaitResult {
  statusCode: number;
  error: string | undefined;
}

/** The container lifecycle as other daemon parts see it (streams: attach/logs/exec/top/resize). */
export interface ContainerBackend {
  /** by full ID, unique ID prefix, or name (with or without "/"); not-found "No such container: x" */
  get(idOrName: string): ContainerRecord;
  /** one-shot hook awaited (with a timeout) after conmon reported the pid and before `runtime start` */
  beforeStart(id: string, fn: () => Promise<void>): void;
  /** resolve when the condition holds; rejects with the signal's reason on abort */
  wait(idOrName: string, condition: WaitCondition, signal?: AbortSignal): Promise<WaitResult>;
  /** subscribe to state changes of one container (or all with id undefined); returns unsubscribe */
  onChange(id: string | undefined, fn: (c: ContainerRecord) => void): () => void;
}
