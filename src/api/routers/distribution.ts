// Registry routes that are not about one local image: POST /auth (login) and GET /images/search.
import type { FastifyPluginAsync } from 'fastify';
import type { DistributionService } from '../../daemon/distribution/index.js';
import type { AuthConfig } from '../../registry/client/auth.js';
import { decodeAuthHeader } from '../../registry/client/auth.js';
import { invalidArgument } from '../../errdefs/index.js';
import { qFilters, qInt, qString, type Query } from '../params.js';

export interface DistributionRouterDeps {
  distribution: DistributionService;
}

function authBody(body: unknown): AuthConfig {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidArgument('invalid JSON body: expected an AuthConfig object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) if (typeof v === 'string') out[k.toLowerCase()] = v;
  return out as AuthConfig;
}

export function distributionRouter(deps: DistributionRouterDeps): FastifyPluginAsync {
  const { distribution } = deps;
  return async (app) => {
    app.post('/auth', async (request) => {
      const r = await distribution.login(authBody(request.body));
      return { IdentityToken: r.identityToken, Status: r.status };
    });

    app.get('/images/search', async (request) => {
      const q = request.query as Query;
      const h = request.headers['x-registry-auth'];
      return distribution.search({ term: qString(q, 'term') ?? '', limit: qInt(q, 'limit'), filters: qFilters(q), auth: decodeAuthHeader(Array.isArray(h) ? h[0] : h) });
    });
  };
}
