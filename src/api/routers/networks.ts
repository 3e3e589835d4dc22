// Network routes (Docker Engine API): list, inspect, create, remove, connect, disconnect, prune.
import type { FastifyPluginAsync } from 'fastify';
import type { NetworkService } from '../../daemon/networks/index.js';
import type { NetworkConnectRequest, NetworkCreateRequest, NetworkDisconnectRequest } from '../../engine-api/network.js';
import { invalidArgument } from '../../errdefs/index.js';
import { qBool, qFilters, type Query } from '../params.js';
import { networkToWire } from '../compat/networks.js';

export interface NetworksRouterDeps {
  networks: NetworkService;
}

type IdParams = { id: string };

function body<T>(raw: unknown): T {
  if (raw === undefined || raw === null) return {} as T;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidArgument('invalid JSON: expected an object');
  return raw as T;
}

export function networksRouter(deps: NetworksRouterDeps): FastifyPluginAsync {
  const svc = deps.networks;
  return async (app) => {
    app.get('/networks', async (request) => {
      const q = request.query as Query;
      return svc.list({ filters: qFilters(q) }).map((n) => networkToWire(svc, n, false));
    });

    app.get<{ Params: IdParams }>('/networks/:id', async (request) => {
      const q = request.query as Query;
      void qBool(q, 'verbose');
      return networkToWire(svc, svc.get(request.params.id), true);
    });

    app.post('/networks/create', async (request, reply) => {
      const req = body<NetworkCreateRequest>(request.body);
      const r = await svc.create(req);
      return reply.code(201).send({ Id: r.id, Warning: r.warning });
    });

    app.delete<{ Params: IdParams }>('/networks/:id', async (request, reply) => {
      await svc.remove(request.params.id);
      return reply.code(204).send();
    });

    app.post<{ Params: IdParams }>('/networks/:id/connect', async (request, reply) => {
      const req = body<NetworkConnectRequest>(request.body);
      if (!req.Container) throw invalidArgument('no container specified');
      await svc.connect(request.params.id, req.Container, req.EndpointConfig ?? {});
      return reply.code(200).send();
    });

    app.post<{ Params: IdParams }>('/networks/:id/disconnect', async (request, reply) => {
      const req = body<NetworkDisconnectRequest>(request.body);
      if (!req.Container) throw invalidArgument('no container specified');
      await svc.disconnect(request.params.id, req.Container, req.Force === true);
      return reply.code(200).send();
    });

    app.post('/networks/prune', async (request) => {
      const deleted = await svc.prune(qFilters(request.query as Query));
      return { NetworksDeleted: deleted };
    });
  };
}
