// A typed Engine API client: one method per endpoint the CLI uses. It speaks only HTTP, so it
// drives berthd and dockerd alike.
import type http from 'node:http';
import type { Readable } from 'node:stream';
import { Transport, type HijackedStream, type QueryInput } from './transport.js';
import { parseHost, type HostAddress } from './host.js';
import type {
  ContainerCreateResponse,
  ContainerInspect,
  ContainerSummary,
  DiskUsage,
  EventMessage,
  ExecInspect,
  ImageDeleteItem,
  ImageHistoryItem,
  ImageSummary,
  Json,
  PruneReport,
  SystemInfo,
  SystemVersion,
  TopResponse,
  WaitResponse,
} from './types.js';

export type Filters = Record<string, string[]>;

/** Filters as the Engine API's `filters` query parameter (`{"key":{"value":true}}`). */
export function filtersParam(filters: Filters | undefined): string | undefined {
  if (!filters || Object.keys(filters).length === 0) return undefined;
  const wire: Record<string, Record<string, boolean>> = {};
  for (const [k, vs] of Object.entries(filters)) {
    const m: Record<string, boolean> = {};
    for (const v of vs) m[v] = true;
    wire[k] = m;
  }
  return JSON.stringify(wire);
}

const enc = encodeURIComponent;

export interface ClientOptions {
  host: string;
  /** Fix the API version instead of negotiating it. */
  apiVersion?: string;
}

export class EngineClient {
  readonly transport: Transport;

  constructor(opts: ClientOptions) {
    const host: HostAddress = parseHost(opts.host);
    this.transport = new Transport(host, opts.apiVersion !== undefined ? { apiVersion: opts.apiVersion } : {});
  }

  get hostUrl(): string {
    return this.transport.host.url;
  }

  apiVersion(): Promise<string> {
    return this.transport.apiVersion();
  }

  close(): void {
    this.transport.close();
  }

  // ---- system
  version(): Promise<SystemVersion> {
    return this.transport.json({ path: '/version' });
  }
  info(): Promise<SystemInfo> {
    return this.transport.json({ path: '/info' });
  }
  diskUsage(types?: string[]): Promise<DiskUsage> {
    return this.transport.json({ path: '/system/df', query: types ? { type: types } : {} });
  }
  /**
   * The event stream, one message at a time, until `signal` aborts or the daemon ends it.
   * timeNano is a BigInt (it does not fit a double; JSON.stringify needs bigintReplacer).
   */
  async *events(opts: { since?: string; until?: string; filters?: Filters; signal?: AbortSignal }): AsyncGenerator<ExactEventMessage> {
    const res = await this.transport.request({
      path: '/events',
      query: { since: opts.since, until: opts.until, filters: filtersParam(opts.filters) },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    yield* jsonLines<ExactEventMessage>(res, exactTimeNano);
  }

  // ---- images
  listImages(opts: { all?: boolean; digests?: boolean; filters?: Filters; sharedSize?: boolean } = {}): Promise<ImageSummary[]> {
    return this.transport.json({ path: '/images/json', query: { all: opts.all || undefined, digests: opts.digests || undefined, filters: filtersParam(opts.filters), 'shared-size': opts.sharedSize || undefined } });
  }
  inspectImage(name: string): Promise<Json> {
    return this.transport.json({ path: `/images/${enc(name)}/json` });
  }
  imageHistory(name: string): Promise<ImageHistoryItem[]> {
    return this.transport.json({ path: `/images/${enc(name)}/history` });
  }
  async tagImage(source: string, repo: string, tag: string | undefined): Promise<void> {
    await this.transport.json({ method: 'POST', path: `/images/${enc(source)}/tag`, query: { repo, tag } });
  }
  removeImage(name: string, opts: { force?: boolean; noPrune?: boolean } = {}): Promise<ImageDeleteItem[]> {
    return this.transport.json({ method: 'DELETE', path: `/images/${enc(name)}`, query: { force: opts.force || undefined, noprune: opts.noPrune || undefined } });
  }
  pruneImages(filters?: Filters): Promise<PruneReport> {
    return this.transport.json({ method: 'POST', path: '/images/prune', query: { filters: filtersParam(filters) } });
  }
  /** POST /images/create?fromSrc=-: the progress stream as a response. */
  importImage(source: Readable | undefined, opts: { fromSrc: string; repo?: string; tag?: string; changes?: string[]; message?: string; platform?: string }): Promise<http.IncomingMessage> {
    const query: QueryInput = { fromSrc: opts.fromSrc, repo: opts.repo, tag: opts.tag, message: opts.message, changes: opts.changes, platform: opts.platform };
    return this.transport.request({ method: 'POST', path: '/images/create', query, ...(source ? { body: source, headers: { 'Content-Type': 'application/x-tar' } } : {}) });
  }
  pullImage(opts: { fromImage: string; tag?: string; platform?: string }): Promise<http.IncomingMessage> {
    return this.transport.request({ method: 'POST', path: '/images/create', query: { fromImage: opts.fromImage, tag: opts.tag, platform: opts.platform } });
  }
  loadImages(source: Readable, quiet: boolean): Promise<http.IncomingMessage> {
    return this.transport.request({ method: 'POST', path: '/images/load', query: { quiet: quiet || undefined }, body: source, headers: { 'Content-Type': 'application/x-tar' } });
  }
  saveImages(names: string[]): Promise<http.IncomingMessage> {
    return this.transport.request({ path: '/images/get', query: { names } });
  }

  // ---- containers
  listContainers(opts: { all?: boolean; limit?: number; size?: boolean; filters?: Filters } = {}): Promise<ContainerSummary[]> {
    return this.transport.json({ path: '/containers/json', query: { all: opts.all || undefined, limit: opts.limit !== undefined && opts.limit > 0 ? opts.limit : undefined, size: opts.size || undefined, filters: filtersParam(opts.filters) } });
  }
  createContainer(body: Json, opts: { name?: string; platform?: string } = {}): Promise<ContainerCreateResponse> {
    return this.transport.json({ method: 'POST', path: '/containers/create', query: { name: opts.name, platform: opts.platform }, body });
  }
  inspectContainer(id: string, opts: { size?: boolean } = {}): Promise<ContainerInspect> {
    return this.transport.json({ path: `/containers/${enc(id)}/json`, query: { size: opts.size || undefined } });
  }
  async startContainer(id: string, opts: { detachKeys?: string } = {}): Promise<void> {
    await this.transport.json({ method: 'POST', path: `/containers/${enc(id)}/start`, query: { detachKeys: opts.detachKeys } });
  }
  async stopContainer(id: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    await this.transport.json({ method: 'POST', path: `/containers/${enc(id)}/stop`, query: { t: opts.timeout, signal: opts.signal } });
  }
  async restartContainer(id: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    await this.transport.json({ method: 'POST', path: `/containers/${enc(id)}/restart`, query: { t: opts.timeout, signal: opts.signal } });
  }
  async killContainer(id: string, signal?: string): Promise<void> {
    await this.transport.json({ method: 'POST', path: `/containers/${enc(id)}/kill`, query: { signal } });
  }
  async pauseContainer(id: string): Promise<void> {
    await this.transport.json({ method: 'POST', path: `/containers/${enc(id)}/pause` });
  }
  async unpauseContainer(id: string): Promise<void> {
    await this.transport.json({ method: 'POST', path: `/containers/${enc(id)}/unpause` });
  }
  async removeContainer(id: string, opts: { force?: boolean; volumes?: boolean; link?: boolean } = {}): Promise<void> {
    await this.transport.json({ method: 'DELETE', path: `/containers/${enc(id)}`, query: { force: opts.force || undefined, v: opts.volumes || undefined, link: opts.link || undefined } });
  }
  async renameContainer(id: string, name: string): Promise<void> {
    await this.transport.json({ method: 'POST', path: `/containers/${enc(id)}/rename`, query: { name } });
  }
  waitContainer(id: string, condition?: 'not-running' | 'next-exit' | 'removed', signal?: AbortSignal): Promise<WaitResponse> {
    return this.transport.json({ method: 'POST', path: `/containers/${enc(id)}/wait`, query: { condition }, ...(signal ? { signal } : {}) });
  }
  topContainer(id: string, psArgs?: string): Promise<TopResponse> {
    return this.transport.json({ path: `/containers/${enc(id)}/top`, query: { ps_args: psArgs } });
  }
  containerLogs(id: string, opts: { follow?: boolean; stdout?: boolean; stderr?: boolean; since?: string; until?: string; timestamps?: boolean; tail?: string; details?: boolean; signal?: AbortSignal }): Promise<http.IncomingMessage> {
    return this.transport.request({
      path: `/containers/${enc(id)}/logs`,
      query: { follow: opts.follow || undefined, stdout: opts.stdout ?? true, stderr: opts.stderr ?? true, since: opts.since, until: opts.until, timestamps: opts.timestamps || undefined, tail: opts.tail, details: opts.details || undefined },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }
  attachContainer(id: string, opts: { stream?: boolean; stdin?: boolean; stdout?: boolean; stderr?: boolean; logs?: boolean; detachKeys?: string }): Promise<HijackedStream> {
    return this.transport.hijack({
      method: 'POST',
      path: `/containers/${enc(id)}/attach`,
      query: { stream: opts.stream ?? true, stdin: opts.stdin || undefined, stdout: opts.stdout || undefined, stderr: opts.stderr || undefined, logs: opts.logs || undefined, detachKeys: opts.detachKeys },
    });
  }
  async resizeContainer(id: string, h: number, w: number): Promise<void> {
    await this.transport.json({ method: 'POST', path: `/containers/${enc(id)}/resize`, query: { h, w } });
  }
  pruneContainers(filters?: Filters): Promise<PruneReport> {
    return this.transport.json({ method: 'POST', path: '/containers/prune', query: { filters: filtersParam(filters) } });
  }

  // ---- exec
  createExec(container: string, body: Json): Promise<{ Id: string }> {
    return this.transport.json({ method: 'POST', path: `/containers/${enc(container)}/exec`, body });
  }
  async startExecDetached(id: string, tty: boolean): Promise<void> {
    await this.transport.json({ method: 'POST', path: `/exec/${enc(id)}/start`, body: { Detach: true, Tty: tty } });
  }
  startExecAttached(id: string, tty: boolean): Promise<HijackedStream> {
    return this.transport.hijack({ method: 'POST', path: `/exec/${enc(id)}/start`, body: { Detach: false, Tty: tty } });
  }
  inspectExec(id: string): Promise<ExecInspect> {
    return this.transport.json({ path: `/exec/${enc(id)}/json` });
  }
  async resizeExec(id: string, h: number, w: number): Promise<void> {
    await this.transport.json({ method: 'POST', path: `/exec/${enc(id)}/resize`, query: { h, w } });
  }
}

export type ExactEventMessage = Omit<EventMessage, 'timeNano'> & { timeNano: bigint };

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;

/** JSON.parse reviver keeping timeNano exact (uses the source text access of JSON.parse). */
export const exactTimeNano: Reviver = (key, value, context) => (key === 'timeNano' && context?.source !== undefined ? BigInt(context.source) : value);

/** JSON.stringify replacer writing BigInts as plain JSON numbers. */
export function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? (JSON as unknown as { rawJSON(s: string): unknown }).rawJSON(value.toString()) : value;
}

/** Parse a newline-delimited JSON stream. */
export async function* jsonLines<T>(src: AsyncIterable<Buffer | string>, reviver?: Reviver): AsyncGenerator<T> {
  let rest = '';
  for await (const chunk of src) {
    rest += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, nl).trim();
      rest = rest.slice(nl + 1);
      if (line !== '') yield JSON.parse(line, reviver as Parameters<typeof JSON.parse>[1]) as T;
    }
  }
  if (rest.trim() !== '') yield JSON.parse(rest, reviver as Parameters<typeof JSON.parse>[1]) as T;
}
