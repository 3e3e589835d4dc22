// berth's registry server: fastify over FsRegistryStorage, with optional TLS, htpasswd basic auth,
// read-only mode and one JSON access-log line per request (pino).
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { BasicAuth } from './auth.js';
import { RegistryError, registryError } from './errors.js';
import { WRITE_METHODS, registerRegistryRoutes } from './routes.js';
import { FsRegistryStorage } from './storage.js';

export interface RegistryServerOptions {
  /** "host:port" ("127.0.0.1:0" picks a free port). */
  addr: string;
  root: string;
  tlsCert?: string;
  tlsKey?: string;
  htpasswd?: string;
  realm?: string;
  readOnly?: boolean;
  logger?: Logger;
  logLevel?: string;
}

export interface RegistryServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly storage: FsRegistryStorage;
  /** Stop accepting, finish in-flight requests, close. */
  close(): Promise<void>;
}

export const DEFAULT_ADDR = '127.0.0.1:5000';
export const DEFAULT_ROOT = '/var/lib/berth-registry';
export const DEFAULT_REALM = 'berth-registry';

export function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  if (!m) throw new Error(`invalid listen address ${JSON.stringify(addr)} (want host:port)`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid port in ${JSON.stringify(addr)}`);
  return { host: m[1] ?? (m[2] === '' ? '0.0.0.0' : (m[2] as string)), port };
}

export async function startRegistryServer(opts: RegistryServerOptions): Promise<RegistryServer> {
  const { host, port } = parseAddr(opts.addr);
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) throw new Error('--tls-cert and --tls-key go together');
  const log =
    opts.logger ??
    pino({ level: opts.logLevel ?? 'info', base: { service: 'berth-registry' }, redact: ['req.headers.authorization', 'headers.authorization'] }, pino.destination({ fd: 2, sync: false }));
  const auth = opts.htpasswd !== undefined ? BasicAuth.fromFile(opts.htpasswd, opts.realm ?? DEFAULT_REALM) : undefined;
  const storage = new FsRegistryStorage(opts.root);
  await storage.init();
  const tls = opts.tlsCert !== undefined && opts.tlsKey !== undefined;

  const app: FastifyInstance = Fastify({
    loggerInstance: log,
    // One access line per request from onResponse instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    exposeHeadRoutes: false,
    // Large blobs over slow links: no whole-request deadline.
    requestTimeout: 0,
    connectionTimeout: 0,
    keepAliveTimeout: 75_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ...(tls ? { https: { cert: fs.readFileSync(opts.tlsCert as string), key: fs.readFileSync(opts.tlsKey as string) } } : {}),
  }) as unknown as FastifyInstance;

  // Bodies are streams the routes read themselves (blobs) or collect with a cap (manifests).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));

  const users = new WeakMap<object, string>();
  const started = new WeakMap<object, bigint>();
  app.addHook('onRequest', async (req, reply) => {
    started.set(req, process.hrtime.bigint());
    reply.header('Docker-Distribution-API-Version', 'registry/2.0');
    if (auth) users.set(req, await auth.check(req.headers.authorization));
    if (opts.readOnly && WRITE_METHODS.has(req.method)) throw registryError('UNSUPPORTED', { message: 'the registry is in read-only mode' });
  });
  app.addHook('onResponse', async (req, reply) => {
    const t0 = started.get(req);
    req.log.info(
      {
        remote: req.ip,
        method: req.method,
        url: req.url,
        status: reply.statusCode,
        ms: t0 === undefined ? undefined : Number(process.hrtime.bigint() - t0) / 1e6,
        bytesOut: Number(reply.getHeader('content-length') ?? 0) || undefined,
        bytesIn: Number(req.headers['content-length'] ?? 0) || undefined,
        user: users.get(req),
        userAgent: req.headers['user-agent'],
      },
      'access',
    );
  });
  app.setErrorHandler((err, req, reply) => {
    let e: RegistryError;
    if (err instanceof RegistryError) e = err;
    else if (isClientGone(err)) {
      req.log.warn({ err: (err as Error).message }, 'client went away');
      e = registryError('BLOB_UPLOAD_INVALID', { message: 'request body incomplete', status: 400 });
    } else if (typeof (err as { statusCode?: number }).statusCode === 'number' && ((err as { statusCode: number }).statusCode ?? 500) < 500) {
      e = registryError('UNSUPPORTED', { status: (err as { statusCode: number }).statusCode, message: (err as Error).message });
    } else {
      req.log.error({ err }, 'request failed');
      e = registryError('UNKNOWN', { message: err instanceof Error ? err.message : String(err) });
    }
    for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
    return reply.code(e.status).type('application/json').send(JSON.stringify(e.body()));
  });

  registerRegistryRoutes(app, { storage });
  app.setNotFoundHandler((_req, reply) => reply.code(404).type('text/plain; charset=utf-8').send('404 page not found\n'));

  await app.listen({ host, port });
  const a = app.server.address() as AddressInfo;
  const shownHost = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  const url = `${tls ? 'https' : 'http'}://${shownHost}:${a.port}`;
  log.info({ addr: `${shownHost}:${a.port}`, url, root: storage.layout.root, tls, auth: auth !== undefined, readOnly: opts.readOnly === true }, 'registry listening');
  return {
    url,
    host: a.address,
    port: a.port,
    storage,
    async close() {
      await app.close();
      log.flush?.();
    },
  };
}

function isClientGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (err as Error).message === 'aborted';
}
