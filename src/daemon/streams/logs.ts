// `docker logs`: a container's k8s-file log read with Docker's options. The log is on disk, so
// this works for exited containers and after a daemon restart; `follow` ends when the
// container stops.
import { invalidArgument } from '../../errdefs/index.js';
import { readLogBatches, type LogMessage } from '../../runtime/logs/index.js';
import type { ContainerBackend } from '../containers/index.js';

export interface LogsOptions {
  stdout: boolean;
  stderr: boolean;
  follow: boolean;
  /** ns since the epoch */
  since?: bigint | undefined;
  until?: bigint | undefined;
  /** last N messages; undefined = all */
  tail?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface LogsResult {
  tty: boolean;
  /** messages in batches (one batch per read of the log) */
  batches: AsyncIterable<LogMessage[]>;
}

const RUNNING = new Set(['running', 'paused', 'restarting']);

export class ContainerLogs {
  readonly #containers: ContainerBackend;

  constructor(containers: ContainerBackend) {
    this.#containers = containers;
  }

  /** Validates (not-found, bad parameters) before anything is streamed. */
  logs(idOrName: string, o: LogsOptions): LogsResult {
    if (!o.stdout && !o.stderr) throw invalidArgument('Bad parameters: you must choose at least one stream');
    const c = this.#containers.get(idOrName);
    if (c.hostConfig.LogConfig?.Type === 'none') throw invalidArgument('configured logging driver does not support reading');
    const follow = o.follow && RUNNING.has(c.state.status);
    let stopped: Promise<unknown> | undefined;
    if (follow) {
      stopped = this.#containers.wait(c.id, 'not-running', o.signal).catch(() => undefined);
    }
    const source = readLogBatches(c.paths.logPath, { tail: o.tail, since: o.since, until: o.until, follow, stopped, signal: o.signal });
    return { tty: c.config.Tty === true, batches: filterStreams(source, o.stdout, o.stderr) };
  }
}

async function* filterStreams(src: AsyncIterable<LogMessage[]>, stdout: boolean, stderr: boolean): AsyncGenerator<LogMessage[]> {
  for await (const batch of src) {
    const kept = stdout && stderr ? batch : batch.filter((m) => (m.stream === 'stdout' ? stdout : stderr));
    if (kept.length > 0) yield kept;
  }
}
