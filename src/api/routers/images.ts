// Image routes (offline part): import (/images/create?fromSrc=-), load, save, list, inspect,
// history, tag, remove, prune. Names may contain slashes ("localhost:5000/a/b:c"), so the
// per-image routes are one wildcard per method, split on the known suffixes (Docker's {name:.*}).
import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { invalidArgument, notFound, notImplemented } from '../../errdefs/index.js';
import type { ImageService } from '../../daemon/images/service.js';
import type { DistributionService, ProgressEvent } from '../../daemon/distribution/index.js';
import { decodeAuthHeader } from '../../registry/client/auth.js';
import { progressToWire } from '../compat/progress.js';
import type { ProgressMessage } from '../../engine-api/image.js';
import { deleteItemToWire, historyToWire, imageInspectToWire, imageSummaryToWire } from '../compat/images.js';
import { qBool, qFilters, qString, type Query } from '../params.js';
import { versionAtLeast } from '../version.js';

export interface ImagesRouterDeps {
  images: ImageService;
  /** pull and push (absent: /images/create?fromImage= answers not-implemented) */
  distribution?: DistributionService;
}

/**
 * Stream progress events as JSON lines. An error before the first event is an HTTP error (as
 * dockerd, whose output is not flushed yet); later errors end the stream with an errorDetail line.
 */
async function progressStream(reply: FastifyReply, events: AsyncIterable<ProgressEvent>): Promise<FastifyReply> {
  const it = events[Symbol.asyncIterator]();
  const first = await it.next();
  async function* lines(): AsyncGenerator<string> {
    let r = first;
    try {
      while (!r.done) {
        yield line(progressToWire(r.value));
        r = await it.next();
      }
    } catch (err) {
      yield errorLine(err);
    }
  }
  return reply.header('content-type', 'application/json').send(Readable.from(lines()));
}

function registryAuth(request: FastifyRequest): ReturnType<typeof decodeAuthHeader> {
  const h = request.headers['x-registry-auth'];
  return decodeAuthHeader(Array.isArray(h) ? h[0] : h);
}

function qList(q: Query, name: string): string[] {
  const v = q[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function line(m: ProgressMessage): string {
  return `${JSON.stringify(m)}\n`;
}

/** JSON lines with exactly "application/json" (the docker CLI renders progress only then; no charset). */
function jsonLines(reply: FastifyReply, text: string): FastifyReply {
  return reply.header('content-type', 'application/json').send(Buffer.from(text));
}

export function errorLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return line({ errorDetail: { message }, error: message });
}

/** The request body as a stream (tar uploads arrive unparsed; no content type means no parser ran). */
function bodyStream(request: FastifyRequest): Readable {
  const b = request.body as unknown;
  if (b && typeof (b as Readable).pipe === 'function') return b as Readable;
  return request.raw;
}

/** An AbortSignal that fires when the client goes away before the response finished. */
function clientGone(reply: FastifyReply): AbortSignal {
  const ctl = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) ctl.abort();
  });
  return ctl.signal;
}

export function imagesRouter(deps: ImagesRouterDeps): FastifyPluginAsync {
  const { images } = deps;
  return async (app) => {
    app.post('/images/create', async (request, reply) => {
      const q = request.query as Query;
      const fromImage = qString(q, 'fromImage');
      const fromSrc = qString(q, 'fromSrc');
      if (fromImage !== undefined && fromImage !== '' && deps.distribution) {
        const events = deps.distribution.pull({ image: fromImage, tag: qString(q, 'tag'), platform: qString(q, 'platform'), auth: registryAuth(request), signal: clientGone(reply) });
        return progressStream(reply, events);
      }
      if (fromImage !== undefined && fromImage !== '') {
        throw notImplemented(`pulling images is not supported yet: cannot pull ${JSON.stringify(fromImage)} (use docker load or docker import)`);
      }
      if (fromSrc === undefined || fromSrc === '') throw invalidArgument('fromImage or fromSrc must be set');
      if (fromSrc !== '-') throw notImplemented(`importing from a URL is not supported: ${JSON.stringify(fromSrc)} (send the archive in the request body with fromSrc=-)`);
      const opts: Parameters<ImageService['import']>[0] = { source: bodyStream(request), changes: qList(q, 'changes'), signal: clientGone(reply) };
      const repo = qString(q, 'repo');
      const tag = qString(q, 'tag');
      const message = qString(q, 'message');
      const platform = qString(q, 'platform');
      if (repo !== undefined) opts.repo = repo;
      if (tag !== undefined) opts.tag = tag;
      if (message !== undefined) opts.message = message;
      if (platform !== undefined) opts.platform = platform;
      const id = await images.import(opts);
      return jsonLines(reply, line({ status: id }));
    });

    app.post('/images/load', async (request, reply) => {
      const q = request.query as Query;
      const quiet = qBool(q, 'quiet', true);
      let out = '';
      try {
        const results = await images.load(bodyStream(request), { signal: clientGone(reply) });
        for (const r of results) {
          for (const [name, old] of r.moved) out += line({ stream: `The image ${name} already exists, renaming the old one with ID ${old} to empty string\n` });
          if (r.names.length === 0) out += line({ stream: `Loaded image ID: ${r.id}\n` });
          for (const n of r.names) out += line({ stream: `Loaded image: ${n}\n` });
        }
      } catch (err) {
        // Docker answers 200 and reports a failed load in the JSON stream.
        request.log.debug({ err, quiet }, 'load failed');
        out += errorLine(err);
        request.raw.resume();
      }
      return jsonLines(reply, out);
    });

    const save = (names: string[], reply: FastifyReply): FastifyReply => {
      const stream = images.save(names, clientGone(reply));
      return reply.type('application/x-tar').send(stream);
    };
    app.get('/images/get', async (request, reply) => save(qList(request.query as Query, 'names'), reply));

    app.get('/images/json', async (request) => {
      const q = request.query as Query;
      const list = images.list({ all: qBool(q, 'all'), filters: qFilters(q), sharedSize: qBool(q, 'shared-size') }).map(imageSummaryToWire);
      // API < 1.44 still had VirtualSize (= Size since images have no parent layers outside them).
      if (!versionAtLeast(request.apiVersion, '1.44')) for (const i of list) i.VirtualSize = i.Size;
      return list;
    });

    app.post('/images/prune', async (request) => {
      const r = await images.prune(qFilters(request.query as Query));
      return { ImagesDeleted: r.deleted.length > 0 ? r.deleted.map(deleteItemToWire) : null, SpaceReclaimed: r.spaceReclaimed };
    });

    app.get('/images/*', async (request, reply) => {
      const rest = (request.params as { '*': string })['*'];
      const m = /^(.+)\/(json|history|get)$/.exec(rest);
      if (!m) throw notFound('page not found');
      const name = m[1] ?? '';
      switch (m[2]) {
        case 'json': {
          const img = imageInspectToWire(images.inspect(name));
          if (!versionAtLeast(request.apiVersion, '1.44')) img.VirtualSize = img.Size;
          return img;
        }
        case 'history':
          return images.history(name).map(historyToWire);
        default:
          return save([name], reply);
      }
    });

    app.post('/images/*', async (request, reply) => {
      const rest = (request.params as { '*': string })['*'];
      const q = request.query as Query;
      const push = /^(.+)\/push$/.exec(rest);
      if (push && deps.distribution) {
        const events = deps.distribution.push({ name: push[1] ?? '', tag: qString(q, 'tag'), platform: qString(q, 'platform'), auth: registryAuth(request), signal: clientGone(reply) });
        return progressStream(reply, events);
      }
      const m = /^(.+)\/tag$/.exec(rest);
      if (!m) throw notFound('page not found');
      images.tag(m[1] ?? '', qString(q, 'repo') ?? '', qString(q, 'tag'));
      return reply.code(201).send();
    });

    app.delete('/images/*', async (request) => {
      const name = (request.params as { '*': string })['*'];
      const q = request.query as Query;
      const items = await images.remove(name, { force: qBool(q, 'force'), noPrune: qBool(q, 'noprune') });
      return items.map(deleteItemToWire);
    });
  };
}
