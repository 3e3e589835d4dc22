// Container filesystem routes: HEAD/GET/PUT /containers/{id}/archive (docker cp, with the
// X-Docker-Container-Path-Stat header), GET /containers/{id}/changes (docker diff),
// GET /containers/{id}/export and POST /commit.
import type { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ContainerFsService, PathStat } from '../../daemon/containerfs/index.js';
import type { ContainerConfig } from '../../engine-api/container.js';
import { invalidArgument } from '../../errdefs/index.js';
import { qBool, qString, type Query } from '../params.js';

export interface ContainerFsRouterDeps {
  fs: ContainerFsService;
}

type IdParams = { id: string };

const STAT_HEADER = 'X-Docker-Container-Path-Stat';

/** base64 of {name,size,mode,mtime,linkTarget} (moby setContainerPathStatHeader). */
export function pathStatHeader(s: PathStat): string {
  return Buffer.from(JSON.stringify({ name: s.name, size: s.size, mode: s.mode, mtime: s.mtime, linkTarget: s.linkTarget })).toString('base64');
}

function archivePath(q: Query): string {
  const p = qString(q, 'path');
  if (p === undefined || p === '') throw invalidArgument('path cannot be empty');
  return p;
}

function bodyStream(request: FastifyRequest): Readable {
  const b = request.body as unknown;
  if (b && typeof (b as Readable).pipe === 'function') return b as Readable;
  return request.raw;
}

function clientGone(reply: FastifyReply): AbortSignal {
  const ctl = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) ctl.abort();
  });
  return ctl.signal;
}

function qList(q: Query, name: string): string[] {
  const v = q[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export function containerFsRouter(deps: ContainerFsRouterDeps): FastifyPluginAsync {
  const svc = deps.fs;
  return async (app) => {
    app.head<{ Params: IdParams }>('/containers/:id/archive', async (request, reply) => {
      const stat = await svc.statPath(request.params.id, archivePath(request.query as Query));
      return reply.code(200).header(STAT_HEADER, pathStatHeader(stat)).send();
    });

    app.get<{ Params: IdParams }>('/containers/:id/archive', { exposeHeadRoute: false }, async (request, reply) => {
      const { stat, stream } = await svc.archivePath(request.params.id, archivePath(request.query as Query));
      reply.raw.on('close', () => stream.destroy());
      return reply.code(200).header(STAT_HEADER, pathStatHeader(stat)).header('content-type', 'application/x-tar').send(stream);
    });

    app.put<{ Params: IdParams }>('/containers/:id/archive', async (request, reply) => {
      const q = request.query as Query;
      await svc.extractToDir(request.params.id, archivePath(q), bodyStream(request), {
        noOverwriteDirNonDir: qBool(q, 'noOverwriteDirNonDir'),
        copyUIDGID: qBool(q, 'copyUIDGID'),
        signal: clientGone(reply),
      });
      return reply.code(200).send();
    });

    app.get<{ Params: IdParams }>('/containers/:id/changes', async (request) => {
      const changes = await svc.changes(request.params.id);
      return changes.map((c) => ({ Path: c.path, Kind: c.kind }));
    });

    app.get<{ Params: IdParams }>('/containers/:id/export', { exposeHeadRoute: false }, async (request, reply) => {
      const stream = await svc.export(request.params.id);
      reply.raw.on('close', () => stream.destroy());
      return reply.code(200).header('content-type', 'application/x-tar').send(stream);
    });

    app.post('/commit', async (request, reply) => {
      const q = request.query as Query;
      const body = request.body as unknown;
      if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body) || typeof (body as Readable).pipe === 'function')) {
        if (typeof (body as Readable).pipe === 'function') (body as Readable).resume();
        else throw invalidArgument('invalid JSON: expected a container config object');
      }
      const config = body && typeof body === 'object' && typeof (body as Readable).pipe !== 'function' ? (body as ContainerConfig) : undefined;
      const r = await svc.commit({
        container: qString(q, 'container') ?? '',
        repo: qString(q, 'repo'),
        tag: qString(q, 'tag'),
        comment: qString(q, 'comment'),
        author: qString(q, 'author'),
        pause: qBool(q, 'pause', true),
        changes: qList(q, 'changes'),
        config,
      });
      return reply.code(201).send({ Id: r.id });
    });
  };
}
