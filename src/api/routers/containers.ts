// Container lifecycle routes (Docker Engine API): create, list, inspect, start, stop, restart,
// kill, pause, unpause, wait, remove, rename, prune. Attach/logs/exec/top/resize are the
// streams routers'.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ContainerRecord, ContainerService } from '../../daemon/containers/index.js';
import { filterContainers } from '../../daemon/containers/filters.js';
import type { ContainerCreateRequest, ContainerInspectResponse, ContainerSummary, ContainerWaitResponse, NetworkSettings } from '../../engine-api/container.js';
import { invalidArgument } from '../../errdefs/index.js';
import { checkFilterKeys, qBool, qFilters, qInt, qString, type Query } from '../params.js';
import { inspectToWire, summaryToWire } from '../compat/containers.js';
import { errorBody } from '../server.js';
import { updateContainer } from '../../daemon/containers/update.js';
import type { UpdateConfig } from '../../runtime/security/resources.js';

export interface ContainersRouterDeps {
  containers: ContainerService;
  /** image ID for a reference (the `ancestor` filter); undefined when unknown */
  imageId?: (ref: string) => string | undefined;
  /** the network service's view of a container (inspect NetworkSettings, ps Ports and Networks) */
  network?: {
    settings(r: ContainerRecord): NetworkSettings;
    ports(r: ContainerRecord): ContainerSummary['Ports'];
  };
}

type IdParams = { id: string };

const WAIT_CONDITIONS = ['not-running', 'next-exit', 'removed'] as const;

export function containersRouter(deps: ContainersRouterDeps): FastifyPluginAsync {
  const svc = deps.containers;
  const net = deps.network;
  const withNet = (r: ContainerRecord, w: ContainerInspectResponse): ContainerInspectResponse => (net ? { ...w, NetworkSettings: net.settings(r) } : w);
  const sumNet = (r: ContainerRecord, s: ContainerSummary): ContainerSummary => (net ? { ...s, Ports: net.ports(r), NetworkSettings: { Networks: net.settings(r).Networks } } : s);
  const noContent = (reply: FastifyReply): FastifyReply => reply.code(204).send();
  return async (app) => {
    app.post('/containers/create', async (request, reply) => {
      const q = request.query as Query;
      const body = (request.body ?? {}) as ContainerCreateRequest;
      if (typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('invalid JSON: expected an object');
      const r = await svc.create({ name: qString(q, 'name'), body, platform: qString(q, 'platform') });
      return reply.code(201).send({ Id: r.id, Warnings: r.warnings });
    });

    app.get('/containers/json', async (request) => {
      const q = request.query as Query;
      const filters = qFilters(q);
      const limit = qInt(q, 'limit');
      const list = filterContainers(svc.list(), { all: qBool(q, 'all'), ...(limit !== undefined ? { limit } : {}), filters }, {
        find: (x) => svc.find(x),
        imageId: (ref) => deps.imageId?.(ref),
      });
      const size = qBool(q, 'size');
      return list.map((r) => {
        if (!size) return sumNet(r, summaryToWire(r));
        const rw = svc.sizeRw(r);
        return sumNet(r, summaryToWire(r, { rw, rootFs: rw }));
      });
    });

    app.get<{ Params: IdParams }>('/containers/:id/json', async (request) => {
      const q = request.query as Query;
      const r = svc.get(request.params.id);
      if (qBool(q, 'size')) {
        const rw = svc.sizeRw(r);
        return withNet(r, inspectToWire(r, { rw, rootFs: rw }));
      }
      return withNet(r, inspectToWire(r));
    });

    app.post<{ Params: IdParams }>('/containers/:id/start', async (request, reply) => {
      const q = request.query as Query;
      if (qString(q, 'checkpoint')) throw invalidArgument('checkpoints are not supported');
      await svc.start(request.params.id);
      return noContent(reply);
    });

    const stopOpts = (q: Query): { timeout?: number; signal?: string } => {
      const t = qInt(q, 't');
      const signal = qString(q, 'signal');
      return { ...(t !== undefined ? { timeout: t } : {}), ...(signal ? { signal } : {}) };
    };

    app.post<{ Params: IdParams }>('/containers/:id/stop', async (request, reply) => {
      await svc.stop(request.params.id, stopOpts(request.query as Query));
      return noContent(reply);
    });

    app.post<{ Params: IdParams }>('/containers/:id/restart', async (request, reply) => {
      await svc.restart(request.params.id, stopOpts(request.query as Query));
      return noContent(reply);
    });

    app.post<{ Params: IdParams }>('/containers/:id/kill', async (request, reply) => {
      await svc.kill(request.params.id, qString(request.query as Query, 'signal'));
      return noContent(reply);
    });

    app.post<{ Params: IdParams }>('/containers/:id/pause', async (request, reply) => {
      await svc.pause(request.params.id);
      return noContent(reply);
    });

    app.post<{ Params: IdParams }>('/containers/:id/unpause', async (request, reply) => {
      await svc.unpause(request.params.id);
      return noContent(reply);
    });

    app.post<{ Params: IdParams }>('/containers/:id/wait', async (request, reply) => {
      const q = request.query as Query;
      const cond = qString(q, 'condition') || 'not-running';
      if (!(WAIT_CONDITIONS as readonly string[]).includes(cond)) throw invalidArgument(`invalid condition: "${cond}"`);
      const ctl = new AbortController();
      // registered before the headers go out, so a start right after cannot be missed
      const waiting = svc.wait(request.params.id, cond as (typeof WAIT_CONDITIONS)[number], ctl.signal);
      request.raw.on('close', () => {
        if (!reply.raw.writableFinished) ctl.abort();
      });
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': '1.50', Ostype: 'linux', 'Docker-Experimental': 'false' });
      res.flushHeaders();
      try {
        const r = await waiting;
        const body: ContainerWaitResponse = { StatusCode: r.statusCode };
        if (r.error) body.Error = { Message: r.error };
        res.end(`${JSON.stringify(body)}\n`);
      } catch (err) {
        if (ctl.signal.aborted) res.destroy();
        else res.end(`${JSON.stringify({ StatusCode: -1, Error: { Message: errorBody(err).message } })}\n`);
      }
    });

    app.delete<{ Params: IdParams }>('/containers/:id', async (request, reply) => {
      const q = request.query as Query;
      if (qBool(q, 'link')) throw invalidArgument('Conflict, cannot remove the default link name of the container');
      await svc.remove(request.params.id, { force: qBool(q, 'force'), volumes: qBool(q, 'v') });
      return noContent(reply);
    });

    app.post<{ Params: IdParams }>('/containers/:id/update', async (request) => {
      const body = (request.body ?? {}) as UpdateConfig;
      if (typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('invalid JSON: expected an object');
      return updateContainer(svc, request.params.id, body);
    });

    app.post<{ Params: IdParams }>('/containers/:id/rename', async (request, reply) => {
      await svc.rename(request.params.id, qString(request.query as Query, 'name') ?? '');
      return noContent(reply);
    });

    app.post('/containers/prune', async (request) => {
      const filters = qFilters(request.query as Query);
      checkFilterKeys(filters, ['until', 'label', 'label!']);
      const r = await svc.prune(filters);
      return { ContainersDeleted: r.deleted.length > 0 ? r.deleted : null, SpaceReclaimed: r.reclaimed };
    });
  };
}
