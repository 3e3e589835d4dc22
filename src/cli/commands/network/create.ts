// berth network create [OPTIONS] NETWORK
import type { Command } from '../../command.js';
import { StatusError } from '../../exit-codes.js';
import type { IPAMConfig } from '../../../engine-api/network.js';
import { mapOpt, networkApi } from './api.js';

/** Which subnet holds an address ("10.1.2.3" or a CIDR), by simple IPv4/IPv6 prefix math. */
function inSubnet(subnet: string, addr: string): boolean {
  const [base = '', bitsText = '0'] = subnet.split('/');
  const a = addr.split('/')[0] ?? '';
  const bits = Number(bitsText);
  const toBig = (ip: string): bigint | undefined => {
    if (ip.includes('.') && !ip.includes(':')) return ip.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
    if (!ip.includes(':')) return undefined;
    const [h = '', t] = ip.split('::');
    const hs = h ? h.split(':') : [];
    const ts = t ? t.split(':') : [];
    const gs = t === undefined ? hs : [...hs, ...Array<string>(8 - hs.length - ts.length).fill('0'), ...ts];
    return gs.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g || '0', 16)), 0n);
  };
  const b = toBig(base);
  const x = toBig(a);
  if (b === undefined || x === undefined || base.includes(':') !== a.includes(':')) return false;
  const width = base.includes(':') ? 128 : 32;
  const shift = BigInt(width - bits);
  return b >> shift === x >> shift;
}

/** docker's consolidateIpam: every ip-range, gateway and aux-address must fall in one subnet. */
export function consolidateIpam(subnets: string[], ranges: string[], gateways: string[], aux: Record<string, string>): IPAMConfig[] {
  if (subnets.length < ranges.length || subnets.length < gateways.length) throw new StatusError(1, 'every ip-range or gateway must have a corresponding subnet');
  const out: IPAMConfig[] = subnets.map((s) => ({ Subnet: s }));
  for (const r of ranges) {
    const c = out.find((x) => inSubnet(x.Subnet ?? '', r));
    if (!c) throw new StatusError(1, `no matching subnet for range ${r}`);
    if (c.IPRange) throw new StatusError(1, `cannot configure multiple ranges (${r}, ${c.IPRange}) on the same subnet (${c.Subnet ?? ''})`);
    c.IPRange = r;
  }
  for (const g of gateways) {
    const c = out.find((x) => inSubnet(x.Subnet ?? '', g));
    if (!c) throw new StatusError(1, `no matching subnet for gateway ${g}`);
    if (c.Gateway) throw new StatusError(1, `cannot configure multiple gateways (${g}, ${c.Gateway}) for the same subnet (${c.Subnet ?? ''})`);
    c.Gateway = g;
  }
  for (const [k, v] of Object.entries(aux)) {
    const c = out.find((x) => inSubnet(x.Subnet ?? '', v));
    if (!c) throw new StatusError(1, `no matching subnet for aux-address ${v}`);
    (c.AuxiliaryAddresses ??= {})[k] = v;
  }
  return out;
}

export const command: Command = {
  use: '[OPTIONS] NETWORK',
  short: 'Create a network',
  args: { min: 1, max: 1 },
  flags: [
    { name: 'attachable', type: 'bool', usage: 'Enable manual container attachment' },
    { name: 'aux-address', type: 'list', valueName: 'map', usage: 'Auxiliary IPv4 or IPv6 addresses used by Network driver' },
    { name: 'config-from', type: 'string', usage: 'The network from which to copy the configuration' },
    { name: 'config-only', type: 'bool', usage: 'Create a configuration only network' },
    { name: 'driver', short: 'd', type: 'string', default: 'bridge', usage: 'Driver to manage the Network' },
    { name: 'gateway', type: 'list', valueName: 'strings', usage: 'IPv4 or IPv6 Gateway for the master subnet' },
    { name: 'ingress', type: 'bool', usage: 'Create swarm routing-mesh network' },
    { name: 'internal', type: 'bool', usage: 'Restrict external access to the network' },
    { name: 'ip-range', type: 'list', valueName: 'strings', usage: 'Allocate container ip from a sub-range' },
    { name: 'ipam-driver', type: 'string', default: 'default', usage: 'IP Address Management Driver' },
    { name: 'ipam-opt', type: 'list', valueName: 'map', usage: 'Set IPAM driver specific options' },
    { name: 'ipv4', type: 'bool', default: true, usage: 'Enable or disable IPv4 address assignment' },
    { name: 'ipv6', type: 'bool', usage: 'Enable or disable IPv6 address assignment' },
    { name: 'label', type: 'list', usage: 'Set metadata on a network' },
    { name: 'opt', short: 'o', type: 'list', valueName: 'map', usage: 'Set driver specific options' },
    { name: 'scope', type: 'string', usage: "Control the network's scope" },
    { name: 'subnet', type: 'list', valueName: 'strings', usage: 'Subnet in CIDR format that represents a network segment' },
  ],
  async run(ctx, flags) {
    const [name] = flags.args as [string];
    const split = (n: string): string[] => flags.list(n).flatMap((v) => v.split(',')).filter(Boolean);
    const config = consolidateIpam(split('subnet'), split('ip-range'), split('gateway'), mapOpt(flags.list('aux-address')));
    if (flags.bool('ingress')) throw new StatusError(1, 'Error response from daemon: swarm routing-mesh (ingress) networks are not supported');
    const res = await networkApi(ctx).create({
      Name: name,
      Driver: flags.string('driver') || 'bridge',
      ...(flags.string('scope') ? { Scope: flags.string('scope') } : {}),
      EnableIPv4: flags.bool('ipv4'),
      EnableIPv6: flags.bool('ipv6'),
      IPAM: { Driver: flags.string('ipam-driver') || 'default', Config: config, Options: mapOpt(flags.list('ipam-opt')) },
      Internal: flags.bool('internal'),
      Attachable: flags.bool('attachable'),
      Ingress: false,
      ConfigOnly: flags.bool('config-only'),
      ...(flags.string('config-from') ? { ConfigFrom: { Network: flags.string('config-from') } } : {}),
      Options: mapOpt(flags.list('opt')),
      Labels: mapOpt(flags.list('label')),
    });
    ctx.out(`${res.Id}\n`);
    return 0;
  },
};
