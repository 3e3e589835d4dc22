// Daemon addresses as docker's -H/DOCKER_HOST accept them: unix:///path, tcp://host:port.
import { invalidArgument } from '../errdefs/index.js';

export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';

export type HostAddress = { kind: 'unix'; path: string; url: string } | { kind: 'tcp'; host: string; port: number; url: string };

/** Parse a host URL; throws invalid-argument with docker's wording for anything else. */
export function parseHost(value: string): HostAddress {
  const raw = value.trim();
  if (raw.startsWith('unix://')) {
    const p = raw.slice('unix://'.length);
    if (p === '') throw invalidArgument(`invalid bind address (${raw}): path is empty`);
    return { kind: 'unix', path: p, url: raw };
  }
  if (raw.startsWith('/')) return { kind: 'unix', path: raw, url: `unix://${raw}` };
  if (raw.startsWith('tcp://') || raw.startsWith('http://')) {
    const rest = raw.replace(/^(tcp|http):\/\//, '');
    const m = /^(\[[^\]]+\]|[^:/]*)(?::(\d+))?\/?$/.exec(rest);
    if (!m) throw invalidArgument(`invalid bind address (${raw})`);
    const host = (m[1] ?? '').replace(/^\[|\]$/g, '') || '127.0.0.1';
    const port = m[2] ? Number(m[2]) : 2375;
    return { kind: 'tcp', host, port, url: `tcp://${m[1] || '127.0.0.1'}:${port}` };
  }
  const proto = /^([a-z0-9+.-]+):\/\//i.exec(raw)?.[1];
  if (proto) throw invalidArgument(`unsupported protocol: '${proto}'`);
  throw invalidArgument(`invalid bind address (${raw})`);
}
