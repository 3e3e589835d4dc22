// System routes: /_ping, /version, /info, /events, /system/df.
import os from 'node:os';
import type { FastifyPluginAsync } from 'fastify';
import type { EventsService, BerthEvent } from '../../daemon/events.js';
import { BERTH_VERSION, type SystemService } from '../../daemon/system.js';
import type { EventMessage, SystemInfo, SystemVersion } from '../../engine-api/system.js';
import { API_VERSION, MIN_API_VERSION } from '../version.js';

/** When the daemon bundle was built (scripts/bundle-daemon.mjs defines it); '' when run from the tsc output. */
const BUILD_TIME = process.env['BERTH_BUILD_TIME'] ?? '';
import { qFilters, qTimestampNano, checkFilterKeys, type Query } from '../params.js';

export interface SystemRouterDeps {
  system: SystemService;
  events: EventsService;
}

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };
const UNAME_ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64' };

export function eventToWire(ev: BerthEvent): EventMessage {
  const msg: EventMessage = {
    Type: ev.type,
    Action: ev.action,
    Actor: { ID: ev.actor.id, Attributes: ev.actor.attributes },
    scope: ev.scope,
    time: Number(ev.timeNano / 1_000_000_000n),
    timeNano: Number(ev.timeNano),
  };
  if (ev.type === 'container' || ev.type === 'image') {
    msg.status = ev.action;
    msg.id = ev.actor.id;
    const from = ev.actor.attributes['image'];
    if (from !== undefined) msg.from = from;
  }
  return msg;
}

const EVENT_FILTERS = ['config', 'container', 'daemon', 'event', 'image', 'label', 'network', 'node', 'plugin', 'scope', 'secret', 'service', 'type', 'volume'] as const;

export function systemRouter(deps: SystemRouterDeps): FastifyPluginAsync {
  const { system, events } = deps;
  return async (app) => {
    const ping = (method: 'GET' | 'HEAD') =>
      app.route({
        method,
        url: '/_ping',
        exposeHeadRoute: false,
        handler: async (_req, reply) => {
          reply
            .header('API-Version', API_VERSION)
            .header('OSType', 'linux')
            .header('Docker-Experimental', 'false')
            .header('Builder-Version', '1')
            .header('Swarm', 'inactive')
            .header('Cache-Control', 'no-cache, no-store, must-revalidate')
            .header('Pragma', 'no-cache')
            .type('text/plain; charset=utf-8');
          return method === 'HEAD' ? reply.header('Content-Length', '0').send() : reply.send('OK');
        },
      });
    ping('GET');
    ping('HEAD');

    app.get('/version', async (): Promise<SystemVersion> => {
      const rt = system.runtimes();
      return {
        Platform: { Name: 'berth' },
        Components: [
          { Name: 'Engine', Version: BERTH_VERSION, Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: GOARCH[process.arch] ?? process.arch, KernelVersion: system.host.kernelVersion, Experimental: 'false', GitCommit: 'berth', GoVersion: `node${process.versions.node}`, BuildTime: BUILD_TIME } },
          ...rt.runtimes.filter((r) => r.name === rt.defaultRuntime).map((r) => ({ Name: r.name, Version: r.version ?? '', Details: { GitCommit: r.commit ?? '' } })),
        ],
        Version: BERTH_VERSION,
        ApiVersion: API_VERSION,
        MinAPIVersion: MIN_API_VERSION,
        GitCommit: 'berth',
        GoVersion: `node${process.versions.node}`,
        Os: 'linux',
        Arch: GOARCH[process.arch] ?? process.arch,
        KernelVersion: system.host.kernelVersion,
        Experimental: false,
        BuildTime: BUILD_TIME,
      };
    });

    app.get('/info', async (): Promise<SystemInfo> => {
      const counts = system.containerCounts();
      const rt = system.runtimes();
      const cfg = system.settings;
      const h = system.host;
      const runtimes: SystemInfo['Runtimes'] = {};
      for (const r of rt.runtimes) runtimes[r.name] = r.args && r.args.length > 0 ? { path: r.path, runtimeArgs: r.args } : { path: r.path };
      const notes = rt.runtimes.flatMap((r) => r.notes ?? []);
      const warnings = [...notes, ...system.warnings()];
      return {
        ID: system.id,
        Containers: counts.total,
        ContainersRunning: counts.running,
        ContainersPaused: counts.paused,
        ContainersStopped: counts.stopped,
        Images: system.imageCount(),
        Driver: 'overlay2',
        DriverStatus: [
          ['Backing Filesystem', 'extfs'],
          ['Supports d_type', 'true'],
          ['Using metacopy', 'false'],
          ['Native Overlay Diff', 'true'],
          ['userxattr', 'false'],
        ],
        DockerRootDir: cfg.dataRoot,
        Plugins: { Volume: system.volumeDrivers(), Network: ['bridge', 'host', 'none', 'null', 'cni'], Authorization: null, Log: ['json-file', 'local', 'k8s-file', 'none'] },
        MemoryLimit: true,
        SwapLimit: h.swapLimit,
        CpuCfsPeriod: true,
        CpuCfsQuota: true,
        CPUShares: true,
        CPUSet: true,
        PidsLimit: true,
        OomKillDisable: h.cgroupVersion === '1',
        IPv4Forwarding: h.ipv4Forwarding,
        Debug: cfg.debug || cfg.logLevel === 'debug' || cfg.logLevel === 'trace',
        NFd: system.openFds(),
        NGoroutines: 1,
        SystemTime: new Date().toISOString(),
        LoggingDriver: 'json-file',
        CgroupDriver: h.cgroupDriver,
        CgroupVersion: h.cgroupVersion,
        NEventsListener: system.eventListeners(),
        KernelVersion: h.kernelVersion,
        OperatingSystem: h.operatingSystem,
        OSVersion: h.osVersion,
        OSType: 'linux',
        Architecture: UNAME_ARCH[process.arch] ?? process.arch,
        NCPU: os.availableParallelism(),
        MemTotal: os.totalmem(),
        IndexServerAddress: 'https://index.docker.io/v1/',
        RegistryConfig: {
          InsecureRegistryCIDRs: ['127.0.0.0/8', '::1/128'],
          IndexConfigs: { 'docker.io': { Name: 'docker.io', Mirrors: cfg.registryMirrors, Secure: true, Official: true } },
          Mirrors: cfg.registryMirrors,
        },
        GenericResources: null,
        HttpProxy: process.env['HTTP_PROXY'] ?? process.env['http_proxy'] ?? '',
        HttpsProxy: process.env['HTTPS_PROXY'] ?? process.env['https_proxy'] ?? '',
        NoProxy: process.env['NO_PROXY'] ?? process.env['no_proxy'] ?? '',
        Name: os.hostname(),
        Labels: cfg.labels,
        ExperimentalBuild: false,
        ServerVersion: BERTH_VERSION,
        Runtimes: runtimes,
        DefaultRuntime: rt.defaultRuntime,
        Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
        LiveRestoreEnabled: cfg.liveRestore,
        Isolation: '',
        InitBinary: 'catatonit',
        ContainerdCommit: { ID: '' },
        RuncCommit: { ID: '' },
        InitCommit: { ID: '' },
        SecurityOptions: system.securityOptions(),
        Warnings: warnings.length > 0 ? warnings : null,
        CDISpecDirs: [],
      };
    });

    app.get('/events', async (request, reply) => {
      const q = request.query as Query;
      const filters = qFilters(q);
      checkFilterKeys(filters, EVENT_FILTERS);
      const since = qTimestampNano(q, 'since');
      const until = qTimestampNano(q, 'until');
      const ctl = new AbortController();
      request.raw.on('close', () => ctl.abort());
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': API_VERSION, 'Ostype': 'linux', 'Docker-Experimental': 'false' });
      res.flushHeaders();
      try {
        const query = { filters, ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) };
        for await (const ev of events.subscribe(query, ctl.signal)) {
          if (!res.write(`${JSON.stringify(eventToWire(ev))}\n`)) await new Promise((r) => res.once('drain', r));
        }
      } finally {
        res.end();
      }
    });

    app.get('/system/df', async (request) => {
      const q = request.query as Query;
      const type = q['type'];
      const types = type === undefined ? undefined : Array.isArray(type) ? type : [type];
      return system.diskUsage(types);
    });

  };
}
