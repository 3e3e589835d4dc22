// The network domain model and the narrow interface the container lifecycle calls.
//
//   network.validate(hostConfig, networkingConfig)   // at create, before anything is written
//   network.register(container, networkingConfig)    // at create, after the record is saved
//   const { netnsPath } = await network.prepare(container)   // at start, before the runtime
//   await network.release(container.id)              // after exit (and when a start fails)
//   await network.forget(container.id)               // at rm
import type { EndpointSettings, HostConfig } from '../../engine-api/container.js';
import type { EndpointConfig } from '../../engine-api/network.js';
import type { CniConflist, CniResult } from '../../network/cni.js';
import type { IpamConfig } from '../../network/ipam.js';
import type { PortMapping } from '../../network/ports.js';

export type NetworkDriver = 'bridge' | 'host' | 'null' | 'cni';

export interface NetworkRecord {
  id: string;
  name: string;
  driver: NetworkDriver;
  created: string;
  internal: boolean;
  attachable: boolean;
  enableIPv6: boolean;
  ipam: { driver: string; options: Record<string, string>; config: IpamConfig[] };
  options: Record<string, string>;
  labels: Record<string, string>;
  /** the Linux bridge of a bridge network ('' otherwise) */
  bridge: string;
  /** bridge, host, none: made by the daemon, never removed */
  builtin: boolean;
  icc: boolean;
  masquerade: boolean;
  mtu: number;
  /** default host address for published ports (com.docker.network.bridge.host_binding_ipv4) */
  hostBinding: string;
  cni?: { conflist: CniConflist; file?: string };
}

export interface EndpointState {
  networkId: string;
  endpointId: string;
  /** interface name inside the container */
  ifname: string;
  /** host side of the veth pair (bridge driver) */
  hostVeth: string;
  mac: string;
  ip: string;
  prefix: number;
  gateway: string;
  ip6: string;
  prefix6: number;
  gateway6: string;
  aliases: string[];
  dnsNames: string[];
  cniResult?: CniResult;
}

/** The network side of a running container: its netns, endpoints and published ports. */
export interface SandboxState {
  containerId: string;
  /** container name without the leading "/" */
  name: string;
  /** named netns (ip netns) */
  netns: string;
  endpoints: EndpointState[];
  ports: PortMapping[];
  /** upstream resolvers the embedded DNS forwards this container's other names to */
  upstreams: string[];
}

/** What the network service reads from a container record (ContainerRecord fits). */
export interface AttachContainer {
  id: string;
  name: string;
  config: { Hostname?: string; Domainname?: string; ExposedPorts?: Record<string, object> | null };
  hostConfig: HostConfig;
  paths: { hostsPath: string; resolvConfPath: string; hostnamePath: string };
}

/** HostConfig's companion in a create request (EndpointSettings as the container types have them). */
export interface NetworkingConfig {
  EndpointsConfig?: Record<string, EndpointSettings | EndpointConfig> | null;
}

/** How the network service sees other containers (for container:<id> and connect). */
export interface ContainerLookup {
  find(idOrName: string): (AttachContainer & { state: { status: string; pid: number } }) | undefined;
}

export interface PreparedNetwork {
  /** the netns the runtime joins; undefined: host network or a fresh one from the runtime */
  netnsPath?: string;
}

export interface NetworkAttacher {
  validate(hc: HostConfig, net: NetworkingConfig | null | undefined): void;
  register(c: AttachContainer, net: NetworkingConfig | null | undefined): void;
  prepare(c: AttachContainer): Promise<PreparedNetwork>;
  release(containerId: string): Promise<void>;
  forget(containerId: string): Promise<void>;
  /** A running container was renamed: its name resolves as the new one from now on. */
  rename(containerId: string, oldName: string, newName: string): void;
}
