// berth's nftables ruleset, rendered whole from the network state and applied as one `nft -f`
// transaction (create-if-missing, delete, recreate: atomic, so there is never a half-applied
// table). Only berth's own tables are touched; other tools' chains are never referenced.
import { mustExec } from './exec.js';

export interface NftNetwork {
  bridge: string;
  /** IPv4 subnets (CIDR) */
  subnets: string[];
  /** IPv6 subnets (CIDR) */
  subnets6: string[];
  internal: boolean;
  icc: boolean;
  masquerade: boolean;
}

export interface NftPort {
  proto: 'tcp' | 'udp';
  /** host address the port is published on; '' or 0.0.0.0 for every address */
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

export interface NftState {
  table: string;
  networks: NftNetwork[];
  ports: NftPort[];
  /** DNAT loopback-addressed traffic too (userland-proxy=false, with route_localnet on the bridges) */
  loopbackDnat: boolean;
  /** filtering (isolation, icc, internal) and NAT at all: daemon setting "iptables" */
  enabled: boolean;
}

const q = (s: string): string => JSON.stringify(s);
const set = (xs: readonly string[]): string => (xs.length === 1 ? (xs[0] ?? '') : `{ ${xs.join(', ')} }`);
const v6 = (ip: string): boolean => ip.includes(':');

function family(st: NftState, fam: 'ip' | 'ip6'): string[] {
  const nets = st.networks.map((n) => ({ ...n, subs: fam === 'ip' ? n.subnets : n.subnets6 }));
  const bridges = st.networks.map((n) => q(n.bridge));
  const pre: string[] = [];
  const post: string[] = [];
  const fwd: string[] = [];
  const loop = fam === 'ip' ? '127.0.0.0/8' : '::1';
  for (const p of st.ports) {
    if (v6(p.containerIp) !== (fam === 'ip6')) continue;
    if (p.hostIp && p.hostIp !== '0.0.0.0' && p.hostIp !== '::' && v6(p.hostIp) !== (fam === 'ip6')) continue;
    const daddr = p.hostIp && p.hostIp !== '0.0.0.0' && p.hostIp !== '::' ? `${fam} daddr ${p.hostIp} ` : '';
    const to = fam === 'ip' ? `${p.containerIp}:${p.containerPort}` : `[${p.containerIp}]:${p.containerPort}`;
    pre.push(`\t\t${daddr}${p.proto} dport ${p.hostPort} dnat to ${to}`);
  }
  for (const n of nets) {
    if (n.subs.length === 0) continue;
    const br = q(n.bridge);
    if (n.masquerade && !n.internal) post.push(`\t\t${fam} saddr ${set(n.subs)} oifname != ${br} masquerade`);
    // published ports reached through the host from the same bridge (hairpin) or from loopback
    post.push(`\t\toifname ${br} ${fam} saddr ${set(n.subs)} ct status dnat masquerade`);
    if (st.loopbackDnat) post.push(`\t\toifname ${br} ${fam} saddr ${loop} masquerade`);
    if (n.internal) {
      fwd.push(`\t\tiifname ${br} oifname != ${br} drop`);
      fwd.push(`\t\toifname ${br} iifname != ${br} drop`);
    }
    const others = bridges.filter((b) => b !== br);
    if (others.length > 0) fwd.push(`\t\tiifname ${br} oifname ${set(others)} drop`);
    fwd.push(`\t\toifname ${br} ct state established,related accept`);
    fwd.push(`\t\toifname ${br} ct status dnat accept`);
    fwd.push(n.icc ? `\t\tiifname ${br} oifname ${br} accept` : `\t\tiifname ${br} oifname ${br} drop`);
    fwd.push(`\t\toifname ${br} drop`);
  }
  const out = [
    `table ${fam} ${st.table} {`,
    '\tchain publish {',
    ...pre,
    '\t}',
    '\tchain prerouting {',
    '\t\ttype nat hook prerouting priority dstnat; policy accept;',
    '\t\tfib daddr type local jump publish',
    '\t}',
    '\tchain output {',
    '\t\ttype nat hook output priority -100; policy accept;',
    st.loopbackDnat ? '\t\tfib daddr type local jump publish' : `\t\t${fam} daddr != ${loop} fib daddr type local jump publish`,
    '\t}',
    '\tchain postrouting {',
    '\t\ttype nat hook postrouting priority srcnat; policy accept;',
    ...post,
    '\t}',
    '\tchain forward {',
    '\t\ttype filter hook forward priority filter; policy accept;',
    ...fwd,
    '\t}',
    '}',
  ];
  return out;
}

/** The nft script that replaces berth's tables with the given state in one transaction. */
export function renderRuleset(st: NftState): string {
  const lines: string[] = [];
  for (const fam of ['ip', 'ip6'] as const) {
    lines.push(`table ${fam} ${st.table} {}`, `delete table ${fam} ${st.table}`);
    if (!st.enabled) continue;
    if (fam === 'ip6' && !st.networks.some((n) => n.subnets6.length > 0)) continue;
    lines.push(...family(st, fam));
  }
  return `${lines.join('\n')}\n`;
}

/** Apply a rendered ruleset (one nft process, one transaction). */
export async function applyRuleset(script: string): Promise<void> {
  await mustExec('nft', ['-f', '-'], script);
}

/** Remove berth's tables (both families); no error when they are absent. */
export async function deleteTables(table: string): Promise<void> {
  await mustExec('nft', ['-f', '-'], `table ip ${table} {}\ndelete table ip ${table}\ntable ip6 ${table} {}\ndelete table ip6 ${table}\n`);
}

/**
 * Serialises applies and coalesces bursts: a change requested while an apply runs is folded
 * into the next one, which renders the newest state.
 */
export class RulesetWriter {
  readonly #render: () => string;
  #running: Promise<void> | undefined;
  #pending: Promise<void> | undefined;

  constructor(render: () => string) {
    this.#render = render;
  }

  apply(): Promise<void> {
    if (this.#pending) return this.#pending;
    if (!this.#running) {
      this.#running = applyRuleset(this.#render()).finally(() => {
        this.#running = undefined;
      });
      return this.#running;
    }
    const after = this.#running.catch(() => undefined);
    this.#pending = after.then(() => {
      this.#pending = undefined;
      return this.apply();
    });
    return this.#pending;
  }
}
