// Volume routes (Docker Engine API): create, list, inspect, remove, prune; PUT (cluster
// volumes) is refused as on a non-swarm dockerd.
import type { FastifyPluginAsync } from 'fastify';
import { invalidArgument, unavailable } from '../../errdefs/index.js';
import type { VolumeService } from '../../daemon/volumes/index.js';
import type { VolumeCreateOptions, VolumeListResponse, VolumePruneResponse } from '../../engine-api/volume.js';
import { qBool, qFilters, type Query } from '../params.js';
import { volumeToWire } from '../compat/volumes.js';

export interface VolumesRouterDeps {
  volumes: VolumeService;
}

type NameParams = { name: string };

function stringMap(v: unknown, field: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(`json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go struct field CreateOptions.${field} of type map[string]string`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x !== 'string') throw invalidArgument(`json: cannot unmarshal ${typeof x} into Go struct field CreateOptions.${field} of type string`);
    out[k] = x;
  }
  return out;
}

export function volumesRouter(deps: VolumesRouterDeps): FastifyPluginAsync {
  const svc = deps.volumes;
  return async (app) => {
    app.post('/volumes/create', async (request, reply) => {
      const body = (request.body ?? {}) as VolumeCreateOptions;
      if (typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('invalid JSON: expected an object');
      if (body.ClusterVolumeSpec) throw unavailable('This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.');
      if (body.Name !== undefined && typeof body.Name !== 'string') throw invalidArgument('json: cannot unmarshal into Go struct field CreateOptions.Name of type string');
      const v = await svc.create({ name: body.Name, driver: body.Driver, options: stringMap(body.DriverOpts, 'DriverOpts'), labels: stringMap(body.Labels, 'Labels') });
      return reply.code(201).send(volumeToWire(v));
    });

    app.get('/volumes', async (request) => {
      const q = request.query as Query;
      const r = await svc.list(qFilters(q));
      const res: VolumeListResponse = { Volumes: r.volumes.map(volumeToWire), Warnings: r.warnings.length > 0 ? r.warnings : null };
      return res;
    });

    app.get<{ Params: NameParams }>('/volumes/:name', async (request) => volumeToWire(await svc.inspect(request.params.name)));

    app.put<{ Params: NameParams }>('/volumes/:name', async (request) => {
      await svc.inspect(request.params.name);
      throw invalidArgument('volume update only supported for cluster volumes');
    });

    app.delete<{ Params: NameParams }>('/volumes/:name', async (request, reply) => {
      await svc.remove(request.params.name, { force: qBool(request.query as Query, 'force') });
      return reply.code(204).send();
    });

    app.post('/volumes/prune', async (request) => {
      const r = await svc.prune(qFilters(request.query as Query));
      const res: VolumePruneResponse = { VolumesDeleted: r.deleted, SpaceReclaimed: r.reclaimed };
      return res;
    });
  };
}
