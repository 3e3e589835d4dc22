// berth's IPAM: pools from a subnet (optionally narrowed by an ip-range), the gateway and
// auxiliary addresses reserved, lowest free address first. Pure: the caller keeps the
// allocations (in the metadata database) and passes the ones in use.
import { forbidden, invalidArgument, unavailable } from '../errdefs/index.js';
import { contains, formatCidr, formatIp, last, mustParseIp, overlaps, parseCidr, parseIp, subnets, type IpAddr, type IpNet } from './ipnet.js';

/** Docker's IPAM config entry (the wire shape is the same). */
export interface IpamConfig {
  Subnet: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface Pool {
  subnet: IpNet;
  range: IpNet;
  gateway: IpAddr | undefined;
  reserved: Set<bigint>;
}

/** Docker's default-address-pools: 172.17-31/16, then 192.168/16 split into /20s. */
export const DEFAULT_ADDRESS_POOLS: readonly { base: string; size: number }[] = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/16', size: 16 },
  { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/14', size: 16 },
  { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

export function parseAddressPools(raw: unknown): { base: IpNet; size: number }[] {
  const list = Array.isArray(raw) && raw.length > 0 ? (raw as { base?: unknown; size?: unknown }[]) : DEFAULT_ADDRESS_POOLS;
  return list.map((p) => {
    const base = typeof p.base === 'string' ? parseCidr(p.base) : undefined;
    const sz = Number(p.size);
    if (!base || !Number.isInteger(sz) || sz < base.prefix || sz > (base.family === 4 ? 32 : 128)) {
      throw invalidArgument(`invalid default address pool: ${JSON.stringify(p)}`);
    }
    return { base, size: sz };
  });
}

/** Validate a network's IPAM config (Docker's messages) and turn it into a pool. */
export function makePool(c: IpamConfig): Pool {
  const subnet = parseCidr(c.Subnet);
  if (!subnet) throw invalidArgument(`invalid CIDR address: ${c.Subnet}`);
  if (formatCidr(subnet) !== normalizeCidrText(c.Subnet)) throw invalidArgument(`invalid subnet ${c.Subnet}: it should be ${formatCidr(subnet)}`);
  let range = subnet;
  if (c.IPRange) {
    const r = parseCidr(c.IPRange);
    if (!r) throw invalidArgument(`invalid CIDR address: ${c.IPRange}`);
    if (!(contains(subnet, { family: r.family, value: r.base }) && last(r) <= last(subnet))) {
      throw invalidArgument(`invalid pool request: ip-range ${c.IPRange} is not within subnet ${c.Subnet}`);
    }
    range = r;
  }
  const reserved = new Set<bigint>();
  reserved.add(subnet.base);
  if (subnet.family === 4 && subnet.prefix < 31) reserved.add(last(subnet));
  let gateway: IpAddr | undefined;
  if (c.Gateway) {
    gateway = parseIp(c.Gateway);
    if (!gateway) throw invalidArgument(`invalid gateway address ${c.Gateway}`);
    if (!contains(subnet, gateway)) throw invalidArgument(`no matching subnet for gateway ${c.Gateway}`);
    reserved.add(gateway.value);
  }
  for (const [name, a] of Object.entries(c.AuxiliaryAddresses ?? {})) {
    const ip = parseIp(a);
    if (!ip) throw invalidArgument(`invalid auxiliary address ${name}: ${a}`);
    if (!contains(subnet, ip)) throw invalidArgument(`no matching subnet for aux-address ${a}`);
    reserved.add(ip.value);
  }
  return { subnet, range, gateway, reserved };
}

function normalizeCidrText(s: string): string {
  const n = parseCidr(s);
  const a = parseIp(s.split('/')[0] ?? '');
  return n && a ? `${formatIp(a)}/${n.prefix}` : s;
}

/** Pick the gateway when none was given: the first usable address of the range. */
export function defaultGateway(p: Pool, used: ReadonlySet<bigint> = new Set()): IpAddr {
  return allocate(p, used);
}

/** The lowest free address of the pool's range, or the requested one if it is free. */
export function allocate(p: Pool, used: ReadonlySet<bigint>, requested?: string): IpAddr {
  if (requested) {
    const a = mustParseIp(requested, 'IP address');
    if (!contains(p.subnet, a)) throw invalidArgument(`no configured subnet or ip-range contain the IP address ${requested}`);
    if (used.has(a.value) || p.reserved.has(a.value)) throw forbidden(`Address already in use`);
    return a;
  }
  const end = last(p.range);
  for (let v = p.range.base; v <= end; v++) {
    if (p.subnet.family === 4 && (v === p.subnet.base || v === last(p.subnet)) && p.subnet.prefix < 31) continue;
    if (p.reserved.has(v) || used.has(v)) continue;
    return { family: p.subnet.family, value: v };
  }
  throw unavailable(`no available IPv${p.subnet.family} addresses on this network's address pools: ${formatCidr(p.subnet)}`);
}

/** Docker's overlap error for a subnet that collides with an existing network. */
export function checkNoOverlap(candidate: IpNet, existing: readonly IpNet[]): void {
  if (existing.some((e) => overlaps(e, candidate))) throw forbidden('invalid pool request: Pool overlaps with other one on this address space');
}

/** The first subnet of the pools that overlaps no network in use and no host route. */
export function pickSubnet(pools: readonly { base: IpNet; size: number }[], inUse: readonly IpNet[], family: 4 | 6 = 4): IpNet {
  for (const pool of pools) {
    if (pool.base.family !== family) continue;
    for (const s of subnets(pool.base, pool.size)) if (!inUse.some((u) => overlaps(u, s))) return s;
  }
  throw unavailable('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
}
