// `docker attach` / `docker run` / `docker start -a`: a client joins a container's stdio through
// conmon's attach socket. Attaching to a container that is not running waits for its next
// start (a beforeStart hook connects before the process runs, so no output is lost).
import { conflict } from '../../errdefs/index.js';
import { ConmonAttachSocket, parseDetachKeys, pump, resizeTty, DEFAULT_DETACH_KEYS, type AttachClient, type PumpResult } from '../../runtime/attach/index.js';
import { readLogs } from '../../runtime/logs/index.js';
import type { ContainerBackend, ContainerRecord } from '../containers/index.js';
import type { EventsService } from '../events.js';

export interface AttachOptions {
  /** stream live output (and input) */
  stream: boolean;
  /** replay the log first */
  logs: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** Docker's detach keys spec; undefined = the default (ctrl-p,ctrl-q) */
  detachKeys?: string | undefined;
}

export interface PreparedAttach {
  tty: boolean;
  /** Run the session to its end; resolves with why it ended ('logs' for a logs-only attach). */
  run(client: AttachClient): Promise<PumpResult | 'logs'>;
}

const RUNNING = new Set(['running', 'paused', 'restarting']);

export function containerEventAttributes(c: ContainerRecord): Record<string, string> {
  return { ...(c.config.Labels ?? {}), image: c.config.Image ?? c.imageId, name: c.name.replace(/^\//, '') };
}

export class ContainerAttach {
  readonly #containers: ContainerBackend;
  readonly #events: EventsService;
  /** Connections kept open so conmon does not close a container's stdin (see #release). */
  readonly #parked = new Set<ConmonAttachSocket>();

  constructor(containers: ContainerBackend, events: EventsService) {
    this.#containers = containers;
    this.#events = events;
  }

  /** Checks everything that can fail before the client gets the stream head. */
  prepare(idOrName: string, o: AttachOptions): PreparedAttach {
    const c = this.#containers.get(idOrName);
    const keys = parseDetachKeys(o.detachKeys ?? DEFAULT_DETACH_KEYS);
    if (c.state.status === 'paused') throw conflict('You cannot attach to a paused container, unpause it first');
    if (c.state.status === 'restarting') throw conflict('You cannot attach to a restarting container, wait until it is running');
    const useStdin = o.stdin && c.config.OpenStdin === true;
    const tty = c.config.Tty === true;
    return {
      tty,
      run: (client) => this.#run(c, { ...o, stdin: useStdin }, keys, client),
    };
  }

  async #run(c: ContainerRecord, o: AttachOptions, keys: Buffer, client: AttachClient): Promise<PumpResult | 'logs'> {
    const signal = client.signal;
    // Connect first (or arrange to connect right before the next start), so that output
    // written while the log is replayed is not lost.
    let connecting: Promise<ConmonAttachSocket> | undefined;
    if (o.stream) connecting = this.#connect(c, signal);
    connecting?.catch(() => undefined);
    if (o.logs) {
      for await (const m of readLogs(c.paths.logPath, { signal })) {
        if (m.stream === 'stdout' ? !o.stdout : !o.stderr) continue;
        await client.output(m.stream, m.line);
      }
    }
    if (!connecting) return 'logs';
    let conn: ConmonAttachSocket;
    try {
      conn = await connecting;
    } catch (err) {
      if (signal?.aborted) return 'client-gone';
      throw err;
    }
    this.#events.publish('container', 'attach', c.id, containerEventAttributes(c));
    const result = await pump(conn, { ...client, stdin: o.stdin ? client.stdin : undefined }, {
      stdout: o.stdout,
      stderr: o.stderr,
      detachKeys: keys,
      closeStdinOnEof: c.config.StdinOnce === true && !(c.config.Tty === true),
    });
    if (result === 'detached') this.#events.publish('container', 'detach', c.id, containerEventAttributes(c));
    this.#release(c, conn, o.stdin);
    return result;
  }

  /** Connect now if the container runs, else from a beforeStart hook at its next start. */
  #connect(c: ContainerRecord, signal: AbortSignal | undefined): Promise<ConmonAttachSocket> {
    const current = this.#containers.get(c.id);
    if (RUNNING.has(current.state.status)) return ConmonAttachSocket.connect(current.paths.attachSocket);
    return new Promise((resolve, reject) => {
      let settled = false;
      const onAbort = (): void => {
        if (settled) return;
        settled = true;
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#containers.beforeStart(c.id, async () => {
        if (settled) return; // the client went away meanwhile
        try {
          const fresh = this.#containers.get(c.id);
          const conn = await ConmonAttachSocket.connect(fresh.paths.attachSocket);
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          if (signal?.aborted) conn.close();
          else resolve(conn);
        } catch (err) {
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        }
      });
    });
  }

  /**
   * Closing our end makes conmon close the container's stdin (it runs without
   * --leave-stdin-open for StdinOnce containers). That is Docker's behaviour only when this
   * client attached stdin to a StdinOnce container without a tty; otherwise the connection
   * is kept (unread) until the container stops.
   */
  #release(c: ContainerRecord, conn: ConmonAttachSocket, usedStdin: boolean): void {
    const openStdin = c.config.OpenStdin === true;
    const closesStdin = usedStdin && c.config.StdinOnce === true && c.config.Tty !== true;
    if (!openStdin || closesStdin || conn.isEnded) {
      conn.close();
      return;
    }
    this.#parked.add(conn);
    const drop = (): void => {
      this.#parked.delete(conn);
      conn.close();
    };
    conn.once('end', drop);
    this.#containers.wait(c.id, 'not-running').then(drop, drop);
  }

  /** POST /containers/{id}/resize */
  async resize(idOrName: string, height: number, width: number): Promise<void> {
    const c = this.#containers.get(idOrName);
    if (!RUNNING.has(c.state.status)) throw conflict(`container ${c.id} is not running`);
    await resizeTty(c.paths.ctlFifo, height, width);
  }

  close(): void {
    for (const conn of this.#parked) conn.close();
    this.#parked.clear();
  }
}
