// Network records -> Docker's wire shapes: Network (list/inspect), and a container's
// NetworkSettings, EndpointSettings and summary Ports (for container inspect and ps).
import type { NetworkService, NetworkRecord, SandboxState } from '../../daemon/networks/index.js';
import type { EndpointSettings, HostConfig, NetworkSettings } from '../../engine-api/container.js';
import type { Network, NetworkContainer } from '../../engine-api/network.js';

export function networkToWire(svc: NetworkService, n: NetworkRecord, withContainers: boolean): Network {
  const containers: Record<string, NetworkContainer> = {};
  if (withContainers) {
    for (const { sandbox, endpoint } of svc.endpoints(n.id)) {
      containers[sandbox.containerId] = {
        Name: sandbox.name,
        EndpointID: endpoint.endpointId,
        MacAddress: endpoint.mac,
        IPv4Address: endpoint.ip ? `${endpoint.ip}/${endpoint.prefix}` : '',
        IPv6Address: endpoint.ip6 ? `${endpoint.ip6}/${endpoint.prefix6}` : '',
      };
    }
  }
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: n.driver,
    EnableIPv4: n.driver === 'bridge' || n.driver === 'cni',
    EnableIPv6: n.enableIPv6,
    IPAM: { Driver: n.ipam.driver, Options: n.builtin && n.driver !== 'bridge' ? null : n.ipam.options, Config: n.driver === 'host' || n.driver === 'null' ? null : n.ipam.config.map((c) => ({ ...c })) },
    Internal: n.internal,
    Attachable: n.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: n.options,
    Labels: n.labels,
  };
}

function emptyEndpoint(): EndpointSettings {
  return {
    IPAMConfig: null,
    Links: null,
    Aliases: null,
    MacAddress: '',
    DriverOpts: null,
    GwPriority: 0,
    NetworkID: '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

interface ContainerLike {
  id: string;
  hostConfig: HostConfig;
  state: { status: string; pid: number };
}

/**
 * The address a published port is really bound on. Without a host IP berthd binds (and DNATs)
 * IPv4 only, so it is 0.0.0.0 alone, not Docker's 0.0.0.0 plus :: (ports.ts).
 */
function boundIp(hostIp: string): string {
  return hostIp === '' ? '0.0.0.0' : hostIp;
}

function portsMap(sb: SandboxState | undefined, c: ContainerLike, exposed: Record<string, object> | null | undefined): NetworkSettings['Ports'] {
  const out: NetworkSettings['Ports'] = {};
  const running = c.state.status === 'running' || c.state.status === 'paused';
  if (!running) return out;
  for (const k of Object.keys(exposed ?? {})) out[k.includes('/') ? k : `${k}/tcp`] = null;
  for (const k of Object.keys(c.hostConfig.PortBindings ?? {})) out[k.includes('/') ? k : `${k}/tcp`] ??= null;
  for (const p of sb?.ports ?? []) {
    const key = `${p.containerPort}/${p.proto}`;
    const list = out[key] ?? [];
    list.push({ HostIp: boundIp(p.hostIp), HostPort: String(p.hostPort) });
    out[key] = list;
  }
  return out;
}

/** NetworkSettings of container inspect. */
export function containerNetworkSettings(svc: NetworkService, c: ContainerLike & { config: { ExposedPorts?: Record<string, object> | null } }): NetworkSettings {
  const sb = svc.sandbox(c.id);
  const running = c.state.status === 'running' || c.state.status === 'paused';
  const mode = c.hostConfig.NetworkMode ?? 'default';
  const networks: Record<string, EndpointSettings> = {};
  const atts = svc.attachmentsOf(c.id);
  if (mode === 'host' || mode === 'none') networks[mode] = { ...emptyEndpoint(), NetworkID: svc.find(mode)?.id ?? '' };
  for (const a of atts) {
    const ep = running ? sb?.endpoints.find((e) => e.networkId === a.network.id) : undefined;
    const userNet = !a.network.builtin;
    networks[a.network.name] = {
      ...emptyEndpoint(),
      IPAMConfig: a.config.IPAMConfig ?? null,
      Links: a.config.Links ?? null,
      Aliases: a.config.Aliases?.length ? a.config.Aliases : null,
      MacAddress: ep?.mac ?? '',
      DriverOpts: a.config.DriverOpts ?? null,
      NetworkID: a.network.id,
      EndpointID: ep?.endpointId ?? '',
      Gateway: ep?.gateway ?? '',
      IPAddress: ep?.ip ?? '',
      IPPrefixLen: ep?.prefix ?? 0,
      IPv6Gateway: ep?.gateway6 ?? '',
      GlobalIPv6Address: ep?.ip6 ?? '',
      GlobalIPv6PrefixLen: ep?.prefix6 ?? 0,
      DNSNames: userNet && ep ? ep.dnsNames : null,
    };
  }
  const def = running ? sb?.endpoints.find((e) => svc.find(e.networkId)?.builtin === true) : undefined;
  return {
    Bridge: '',
    SandboxID: sb && running ? sb.netns : '',
    SandboxKey: sb && running ? `/run/netns/${sb.netns}` : running && mode !== 'host' ? `/proc/${c.state.pid}/ns/net` : '',
    Ports: portsMap(sb, c, c.config.ExposedPorts),
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: def?.endpointId ?? '',
    Gateway: def?.gateway ?? '',
    GlobalIPv6Address: def?.ip6 ?? '',
    GlobalIPv6PrefixLen: def?.prefix6 ?? 0,
    IPAddress: def?.ip ?? '',
    IPPrefixLen: def?.prefix ?? 0,
    IPv6Gateway: def?.gateway6 ?? '',
    MacAddress: def?.mac ?? '',
    Networks: networks,
  };
}

/** `docker ps` Ports of a container summary. */
export function summaryPorts(svc: NetworkService, c: ContainerLike & { config: { ExposedPorts?: Record<string, object> | null } }): { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] {
  const running = c.state.status === 'running' || c.state.status === 'paused';
  const out: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] = [];
  const sb = running ? svc.sandbox(c.id) : undefined;
  const published = new Set<string>();
  for (const p of sb?.ports ?? []) {
    published.add(`${p.containerPort}/${p.proto}`);
    out.push({ IP: boundIp(p.hostIp), PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.proto });
  }
  for (const k of Object.keys(c.config.ExposedPorts ?? {})) {
    const [port = '0', proto = 'tcp'] = k.split('/');
    if (!published.has(`${port}/${proto}`)) out.push({ PrivatePort: Number(port), Type: proto });
  }
  return out;
}
