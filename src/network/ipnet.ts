// IP addresses and prefixes for both families as BigInts: parse, format, contain, overlap.
import net from 'node:net';
import { invalidArgument } from '../errdefs/index.js';

export type Family = 4 | 6;

export interface IpAddr {
  family: Family;
  value: bigint;
}

export interface IpNet {
  family: Family;
  /** the network address (host bits cleared) */
  base: bigint;
  prefix: number;
}

const bits = (f: Family): number => (f === 4 ? 32 : 128);

export function parseIp(s: string): IpAddr | undefined {
  const fam = net.isIP(s);
  if (fam === 4) {
    const v = s.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
    return { family: 4, value: v };
  }
  if (fam === 6) {
    let str = s;
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(str);
    if (v4) {
      const a = parseIp(v4[1] ?? '');
      const hex = (a?.value ?? 0n).toString(16).padStart(8, '0');
      str = str.slice(0, -(v4[1] ?? '').length) + `${hex.slice(0, 4)}:${hex.slice(4)}`;
    }
    const [head = '', tail] = str.split('::');
    const h = head ? head.split(':') : [];
    const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
    const v = groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g || '0', 16)), 0n);
    return { family: 6, value: v };
  }
  return undefined;
}

export function mustParseIp(s: string, what = 'address'): IpAddr {
  const a = parseIp(s);
  if (!a) throw invalidArgument(`invalid ${what}: ${s}`);
  return a;
}

export function formatIp(a: IpAddr): string {
  if (a.family === 4) {
    const v = a.value;
    return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
  }
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((a.value >> BigInt(i * 16)) & 0xffffn).toString(16));
  // longest run of zero groups -> "::"
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

const mask = (f: Family, prefix: number): bigint => {
  const b = BigInt(bits(f));
  return ((1n << b) - 1n) ^ ((1n << (b - BigInt(prefix))) - 1n);
};

/** "10.1.0.0/24" -> IpNet. With `strict`, host bits must be zero (Docker's check for --subnet). */
export function parseCidr(s: string, opts: { strict?: boolean } = {}): IpNet | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const a = parseIp(s.slice(0, slash));
  const pstr = s.slice(slash + 1);
  if (!a || !/^\d+$/.test(pstr)) return undefined;
  const prefix = Number(pstr);
  if (prefix > bits(a.family)) return undefined;
  const base = a.value & mask(a.family, prefix);
  if (opts.strict && base !== a.value) return undefined;
  return { family: a.family, base, prefix };
}

/** The address part of "10.1.0.1/24" (a bip) with its network. */
export function parseIfaceCidr(s: string): { addr: IpAddr; net: IpNet } | undefined {
  const n = parseCidr(s);
  const a = parseIp(s.split('/')[0] ?? '');
  return n && a ? { addr: a, net: n } : undefined;
}

export function formatCidr(n: IpNet): string {
  return `${formatIp({ family: n.family, value: n.base })}/${n.prefix}`;
}

export function size(n: IpNet): bigint {
  return 1n << BigInt(bits(n.family) - n.prefix);
}

export function last(n: IpNet): bigint {
  return n.base + size(n) - 1n;
}

export function contains(n: IpNet, a: IpAddr): boolean {
  return n.family === a.family && a.value >= n.base && a.value <= last(n);
}

export function overlaps(a: IpNet, b: IpNet): boolean {
  return a.family === b.family && a.base <= last(b) && b.base <= last(a);
}

export function addrAt(n: IpNet, offset: bigint): IpAddr {
  return { family: n.family, value: n.base + offset };
}

/** Split a pool into subnets of `prefix` bits, in order. */
export function* subnets(pool: IpNet, prefix: number): Generator<IpNet> {
  if (prefix < pool.prefix) return;
  const step = 1n << BigInt(bits(pool.family) - prefix);
  for (let b = pool.base; b <= last(pool); b += step) yield { family: pool.family, base: b, prefix };
}

/** Docker's MAC for an IPv4 address: 02:42 followed by the four address bytes. */
export function macForIp(a: IpAddr): string {
  const v = a.family === 4 ? a.value : a.value & 0xffffffffn;
  const bytes = [0x02, 0x42, ...[24n, 16n, 8n, 0n].map((s) => Number((v >> s) & 0xffn))];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
