// DistributionService: pull, push, login and search for the API (moby's daemon/images
// PullImage/PushImage, registry service Auth/Search), over the registry client, the image
// service and the stores. Pull and push run as tasks that emit typed progress events.
import type { Logger } from 'pino';
import { BerthError, invalidArgument, notFound } from '../../errdefs/index.js';
import { isDigest, type Digest } from '../../oci/digest.js';
import { DEFAULT_DOMAIN, isValidTag, parseNormalizedNamed, type Reference } from '../../oci/reference.js';
import type { ContentStore } from '../../store/content/types.js';
import type { Snapshotter } from '../../store/snapshots/types.js';
import type { ImageService } from '../images/service.js';
import { RegistryClient, type AuthConfig, type SearchResult } from '../../registry/client/index.js';
import { RegistryHosts } from '../../registry/client/hosts.js';
import { formatPlatform, normalizePlatform, parsePlatformParam, platformScore } from '../../registry/client/platform.js';
import { Channel, Semaphore, type ProgressEvent } from './progress.js';
import { pullTag, Transfers, type PullDeps } from './pull.js';
import { pushTag, type PushDeps } from './push.js';

export interface DistributionOptions {
  images: ImageService;
  content: ContentStore;
  snapshots: Snapshotter;
  logger: Logger;
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
  maxDownloadAttempts: number;
  registryMirrors: readonly string[];
  insecureRegistries: readonly string[];
  /** certs.d directories (default /etc/berth/certs.d, /etc/docker/certs.d) */
  certsDirs?: readonly string[];
  userAgent?: string;
}

export interface PullRequest {
  /** fromImage */
  image: string;
  tag?: string | undefined;
  platform?: string | undefined;
  auth?: AuthConfig | undefined;
  signal: AbortSignal;
}

export interface PushRequest {
  name: string;
  tag?: string | undefined;
  /** only push when the image is this platform (docker push --platform; berth keeps one platform per image) */
  platform?: string | undefined;
  auth?: AuthConfig | undefined;
  signal: AbortSignal;
}

export interface SearchRequest {
  term: string;
  limit?: number | undefined;
  filters?: Record<string, string[]>;
  auth?: AuthConfig | undefined;
  signal?: AbortSignal;
}

/** The registry domain of a login/search server address (registry.ConvertToHostname + index names). */
export function serverDomain(address: string | undefined): string {
  let s = (address ?? '').trim();
  s = s.replace(/^https?:\/\//, '');
  s = s.split('/')[0] ?? '';
  if (s === '' || s === 'index.docker.io' || s === 'docker.io' || s === 'registry-1.docker.io') return DEFAULT_DOMAIN;
  return s;
}

export class DistributionService {
  readonly registry: RegistryClient;
  readonly #pullDeps: PullDeps;
  readonly #pushDeps: PushDeps;
  readonly #images: ImageService;
  readonly #log: Logger;

  constructor(opts: DistributionOptions) {
    const hosts = new RegistryHosts({ mirrors: opts.registryMirrors, insecure: opts.insecureRegistries, ...(opts.certsDirs ? { certsDirs: opts.certsDirs } : {}) });
    this.registry = new RegistryClient({ hosts, userAgent: opts.userAgent ?? 'berth' });
    this.#images = opts.images;
    this.#log = opts.logger;
    this.#pullDeps = {
      images: opts.images,
      content: opts.content,
      snapshots: opts.snapshots,
      logger: opts.logger,
      downloads: new Semaphore(opts.maxConcurrentDownloads),
      maxDownloadAttempts: opts.maxDownloadAttempts,
      transfers: new Transfers(),
    };
    this.#pushDeps = { images: opts.images, content: opts.content, logger: opts.logger, uploads: new Semaphore(opts.maxConcurrentUploads) };
  }

  /** Parse fromImage + tag as moby's postImagesCreate: a tag that is a digest pins it; neither means all tags. */
  static pullReference(image: string, tag: string | undefined): { ref: Reference; allTags: boolean } {
    let ref = parseNormalizedNamed(image);
    if (tag !== undefined && tag !== '') {
      if (isDigest(tag) || /^[a-z0-9]+:[a-f0-9]+$/.test(tag)) ref = ref.trimNamed().withDigest(tag);
      else ref = ref.withTag(tag);
    }
    return { ref, allTags: ref.isNameOnly() };
  }

  /**
   * Validate a pull and return its progress. Bad references and platforms throw at once
   * (an HTTP error); registry errors come from the first step of the iteration.
   */
  pull(req: PullRequest): AsyncIterable<ProgressEvent> {
    const { ref, allTags } = DistributionService.pullReference(req.image, req.tag);
    const platform = req.platform ? parsePlatformParam(req.platform) : undefined;
    const repo = this.registry.repository(ref.domain, ref.path, { auth: req.auth, actions: ['pull'] });
    const ch = new Channel<ProgressEvent>();
    const emit = (e: ProgressEvent): void => ch.push(e);
    const run = async (): Promise<void> => {
      const refs: Reference[] = allTags ? (await repo.tags(req.signal).catch((err: unknown) => { throw translateTagsError(err, ref); })).filter(isValidTag).map((t) => ref.withTag(t)) : [ref];
      if (allTags && refs.length === 0) throw notFound(`no tags available for ${ref.familiarName()}`);
      let updated = false;
      for (const r of refs) {
        const res = await pullTag(this.#pullDeps, { ref: r, repo, platform, signal: req.signal, emit });
        emit({ status: `Digest: ${res.digest}` });
        updated ||= res.updated;
        this.#images.publish('pull', r.familiarString(), r.familiarName());
      }
      const shown = allTags ? ref.familiarName() : ref.familiarString();
      emit({ status: updated ? `Status: Downloaded newer image for ${shown}` : `Status: Image is up to date for ${shown}` });
    };
    run().then(
      () => ch.close(),
      (err: unknown) => {
        this.#log.debug({ err, ref: ref.toString() }, 'pull failed');
        ch.close(err);
      },
    );
    return ch;
  }

  /** Push a tag, or every tag of the repository when `tag` is empty. */
  push(req: PushRequest): AsyncIterable<ProgressEvent> {
    const named = parseNormalizedNamed(req.name);
    if (named.digest !== undefined) throw invalidArgument('cannot push a digest reference');
    const base = named.trimNamed();
    const tag = req.tag !== undefined && req.tag !== '' ? req.tag : named.tag;
    let targets: [Reference, Digest][];
    if (tag !== undefined) {
      const r = base.withTag(tag);
      const id = this.#images.refTarget(r.toString());
      if (!id) {
        if (this.#images.repositoryTags(base.name()).length === 0) throw notFound(`An image does not exist locally with the tag: ${base.familiarName()}`);
        throw notFound(`tag does not exist: ${r.familiarString()}`);
      }
      targets = [[r, id]];
    } else {
      const tags = this.#images.repositoryTags(base.name());
      if (tags.length === 0) throw notFound(`An image does not exist locally with the tag: ${base.familiarName()}`);
      targets = tags.sort((a, b) => a[0].localeCompare(b[0])).map(([t, id]) => [base.withTag(t), id]);
    }
    if (req.platform) {
      const want = parsePlatformParam(req.platform);
      for (const [r, id] of targets) {
        const img = this.#images.inspect(id);
        const have = normalizePlatform({ os: img.os, architecture: img.architecture, variant: img.variant });
        if (platformScore(want, have) !== 2) throw notFound(`image with reference ${r.familiarString()} was found but does not match the specified platform: wanted ${formatPlatform(want)}, actual: ${formatPlatform(have)}`);
      }
    }
    const repo = this.registry.repository(base.domain, base.path, { auth: req.auth, actions: ['pull', 'push'] });
    const ch = new Channel<ProgressEvent>();
    const emit = (e: ProgressEvent): void => ch.push(e);
    const run = async (): Promise<void> => {
      emit({ status: `The push refers to repository [${base.name() === base.familiarName() ? base.name() : base.name()}]` });
      for (const [r, id] of targets) {
        await pushTag(this.#pushDeps, { ref: r, id, repo, signal: req.signal, emit });
        this.#images.publish('push', r.familiarString(), r.familiarName());
      }
    };
    run().then(
      () => ch.close(),
      (err: unknown) => {
        this.#log.debug({ err, name: req.name }, 'push failed');
        ch.close(err);
      },
    );
    return ch;
  }

  /** POST /auth: check the credentials against the registry. */
  async login(auth: AuthConfig, signal?: AbortSignal): Promise<{ status: string; identityToken: string }> {
    const domain = serverDomain(auth.serveraddress);
    const r = await this.registry.login(domain, auth, signal);
    return { status: 'Login Succeeded', identityToken: r.identityToken };
  }

  /** GET /images/search: the index's /v1/search, filtered as moby does. */
  async search(req: SearchRequest): Promise<SearchResult[]> {
    const limit = req.limit ?? 25;
    if (limit < 1 || limit > 100) throw invalidArgument(`limit ${limit} is outside the range of [1, 100]`);
    const f = req.filters ?? {};
    for (const k of Object.keys(f)) if (!['is-automated', 'is-official', 'stars'].includes(k)) throw invalidArgument(`invalid filter '${k}'`);
    const boolFilter = (k: string): boolean | undefined => {
      const v = f[k];
      if (!v || v.length === 0) return undefined;
      const out = v.map((x) => {
        if (['true', '1'].includes(x.toLowerCase())) return true;
        if (['false', '0'].includes(x.toLowerCase())) return false;
        throw invalidArgument(`invalid filter '${k}=${x}'`);
      });
      return out.includes(true);
    };
    const isAutomated = boolFilter('is-automated');
    const isOfficial = boolFilter('is-official');
    let minStars = 0;
    for (const s of f['stars'] ?? []) {
      if (!/^\d+$/.test(s)) throw invalidArgument(`invalid filter 'stars=${s}'`);
      minStars = Math.max(minStars, Number(s));
    }
    // registry.splitReposSearchTerm
    let domain = DEFAULT_DOMAIN;
    let remote = req.term;
    const i = req.term.indexOf('/');
    if (i > 0) {
      const first = req.term.slice(0, i);
      if (first.includes('.') || first.includes(':') || first === 'localhost') {
        domain = serverDomain(first);
        remote = req.term.slice(i + 1);
      }
    }
    const { results } = await this.registry.search(domain, remote, limit, req.auth, req.signal);
    return results
      .filter((r) => (isAutomated === undefined || r.is_automated === isAutomated) && (isOfficial === undefined || r.is_official === isOfficial) && (r.star_count ?? 0) >= minStars)
      .map((r) => ({ star_count: r.star_count ?? 0, is_official: r.is_official === true, name: r.name, is_automated: r.is_automated === true, description: r.description ?? '' }));
  }

  async close(): Promise<void> {
    await this.registry.hosts.close();
  }
}

function translateTagsError(err: unknown, ref: Reference): unknown {
  if (err instanceof BerthError && err.kind === 'not-found') return new BerthError('not-found', `repository ${ref.familiarName()} not found: ${err.message}`, { cause: err });
  return err;
}

