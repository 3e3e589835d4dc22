// The Engine API HTTP server: fastify with Docker's conventions (version prefix, error body,
// response headers, raw bodies for tar uploads) and a small router for hijacked connections.
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { ValidatorFactory } from '@fastify/ajv-compiler';
import type { SerializerFactory } from '@fastify/fast-json-stringify-compiler';
import fs from 'node:fs';
import type { Duplex } from 'node:stream';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { BerthError, invalidArgument, kindOf } from '../errdefs/index.js';
import { statusForError } from './http-status.js';
import { API_VERSION, negotiateVersion, splitVersionPrefix } from './version.js';
import { HijackRouter } from './hijack.js';

// node:http through process.getBuiltinModule, not an ESM import: an ESM import builds the
// module's namespace by reading every export, and node:http's lazy WebSocket/MessageEvent/
// CloseEvent getters then load node's internal undici, http2 and webstreams (about 14 MiB of
// RSS for a daemon that never uses them).
const http = process.getBuiltinModule('node:http');

// fastify's schema compilers (ajv and fast-json-stringify, ~200 modules, ~3 MiB of RSS) are
// required only when a route with a schema is set up; berth's routes have none, so an idle
// daemon never loads them. fastify's own require() would load them when the app is made.
const requireFromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
let validatorFactory: ValidatorFactory | undefined;
let serializerFactory: SerializerFactory | undefined;
const compilersFactory: { buildValidator: ValidatorFactory; buildSerializer: SerializerFactory } = {
  buildValidator: (schemas, options) => (validatorFactory ??= (requireFromFastify('@fastify/ajv-compiler') as () => ValidatorFactory)())(schemas, options),
  buildSerializer: (schemas, options) => (serializerFactory ??= (requireFromFastify('@fastify/fast-json-stringify-compiler') as () => SerializerFactory)())(schemas, options),
};

declare module 'fastify' {
  interface FastifyRequest {
    /** The negotiated Engine API version of this request ("1.50" when the URL has no prefix). */
    apiVersion: string;
  }
}

export interface ApiServerOptions {
  logger: Logger;
  /** Route groups, one fastify plugin per API area, each closed over its narrow backend. */
  routers: FastifyPluginAsync[];
  /** Routes that take over the connection (attach, exec start) when the client asks to upgrade. */
  hijack?: HijackRouter;
  /** Value of the Server header, e.g. "berth/0.1.0 (linux)". */
  serverHeader: string;
}

const VERSION_KEY = Symbol('berth.apiVersion');
type RawWithVersion = IncomingMessage & { [VERSION_KEY]?: string | undefined };

export function errorBody(err: unknown): { message: string } {
  return { message: err instanceof Error ? err.message : String(err) };
}

/** Docker clients parse an error body only when the type is exactly "application/json" (no
 *  charset), so JSON is sent as bytes with that header. */
export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send(Buffer.from(`${JSON.stringify(body)}\n`));
}

export async function buildApi(opts: ApiServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024 * 1024,
    rewriteUrl(req) {
      const { version, path } = splitVersionPrefix(req.url ?? '/');
      (req as RawWithVersion)[VERSION_KEY] = version;
      return path;
    },
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 1024 },
    schemaController: { compilersFactory },
  });

  app.decorateRequest('apiVersion', API_VERSION);

  // JSON bodies: an empty body is "no body" (docker clients send that often); invalid JSON is a 400.
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser(['application/json', 'text/json'], { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(invalidArgument(`invalid JSON: ${(e as Error).message}`), undefined);
    }
  });
  // Everything else (tar archives, plain text, no type) is handed to the route as a stream.
  app.removeContentTypeParser(['text/plain']);
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  app.addHook('onRequest', async (request: FastifyRequest) => {
    request.apiVersion = negotiateVersion((request.raw as RawWithVersion)[VERSION_KEY]);
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('Api-Version', API_VERSION);
    reply.header('Docker-Experimental', 'false');
    reply.header('Ostype', 'linux');
    reply.header('Server', opts.serverHeader);
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode }, 'request');
  });

  app.setErrorHandler((err, request, reply) => {
    let status: number;
    if (err instanceof BerthError) status = statusForError(err);
    else if ((err as { validation?: unknown }).validation !== undefined) status = 400;
    else if (typeof (err as { statusCode?: unknown }).statusCode === 'number' && (err as { statusCode: number }).statusCode < 500)
      status = (err as { statusCode: number }).statusCode;
    else status = statusForError(err);
    if (status >= 500) request.log.error({ err, kind: kindOf(err) }, 'request failed');
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.destroy();
      return;
    }
    if (status === 304) return reply.code(304).send();
    return sendJson(reply, status, errorBody(err));
  });
  app.setNotFoundHandler((_request, reply) => sendJson(reply, 404, { message: 'page not found' }));

  for (const router of opts.routers) await app.register(router);
  await app.ready();
  return app;
}

export interface Listener {
  address: string;
  close(): Promise<void>;
}

/** Parse a -H value: unix:///path, tcp://host:port, fd:// is not supported. */
export function parseHost(host: string): { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number } {
  if (host.startsWith('unix://')) return { kind: 'unix', path: host.slice('unix://'.length) };
  if (host.startsWith('/')) return { kind: 'unix', path: host };
  const tcp = /^(?:tcp:\/\/)?(\[[^\]]+\]|[^:/]*)(?::(\d+))?\/?$/.exec(host);
  if (tcp) {
    const h = (tcp[1] ?? '').replace(/^\[|\]$/g, '') || '127.0.0.1';
    return { kind: 'tcp', host: h, port: tcp[2] ? Number(tcp[2]) : 2375 };
  }
  throw invalidArgument(`invalid host address ${JSON.stringify(host)}: use unix:///path or tcp://host:port`);
}

/** Serve one fastify app on several addresses (dockerd's repeated -H). */
export async function listen(app: FastifyInstance, host: string, hijack: HijackRouter | undefined, logger: Logger): Promise<Listener> {
  const target = parseHost(host);
  const server = http.createServer({ keepAlive: true }, (req, res) => app.routing(req, res));
  server.keepAliveTimeout = 65_000;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!hijack) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n\r\n{"message":"page not found"}\n');
      return;
    }
    hijack.handle(req, socket, head).catch((err: unknown) => {
      logger.error({ err }, 'hijacked request failed');
      socket.destroy();
    });
  });
  const sockets = new Set<Duplex>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  if (target.kind === 'unix') {
    await removeStaleSocket(target.path);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(target.path, () => resolve());
    });
    fs.chmodSync(target.path, 0o660);
  } else {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(target.port, target.host, () => resolve());
    });
  }
  return {
    address: host,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Streams that are still open (logs -f, events, attach) end now: the daemon is going away.
        setTimeout(() => {
          for (const s of sockets) s.destroy();
        }, 200).unref();
        if (target.kind === 'unix') fs.rmSync(target.path, { force: true });
      }),
  };
}

async function removeStaleSocket(path: string): Promise<void> {
  if (!fs.existsSync(path)) return;
  // A socket someone still answers on is not stale: refuse rather than steal it.
  const alive = await new Promise<boolean>((resolve) => {
    const req = http.request({ socketPath: path, path: '/_ping', timeout: 500 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
  if (alive) throw new BerthError('conflict', `another daemon is already listening on ${path}`);
  fs.rmSync(path, { force: true });
}
