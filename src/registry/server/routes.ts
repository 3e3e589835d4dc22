// The distribution API over HTTP: /v2/ routes (blobs, uploads, manifests, tags, catalog,
// referrers) and Docker's /v1/search. This module only translates HTTP to storage calls; every
// failure is a RegistryError rendered by the server's one error handler.
import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Digest } from '../../oci/index.js';
import { MediaTypes } from '../../oci/index.js';
import { registryError } from './errors.js';
import { bareMediaType } from './manifest.js';
import { checkDigest, checkRepositoryName, isDigestReference } from './names.js';
import { MAX_MANIFEST_BYTES, compareLexical, type ChunkRange, type FsRegistryStorage } from './storage.js';

export interface RegistryRoutesOptions {
  storage: FsRegistryStorage;
}

type Handler = (req: FastifyRequest, reply: FastifyReply, m: RegExpExecArray, q: URLSearchParams) => Promise<unknown>;

interface Route {
  re: RegExp;
  methods: Partial<Record<string, Handler>>;
}

/** Blob reads in 1 MiB chunks (fewer reads and socket writes than the 64 KiB default). */
const READ_CHUNK = 1024 * 1024;

/** Methods that change the registry (refused in read-only mode). */
export const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function registerRegistryRoutes(app: FastifyInstance, opts: RegistryRoutesOptions): void {
  const s = opts.storage;

  const uploadHeaders = (reply: FastifyReply, name: string, uuid: string, size: number): void => {
    reply.header('Location', `/v2/${name}/blobs/uploads/${uuid}`);
    reply.header('Range', `0-${Math.max(0, size - 1)}`);
    reply.header('Docker-Upload-UUID', uuid);
    reply.header('Content-Length', '0');
  };
  const blobCreated = (reply: FastifyReply, name: string, digest: Digest): FastifyReply => {
    reply.header('Location', `/v2/${name}/blobs/${digest}`);
    reply.header('Docker-Content-Digest', digest);
    reply.header('Content-Length', '0');
    return reply.code(201).send();
  };

  const routes: Route[] = [
    {
      re: /^\/v2\/?$/,
      methods: {
        GET: async (_req, reply) => reply.type('application/json').send('{}'),
        HEAD: async (_req, reply) => reply.type('application/json').header('Content-Length', '2').send(),
      },
    },
    {
      re: /^\/v2\/_catalog$/,
      methods: {
        GET: async (_req, reply, _m, q) => {
          const page = paginate(await s.listRepositories(), q);
          if (page.next !== undefined) reply.header('Link', `</v2/_catalog?last=${encodeURIComponent(page.next)}&n=${page.n}>; rel="next"`);
          return reply.send({ repositories: page.items });
        },
      },
    },
    {
      re: /^\/v2\/(.+)\/tags\/list$/,
      methods: {
        GET: async (_req, reply, m, q) => {
          const name = checkRepositoryName(m[1] as string);
          const page = paginate(await s.listTags(name), q);
          if (page.next !== undefined) reply.header('Link', `</v2/${name}/tags/list?last=${encodeURIComponent(page.next)}&n=${page.n}>; rel="next"`);
          return reply.send({ name, tags: page.items });
        },
      },
    },
    {
      re: /^\/v2\/(.+)\/manifests\/([^/]+)$/,
      methods: {
        GET: async (req, reply, m) => getManifest(req, reply, m, true),
        HEAD: async (req, reply, m) => getManifest(req, reply, m, false),
        PUT: async (req, reply, m) => {
          const name = checkRepositoryName(m[1] as string);
          const ref = m[2] as string;
          const bytes = await readBody(req, MAX_MANIFEST_BYTES);
          const r = await s.putManifest(name, ref, bytes, req.headers['content-type']);
          reply.header('Location', `/v2/${name}/manifests/${r.digest}`);
          reply.header('Docker-Content-Digest', r.digest);
          if (r.subject) reply.header('OCI-Subject', r.subject);
          reply.header('Content-Length', '0');
          return reply.code(201).send();
        },
        DELETE: async (_req, reply, m) => {
          const name = checkRepositoryName(m[1] as string);
          await s.deleteManifest(name, m[2] as string);
          return reply.code(202).header('Content-Length', '0').send();
        },
      },
    },
    {
      re: /^\/v2\/(.+)\/blobs\/uploads\/?$/,
      methods: {
        POST: async (req, reply, m, q) => {
          const name = checkRepositoryName(m[1] as string);
          const mount = q.get('mount');
          if (mount !== null) {
            const d = checkDigest(mount);
            const from = q.get('from');
            const mounted = await s.mountBlob(name, d, from === null || from === '' ? undefined : checkRepositoryName(from));
            if (mounted) return blobCreated(reply, name, d);
          }
          const digest = q.get('digest');
          if (digest !== null) {
            const d = checkDigest(digest);
            const info = await s.putBlob(name, d, req.raw, contentLength(req));
            return blobCreated(reply, name, info.digest);
          }
          const up = await s.startUpload(name);
          uploadHeaders(reply, name, up.uuid, 0);
          return reply.code(202).send();
        },
      },
    },
    {
      re: /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/,
      methods: {
        GET: async (_req, reply, m) => {
          const name = checkRepositoryName(m[1] as string);
          const st = await s.uploadStatus(name, m[2] as string);
          uploadHeaders(reply, name, st.uuid, st.size);
          return reply.code(204).send();
        },
        PATCH: async (req, reply, m) => {
          const name = checkRepositoryName(m[1] as string);
          const st = await s.appendUpload(name, m[2] as string, req.raw, chunkRange(req));
          uploadHeaders(reply, name, st.uuid, st.size);
          return reply.code(202).send();
        },
        PUT: async (req, reply, m, q) => {
          const name = checkRepositoryName(m[1] as string);
          const uuid = m[2] as string;
          const digestParam = q.get('digest');
          const d = checkDigest(digestParam ?? undefined);
          const info = await s.finishUpload(name, uuid, d, hasBody(req) ? req.raw : undefined, chunkRange(req));
          return blobCreated(reply, name, info.digest);
        },
        DELETE: async (_req, reply, m) => {
          const name = checkRepositoryName(m[1] as string);
          await s.cancelUpload(name, m[2] as string);
          return reply.code(204).send();
        },
      },
    },
    {
      re: /^\/v2\/(.+)\/blobs\/([^/]+)$/,
      methods: {
        GET: async (req, reply, m) => getBlob(req, reply, m, true),
        HEAD: async (req, reply, m) => getBlob(req, reply, m, false),
        DELETE: async (_req, reply, m) => {
          const name = checkRepositoryName(m[1] as string);
          const d = checkDigest(m[2]);
          await s.deleteBlob(name, d);
          return reply.code(202).header('Docker-Content-Digest', d).header('Content-Length', '0').send();
        },
      },
    },
    {
      re: /^\/v2\/(.+)\/referrers\/([^/]+)$/,
      methods: {
        GET: async (_req, reply, m, q) => {
          const name = checkRepositoryName(m[1] as string);
          const d = checkDigest(m[2]);
          const artifactType = q.get('artifactType') ?? undefined;
          const manifests = await s.referrers(name, d, artifactType === '' ? undefined : artifactType);
          if (artifactType) reply.header('OCI-Filters-Applied', 'artifactType');
          reply.type(MediaTypes.ociIndex);
          return reply.send(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests })));
        },
      },
    },
    {
      re: /^\/v1\/_ping$/,
      methods: {
        GET: async (_req, reply) => reply.header('X-Docker-Registry-Standalone', 'true').header('X-Docker-Registry-Version', '0.6.0').send({ standalone: true }),
      },
    },
    {
      re: /^\/v1\/search$/,
      methods: {
        GET: async (_req, reply, _m, q) => {
          const term = (q.get('q') ?? '').toLowerCase();
          let n = Number.parseInt(q.get('n') ?? '25', 10);
          if (!Number.isFinite(n) || n < 1) n = 25;
          n = Math.min(n, 100);
          const matches = (await s.listRepositories()).filter((r) => term === '' || r.toLowerCase().includes(term));
          const results = matches.slice(0, n).map((name) => ({ name, description: '', star_count: 0, is_official: false, is_automated: false }));
          return reply.send({ num_results: matches.length, query: q.get('q') ?? '', page: 1, num_pages: 1, page_size: n, results });
        },
      },
    },
  ];

  async function getBlob(req: FastifyRequest, reply: FastifyReply, m: RegExpExecArray, withBody: boolean): Promise<unknown> {
    const name = checkRepositoryName(m[1] as string);
    const d = checkDigest(m[2]);
    const info = await s.statBlob(name, d);
    reply.header('Docker-Content-Digest', d);
    reply.header('ETag', `"${d}"`);
    reply.header('Accept-Ranges', 'bytes');
    reply.header('Cache-Control', 'max-age=31536000');
    reply.type('application/octet-stream');
    const range = parseRange(req.headers.range, info.size);
    if (range === 'invalid') {
      throw registryError('RANGE_INVALID', { message: 'requested range not satisfiable', headers: { 'Content-Range': `bytes */${info.size}` } });
    }
    if (range) {
      reply.code(206);
      reply.header('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`);
      reply.header('Content-Length', String(range.end - range.start + 1));
      return withBody ? reply.send(createReadStream(info.path, { start: range.start, end: range.end, highWaterMark: READ_CHUNK })) : reply.send();
    }
    reply.header('Content-Length', String(info.size));
    if (!withBody || info.size === 0) return reply.send();
    return reply.send(createReadStream(info.path, { highWaterMark: READ_CHUNK }));
  }

  async function getManifest(req: FastifyRequest, reply: FastifyReply, m: RegExpExecArray, withBody: boolean): Promise<unknown> {
    const name = checkRepositoryName(m[1] as string);
    const ref = m[2] as string;
    const { info, bytes } = await s.readManifest(name, ref);
    const accept = acceptedTypes(req.headers.accept);
    if (accept.length > 0 && !accept.includes('*/*') && !accept.includes(info.mediaType)) {
      throw registryError('MANIFEST_UNKNOWN', {
        message: `manifest of type ${info.mediaType} found, but the Accept header does not allow it`,
        detail: isDigestReference(ref) ? { digest: ref } : { tag: ref },
      });
    }
    reply.type(info.mediaType);
    reply.header('Docker-Content-Digest', info.digest);
    reply.header('ETag', `"${info.digest}"`);
    reply.header('Content-Length', String(bytes.length));
    return withBody ? reply.send(bytes) : reply.send();
  }

  const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const url = new URL(req.url, 'http://registry.invalid');
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      return notFound(reply);
    }
    for (const r of routes) {
      const m = r.re.exec(pathname);
      if (!m) continue;
      const h = r.methods[req.method];
      if (!h) {
        if (req.method === 'OPTIONS' || r.re.source.startsWith('^\\/v1')) return notFound(reply);
        reply.header('Allow', Object.keys(r.methods).join(', '));
        throw registryError('UNSUPPORTED', { message: `method ${req.method} not allowed` });
      }
      return h(req, reply, m, url.searchParams);
    }
    return notFound(reply);
  };

  for (const url of ['/v2', '/v2/*', '/v1/*']) {
    app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], url, handler });
  }
}

function notFound(reply: FastifyReply): FastifyReply {
  return reply.code(404).type('text/plain; charset=utf-8').send('404 page not found\n');
}

/** Pagination over a sorted list (`n`, `last`), as tags/list and _catalog use it. */
export function paginate(all: readonly string[], q: URLSearchParams): { items: string[]; n: number; next?: string } {
  const last = q.get('last');
  let items = last !== null && last !== '' ? all.filter((x) => compareLexical(x, last) > 0) : [...all];
  const nRaw = q.get('n');
  if (nRaw === null || nRaw === '') return { items, n: items.length };
  if (!/^\d+$/.test(nRaw)) throw registryError('PAGINATION_NUMBER_INVALID', { detail: { n: nRaw } });
  const n = Number.parseInt(nRaw, 10);
  if (n === 0) return { items: [], n };
  const more = items.length > n;
  items = items.slice(0, n);
  return more ? { items, n, next: items[items.length - 1] as string } : { items, n };
}

/** A single "bytes=a-b" / "bytes=a-" / "bytes=-n" range; undefined for none, 'invalid' if unsatisfiable. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined | 'invalid' {
  if (header === undefined || header === '') return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'invalid';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || end < start) return 'invalid';
  return { start, end };
}

function acceptedTypes(header: string | string[] | undefined): string[] {
  const all = Array.isArray(header) ? header.join(',') : (header ?? '');
  return all
    .split(',')
    .map((t) => bareMediaType(t))
    .filter((t): t is string => t !== undefined);
}

function contentLength(req: FastifyRequest): number | undefined {
  const v = req.headers['content-length'];
  return v === undefined || !/^\d+$/.test(v) ? undefined : Number(v);
}

function hasBody(req: FastifyRequest): boolean {
  const len = contentLength(req);
  return (len !== undefined && len > 0) || req.headers['transfer-encoding'] !== undefined;
}

/** PATCH/PUT Content-Range ("<start>-<end>", also "bytes <start>-<end>/<total>") and Content-Length. */
function chunkRange(req: FastifyRequest): ChunkRange {
  const out: ChunkRange = {};
  const len = contentLength(req);
  if (len !== undefined) out.length = len;
  const cr = req.headers['content-range'];
  if (cr !== undefined) {
    const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(cr.trim());
    if (!m) throw registryError('RANGE_INVALID', { message: `invalid Content-Range ${cr}` });
    out.start = Number(m[1]);
    out.end = Number(m[2]);
  }
  return out;
}

/** A small body (a manifest) into memory, refusing more than `limit` bytes. */
async function readBody(req: FastifyRequest, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req.raw) {
    size += (chunk as Buffer).length;
    if (size > limit) throw registryError('SIZE_INVALID', { status: 413, message: `manifest larger than ${limit} bytes` });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
