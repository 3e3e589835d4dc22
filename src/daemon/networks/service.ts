// NetworkService: Docker's network model on berth's own drivers. Bridge networks are a Linux
// bridge + veth pairs set up with two `ip -batch` execs and NAT/filtering in berth's own
// nftables table (one transaction per change); host, none and container:<id> share or skip a
// namespace; cni networks run a conflist's plugins. State lives in the metadata database so a
// restarted daemon keeps addresses, ports and DNS of running containers.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { conflict, forbidden, invalidArgument, notFound, systemError, wrap } from '../../errdefs/index.js';
import type { HostConfig } from '../../engine-api/container.js';
import type { EndpointConfig, NetworkCreateRequest } from '../../engine-api/network.js';
import type { EventsService, Filters } from '../events.js';
import type { MetadataDb } from '../../store/metadata/db.js';
import { hostsContent } from '../../runtime/etc-files.js';
import { bridgePorts, ipBatch, linkExists, writeSysctl, writeSysfs } from '../../network/exec.js';
import { createNetns, hostNetnsRef, ifindex, NETNS_DIR, NetnsPool, vethLines, type PooledNetns, type VethPlan } from '../../network/netns.js';
import { allocate, checkNoOverlap, makePool, parseAddressPools, pickSubnet, type IpamConfig } from '../../network/ipam.js';
import { formatCidr, formatIp, macForIp, parseCidr, parseIfaceCidr, parseIp, type IpNet } from '../../network/ipnet.js';
import { deleteTables, renderRuleset, RulesetWriter, type NftState } from '../../network/nft.js';
import { holdPort, portRequests, type PortHold, type PortMapping } from '../../network/ports.js';
import { EmbeddedDns } from '../../network/dns.js';
import { cniAdd, cniCheck, cniDel, loadConfigDir, parseConflist, supportsCheck, type CniConflist, type CniRuntime } from '../../network/cni.js';
import { NetworkStore } from './store.js';
import type { AttachContainer, ContainerLookup, EndpointState, NetworkAttacher, NetworkRecord, NetworkingConfig, PreparedNetwork, SandboxState } from './types.js';
import { labelsMatch, parseUntil } from '../common/filters.js';
import { KeyedLock } from '../common/keyed-lock.js';

export interface NetworkSettingsConfig {
  /** default bridge interface (dockerd -b/--bridge), also the prefix of berth's netns names */
  bridge: string;
  bip: string | undefined;
  fixedCidr: string | undefined;
  mtu: number;
  iptables: boolean;
  ipForward: boolean;
  ipMasq: boolean;
  icc: boolean;
  /** default host address of published ports (dockerd --ip) */
  hostIp: string;
  userlandProxy: boolean;
  addressPools: { base: IpNet; size: number }[];
  /** daemon --dns: upstreams of the embedded DNS when a container has none */
  dns: string[];
  cniConfigDir: string;
  cniPluginDirs: string[];
  /** nftables table name (both families) */
  table: string;
}

/** Daemon settings (daemon.json keys as dockerd's) -> network settings. */
export function networkSettingsFrom(raw: Record<string, unknown>): NetworkSettingsConfig {
  const str = (k: string): string | undefined => (typeof raw[k] === 'string' ? (raw[k] as string) : undefined);
  const bool = (k: string, d: boolean): boolean => (typeof raw[k] === 'boolean' ? (raw[k] as boolean) : d);
  const bridge = str('bridge') ?? 'berth0';
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(bridge)) throw invalidArgument(`invalid bridge name: ${bridge}`);
  const table = bridge === 'berth0' ? 'berth' : `berth_${bridge.replace(/[^A-Za-z0-9_]/g, '_')}`;
  return {
    bridge,
    bip: str('bip'),
    fixedCidr: str('fixed-cidr'),
    mtu: typeof raw['mtu'] === 'number' ? (raw['mtu'] as number) : 1500,
    iptables: bool('iptables', true),
    ipForward: bool('ip-forward', true),
    ipMasq: bool('ip-masq', true),
    icc: bool('icc', true),
    hostIp: str('ip') ?? '',
    userlandProxy: bool('userland-proxy', true),
    addressPools: parseAddressPools(raw['default-address-pools']),
    dns: Array.isArray(raw['dns']) ? (raw['dns'] as string[]) : [],
    cniConfigDir: str('cni-config-dir') ?? '/etc/berth/cni/net.d',
    cniPluginDirs: (str('cni-plugin-dir') ?? '/usr/lib/cni').split(':'),
    table,
  };
}

export interface NetworkServiceOptions {
  db: MetadataDb;
  events: EventsService;
  logger: Logger;
  settings: NetworkSettingsConfig;
  execRoot: string;
}

/** namespaces with an `ip` parked inside, made ahead of time (netns.ts) */
const NETNS_POOL_SIZE = 2;
const BUILTIN = ['bridge', 'host', 'none'] as const;
const isoNow = (): string => new Date().toISOString();
const newId = (): string => crypto.randomBytes(32).toString('hex');

export interface ListNetworksOptions {
  filters?: Filters;
}

export class NetworkService implements NetworkAttacher {
  readonly #o: NetworkServiceOptions;
  readonly #s: NetworkSettingsConfig;
  readonly #store: NetworkStore;
  readonly #log: Logger;
  readonly #nets = new Map<string, NetworkRecord>();
  readonly #sandboxes = new Map<string, SandboxState>();
  readonly #holds = new Map<string, PortHold[]>();
  readonly #locks = new KeyedLock();
  readonly #nft: RulesetWriter;
  readonly #dns: EmbeddedDns;
  readonly #pool: NetnsPool;
  #containers: ContainerLookup | undefined;

  constructor(o: NetworkServiceOptions) {
    this.#o = o;
    this.#s = o.settings;
    this.#log = o.logger;
    this.#store = new NetworkStore(o.db);
    this.#nft = new RulesetWriter(() => renderRuleset(this.#nftState()));
    this.#dns = new EmbeddedDns({ lookup: (c, n, t) => this.#dnsLookup(c, n, t), upstreams: (c) => this.#upstreams(c) }, o.logger.child({ part: 'dns' }));
    // pooled names share the prefix of every other berth netns: the start-up sweep removes the
    // ones a dead daemon left
    this.#pool = new NetnsPool({
      prefix: `${this.#s.bridge}-`,
      size: NETNS_POOL_SIZE,
      onError: (err) => this.#log.warn({ err }, 'netns pool'),
      onFilled: (added, ms) => this.#log.debug({ added, ms: Math.round(ms * 10) / 10 }, 'netns pool refilled'),
    });
  }

  /** Set once the container service exists (container:<id> mode and connect need it). */
  setContainers(c: ContainerLookup): void {
    this.#containers = c;
  }

  get settings(): NetworkSettingsConfig {
    return this.#s;
  }

  // ------------------------------------------------------------------ start-up and shutdown

  /**
   * Load the state, make the built-in networks, bring every bridge up, hold published ports
   * again, serve DNS, apply the ruleset, and remove netns/veths of berth's that no sandbox owns.
   */
  async restore(): Promise<void> {
    for (const n of this.#store.networks()) this.#nets.set(n.id, n);
    for (const s of this.#store.sandboxes()) this.#sandboxes.set(s.containerId, s);
    const dropped = this.#store.dropOrphanAllocations();
    if (dropped > 0) this.#log.warn({ dropped }, 'dropped allocations of sandboxes that were never saved');
    this.#ensureBuiltins();
    this.#syncCniDir();
    if (this.#s.ipForward) {
      if (!writeSysctl('net/ipv4/ip_forward', '1')) this.#log.warn('could not enable net.ipv4.ip_forward');
    }
    const bridges = [...this.#nets.values()].filter((n) => n.driver === 'bridge');
    await this.#ensureBridges(bridges);
    await this.#nft.apply();
    for (const s of this.#sandboxes.values()) await this.#holdPorts(s, s.ports.map((p) => ({ proto: p.proto, containerPort: p.containerPort, hostIp: p.hostIp, hostPorts: [p.hostPort, p.hostPort] })), s.endpoints.some((e) => this.#isPortNet(e))).catch((err: unknown) => this.#log.warn({ err, id: s.containerId.slice(0, 12) }, 'could not hold a published port again'));
    for (const n of bridges) if (this.#hasDns(n)) await this.#serveDns(n);
    await this.#sweep();
  }

  /** Release sandboxes whose container is not running any more (after the containers' start-up). */
  async reconcile(isRunning: (id: string) => boolean): Promise<void> {
    for (const id of [...this.#sandboxes.keys()]) {
      if (!isRunning(id)) {
        this.#log.info({ id: id.slice(0, 12) }, 'released the network of a container that is gone');
        await this.release(id).catch((err: unknown) => this.#log.warn({ err }, 'release failed'));
      }
    }
    for (const a of this.#store.attachments()) {
      if (!this.#containers?.find(a.containerId)) this.#store.deleteAttachment(a.containerId);
    }
    // the containers that outlived the daemon: is their CNI networking still what ADD made? In
    // the background (plugins take tens of ms each), not on the daemon's way to serving
    void this.#checkSurvivors();
  }

  async #checkSurvivors(): Promise<void> {
    for (const id of [...this.#sandboxes.keys()]) {
      // under the container's lock: a stop meanwhile releases the sandbox before or after, not during
      const failures = await this.#locks.run(id, () => this.check(id)).catch(() => []);
      for (const f of failures) this.#log.warn({ id: id.slice(0, 12), network: f.network, err: f.error }, `CNI CHECK failed for container ${id.slice(0, 12)} on network ${f.network}: ${f.error}`);
    }
  }

  /**
   * CNI CHECK (as libcni's CheckNetworkList) of every CNI endpoint of a running container, with
   * the cached ADD result; conflists older than 0.4.0 or with disableCheck are skipped. The
   * failures are returned, one per network.
   */
  async check(containerId: string): Promise<{ network: string; error: string }[]> {
    const sb = this.#sandboxes.get(containerId);
    if (!sb) return [];
    const out: { network: string; error: string }[] = [];
    for (const e of sb.endpoints) {
      const n = this.#nets.get(e.networkId);
      if (n?.driver !== 'cni' || !n.cni || !e.cniResult || !supportsCheck(n.cni.conflist)) continue;
      try {
        await cniCheck(n.cni.conflist, this.#cniRuntime(sb, e), e.cniResult);
      } catch (err) {
        out.push({ network: n.name, error: (err as Error).message });
      }
    }
    return out;
  }

  /** What a CNI plugin is run with for one endpoint; the published ports go to the sandbox's first CNI network. */
  #cniRuntime(sb: SandboxState, e: EndpointState): CniRuntime {
    const first = sb.endpoints.find((x) => this.#nets.get(x.networkId)?.driver === 'cni');
    const portMappings = first === e && !sb.endpoints.some((x) => this.#isPortNet(x))
      ? sb.ports.map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.proto, ...(p.hostIp && p.hostIp !== '0.0.0.0' ? { hostIP: p.hostIp } : {}) }))
      : [];
    return { containerId: sb.containerId, netns: path.join(NETNS_DIR, sb.netns), ifname: e.ifname, runtimeConfig: { portMappings }, pluginDirs: this.#s.cniPluginDirs };
  }

  /** Stop serving; with no container left, take berth's bridges and table down too. */
  async close(): Promise<void> {
    await this.#pool.close();
    this.#dns.closeAll();
    for (const hs of this.#holds.values()) for (const h of hs) h.close();
    this.#holds.clear();
    if (this.#sandboxes.size === 0) {
      // a bridge another daemon still has ports on (same -b) is left alone
      const bridges = [...this.#nets.values()].filter((n) => n.driver === 'bridge' && linkExists(n.bridge) && bridgePorts(n.bridge).length === 0).map((n) => `link del ${n.bridge}`);
      if (bridges.length > 0) await ipBatch(bridges, { force: true }).catch(() => undefined);
      await deleteTables(this.#s.table).catch((err: unknown) => this.#log.warn({ err }, 'could not remove the nftables table'));
    }
  }

  #ensureBuiltins(): void {
    const have = new Set([...this.#nets.values()].filter((n) => n.builtin).map((n) => n.name));
    for (const name of BUILTIN) {
      if (have.has(name)) continue;
      const driver = name === 'bridge' ? 'bridge' : name === 'host' ? 'host' : 'null';
      let ipam: IpamConfig[] = [];
      if (name === 'bridge') ipam = [this.#defaultBridgeIpam()];
      const rec: NetworkRecord = {
        id: newId(),
        name,
        driver,
        created: isoNow(),
        internal: false,
        attachable: false,
        enableIPv6: false,
        ipam: { driver: 'default', options: {}, config: ipam },
        options:
          name === 'bridge'
            ? {
                'com.docker.network.bridge.default_bridge': 'true',
                'com.docker.network.bridge.enable_icc': String(this.#s.icc),
                'com.docker.network.bridge.enable_ip_masquerade': String(this.#s.ipMasq),
                'com.docker.network.bridge.host_binding_ipv4': this.#s.hostIp || '0.0.0.0',
                'com.docker.network.bridge.name': this.#s.bridge,
                'com.docker.network.driver.mtu': String(this.#s.mtu),
              }
            : {},
        labels: {},
        bridge: name === 'bridge' ? this.#s.bridge : '',
        builtin: true,
        icc: this.#s.icc,
        masquerade: this.#s.ipMasq,
        mtu: this.#s.mtu,
        hostBinding: this.#s.hostIp,
      };
      this.#store.saveNetwork(rec);
      this.#nets.set(rec.id, rec);
    }
    // the default bridge follows the daemon settings (bip, bridge name) at every start
    const def = this.#defaultBridge();
    if (def && (def.bridge !== this.#s.bridge || (this.#s.bip && def.ipam.config[0]?.Gateway !== this.#s.bip.split('/')[0]))) {
      if (![...this.#sandboxes.values()].some((s) => s.endpoints.some((e) => e.networkId === def.id))) {
        def.bridge = this.#s.bridge;
        def.ipam.config = [this.#defaultBridgeIpam()];
        this.#store.saveNetwork(def);
      }
    }
  }

  #defaultBridgeIpam(): IpamConfig {
    if (this.#s.bip) {
      const b = parseIfaceCidr(this.#s.bip);
      if (!b) throw invalidArgument(`invalid bip: ${this.#s.bip}`);
      return { Subnet: formatCidr(b.net), Gateway: formatIp(b.addr), ...(this.#s.fixedCidr ? { IPRange: this.#s.fixedCidr } : {}) };
    }
    const subnet = pickSubnet(this.#s.addressPools, [...this.#hostRoutes(), ...this.#subnetsInUse()]);
    const gw = formatIp({ family: 4, value: subnet.base + 1n });
    return { Subnet: formatCidr(subnet), Gateway: gw, ...(this.#s.fixedCidr ? { IPRange: this.#s.fixedCidr } : {}) };
  }

  #defaultBridge(): NetworkRecord | undefined {
    return [...this.#nets.values()].find((n) => n.builtin && n.name === 'bridge');
  }

  #hostRoutes(): IpNet[] {
    const out: IpNet[] = [];
    try {
      // /proc/net/route: destination and mask in little-endian hex
      for (const line of fs.readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f.length < 8 || f[0] === undefined) continue;
        const dst = Number.parseInt(f[1] ?? '0', 16);
        const mask = Number.parseInt(f[7] ?? '0', 16);
        if (mask === 0) continue;
        const le = (v: number): bigint => BigInt(((v & 0xff) << 24) >>> 0) + BigInt((v >>> 8) & 0xff) * 65536n + BigInt((v >>> 16) & 0xff) * 256n + BigInt((v >>> 24) & 0xff);
        const m = le(mask);
        const prefix = m.toString(2).replace(/0+$/, '').length;
        out.push({ family: 4, base: le(dst), prefix });
      }
    } catch {
      /* no procfs */
    }
    return out;
  }

  #subnetsInUse(exclude?: string): IpNet[] {
    const out: IpNet[] = [];
    for (const n of this.#nets.values()) {
      if (n.id === exclude) continue;
      for (const c of n.ipam.config) {
        const s = parseCidr(c.Subnet);
        if (s) out.push(s);
      }
    }
    return out;
  }

  /** Create missing bridges, (re)assign their gateway addresses, bring them up: one exec. */
  async #ensureBridges(nets: readonly NetworkRecord[]): Promise<void> {
    const lines: string[] = [];
    for (const n of nets) {
      if (!linkExists(n.bridge)) lines.push(`link add name ${n.bridge} mtu ${n.mtu} type bridge`);
      for (const c of n.ipam.config) {
        const s = parseCidr(c.Subnet);
        if (c.Gateway && s) lines.push(`addr replace ${c.Gateway}/${s.prefix} dev ${n.bridge}`);
      }
      lines.push(`link set ${n.bridge} up`);
    }
    if (lines.length > 0) await ipBatch(lines);
    for (const n of nets) {
      if (!this.#s.userlandProxy) writeSysctl(`net/ipv4/conf/${n.bridge}/route_localnet`, '1');
      // also when a restart recreates the bridge of an IPv6 network
      if (n.enableIPv6) writeSysctl(`net/ipv6/conf/${n.bridge}/disable_ipv6`, '0');
    }
  }

  /**
   * A bridge of the sandbox's networks that someone deleted while berthd ran (`ip link del`): made
   * again, with its address, and the ruleset applied again (whoever deleted the bridge may have
   * deleted the table too). One stat per network when nothing is missing.
   */
  async #recreateMissingBridges(networks: readonly NetworkRecord[]): Promise<void> {
    const missing = [...new Set(networks.map((n) => this.#nets.get(n.id)))].filter((n): n is NetworkRecord => n?.driver === 'bridge' && !linkExists(n.bridge));
    if (missing.length === 0) return;
    this.#log.warn({ bridges: missing.map((n) => n.bridge) }, 'network bridges were deleted behind berthd: creating them again');
    await this.#ensureBridges(missing);
    await this.#nft.apply();
    for (const n of missing) if (this.#hasDns(n)) await this.#serveDns(n);
  }

  /** netns of berth's (by prefix) that no sandbox owns, veths on berth's bridges that no endpoint owns. */
  async #sweep(): Promise<void> {
    const prefix = `${this.#s.bridge}-`;
    const owned = new Set([...this.#sandboxes.values()].map((s) => s.netns));
    const lines: string[] = [];
    const vethsOwned = new Set([...this.#sandboxes.values()].flatMap((s) => s.endpoints.map((e) => e.hostVeth)));
    for (const n of this.#nets.values()) {
      if (n.driver !== 'bridge') continue;
      for (const port of bridgePorts(n.bridge)) if (!vethsOwned.has(port)) lines.push(`link del ${port}`);
    }
    let names: string[] = [];
    try {
      names = fs.readdirSync(NETNS_DIR);
    } catch {
      /* none */
    }
    for (const name of names) if (name.startsWith(prefix) && !owned.has(name)) lines.push(`netns del ${name}`);
    if (lines.length > 0) {
      this.#log.info({ stale: lines }, 'removing stale network state');
      await ipBatch(lines, { force: true }).catch((err: unknown) => this.#log.warn({ err }, 'stale cleanup failed'));
    }
  }

  #syncCniDir(): void {
    for (const { file, conf } of loadConfigDir(this.#s.cniConfigDir)) {
      const existing = this.#byName(conf.name);
      if (existing) {
        if (existing.driver === 'cni' && existing.cni?.file === file) {
          existing.cni = { conflist: conf, file };
          this.#store.saveNetwork(existing);
        }
        continue;
      }
      const rec = this.#cniRecord(conf, file, {}, {});
      this.#store.saveNetwork(rec);
      this.#nets.set(rec.id, rec);
    }
  }

  #cniRecord(conf: CniConflist, file: string | undefined, options: Record<string, string>, labels: Record<string, string>): NetworkRecord {
    const ipamConfig: IpamConfig[] = [];
    for (const p of conf.plugins) {
      const ranges = (p['ipam'] as { ranges?: { subnet?: string; gateway?: string }[][]; subnet?: string } | undefined)?.ranges;
      for (const set of ranges ?? []) for (const r of set) if (r.subnet) ipamConfig.push({ Subnet: r.subnet, ...(r.gateway ? { Gateway: r.gateway } : {}) });
    }
    return {
      id: newId(),
      name: conf.name,
      driver: 'cni',
      created: isoNow(),
      internal: false,
      attachable: true,
      enableIPv6: false,
      ipam: { driver: 'cni', options: {}, config: ipamConfig },
      options,
      labels,
      bridge: '',
      builtin: false,
      icc: true,
      masquerade: true,
      mtu: this.#s.mtu,
      hostBinding: '',
      cni: file ? { conflist: conf, file } : { conflist: conf },
    };
  }

  // ------------------------------------------------------------------ lookup

  #byName(name: string): NetworkRecord | undefined {
    return [...this.#nets.values()].find((n) => n.name === name);
  }

  /** By full ID, name, or unique ID prefix (Docker's order); not-found "network x not found". */
  get(idOrName: string): NetworkRecord {
    const n = this.find(idOrName);
    if (!n) throw notFound(`network ${idOrName} not found`);
    return n;
  }

  find(idOrName: string): NetworkRecord | undefined {
    if (!idOrName) return undefined;
    const exact = this.#nets.get(idOrName) ?? this.#byName(idOrName);
    if (exact) return exact;
    const m = [...this.#nets.values()].filter((n) => n.id.startsWith(idOrName));
    if (m.length === 1) return m[0];
    if (m.length > 1) throw invalidArgument(`network ${idOrName} is ambiguous (${m.length} matches found based on ID prefix)`);
    return undefined;
  }

  list(o: ListNetworksOptions = {}): NetworkRecord[] {
    const f = o.filters ?? {};
    for (const k of Object.keys(f)) {
      if (!['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'].includes(k)) throw invalidArgument(`invalid filter '${k}'`);
    }
    return [...this.#nets.values()].filter((n) => {
      if (f['driver'] && !f['driver'].includes(n.driver)) return false;
      if (f['id'] && !f['id'].some((v) => n.id.startsWith(v))) return false;
      if (f['name'] && !f['name'].some((v) => n.name.includes(v))) return false;
      if (f['scope'] && !f['scope'].includes('local')) return false;
      if (f['type']) {
        for (const t of f['type']) if (t !== 'custom' && t !== 'builtin') throw invalidArgument(`invalid filter: 'type'='${t}'`);
        if (!f['type'].includes(n.builtin ? 'builtin' : 'custom')) return false;
      }
      if (f['label'] && !labelsMatch(n.labels, f['label'])) return false;
      if (f['dangling']) {
        const want = f['dangling'].includes('true') || f['dangling'].includes('1');
        const dangling = !n.builtin && this.endpoints(n.id).length === 0;
        if (want !== dangling) return false;
      }
      return true;
    });
  }

  /** Live endpoints on a network, with their container. */
  endpoints(networkId: string): { sandbox: SandboxState; endpoint: EndpointState }[] {
    const out: { sandbox: SandboxState; endpoint: EndpointState }[] = [];
    for (const s of this.#sandboxes.values()) for (const e of s.endpoints) if (e.networkId === networkId) out.push({ sandbox: s, endpoint: e });
    return out;
  }

  sandbox(containerId: string): SandboxState | undefined {
    return this.#sandboxes.get(containerId);
  }

  /** Attachments (configured networks) of a container, by network, with names. */
  attachmentsOf(containerId: string): { network: NetworkRecord; config: EndpointConfig }[] {
    const out: { network: NetworkRecord; config: EndpointConfig }[] = [];
    for (const a of this.#store.attachments(containerId)) {
      const n = this.#nets.get(a.networkId);
      if (n) out.push({ network: n, config: a.config });
    }
    return out;
  }

  // ------------------------------------------------------------------ create, remove, prune

  async create(req: NetworkCreateRequest): Promise<{ id: string; warning: string }> {
    return this.#locks.run('networks', async () => {
      const name = req.Name ?? '';
      if (!name) throw invalidArgument('network name must not be empty');
      if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw invalidArgument(`invalid network name "${name}": must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
      if (this.#byName(name)) throw conflict(`network with name ${name} already exists`);
      const driver = req.Driver || 'bridge';
      if (driver === 'host' || driver === 'null') throw forbidden(`only one instance of "${driver}" network is allowed`);
      if (driver !== 'bridge' && driver !== 'cni') throw notFound(`plugin "${driver}" not found`);
      const options = { ...(req.Options ?? {}) };
      const labels = { ...(req.Labels ?? {}) };
      if (driver === 'cni') return this.#createCni(name, options, labels);
      if (req.IPAM?.Driver && req.IPAM.Driver !== 'default') throw notFound(`plugin "${req.IPAM.Driver}" not found`);
      const internal = req.Internal === true;
      const enableIPv6 = req.EnableIPv6 === true;
      const given = req.IPAM?.Config ?? [];
      const config: IpamConfig[] = [];
      const existing = this.#subnetsInUse();
      for (const c of given) {
        if (!c.Subnet) {
          if (c.IPRange || c.Gateway) throw invalidArgument('invalid pool request: a subnet is needed for ip-range and gateway');
          continue;
        }
        const pool = makePool({ Subnet: c.Subnet, ...(c.IPRange ? { IPRange: c.IPRange } : {}), ...(c.Gateway ? { Gateway: c.Gateway } : {}), ...(c.AuxiliaryAddresses ? { AuxiliaryAddresses: c.AuxiliaryAddresses } : {}) });
        if (pool.subnet.family === 6 && !enableIPv6) throw invalidArgument(`IPv6 subnet ${c.Subnet} cannot be used: IPv6 is not enabled on this network (--ipv6)`);
        checkNoOverlap(pool.subnet, [...existing, ...config.map((x) => parseCidr(x.Subnet) as IpNet)]);
        const gw = c.Gateway ?? formatIp(allocate(pool, new Set()));
        config.push({ Subnet: formatCidr(pool.subnet), Gateway: gw, ...(c.IPRange ? { IPRange: c.IPRange } : {}), ...(c.AuxiliaryAddresses ? { AuxiliaryAddresses: c.AuxiliaryAddresses } : {}) });
      }
      if (!config.some((c) => parseCidr(c.Subnet)?.family === 4)) {
        const s = pickSubnet(this.#s.addressPools, [...this.#hostRoutes(), ...existing]);
        config.unshift({ Subnet: formatCidr(s), Gateway: formatIp({ family: 4, value: s.base + 1n }) });
      }
      if (enableIPv6 && !config.some((c) => parseCidr(c.Subnet)?.family === 6)) throw invalidArgument('an IPv6 subnet is needed with --ipv6 (--subnet for IPv6)');
      const id = newId();
      const bridge = options['com.docker.network.bridge.name'] ?? `br-${id.slice(0, 12)}`;
      if (!/^[A-Za-z0-9_.-]{1,15}$/.test(bridge)) throw invalidArgument(`invalid bridge name: ${bridge}`);
      if ([...this.#nets.values()].some((n) => n.bridge === bridge) || linkExists(bridge)) throw conflict(`bridge ${bridge} already exists`);
      const bool = (k: string, d: boolean): boolean => {
        const v = options[k];
        if (v === undefined) return d;
        if (v === 'true' || v === '1') return true;
        if (v === 'false' || v === '0') return false;
        throw invalidArgument(`invalid value "${v}" for option ${k}: expected a boolean`);
      };
      const mtuOpt = options['com.docker.network.driver.mtu'];
      const mtu = mtuOpt ? Number(mtuOpt) : this.#s.mtu;
      if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw invalidArgument(`invalid MTU: ${mtuOpt ?? ''}`);
      const hostBinding = options['com.docker.network.bridge.host_binding_ipv4'] ?? '';
      if (hostBinding && !parseIp(hostBinding)) throw invalidArgument(`invalid host binding address: ${hostBinding}`);
      const rec: NetworkRecord = {
        id,
        name,
        driver: 'bridge',
        created: isoNow(),
        internal,
        attachable: req.Attachable === true,
        enableIPv6,
        ipam: { driver: 'default', options: { ...(req.IPAM?.Options ?? {}) }, config },
        options,
        labels,
        bridge,
        builtin: false,
        icc: bool('com.docker.network.bridge.enable_icc', true),
        masquerade: bool('com.docker.network.bridge.enable_ip_masquerade', true),
        mtu,
        hostBinding,
      };
      this.#nets.set(id, rec);
      try {
        await this.#ensureBridges([rec]);
        await this.#nft.apply();
        if (this.#hasDns(rec)) await this.#serveDns(rec);
        this.#store.saveNetwork(rec);
      } catch (err) {
        this.#nets.delete(id);
        this.#dns.close(rec.ipam.config[0]?.Gateway ?? '');
        if (linkExists(bridge)) await ipBatch([`link del ${bridge}`]).catch(() => undefined);
        await this.#nft.apply().catch(() => undefined);
        throw wrap(err, 'failed to create network');
      }
      this.#o.events.publish('network', 'create', id, { name, type: 'bridge' });
      return { id, warning: '' };
    });
  }

  #createCni(name: string, options: Record<string, string>, labels: Record<string, string>): { id: string; warning: string } {
    const src = options['config'];
    if (!src) throw invalidArgument('the cni driver needs a conflist: --opt config=<path to a .conflist, or its JSON>');
    let conf: CniConflist;
    let file: string | undefined;
    if (src.trim().startsWith('{')) conf = parseConflist(src, 'config option');
    else {
      let text: string;
      try {
        text = fs.readFileSync(src, 'utf8');
      } catch (err) {
        throw invalidArgument(`cannot read CNI config ${src}: ${(err as Error).message}`);
      }
      conf = parseConflist(text, src);
      file = src;
    }
    // the network's name is berth's; the plugins see the conflist's own name
    const rec = this.#cniRecord(conf, file, options, labels);
    rec.name = name;
    const subnets = rec.ipam.config.map((c) => parseCidr(c.Subnet)).filter((s): s is IpNet => s !== undefined);
    for (const s of subnets) checkNoOverlap(s, this.#subnetsInUse());
    this.#nets.set(rec.id, rec);
    this.#store.saveNetwork(rec);
    this.#o.events.publish('network', 'create', rec.id, { name, type: 'cni' });
    return { id: rec.id, warning: '' };
  }

  async remove(idOrName: string): Promise<void> {
    const n = this.get(idOrName);
    await this.#locks.run('networks', async () => {
      if (n.builtin) throw forbidden(`${n.name} is a pre-defined network and cannot be removed`);
      const eps = this.endpoints(n.id);
      if (eps.length > 0) {
        const list = eps.map((e) => `(name:${JSON.stringify(e.sandbox.name)} id:${JSON.stringify(e.sandbox.containerId.slice(0, 12))})`).join(', ');
        throw conflict(`error while removing network: network ${n.name} has active endpoints ${list}`);
      }
      this.#nets.delete(n.id);
      this.#store.deleteNetwork(n.id);
      if (n.driver === 'bridge') {
        for (const c of n.ipam.config) if (c.Gateway) this.#dns.close(c.Gateway);
        if (linkExists(n.bridge)) await ipBatch([`link del ${n.bridge}`]).catch((err: unknown) => this.#log.warn({ err }, 'bridge delete failed'));
        await this.#nft.apply();
      }
      this.#o.events.publish('network', 'destroy', n.id, { name: n.name, type: n.driver });
    });
  }

  async prune(filters: Filters): Promise<string[]> {
    for (const k of Object.keys(filters)) if (k !== 'until' && k !== 'label' && k !== 'label!') throw invalidArgument(`invalid filter '${k}'`);
    const until = filters['until']?.[0];
    const untilMs = until ? parseUntil(until) : undefined;
    const out: string[] = [];
    for (const n of [...this.#nets.values()]) {
      if (n.builtin || this.endpoints(n.id).length > 0) continue;
      if (n.driver === 'cni' && n.cni?.file?.startsWith(this.#s.cniConfigDir)) continue;
      if (untilMs !== undefined && Date.parse(n.created) >= untilMs) continue;
      if (!labelsMatch(n.labels, filters['label'] ?? [], filters['label!'] ?? [])) continue;
      try {
        await this.remove(n.id);
        out.push(n.name);
      } catch (err) {
        this.#log.warn({ err, network: n.name }, 'prune: remove failed');
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ container attach (NetworkAttacher)

  #mode(hc: HostConfig): { kind: 'none' | 'host' | 'container' | 'network'; target: string } {
    const m = hc.NetworkMode ?? '';
    if (m === 'none') return { kind: 'none', target: '' };
    if (m === 'host') return { kind: 'host', target: '' };
    if (m.startsWith('container:')) return { kind: 'container', target: m.slice('container:'.length) };
    return { kind: 'network', target: m === '' || m === 'default' ? 'bridge' : m };
  }

  validate(hc: HostConfig, netcfg: NetworkingConfig | null | undefined): void {
    const mode = this.#mode(hc);
    const eps = endpointsOf(netcfg);
    if (mode.kind === 'container') {
      if (!mode.target) throw invalidArgument('invalid container format container:<name|id>');
      if (this.#containers && !this.#containers.find(mode.target)) throw notFound(`No such container: ${mode.target}`);
      if (Object.keys(hc.PortBindings ?? {}).length > 0 || hc.PublishAllPorts) throw invalidArgument('conflicting options: port publishing and the container type network mode');
      if (hc.Dns?.length || hc.ExtraHosts?.length) throw invalidArgument('conflicting options: dns and the network mode');
      return;
    }
    if (mode.kind === 'network') {
      const primary = this.get(mode.target);
      if (primary.driver === 'host') return this.validate({ ...hc, NetworkMode: 'host' }, netcfg);
      if (primary.driver === 'null') return this.validate({ ...hc, NetworkMode: 'none' }, netcfg);
    }
    if (mode.kind === 'none' || mode.kind === 'host') {
      const others = Object.keys(eps).filter((k) => k !== mode.kind && this.find(k)?.driver !== (mode.kind === 'none' ? 'null' : 'host'));
      if (others.length > 0) throw invalidArgument(`Container cannot be connected to network endpoints: ${[mode.kind, ...others].join(', ')}`);
    }
    for (const [name, ep] of Object.entries(eps)) {
      const n = this.get(name);
      this.#checkEndpointConfig(n, ep);
    }
    if (mode.kind === 'network') {
      const n = this.get(mode.target);
      this.#checkEndpointConfig(n, eps[mode.target] ?? {});
    }
    portRequests(hc.PortBindings, undefined, false);
  }

  #checkEndpointConfig(n: NetworkRecord, ep: EndpointConfig): void {
    const userNet = !n.builtin;
    const ip4 = ep.IPAMConfig?.IPv4Address;
    const ip6 = ep.IPAMConfig?.IPv6Address;
    if ((ip4 || ip6) && !userNet) throw invalidArgument('user specified IP address is supported on user defined networks only');
    if (ep.Aliases && ep.Aliases.length > 0 && !userNet) throw invalidArgument('network-scoped alias is supported only for containers in user defined networks');
    if (ip4) {
      if (!parseIp(ip4) || parseIp(ip4)?.family !== 4) throw invalidArgument(`invalid IPv4 address: ${ip4}`);
      if (n.driver === 'bridge') {
        const pools = n.ipam.config.filter((c) => parseCidr(c.Subnet)?.family === 4).map((c) => makePool(c));
        if (!pools.some((p) => p.subnet.base <= (parseIp(ip4)?.value ?? 0n) && (parseIp(ip4)?.value ?? 0n) < p.subnet.base + (1n << BigInt(32 - p.subnet.prefix)))) {
          throw invalidArgument(`no configured subnet or ip-range contain the IP address ${ip4}`);
        }
      }
    }
    if (ip6 && parseIp(ip6)?.family !== 6) throw invalidArgument(`invalid IPv6 address: ${ip6}`);
    if (ep.MacAddress && !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(ep.MacAddress)) throw invalidArgument(`invalid MAC address: ${ep.MacAddress}`);
  }

  register(c: AttachContainer, netcfg: NetworkingConfig | null | undefined): void {
    const mode = this.#mode(c.hostConfig);
    const eps = endpointsOf(netcfg);
    let seq = 0;
    if (mode.kind === 'network') {
      const n = this.get(mode.target);
      if (n.driver === 'bridge' || n.driver === 'cni') {
        const cfg = eps[mode.target] ?? eps[n.name] ?? eps[n.id] ?? {};
        this.#store.saveAttachment({ containerId: c.id, networkId: n.id, seq: seq++, config: cfg });
      }
      for (const [name, cfg] of Object.entries(eps)) {
        const other = this.get(name);
        if (other.id === n.id || (other.driver !== 'bridge' && other.driver !== 'cni')) continue;
        this.#store.saveAttachment({ containerId: c.id, networkId: other.id, seq: seq++, config: cfg });
      }
    }
  }

  async prepare(c: AttachContainer): Promise<PreparedNetwork> {
    const mode = this.#mode(c.hostConfig);
    if (mode.kind === 'none' || mode.kind === 'host') return {};
    if (mode.kind === 'container') return this.#prepareJoin(c, mode.target);
    const primary = this.get(mode.target);
    if (primary.driver === 'host' || primary.driver === 'null') return {};
    return this.#locks.run(c.id, () => this.#prepareSandbox(c));
  }

  async #prepareJoin(c: AttachContainer, target: string): Promise<PreparedNetwork> {
    const other = this.#containers?.find(target);
    if (!other) throw notFound(`No such container: ${target}`);
    if (other.state.status !== 'running' && other.state.status !== 'paused') throw conflict(`cannot join network namespace of a non running container: container ${other.id} is ${other.state.status === 'created' ? 'not running' : other.state.status}`);
    const sb = this.#sandboxes.get(other.id);
    for (const [src, dst] of [
      [other.paths.hostsPath, c.paths.hostsPath],
      [other.paths.resolvConfPath, c.paths.resolvConfPath],
    ] as const) {
      try {
        fs.copyFileSync(src, dst);
      } catch {
        /* the target's files are gone: keep ours */
      }
    }
    if (sb) return { netnsPath: path.join(NETNS_DIR, sb.netns) };
    const m = this.#mode(other.hostConfig);
    if (m.kind === 'host') throw invalidArgument('joining the network namespace of a container on the host network is not supported: use --network host');
    return { netnsPath: `/proc/${other.state.pid}/ns/net` };
  }

  async #prepareSandbox(c: AttachContainer): Promise<PreparedNetwork> {
    const t0 = performance.now();
    // debug-log timings (ms since t0): allocated, saved, kernel done, etc files written
    const at: Record<string, number> = {};
    const mark = (k: string): void => {
      at[k] = Math.round((performance.now() - t0) * 10) / 10;
    };
    if (this.#sandboxes.has(c.id)) await this.#releaseLocked(c.id);
    const atts = this.attachmentsOf(c.id);
    if (atts.length === 0) {
      // created before networking existed, or every network was removed: the primary network
      const n = this.get(this.#mode(c.hostConfig).target);
      this.#store.saveAttachment({ containerId: c.id, networkId: n.id, seq: 0, config: {} });
      atts.push({ network: n, config: {} });
    }
    const sb: SandboxState = { containerId: c.id, name: c.name.replace(/^\//, ''), netns: '', endpoints: [], ports: [], upstreams: [] };
    await this.#recreateMissingBridges(atts.map((a) => a.network));
    // addresses: allocated and saved (with the sandbox) before anything touches the kernel, with
    // no await between the allocation and the #sandboxes entry below (two starts at once, as at
    // boot, would otherwise be given the same address)
    for (const [i, a] of atts.entries()) sb.endpoints.push(this.#newEndpoint(c, a.network, a.config, `eth${i}`));
    // everything the namespace needs, in one batch run inside it (throws before anything is held)
    const lines = this.#sandboxLines(sb);
    sb.upstreams = this.#upstreamsFor(c);
    const reqs = portRequests(c.hostConfig.PortBindings, c.config.ExposedPorts, c.hostConfig.PublishAllPorts === true);
    // ports go to the first bridge network with external connectivity: as Docker, nothing is
    // published for a container whose bridge networks are all internal
    // (or, with no such bridge, to the first CNI network whose conflist takes portMappings:
    // berth holds the host ports and picks the ephemeral ones, the plugin (portmap) forwards)
    const portNet = sb.endpoints.find((e) => this.#isPortNet(e)) ?? this.#cniPortNet(sb);
    const pooled = this.#pool.take();
    sb.netns = pooled?.name ?? this.#pool.newName();
    mark('allocated');
    // in the map at once: a concurrent start on the same network sees these addresses as taken
    this.#sandboxes.set(c.id, sb);
    try {
      if (reqs.length > 0 && portNet) {
        const defaultIp = this.#nets.get(portNet.networkId)?.hostBinding || this.#s.hostIp;
        await this.#holdPorts(sb, reqs.map((r) => ({ ...r, hostIp: r.hostIp || defaultIp })), this.#isPortNet(portNet));
      }
      this.#store.saveSandbox(sb);
    } catch (err) {
      this.#sandboxes.delete(c.id);
      pooled?.giveBack();
      for (const h of this.#holds.get(c.id) ?? []) h.close();
      this.#holds.delete(c.id);
      throw wrap(err, `failed to set up container networking: driver failed programming external connectivity on endpoint ${sb.name} (${sb.endpoints[0]?.endpointId ?? ''})`);
    }
    mark('saved');
    try {
      await this.#plumb(sb, lines, pooled);
      mark('kernel');
      this.#writeEtc(c, sb);
      mark('etc');
    } catch (err) {
      await this.#releaseLocked(c.id).catch(() => undefined);
      throw wrap(err, 'failed to set up container networking');
    }
    this.#o.events.publish('network', 'connect', sb.endpoints[0]?.networkId ?? '', { container: c.id, name: this.#nets.get(sb.endpoints[0]?.networkId ?? '')?.name ?? '', type: 'bridge' });
    this.#log.debug({ id: c.id.slice(0, 12), ms: Math.round((performance.now() - t0) * 10) / 10, at, pooled: pooled !== undefined, drivers: sb.endpoints.map((e) => this.#nets.get(e.networkId)?.driver) }, 'network prepared');
    return { netnsPath: path.join(NETNS_DIR, sb.netns) };
  }

  #newEndpoint(c: AttachContainer, n: NetworkRecord, cfg: EndpointConfig, ifname: string): EndpointState {
    const ep: EndpointState = {
      networkId: n.id,
      endpointId: newId(),
      ifname,
      hostVeth: '',
      mac: '',
      ip: '',
      prefix: 0,
      gateway: '',
      ip6: '',
      prefix6: 0,
      gateway6: '',
      aliases: [...(cfg.Aliases ?? [])],
      dnsNames: [c.name.replace(/^\//, ''), c.id.slice(0, 12), ...(cfg.Aliases ?? [])],
    };
    if (n.driver !== 'bridge') return ep;
    ep.hostVeth = `veth${crypto.randomBytes(4).toString('hex').slice(0, 7)}`;
    const used = new Set<string>(this.#store.usedAddresses(n.id));
    for (const s of this.#sandboxes.values()) for (const e of s.endpoints) if (e.networkId === n.id) [e.ip, e.ip6].filter(Boolean).forEach((x) => used.add(x));
    for (const conf of n.ipam.config) {
      const pool = makePool(conf);
      const usedV = new Set([...used].map((u) => parseIp(u)?.value ?? -1n));
      if (pool.subnet.family === 4 && !ep.ip) {
        const a = allocate(pool, usedV, cfg.IPAMConfig?.IPv4Address || undefined);
        ep.ip = formatIp(a);
        ep.prefix = pool.subnet.prefix;
        ep.gateway = n.internal ? '' : (conf.Gateway ?? '');
        ep.mac = cfg.MacAddress || macForIp(a);
      } else if (pool.subnet.family === 6 && !ep.ip6 && n.enableIPv6) {
        const a = allocate(pool, usedV, cfg.IPAMConfig?.IPv6Address || undefined);
        ep.ip6 = formatIp(a);
        ep.prefix6 = pool.subnet.prefix;
        ep.gateway6 = n.internal ? '' : (conf.Gateway ?? '');
      }
    }
    if (!ep.ip) throw systemError(`network ${n.name} has no IPv4 pool`);
    // the gateway is the bridge's own address; never hand it out
    if (ep.ip === n.ipam.config[0]?.Gateway) throw forbidden('Address already in use');
    return ep;
  }

  #vethPlan(e: EndpointState): VethPlan | undefined {
    const n = this.#nets.get(e.networkId);
    if (!n || n.driver !== 'bridge') return undefined;
    return { hostVeth: e.hostVeth, ifname: e.ifname, bridge: n.bridge, mtu: n.mtu, mac: e.mac, ip: e.ip, prefix: e.prefix, ip6: e.ip6, prefix6: e.prefix6, gateway: e.gateway, gateway6: e.gateway6 };
  }

  /** The `ip -batch` lines run inside a new sandbox's netns (netns.ts): lo, veths, addresses, routes. */
  #sandboxLines(sb: SandboxState): string[] {
    const plans = sb.endpoints.map((e) => this.#vethPlan(e)).filter((p): p is VethPlan => p !== undefined);
    return vethLines(plans, { hostNs: hostNetnsRef(), bridgeIndex: ifindex });
  }

  /**
   * Kernel side: the netns with its veths, addresses and routes in one `ip` (a pooled one that is
   * already running, else one spawn); the ruleset (one nft) in parallel when ports are published;
   * then CNI ADDs.
   */
  async #plumb(sb: SandboxState, lines: readonly string[], pooled: PooledNetns | undefined): Promise<void> {
    const netns = pooled ? pooled.run(lines) : createNetns(sb.netns, lines);
    await Promise.all([netns, sb.ports.length > 0 ? this.#nft.apply() : Promise.resolve()]);
    if (!this.#s.userlandProxy) {
      // loopback DNAT back into the same bridge needs hairpin on the port (sysfs, no process)
      for (const e of sb.endpoints) if (e.hostVeth) writeSysfs(`/sys/class/net/${e.hostVeth}/brport/hairpin_mode`, '1');
    }
    for (const e of sb.endpoints) if (this.#nets.get(e.networkId)?.driver === 'cni') await this.#cniAddEndpoint(sb, e);
  }


  /** The sandbox's first CNI endpoint, when its conflist has a plugin taking portMappings. */
  #cniPortNet(sb: SandboxState): EndpointState | undefined {
    const e = sb.endpoints.find((x) => this.#nets.get(x.networkId)?.driver === 'cni');
    const conf = e ? this.#nets.get(e.networkId)?.cni?.conflist : undefined;
    return conf?.plugins.some((p) => p.capabilities?.['portMappings'] === true) ? e : undefined;
  }

  /** CNI ADD for one endpoint; its address, gateway and MAC from the result, which is kept for CHECK and DEL. */
  async #cniAddEndpoint(sb: SandboxState, e: EndpointState): Promise<void> {
    const n = this.#nets.get(e.networkId);
    if (!n?.cni) return;
    const result = await cniAdd(n.cni.conflist, this.#cniRuntime(sb, e));
    e.cniResult = result;
    const v4 = result.ips?.find((i) => !i.address.includes(':'));
    if (v4) {
      const [ip = '', prefix = '0'] = v4.address.split('/');
      e.ip = ip;
      e.prefix = Number(prefix);
      e.gateway = v4.gateway ?? '';
    }
    const iface = result.interfaces?.find((i) => i.sandbox && i.name === e.ifname);
    if (iface?.mac) e.mac = iface.mac;
    this.#store.saveSandbox(sb);
  }

  /** Bind the host ports (kept from other programs); on a bridge, `proxy` makes them userland proxies when that is on. */
  async #holdPorts(sb: SandboxState, reqs: readonly { proto: 'tcp' | 'udp'; containerPort: number; hostIp: string; hostPorts: [number, number] }[], proxy = true): Promise<void> {
    const held: PortHold[] = this.#holds.get(sb.containerId) ?? [];
    this.#holds.set(sb.containerId, held);
    const mine = new Set(held.map((h) => `${h.mapping.proto}/${h.mapping.hostIp}/${h.mapping.hostPort}`));
    const out: PortMapping[] = [];
    for (const r of reqs) {
      const target = (): { ip: string; port: number } | undefined => {
        const s = this.#sandboxes.get(sb.containerId);
        const e = s?.endpoints.find((x) => this.#isPortNet(x));
        return e ? { ip: e.ip, port: r.containerPort } : undefined;
      };
      // userland-proxy off: the socket only holds the port, DNAT (loopback included) does the rest
      const h = await holdPort(r, (proto, ip, port) => this.#portTaken(sb.containerId, proto, ip, port) && !mine.has(`${proto}/${ip}/${port}`), this.#s.userlandProxy && proxy ? target : undefined);
      held.push(h);
      out.push(h.mapping);
    }
    sb.ports = out;
  }

  #portTaken(self: string, proto: string, hostIp: string, port: number): boolean {
    for (const s of this.#sandboxes.values()) {
      if (s.containerId === self) continue;
      if (s.ports.some((p) => p.proto === proto && p.hostPort === port && (p.hostIp === hostIp || p.hostIp === '' || hostIp === '' || p.hostIp === '0.0.0.0' || hostIp === '0.0.0.0'))) return true;
    }
    return false;
  }

  /** An endpoint published ports are DNATed/proxied to: on a bridge network that is not internal. */
  #isPortNet(e: EndpointState): boolean {
    const n = this.#nets.get(e.networkId);
    return n?.driver === 'bridge' && !n.internal && e.ip !== '';
  }

  #upstreamsFor(c: AttachContainer): string[] {
    if (c.hostConfig.Dns && c.hostConfig.Dns.length > 0) return [...c.hostConfig.Dns];
    if (this.#s.dns.length > 0) return [...this.#s.dns];
    try {
      return fs
        .readFileSync('/etc/resolv.conf', 'utf8')
        .split('\n')
        .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
        .filter((x): x is string => x !== undefined);
    } catch {
      return [];
    }
  }

  /** /etc/hosts with the container's own addresses; resolv.conf at the embedded DNS on user networks. */
  #writeEtc(c: AttachContainer, sb: SandboxState): void {
    const hostname = c.config.Hostname || c.id.slice(0, 12);
    const gw = this.#hostGateway();
    const extra = (c.hostConfig.ExtraHosts ?? []).map((h) => h.replace(/([:=])host-gateway$/, `$1${gw}`));
    let hosts = hostsContent({ hostname, hostNetwork: false, extraHosts: extra, dns: [], dnsSearch: [], dnsOptions: [] });
    const fqdn = c.config.Domainname ? `${hostname}.${c.config.Domainname} ${hostname}` : hostname;
    for (const e of sb.endpoints) {
      if (e.ip) hosts += `${e.ip}\t${fqdn}\n`;
      if (e.ip6) hosts += `${e.ip6}\t${fqdn}\n`;
    }
    writeAtomic(c.paths.hostsPath, hosts);
    const first = sb.endpoints.map((e) => this.#nets.get(e.networkId)).find((n) => n !== undefined && this.#hasDns(n));
    if (first) {
      const gwIp = first.ipam.config.find((x) => parseCidr(x.Subnet)?.family === 4)?.Gateway ?? '';
      const cur = readFile(c.paths.resolvConfPath);
      const keep = cur.split('\n').filter((l) => /^\s*(search|options)\s/.test(l));
      const search = c.hostConfig.DnsSearch?.length ? [`search ${c.hostConfig.DnsSearch.join(' ')}`] : keep.filter((l) => l.trim().startsWith('search'));
      const opts = c.hostConfig.DnsOptions?.length ? [`options ${c.hostConfig.DnsOptions.join(' ')}`] : keep.filter((l) => l.trim().startsWith('options'));
      writeAtomic(c.paths.resolvConfPath, [`# berth embedded DNS server (upstream: ${sb.upstreams.join(' ') || 'none'})`, `nameserver ${gwIp}`, ...search, ...opts].join('\n') + '\n');
    }
  }

  /** The address --add-host host-gateway stands for: the default bridge's gateway. */
  #hostGateway(): string {
    return this.#defaultBridge()?.ipam.config[0]?.Gateway ?? '127.0.0.1';
  }

  #hasDns(n: NetworkRecord): boolean {
    return n.driver === 'bridge' && !n.builtin;
  }

  async #serveDns(n: NetworkRecord): Promise<void> {
    const gw = n.ipam.config.find((c) => parseCidr(c.Subnet)?.family === 4)?.Gateway;
    if (!gw) return;
    await this.#dns.listen(gw).catch((err: unknown) => this.#log.warn({ err, network: n.name, addr: gw }, 'embedded DNS could not listen'));
  }

  #dnsLookup(client: string, name: string, type: 'A' | 'AAAA'): string[] | undefined {
    const me = [...this.#sandboxes.values()].find((s) => s.endpoints.some((e) => e.ip === client || e.ip6 === client));
    if (!me) return undefined;
    const shared = new Set(me.endpoints.map((e) => e.networkId).filter((id) => {
      const n = this.#nets.get(id);
      return n !== undefined && this.#hasDns(n);
    }));
    const lname = name.toLowerCase();
    const out: string[] = [];
    let known = false;
    for (const s of this.#sandboxes.values()) {
      for (const e of s.endpoints) {
        if (!shared.has(e.networkId)) continue;
        const netName = this.#nets.get(e.networkId)?.name ?? '';
        const names = [...e.dnsNames, s.containerId].map((x) => x.toLowerCase());
        const hit = names.includes(lname) || names.some((x) => `${x}.${netName.toLowerCase()}` === lname) || (lname.length >= 12 && s.containerId.startsWith(lname));
        if (!hit) continue;
        known = true;
        const ip = type === 'A' ? e.ip : e.ip6;
        if (ip && !out.includes(ip)) out.push(ip);
      }
    }
    return known ? out : undefined;
  }

  rename(containerId: string, oldName: string, newName: string): void {
    const sb = this.#sandboxes.get(containerId);
    if (!sb) return;
    const from = oldName.replace(/^\//, '');
    const to = newName.replace(/^\//, '');
    for (const e of sb.endpoints) e.dnsNames = e.dnsNames.map((n) => (n === from ? to : n));
    this.#store.saveSandbox(sb);
  }

  #upstreams(client: string): string[] {
    const me = [...this.#sandboxes.values()].find((s) => s.endpoints.some((e) => e.ip === client || e.ip6 === client));
    if (me) {
      const internal = me.endpoints.every((e) => this.#nets.get(e.networkId)?.internal === true);
      if (internal) return [];
    }
    return me?.upstreams ?? [];
  }

  async release(containerId: string): Promise<void> {
    await this.#locks.run(containerId, () => this.#releaseLocked(containerId));
  }

  async #releaseLocked(containerId: string): Promise<void> {
    const sb = this.#sandboxes.get(containerId);
    for (const h of this.#holds.get(containerId) ?? []) h.close();
    this.#holds.delete(containerId);
    if (!sb) return;
    for (const e of sb.endpoints) {
      const n = this.#nets.get(e.networkId);
      if (n?.driver === 'cni' && n.cni && e.cniResult) {
        await cniDel(n.cni.conflist, this.#cniRuntime(sb, e), e.cniResult).catch((err: unknown) => this.#log.warn({ err, id: containerId.slice(0, 12) }, 'CNI DEL failed'));
      }
    }
    const lines = sb.endpoints.filter((e) => e.hostVeth && linkExists(e.hostVeth)).map((e) => `link del ${e.hostVeth}`);
    if (fs.existsSync(path.join(NETNS_DIR, sb.netns))) lines.push(`netns del ${sb.netns}`);
    if (lines.length > 0) await ipBatch(lines, { force: true }).catch((err: unknown) => this.#log.warn({ err, id: containerId.slice(0, 12) }, 'network teardown failed'));
    this.#sandboxes.delete(containerId);
    this.#store.deleteSandbox(containerId);
    if (sb.ports.length > 0) await this.#nft.apply().catch((err: unknown) => this.#log.warn({ err }, 'ruleset update failed'));
    for (const e of sb.endpoints) this.#o.events.publish('network', 'disconnect', e.networkId, { container: containerId, name: this.#nets.get(e.networkId)?.name ?? '', type: this.#nets.get(e.networkId)?.driver ?? '' });
  }

  async forget(containerId: string): Promise<void> {
    await this.release(containerId);
    this.#store.deleteAttachment(containerId);
  }

  // ------------------------------------------------------------------ connect, disconnect

  async connect(idOrName: string, containerRef: string, cfg: EndpointConfig = {}): Promise<void> {
    const n = this.get(idOrName);
    const c = this.#containers?.find(containerRef);
    if (!c) throw notFound(`No such container: ${containerRef}`);
    const mode = this.#mode(c.hostConfig);
    if (mode.kind === 'host' || n.driver === 'host') throw forbidden('container cannot be disconnected from host network or connected to host network');
    if (mode.kind === 'none' || n.driver === 'null') throw forbidden('container cannot be connected to multiple networks with one of the networks in private (none) mode');
    if (mode.kind === 'container') throw forbidden('container sharing network namespace with another container or host cannot be connected to any other network');
    this.#checkEndpointConfig(n, cfg);
    await this.#locks.run(c.id, async () => {
      const atts = this.#store.attachments(c.id);
      if (atts.some((a) => a.networkId === n.id)) throw forbidden(`endpoint with name ${c.name.replace(/^\//, '')} already exists in network ${n.name}`);
      const seq = atts.reduce((m, a) => Math.max(m, a.seq + 1), 0);
      const sb = this.#sandboxes.get(c.id);
      if (sb && (c.state.status === 'running' || c.state.status === 'paused')) {
        const used = new Set(sb.endpoints.map((e) => e.ifname));
        let i = 0;
        while (used.has(`eth${i}`)) i++;
        const ep = this.#newEndpoint(c, n, cfg, `eth${i}`);
        sb.endpoints.push(ep);
        try {
          this.#store.saveSandbox(sb);
          // one ip inside the live netns: the veth (host end created in the daemon's netns), address, route
          const plan = this.#vethPlan(ep);
          const routed = sb.endpoints.some((e) => e !== ep && e.gateway);
          if (plan) await ipBatch(vethLines([plan], { hostNs: hostNetnsRef(), bridgeIndex: ifindex, lo: false, routed }), { netns: sb.netns });
          if (plan && !this.#s.userlandProxy) writeSysfs(`/sys/class/net/${ep.hostVeth}/brport/hairpin_mode`, '1');
          if (n.driver === 'cni') await this.#cniAddEndpoint(sb, ep);
        } catch (err) {
          sb.endpoints = sb.endpoints.filter((e) => e !== ep);
          this.#store.saveSandbox(sb);
          if (ep.hostVeth && linkExists(ep.hostVeth)) await ipBatch([`link del ${ep.hostVeth}`]).catch(() => undefined);
          throw err;
        }
        this.#writeEtc(c, sb);
      }
      this.#store.saveAttachment({ containerId: c.id, networkId: n.id, seq, config: cfg });
    });
    this.#o.events.publish('network', 'connect', n.id, { container: c.id, name: n.name, type: n.driver });
  }

  async disconnect(idOrName: string, containerRef: string, force = false): Promise<void> {
    const n = this.get(idOrName);
    const c = this.#containers?.find(containerRef);
    if (!c) {
      if (!force) throw notFound(`No such container: ${containerRef}`);
      return;
    }
    if (n.driver === 'host') throw forbidden('container cannot be disconnected from host network or connected to host network');
    await this.#locks.run(c.id, async () => {
      const atts = this.#store.attachments(c.id);
      if (!atts.some((a) => a.networkId === n.id)) throw forbidden(`container ${c.id} is not connected to network ${n.name}`);
      const sb = this.#sandboxes.get(c.id);
      const ep = sb?.endpoints.find((e) => e.networkId === n.id);
      if (sb && ep) {
        if (ep.cniResult && n.cni) await cniDel(n.cni.conflist, this.#cniRuntime(sb, ep), ep.cniResult);
        if (ep.hostVeth && linkExists(ep.hostVeth)) await ipBatch([`link del ${ep.hostVeth}`]);
        sb.endpoints = sb.endpoints.filter((e) => e !== ep);
        this.#store.saveSandbox(sb);
        this.#writeEtc(c, sb);
      }
      this.#store.deleteAttachment(c.id, n.id);
    });
    this.#o.events.publish('network', 'disconnect', n.id, { container: c.id, name: n.name, type: n.driver });
  }

  // ------------------------------------------------------------------ helpers

  #nftState(): NftState {
    const networks = [...this.#nets.values()]
      .filter((n) => n.driver === 'bridge')
      .map((n) => ({
        bridge: n.bridge,
        subnets: n.ipam.config.map((c) => parseCidr(c.Subnet)).filter((s): s is IpNet => s?.family === 4).map(formatCidr),
        subnets6: n.enableIPv6 ? n.ipam.config.map((c) => parseCidr(c.Subnet)).filter((s): s is IpNet => s?.family === 6).map(formatCidr) : [],
        internal: n.internal,
        icc: n.icc,
        masquerade: n.masquerade,
      }));
    const ports = [];
    for (const s of this.#sandboxes.values()) {
      const e = s.endpoints.find((x) => this.#isPortNet(x));
      if (!e) continue;
      for (const p of s.ports) ports.push({ proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort, containerIp: e.ip, containerPort: p.containerPort });
    }
    return { table: this.#s.table, networks, ports, loopbackDnat: !this.#s.userlandProxy, enabled: this.#s.iptables };
  }

}

/** EndpointsConfig by network name; the CLI's "default" is the default bridge. */
function endpointsOf(netcfg: NetworkingConfig | null | undefined): Record<string, EndpointConfig> {
  const out: Record<string, EndpointConfig> = {};
  for (const [k, v] of Object.entries(netcfg?.EndpointsConfig ?? {})) out[k === 'default' ? 'bridge' : k] = (v ?? {}) as EndpointConfig;
  return out;
}

function readFile(p: string): string {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

/** Replace the file (temp + rename) unless it already holds exactly this (a restart, same address). */
function writeAtomic(file: string, content: string): void {
  if (readFile(file) === content) return;
  fs.writeFileSync(`${file}.tmp`, content, { mode: 0o644 });
  fs.renameSync(`${file}.tmp`, file);
}


