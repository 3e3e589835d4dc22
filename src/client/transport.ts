// HTTP to the daemon over a unix socket or TCP with node's built-in http (no heavy deps, fast
// start-up), Engine API version negotiation via /_ping, and hijacked (Upgrade: tcp) streams.
import type http from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { BerthError } from '../errdefs/index.js';
import { connectError, daemonError } from './errors.js';
import type { HostAddress } from './host.js';
import { encodeRequest, miniRequest, miniUpgrade, type MiniResponse, type MiniTarget } from './mini-http.js';

// node:http through getBuiltinModule, not an ESM import: the ESM facade of node:http reads
// every export, and its lazy WebSocket getter loads undici, tls and crypto (~40 ms at start-up).
// And only when a request streams: JSON calls go through mini-http.ts, which needs only node:net.
const nodeHttp = (): typeof http => process.getBuiltinModule('node:http');

/** The newest Engine API version this client speaks. */
export const CLIENT_API_VERSION = '1.50';
/** What a daemon that does not say is assumed to speak (docker's fallback). */
export const FALLBACK_API_VERSION = '1.24';

export type QueryValue = string | number | boolean | readonly string[] | undefined;
export type QueryInput = Record<string, QueryValue>;

export interface RequestOptions {
  method?: string;
  path: string;
  query?: QueryInput;
  /** A JSON value, a Buffer or a Readable (streamed as the body). */
  body?: unknown;
  headers?: http.OutgoingHttpHeaders;
  signal?: AbortSignal;
  /** Prefix the path with /vX.Y (default true). */
  versioned?: boolean;
}

export interface HijackedStream {
  socket: Duplex;
  /** application/vnd.docker.raw-stream (TTY) or application/vnd.docker.multiplexed-stream */
  contentType: string;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function encodeQuery(query: QueryInput | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v as readonly string[]) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(item)}`);
    else parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(typeof v === 'boolean' ? (v ? '1' : '0') : String(v))}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

function isReadable(v: unknown): v is Readable {
  return typeof v === 'object' && v !== null && typeof (v as Readable).pipe === 'function' && typeof (v as Readable).read === 'function';
}

export async function readBody(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export class Transport {
  readonly host: HostAddress;
  #agent: http.Agent | undefined;
  #version: string | undefined;
  #negotiating: Promise<string> | undefined;
  /** What /_ping said (headers), once negotiated. */
  ping: { apiVersion?: string; osType?: string; experimental?: boolean } = {};

  constructor(host: HostAddress, opts: { apiVersion?: string } = {}) {
    this.host = host;
    this.#version = opts.apiVersion;
  }

  get #pool(): http.Agent {
    this.#agent ??= new (nodeHttp().Agent)({ keepAlive: true, maxSockets: 8 });
    return this.#agent;
  }

  /** The API version requests use: fixed by the caller, else negotiated once with /_ping. */
  async apiVersion(): Promise<string> {
    if (this.#version !== undefined) return this.#version;
    this.#negotiating ??= this.#negotiate();
    return this.#negotiating;
  }

  async #negotiate(): Promise<string> {
    const res = await this.#whole({ method: 'GET', path: '/_ping', versioned: false });
    const header = res.headers['api-version'];
    const server = typeof header === 'string' && /^\d+\.\d+$/.test(header) ? header : undefined;
    this.ping = { ...(server !== undefined ? { apiVersion: server } : {}) };
    const os = res.headers['ostype'];
    if (typeof os === 'string') this.ping.osType = os;
    this.ping.experimental = res.headers['docker-experimental'] === 'true';
    const v = server === undefined ? FALLBACK_API_VERSION : compareVersions(server, CLIENT_API_VERSION) > 0 ? CLIENT_API_VERSION : server;
    this.#version = v;
    return v;
  }

  async #url(opts: RequestOptions): Promise<string> {
    const prefix = opts.versioned === false ? '' : `/v${await this.apiVersion()}`;
    return `${prefix}${opts.path}${encodeQuery(opts.query)}`;
  }

  #requestOptions(method: string, path: string, headers: http.OutgoingHttpHeaders): http.RequestOptions {
    // servername '' skips the agent's TLS server-name guess, whose isIP() compiles a large
    // IPv6 regular expression (~10 ms of start-up) for a plain-HTTP request.
    const base = { method, path, headers: { 'User-Agent': 'berth-cli', ...headers }, servername: '' } as http.RequestOptions;
    if (this.host.kind === 'unix') return { ...base, socketPath: this.host.path, agent: this.#pool, host: 'api.moby.localhost' };
    return { ...base, host: this.host.host, port: this.host.port, agent: this.#pool };
  }

  /** Where and how mini-http.ts sends a request: the socket, the Host header, the headers as strings. */
  #wire(extra: http.OutgoingHttpHeaders | undefined): { target: MiniTarget; hostHeader: string; headers: Record<string, string | number> } {
    const headers: Record<string, string | number> = { 'User-Agent': 'berth-cli' };
    for (const [k, v] of Object.entries(extra ?? {})) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : (v as string | number);
    const h = this.host;
    if (h.kind === 'unix') return { target: { socketPath: h.path }, hostHeader: 'api.moby.localhost', headers };
    return { target: { host: h.host, port: h.port }, hostHeader: h.host.includes(':') ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`, headers };
  }

  /** A request without a streamed body, its whole response read (mini-http.ts, no node:http). */
  async #whole(opts: RequestOptions): Promise<MiniResponse> {
    if (isReadable(opts.body)) throw new BerthError('internal', 'a streamed body needs request()');
    const url = await this.#url(opts);
    const { target, hostHeader, headers } = this.#wire(opts.headers);
    let payload: Buffer | undefined;
    if (Buffer.isBuffer(opts.body)) payload = opts.body;
    else if (opts.body !== undefined) {
      payload = Buffer.from(JSON.stringify(opts.body));
      if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
    }
    const method = opts.method ?? 'GET';
    try {
      return await miniRequest(target, encodeRequest(method, url, hostHeader, headers, payload), method, opts.signal);
    } catch (err) {
      throw this.#wrapConnError(err);
    }
  }

  /** Send a request and return the response, whatever its status. */
  async #send(opts: RequestOptions): Promise<http.IncomingMessage> {
    const url = await this.#url(opts);
    const headers: http.OutgoingHttpHeaders = { ...opts.headers };
    let payload: Buffer | undefined;
    let stream: Readable | undefined;
    if (isReadable(opts.body)) stream = opts.body;
    else if (Buffer.isBuffer(opts.body)) payload = opts.body;
    else if (opts.body !== undefined) {
      payload = Buffer.from(JSON.stringify(opts.body));
      headers['Content-Type'] ??= 'application/json';
    }
    if (payload) headers['Content-Length'] = payload.length;
    return new Promise<http.IncomingMessage>((resolve, reject) => {
      const reqOpts = this.#requestOptions(opts.method ?? 'GET', url, headers);
      if (opts.signal) reqOpts.signal = opts.signal;
      const req = nodeHttp().request(reqOpts, resolve);
      req.on('error', (err) => reject(this.#wrapConnError(err)));
      if (stream) process.getBuiltinModule('node:stream').pipeline(stream, req, (err) => err && req.destroy(err));
      else req.end(payload);
    });
  }

  #wrapConnError(err: unknown): unknown {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES' || code === 'ENOTDIR' || code === 'EHOSTUNREACH') return connectError(this.host.url, err);
    if (code === 'ABORT_ERR') return new BerthError('canceled', 'request canceled', { cause: err });
    return err;
  }

  /** A request whose non-2xx responses become BerthErrors; the response is returned unread. */
  async request(opts: RequestOptions): Promise<http.IncomingMessage> {
    const res = await this.#send(opts);
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    const body = await readBody(res);
    throw daemonError(status, body);
  }

  /** A request with a JSON response (or none: 204 gives undefined). */
  async json<T>(opts: RequestOptions): Promise<T> {
    if (isReadable(opts.body)) {
      const text = await readBody(await this.request(opts));
      return (text.trim() === '' ? undefined : JSON.parse(text)) as T;
    }
    const res = await this.#whole(opts);
    const text = res.body.toString('utf8');
    if (res.status < 200 || res.status >= 300) throw daemonError(res.status, text);
    if (text.trim() === '') return undefined as T;
    return JSON.parse(text) as T;
  }

  /** POST with `Connection: Upgrade, Upgrade: tcp`; resolves with the raw socket after the 101 (mini-http.ts, no node:http). */
  async hijack(opts: RequestOptions): Promise<HijackedStream> {
    const url = await this.#url(opts);
    const { target, hostHeader, headers } = this.#wire(opts.headers);
    headers['Connection'] = 'Upgrade';
    headers['Upgrade'] = 'tcp';
    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      payload = Buffer.from(JSON.stringify(opts.body));
      headers['Content-Type'] = 'application/json';
    }
    let r: Awaited<ReturnType<typeof miniUpgrade>>;
    try {
      r = await miniUpgrade(target, encodeRequest(opts.method ?? 'POST', url, hostHeader, headers, payload ?? Buffer.alloc(0)));
    } catch (err) {
      throw this.#wrapConnError(err);
    }
    if ('socket' in r) return { socket: r.socket, contentType: r.headers['content-type'] ?? '' };
    const { status, body } = r.response;
    if (status >= 200 && status < 300) throw new BerthError('internal', `the daemon did not upgrade the connection (status ${status})`);
    throw daemonError(status, body.toString('utf8'));
  }

  close(): void {
    this.#agent?.destroy();
  }
}
