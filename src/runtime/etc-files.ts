// The files berth bind-mounts over /etc/hosts, /etc/hostname and /etc/resolv.conf, written in
// the container directory (Docker's --add-host, --dns, --dns-search, --dns-option).
import fs from 'node:fs';
import { invalidArgument } from '../errdefs/index.js';

export interface EtcOptions {
  hostname: string;
  domainname?: string;
  hostNetwork: boolean;
  extraHosts: readonly string[];
  dns: readonly string[];
  dnsSearch: readonly string[];
  dnsOptions: readonly string[];
}

const DEFAULT_HOSTS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::\tip6-localnet\nff00::\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n';

/** "host:ip" or "host=ip" (Docker 28 accepts both; IPv6 may contain colons). */
export function parseExtraHost(v: string): { host: string; ip: string } {
  const eq = v.indexOf('=');
  const sep = eq >= 0 ? eq : v.indexOf(':');
  if (sep <= 0) throw invalidArgument(`invalid extra host entry "${v}": expected host:ip`);
  let ip = v.slice(sep + 1);
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  const host = v.slice(0, sep);
  if (ip === '') throw invalidArgument(`invalid extra host entry "${v}": expected host:ip`);
  return { host, ip };
}

function readHost(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export function hostsContent(o: EtcOptions): string {
  let out = o.hostNetwork ? readHost('/etc/hosts') || DEFAULT_HOSTS : DEFAULT_HOSTS;
  if (!out.endsWith('\n')) out += '\n';
  for (const e of o.extraHosts) {
    const { host, ip } = parseExtraHost(e);
    out += `${ip}\t${host}\n`;
  }
  return out;
}

const LOCAL_NS = /^\s*nameserver\s+(127\.\d+\.\d+\.\d+|::1)\s*$/;

export function resolvConfContent(o: EtcOptions): string {
  const host = readHost('/etc/resolv.conf').split('\n');
  let nameservers = host.filter((l) => /^\s*nameserver\s/.test(l)).map((l) => l.trim());
  if (!o.hostNetwork) nameservers = nameservers.filter((l) => !LOCAL_NS.test(l));
  if (o.dns.length > 0) nameservers = o.dns.map((d) => `nameserver ${d}`);
  else if (nameservers.length === 0 && !o.hostNetwork) nameservers = ['nameserver 8.8.8.8', 'nameserver 8.8.4.4'];
  let search = host.filter((l) => /^\s*(search|domain)\s/.test(l)).map((l) => l.trim().replace(/^domain\s/, 'search '));
  if (o.dnsSearch.length > 0) search = o.dnsSearch[0] === '.' ? [] : [`search ${o.dnsSearch.join(' ')}`];
  let options = host.filter((l) => /^\s*options\s/.test(l)).map((l) => l.trim());
  if (o.dnsOptions.length > 0) options = [`options ${o.dnsOptions.join(' ')}`];
  return [...nameservers, ...search.slice(-1), ...options].join('\n') + '\n';
}

function writeAtomic(file: string, content: string): void {
  fs.writeFileSync(`${file}.tmp`, content, { mode: 0o644 });
  fs.renameSync(`${file}.tmp`, file);
}

export function writeEtcFiles(paths: { hostsPath: string; hostnamePath: string; resolvConfPath: string }, o: EtcOptions): void {
  writeAtomic(paths.hostsPath, hostsContent(o));
  writeAtomic(paths.hostnamePath, `${o.hostname}\n`);
  writeAtomic(paths.resolvConfPath, resolvConfContent(o));
}
