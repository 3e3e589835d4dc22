// undici, loaded at first use, and only the parts the registry client uses: the dispatchers
// (Agent, EnvHttpProxyAgent) and the request API. undici's index also loads fetch, WebSocket,
// EventSource, the caches and the mocks, and through them node's own copy of undici and more
// builtins: requiring the index took ~100 ms here at the first pull, these files ~45 ms (and
// less memory). A daemon that never talks to a registry loads none of it.
//
// The paths are undici's internal layout (package-lock pins the version); the unit test
// (undici.test.ts) fails if an upgrade moves them. request() is what undici's top-level
// request() does for a call that names its dispatcher (index.js makeDispatcher).
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

const require = createRequire(import.meta.url);

export interface UndiciLite {
  Agent: typeof Undici.Agent;
  EnvHttpProxyAgent: typeof Undici.EnvHttpProxyAgent;
  request(url: string | URL, opts: Omit<Undici.Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & { method?: Undici.Dispatcher.HttpMethod; dispatcher: Undici.Dispatcher }): Promise<Undici.Dispatcher.ResponseData<null>>;
}

let mod: UndiciLite | undefined;

function load(): UndiciLite {
  const Dispatcher = require('undici/lib/dispatcher/dispatcher') as { prototype: object };
  const api = require('undici/lib/api') as object;
  // as undici's index: the request/stream/pipeline/upgrade/connect methods on every dispatcher
  Object.assign(Dispatcher.prototype, api);
  const Agent = require('undici/lib/dispatcher/agent') as typeof Undici.Agent;
  const EnvHttpProxyAgent = require('undici/lib/dispatcher/env-http-proxy-agent') as typeof Undici.EnvHttpProxyAgent;
  return {
    Agent,
    EnvHttpProxyAgent,
    request(url, opts) {
      const u = typeof url === 'string' ? new URL(url) : url;
      const { dispatcher, ...rest } = opts;
      return dispatcher.request({
        ...rest,
        origin: u.origin,
        path: u.search ? `${u.pathname}${u.search}` : u.pathname,
        method: rest.method ?? (rest.body ? 'PUT' : 'GET'),
      } as Undici.Dispatcher.RequestOptions<null>);
    },
  };
}

export function undici(): UndiciLite {
  return (mod ??= load());
}
