// The network endpoints, over the client's transport (the typed client has no network methods yet).
import type { CommandContext } from '../../command.js';
import { filtersParam, type Filters } from '../../../client/client.js';
import type { EndpointConfig, Network, NetworkCreateRequest, NetworkCreateResponse, NetworkPruneResponse } from '../../../engine-api/network.js';

const enc = encodeURIComponent;

export const networkApi = (ctx: CommandContext) => {
  const t = ctx.client().transport;
  return {
    list: (filters: Filters): Promise<Network[]> => t.json({ path: '/networks', query: { filters: filtersParam(filters) } }),
    inspect: (id: string, verbose = false): Promise<Network> => t.json({ path: `/networks/${enc(id)}`, query: { verbose: verbose || undefined } }),
    create: (req: NetworkCreateRequest): Promise<NetworkCreateResponse> => t.json({ method: 'POST', path: '/networks/create', body: req }),
    remove: async (id: string): Promise<void> => {
      await t.json({ method: 'DELETE', path: `/networks/${enc(id)}` });
    },
    connect: async (id: string, container: string, cfg: EndpointConfig): Promise<void> => {
      await t.json({ method: 'POST', path: `/networks/${enc(id)}/connect`, body: { Container: container, EndpointConfig: cfg } });
    },
    disconnect: async (id: string, container: string, force: boolean): Promise<void> => {
      await t.json({ method: 'POST', path: `/networks/${enc(id)}/disconnect`, body: { Container: container, Force: force } });
    },
    prune: (filters: Filters): Promise<NetworkPruneResponse> => t.json({ method: 'POST', path: '/networks/prune', query: { filters: filtersParam(filters) } }),
  };
};

/** "-o k=v" / "--label k=v" / "--aux-address k=v" lists to a map (docker's opts.MapOpts). */
export function mapOpt(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 0) out[v] = '';
    else out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}
