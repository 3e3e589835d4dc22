// RegistryClient: the Registry HTTP API v2 / OCI distribution API over undici, per repository:
// endpoint choice (ping /v2/, HTTPS then HTTP where allowed), auth from the ping's challenge
// (anonymous, basic, bearer tokens per scope), manifests, blobs (resumable GETs), uploads
// (mount, chunked PATCH + PUT, monolithic PUT), tags, and the index's /v1/search.
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { undici } from './undici.js';
import { BerthError, invalidArgument, unauthorized } from '../../errdefs/index.js';
import { isDigest, sha256, type Digest } from '../../oci/digest.js';
import { MediaTypes } from '../../oci/media-types.js';
import { basicHeader, credentials, TokenCache, type AuthConfig } from './auth.js';
import { parseChallenges, type Challenge } from './challenge.js';
import { errorFromResponse, isNetworkError, networkErrorText, RegistryError, statusText } from './errors.js';
import type { Endpoint, RegistryHosts } from './hosts.js';

export const MANIFEST_ACCEPT = [MediaTypes.ociIndex, MediaTypes.dockerManifestList, MediaTypes.ociManifest, MediaTypes.dockerManifest, MediaTypes.dockerManifestV1Signed, MediaTypes.dockerManifestV1];
export const MANIFEST_LIMIT = 4 * 1024 * 1024;

export interface RegistryClientOptions {
  hosts: RegistryHosts;
  userAgent?: string;
}

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: Digest;
}

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

const METHOD_NAMES: Record<string, string> = { GET: 'Get', HEAD: 'Head', POST: 'Post', PUT: 'Put', PATCH: 'Patch', DELETE: 'Delete' };

/** Go's url.Error prefix: `Head "https://h/v2/x/manifests/latest"`. */
export function urlErrorPrefix(method: string, url: string): string {
  return `${METHOD_NAMES[method] ?? method} "${url}"`;
}

function header(h: Response['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

export class RegistryClient {
  readonly hosts: RegistryHosts;
  readonly tokens = new TokenCache();
  readonly userAgent: string;
  /** endpoint url -> challenges of its /v2/ ping (a live endpoint) */
  readonly #pings = new Map<string, Challenge[]>();

  constructor(opts: RegistryClientOptions) {
    this.hosts = opts.hosts;
    this.userAgent = opts.userAgent ?? 'berth';
  }

  /** A repository on `domain` ("docker.io", "127.0.0.1:5000"), path "library/busybox". */
  repository(domain: string, path: string, opts: { auth?: AuthConfig | undefined; actions: readonly ('pull' | 'push')[] }): Repository {
    return new Repository(this, domain, path, opts.auth, opts.actions);
  }

  /** GET <endpoint>/v2/ (cached per endpoint): the challenges of a 401, [] when open. Network errors throw as Go words them. */
  async pingEndpoint(ep: Endpoint, signal?: AbortSignal): Promise<Challenge[]> {
    const cached = this.#pings.get(ep.url);
    if (cached) return cached;
    const url = `${ep.url}/v2/`;
    try {
      const res = await undici().request(url, { dispatcher: ep.dispatcher, method: 'GET', headers: { 'user-agent': this.userAgent }, ...(signal ? { signal } : {}) });
      await res.body.text().catch(() => '');
      const challenges = res.statusCode === 401 ? parseChallenges(res.headers['www-authenticate']) : [];
      this.#pings.set(ep.url, challenges);
      return challenges;
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new BerthError('unavailable', `${urlErrorPrefix('GET', url)}: ${networkErrorText(err, ep.host)}`, { cause: err });
    }
  }

  /** The first endpoint of a domain that answers its ping (HTTPS before HTTP, mirrors first). */
  async ping(domain: string, signal?: AbortSignal, opts: { mirrors?: boolean } = {}): Promise<{ endpoint: Endpoint; challenges: Challenge[]; rest: Endpoint[] }> {
    const eps = this.hosts.endpoints(domain).filter((ep) => opts.mirrors !== false || !ep.mirror);
    let lastErr: unknown;
    for (const [i, ep] of eps.entries()) {
      try {
        const challenges = await this.pingEndpoint(ep, signal);
        return { endpoint: ep, challenges, rest: eps.slice(i) };
      } catch (err) {
        lastErr = err;
        if ((err as Error).name === 'AbortError' || !isNetworkError((err as Error).cause)) break;
      }
    }
    throw lastErr ?? invalidArgument(`no endpoint for ${domain}`);
  }

  cachedChallenges(endpointUrl: string): Challenge[] | undefined {
    return this.#pings.get(endpointUrl);
  }

  /**
   * Check credentials as `docker login` does (registry/auth.go loginV2): ping, then GET /v2/ with
   * basic auth or with a token fetched with them. Returns an identity token when the token
   * server hands one out (refresh token), else ''.
   */
  async login(domain: string, auth: AuthConfig, signal?: AbortSignal): Promise<{ identityToken: string }> {
    // never a mirror: credentials for a registry go to that registry only (moby's Auth skips them)
    const { endpoint, challenges } = await this.ping(domain, signal, { mirrors: false });
    const url = `${endpoint.url}/v2/`;
    const creds = credentials(auth);
    const headers: Record<string, string> = { 'user-agent': this.userAgent };
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (bearer) {
      const { token } = await this.tokens.get(bearer, [], auth, endpoint.dispatcher, urlErrorPrefix('GET', url));
      headers['authorization'] = `Bearer ${token}`;
    } else if (basic) {
      if (!creds) throw unauthorized(`${urlErrorPrefix('GET', url)}: no basic auth credentials`);
      headers['authorization'] = basicHeader(creds);
    }
    let res;
    try {
      res = await undici().request(url, { dispatcher: endpoint.dispatcher, method: 'GET', headers, ...(signal ? { signal } : {}) });
    } catch (err) {
      throw new BerthError('unavailable', `${urlErrorPrefix('GET', url)}: ${networkErrorText(err, endpoint.host)}`, { cause: err });
    }
    await res.body.text().catch(() => '');
    if (res.statusCode !== 200) throw unauthorized(`login attempt to ${url} failed with status: ${res.statusCode} ${statusText(res.statusCode)}`);
    return { identityToken: '' };
  }

  /** GET <index>/v1/search?q=&n= (the index API the docker CLI's search uses). */
  async search(domain: string, term: string, limit: number, auth: AuthConfig | undefined, signal?: AbortSignal): Promise<{ results: SearchResult[] }> {
    let lastErr: unknown;
    for (const ep of this.hosts.indexEndpoints(domain)) {
      const url = new URL(`${ep.url}/v1/search`);
      url.searchParams.set('q', term);
      url.searchParams.set('n', String(limit));
      const headers: Record<string, string> = { 'user-agent': this.userAgent };
      const creds = credentials(auth);
      if (creds) headers['authorization'] = basicHeader(creds);
      let res;
      try {
        res = await undici().request(url, { dispatcher: ep.dispatcher, method: 'GET', headers, ...(signal ? { signal } : {}) });
      } catch (err) {
        lastErr = new BerthError('unavailable', `${urlErrorPrefix('GET', url.toString())}: ${networkErrorText(err, ep.host)}`, { cause: err });
        if (isNetworkError(err)) continue;
        throw lastErr;
      }
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new BerthError(errorFromResponse(res.statusCode, text).kind, `Unexpected status code ${res.statusCode}`);
      let body: { results?: unknown };
      try {
        body = JSON.parse(text) as typeof body;
      } catch (err) {
        throw new BerthError('internal', `error decoding search results: ${(err as Error).message}`);
      }
      return { results: Array.isArray(body.results) ? (body.results as SearchResult[]) : [] };
    }
    throw lastErr ?? invalidArgument(`no index endpoint for ${domain}`);
  }
}

export interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated: boolean;
}

interface RequestOptions {
  headers?: Record<string, string | number>;
  body?: Readable | Buffer | string;
  signal?: AbortSignal | undefined;
  /** extra scopes (cross-repository mount source) */
  scopes?: string[];
  /** an absolute URL (upload locations) instead of the path */
  url?: string;
}

/** One repository on one registry, for one pull or push. */
export class Repository {
  readonly client: RegistryClient;
  readonly domain: string;
  readonly path: string;
  readonly auth: AuthConfig | undefined;
  readonly actions: readonly ('pull' | 'push')[];
  #endpoint: Endpoint | undefined;
  #challenges: Challenge[] = [];
  #endpoints: Endpoint[] | undefined;

  constructor(client: RegistryClient, domain: string, path: string, auth: AuthConfig | undefined, actions: readonly ('pull' | 'push')[]) {
    this.client = client;
    this.domain = domain;
    this.path = path;
    this.auth = auth;
    this.actions = actions;
  }

  get endpoint(): Endpoint | undefined {
    return this.#endpoint;
  }

  /** Choose the endpoint (ping). */
  async connect(signal?: AbortSignal): Promise<Endpoint> {
    if (this.#endpoint) return this.#endpoint;
    const eps = (this.#endpoints ??= this.client.hosts.endpoints(this.domain));
    let lastErr: unknown;
    for (const [i, ep] of eps.entries()) {
      try {
        this.#challenges = await this.client.pingEndpoint(ep, signal);
        this.#endpoint = ep;
        this.#endpoints = eps.slice(i);
        return ep;
      } catch (err) {
        lastErr = err;
        if ((err as Error).name === 'AbortError' || !isNetworkError((err as Error).cause)) break;
      }
    }
    throw lastErr ?? invalidArgument(`no endpoint for ${this.domain}`);
  }

  /** Whether there is another endpoint (docker.io mirror fallback) to try; moves to it. */
  nextEndpoint(): boolean {
    if (!this.#endpoints || this.#endpoints.length <= 1 || !this.#endpoint?.mirror) return false;
    this.#endpoints = this.#endpoints.slice(1);
    const next = this.#endpoints[0] as Endpoint;
    const cached = this.client.cachedChallenges(next.url);
    this.#endpoint = cached ? next : undefined;
    this.#challenges = cached ?? [];
    return true;
  }

  #scopes(extra: readonly string[] = []): string[] {
    return [`repository:${this.path}:${this.actions.join(',')}`, ...extra];
  }

  async #authorization(scopes: string[], what: string): Promise<{ value: string | undefined; tokenKey: string | undefined }> {
    const ep = this.#endpoint as Endpoint;
    if (this.auth?.registrytoken) return { value: `Bearer ${this.auth.registrytoken}`, tokenKey: undefined };
    const bearer = this.#challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      const t = await this.client.tokens.get(bearer, scopes, this.auth, ep.dispatcher, what);
      return { value: `Bearer ${t.token}`, tokenKey: t.key };
    }
    if (this.#challenges.some((c) => c.scheme === 'basic')) {
      const creds = credentials(this.auth);
      if (!creds) throw unauthorized(`${what}: no basic auth credentials`);
      return { value: basicHeader(creds), tokenKey: undefined };
    }
    return { value: undefined, tokenKey: undefined };
  }

  /** One authorised request; a refused cached token is fetched again once. Any status is returned. */
  async request(method: string, pathOrEmpty: string, opts: RequestOptions = {}): Promise<Response> {
    const ep = await this.connect(opts.signal);
    const url = opts.url ?? `${ep.url}/v2/${this.path}/${pathOrEmpty}`;
    const what = urlErrorPrefix(method, url);
    for (let attempt = 0; ; attempt++) {
      const auth = await this.#authorization(this.#scopes(opts.scopes), what);
      const headers: Record<string, string> = { 'user-agent': this.client.userAgent };
      for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k] = String(v);
      if (auth.value) headers['authorization'] = auth.value;
      let res: Dispatcher.ResponseData;
      try {
        res = await undici().request(url, {
          dispatcher: ep.dispatcher,
          method: method as Dispatcher.HttpMethod,
          headers,
          ...(opts.body !== undefined ? { body: opts.body } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
      } catch (err) {
        if ((err as Error).name === 'AbortError' || err instanceof BerthError) throw err;
        throw new BerthError('unavailable', `${what}: ${networkErrorText(err, ep.host)}`, { cause: err });
      }
      if (res.statusCode === 401 && auth.tokenKey !== undefined && attempt === 0 && opts.body === undefined) {
        await res.body.text().catch(() => '');
        this.client.tokens.invalidate(auth.tokenKey);
        continue;
      }
      return { status: res.statusCode, headers: res.headers, body: res.body };
    }
  }

  /** A registry error from a response (its body read). */
  async fail(res: Response): Promise<RegistryError> {
    const text = await res.body.text().catch(() => '');
    return errorFromResponse(res.status, text, header(res.headers, 'www-authenticate'));
  }

  /** GET a manifest by tag or digest; the digest is computed from the bytes (and checked when asked by digest). */
  async getManifest(reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    for (;;) {
      try {
        return await this.#getManifestOnce(reference, signal);
      } catch (err) {
        // a docker.io mirror that cannot serve it: on to the next mirror, then Docker Hub
        if (!signal?.aborted && this.#endpoint?.mirror && this.nextEndpoint()) continue;
        throw err;
      }
    }
  }

  async #getManifestOnce(reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const res = await this.request('GET', `manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT.join(', ') }, signal });
    if (res.status !== 200) throw await this.fail(res);
    const declared = Number(header(res.headers, 'content-length') ?? '0');
    if (declared > MANIFEST_LIMIT) {
      res.body.destroy();
      throw invalidArgument(`manifest too big: ${declared} bytes (limit ${MANIFEST_LIMIT})`);
    }
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of res.body) {
      n += (c as Buffer).length;
      if (n > MANIFEST_LIMIT) {
        res.body.destroy();
        throw invalidArgument(`manifest too big: over ${MANIFEST_LIMIT} bytes`);
      }
      chunks.push(c as Buffer);
    }
    const bytes = Buffer.concat(chunks);
    const digest = sha256(bytes);
    if (isDigest(reference) && digest !== reference) throw invalidArgument(`manifest verification failed for digest ${reference}`);
    let mediaType = (header(res.headers, 'content-type') ?? '').split(';')[0]?.trim() ?? '';
    try {
      const parsed = JSON.parse(bytes.toString('utf8')) as { mediaType?: string; manifests?: unknown; schemaVersion?: number };
      if (parsed.mediaType) mediaType = parsed.mediaType;
      else if (!MANIFEST_ACCEPT.includes(mediaType as (typeof MANIFEST_ACCEPT)[number])) mediaType = parsed.manifests ? MediaTypes.ociIndex : parsed.schemaVersion === 1 ? MediaTypes.dockerManifestV1 : MediaTypes.ociManifest;
    } catch {
      throw invalidArgument(`invalid manifest for ${reference}: not JSON`);
    }
    return { bytes, mediaType, digest };
  }

  /** HEAD a blob: its size, or undefined when the registry does not have it. */
  async statBlob(digest: Digest, signal?: AbortSignal): Promise<number | undefined> {
    const res = await this.request('HEAD', `blobs/${digest}`, { signal });
    await res.body.text().catch(() => '');
    if (res.status === 404) return undefined;
    if (res.status !== 200 && res.status !== 307) throw errorFromResponse(res.status, '', header(res.headers, 'www-authenticate'));
    return Number(header(res.headers, 'content-length') ?? '0');
  }

  /** GET a blob from byte `offset` on (Range); a registry that ignores the range has its skipped bytes dropped. */
  async getBlob(digest: Digest, offset: number, signal?: AbortSignal): Promise<{ body: AsyncIterable<Buffer> & { destroy(err?: Error): void }; size: number | undefined }> {
    const headers: Record<string, string> = {};
    if (offset > 0) headers['range'] = `bytes=${offset}-`;
    let res = await this.request('GET', `blobs/${digest}`, { headers, signal });
    // redirects (blob storage behind a CDN): followed without our Authorization header
    for (let hops = 0; res.status >= 300 && res.status < 400 && hops < 5; hops++) {
      const loc = header(res.headers, 'location');
      await res.body.text().catch(() => '');
      if (!loc) break;
      const target = new URL(loc, `${(this.#endpoint as Endpoint).url}/v2/${this.path}/blobs/${digest}`);
      const r = await undici().request(target, { dispatcher: (this.#endpoint as Endpoint).dispatcher, method: 'GET', headers: { 'user-agent': this.client.userAgent, ...headers }, ...(signal ? { signal } : {}) });
      res = { status: r.statusCode, headers: r.headers, body: r.body };
    }
    if (res.status !== 200 && res.status !== 206) throw await this.fail(res);
    const len = header(res.headers, 'content-length');
    if (offset > 0 && res.status === 200) {
      const body = res.body;
      async function* skip(): AsyncGenerator<Buffer> {
        let toSkip = offset;
        for await (const c of body) {
          const b = c as Buffer;
          if (toSkip >= b.length) {
            toSkip -= b.length;
            continue;
          }
          yield toSkip > 0 ? b.subarray(toSkip) : b;
          toSkip = 0;
        }
      }
      const gen = skip();
      return { body: Object.assign(gen, { destroy: (e?: Error) => body.destroy(e) }), size: len !== undefined ? Number(len) - offset : undefined };
    }
    return { body: res.body as unknown as AsyncIterable<Buffer> & { destroy(err?: Error): void }, size: len !== undefined ? Number(len) : undefined };
  }

  #location(res: Response): string {
    const loc = header(res.headers, 'location');
    if (!loc) throw new BerthError('internal', 'the registry did not return an upload location');
    return new URL(loc, `${(this.#endpoint as Endpoint).url}/v2/${this.path}/blobs/uploads/`).toString();
  }

  /**
   * Try a cross-repository mount (POST ?mount=&from=): true when the registry mounted it; else an
   * upload session it opened instead (its location), to be used for the upload.
   */
  async mountBlob(digest: Digest, from: string, signal?: AbortSignal): Promise<{ mounted: true } | { mounted: false; location: string | undefined }> {
    const res = await this.request('POST', `blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`, { signal, scopes: [`repository:${from}:pull`], headers: { 'content-length': 0 } });
    if (res.status === 201) {
      await res.body.text().catch(() => '');
      return { mounted: true };
    }
    if (res.status === 202) {
      await res.body.text().catch(() => '');
      return { mounted: false, location: this.#location(res) };
    }
    await res.body.text().catch(() => '');
    return { mounted: false, location: undefined };
  }

  /** Open an upload session: its location. */
  async startUpload(signal?: AbortSignal): Promise<string> {
    const res = await this.request('POST', 'blobs/uploads/', { signal, headers: { 'content-length': 0 } });
    if (res.status !== 202) throw await this.fail(res);
    await res.body.text().catch(() => '');
    return this.#location(res);
  }

  /**
   * Upload a blob into an open session: `chunked` streams it with one PATCH, then closes with
   * PUT ?digest=; otherwise one monolithic PUT ?digest= with the body.
   */
  async uploadBlob(location: string, digest: Digest, size: number, body: Readable, opts: { chunked: boolean; signal?: AbortSignal }): Promise<void> {
    let loc = location;
    if (opts.chunked) {
      const res = await this.request('PATCH', '', { url: loc, body, signal: opts.signal, headers: { 'content-type': 'application/octet-stream', 'content-length': size } });
      if (res.status !== 202 && res.status !== 204) throw await this.fail(res);
      await res.body.text().catch(() => '');
      loc = this.#location(res);
      const u = new URL(loc);
      u.searchParams.set('digest', digest);
      const fin = await this.request('PUT', '', { url: u.toString(), signal: opts.signal, headers: { 'content-length': 0 } });
      if (fin.status !== 201) throw await this.fail(fin);
      await fin.body.text().catch(() => '');
      return;
    }
    const u = new URL(loc);
    u.searchParams.set('digest', digest);
    const res = await this.request('PUT', '', { url: u.toString(), body, signal: opts.signal, headers: { 'content-type': 'application/octet-stream', 'content-length': size } });
    if (res.status !== 201) throw await this.fail(res);
    await res.body.text().catch(() => '');
  }

  /** PUT a manifest under a tag or digest; returns the digest the registry reports (or computed). */
  async putManifest(reference: string, bytes: Buffer, mediaType: string, signal?: AbortSignal): Promise<Digest> {
    const res = await this.request('PUT', `manifests/${reference}`, { body: bytes, signal, headers: { 'content-type': mediaType, 'content-length': bytes.length } });
    if (res.status !== 201 && res.status !== 200) throw await this.fail(res);
    await res.body.text().catch(() => '');
    const d = header(res.headers, 'docker-content-digest');
    return d && isDigest(d) ? d : sha256(bytes);
  }

  /** All tags (following Link pagination). */
  async tags(signal?: AbortSignal): Promise<string[]> {
    const out: string[] = [];
    let next: string | undefined = 'tags/list';
    let url: string | undefined;
    for (let pages = 0; next !== undefined && pages < 100; pages++) {
      const res: Response = await this.request('GET', next, { signal, ...(url ? { url } : {}) });
      if (res.status !== 200) throw await this.fail(res);
      const body = JSON.parse(await res.body.text()) as { tags?: string[] | null };
      out.push(...(body.tags ?? []));
      const link = header(res.headers, 'link');
      const m = link ? /<([^>]+)>;\s*rel="?next"?/.exec(link) : null;
      if (m?.[1]) {
        url = new URL(m[1], `${(this.#endpoint as Endpoint).url}/v2/${this.path}/tags/list`).toString();
        next = '';
      } else next = undefined;
    }
    return out;
  }
}
