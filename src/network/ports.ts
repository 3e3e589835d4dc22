// Published ports: parsing Docker's PortBindings/ExposedPorts, holding each host port with a
// bound socket (so nothing else can take it, and a busy port fails with Docker's "port is
// already allocated"), and proxying connections that the NAT rules do not catch (loopback
// with userland-proxy on). With the proxy off the socket only holds the port: a connection
// that reaches it (the DNAT rules missed it) is reset, never forwarded.
import dgram from 'node:dgram';
import net from 'node:net';
import { invalidArgument, systemError } from '../errdefs/index.js';

export type Proto = 'tcp' | 'udp';

export interface PortMapping {
  proto: Proto;
  containerPort: number;
  /** '' = every address */
  hostIp: string;
  hostPort: number;
}

export interface PortRequest {
  proto: Proto;
  containerPort: number;
  hostIp: string;
  /** inclusive range; [0, 0] = any ephemeral port */
  hostPorts: [number, number];
}

function parsePort(s: string, what: string): number {
  if (!/^\d+$/.test(s)) throw invalidArgument(`invalid ${what}: ${s}`);
  const n = Number(s);
  if (n < 0 || n > 65535) throw invalidArgument(`invalid ${what}: ${s}`);
  return n;
}

/** "80/tcp" -> port and protocol (Docker's nat.NewPort checks). */
export function parsePortKey(key: string): { port: number; proto: Proto } {
  const [p = '', proto = 'tcp'] = key.split('/');
  if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') throw invalidArgument(`invalid proto: ${proto}`);
  if (proto === 'sctp') throw invalidArgument('sctp ports are not supported');
  if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) throw invalidArgument(`invalid port specification: "${key}"`);
  return { port: Number(p), proto };
}

/** HostConfig.PortBindings (+ -P over ExposedPorts) to the requests to satisfy at start. */
export function portRequests(
  bindings: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null | undefined,
  exposed: Record<string, object> | null | undefined,
  publishAll: boolean,
): PortRequest[] {
  const out: PortRequest[] = [];
  const seen = new Set<string>();
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const { port, proto } = parsePortKey(key);
    seen.add(`${port}/${proto}`);
    for (const b of list && list.length > 0 ? list : [{}]) {
      const hostIp = b.HostIp ?? '';
      if (hostIp !== '' && net.isIP(hostIp) === 0) throw invalidArgument(`invalid host IP address: ${hostIp}`);
      const hp = b.HostPort ?? '';
      let range: [number, number] = [0, 0];
      if (hp !== '') {
        const [a = '', z] = hp.split('-');
        const lo = parsePort(a, 'hostPort');
        const hi = z === undefined ? lo : parsePort(z, 'hostPort');
        if (hi < lo) throw invalidArgument(`invalid hostPort: ${hp}`);
        range = [lo, hi];
      }
      out.push({ proto, containerPort: port, hostIp, hostPorts: range });
    }
  }
  if (publishAll) {
    for (const key of Object.keys(exposed ?? {})) {
      const { port, proto } = parsePortKey(key);
      if (seen.has(`${port}/${proto}`)) continue;
      out.push({ proto, containerPort: port, hostIp: '', hostPorts: [0, 0] });
    }
  }
  return out;
}

/** One bound host port; close() frees it. */
export interface PortHold {
  mapping: PortMapping;
  close(): void;
}

const allocatedError = (hostIp: string, port: number): Error =>
  systemError(`Bind for ${hostIp || '0.0.0.0'}:${port} failed: port is already allocated`);

type Target = () => { ip: string; port: number } | undefined;

async function bindTcp(hostIp: string, port: number, target: Target | undefined): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((sock) => {
    const t = target?.();
    if (!t) {
      sock.on('error', () => undefined);
      sock.resetAndDestroy();
      return;
    }
    const up = net.connect({ host: t.ip, port: t.port });
    sock.pipe(up);
    up.pipe(sock);
    const end = (): void => {
      sock.destroy();
      up.destroy();
    };
    sock.on('error', end);
    up.on('error', end);
    sock.on('close', end);
    up.on('close', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: hostIp || '0.0.0.0', port, exclusive: true, ipv6Only: false }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as net.AddressInfo;
  return { server, port: addr.port };
}

async function bindUdp(hostIp: string, port: number, target: Target | undefined): Promise<{ sock: dgram.Socket; port: number }> {
  const v6 = hostIp.includes(':');
  const sock = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', reuseAddr: false });
  // userland UDP proxy: one upstream socket per client address, closed after 30 s without traffic
  const flows = new Map<string, { up: dgram.Socket; timer: NodeJS.Timeout }>();
  const drop = (key: string): void => {
    const f = flows.get(key);
    if (!f) return;
    flows.delete(key);
    clearTimeout(f.timer);
    try {
      f.up.close();
    } catch {
      /* closed already */
    }
  };
  sock.on('message', (msg, rinfo) => {
    const t = target?.();
    if (!t) return;
    const key = `${rinfo.address}:${rinfo.port}`;
    let f = flows.get(key);
    if (f) f.timer.refresh();
    else {
      const up = dgram.createSocket(t.ip.includes(':') ? 'udp6' : 'udp4');
      up.on('message', (reply) => {
        flows.get(key)?.timer.refresh();
        sock.send(reply, rinfo.port, rinfo.address, () => undefined);
      });
      up.on('error', () => drop(key));
      const timer = setTimeout(() => drop(key), 30_000);
      timer.unref();
      f = { up, timer };
      flows.set(key, f);
    }
    f.up.send(msg, t.port, t.ip, () => undefined);
  });
  sock.on('close', () => {
    for (const key of [...flows.keys()]) drop(key);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ address: hostIp || (v6 ? '::' : '0.0.0.0'), port, exclusive: true }, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  sock.on('error', () => undefined);
  return { sock, port: sock.address().port };
}

/**
 * Bind the host side of a port request (the first free port of its range, or an ephemeral
 * one). `taken` says which ports berth already holds elsewhere; `target` gives the container
 * address connections are proxied to, undefined: no userland proxy (the port is only held).
 */
export async function holdPort(
  req: PortRequest,
  taken: (proto: Proto, hostIp: string, port: number) => boolean,
  target: Target | undefined,
): Promise<PortHold> {
  const [lo, hi] = req.hostPorts;
  const candidates: number[] = [];
  if (lo === 0) candidates.push(0);
  else for (let p = lo; p <= hi; p++) candidates.push(p);
  let lastErr: unknown;
  for (const p of candidates) {
    if (p !== 0 && taken(req.proto, req.hostIp, p)) {
      lastErr = allocatedError(req.hostIp, p);
      continue;
    }
    try {
      if (req.proto === 'tcp') {
        const b = await bindTcp(req.hostIp, p, target);
        return { mapping: { proto: 'tcp', containerPort: req.containerPort, hostIp: req.hostIp, hostPort: b.port }, close: () => b.server.close() };
      }
      const b = await bindUdp(req.hostIp, p, target);
      return { mapping: { proto: 'udp', containerPort: req.containerPort, hostIp: req.hostIp, hostPort: b.port }, close: () => {
          try {
            b.sock.close();
          } catch {
            /* closed already */
          }
        } };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES') lastErr = allocatedError(req.hostIp, p);
      else if (code === 'EADDRNOTAVAIL') lastErr = systemError(`listen ${req.proto} ${req.hostIp}:${p}: bind: cannot assign requested address`);
      else lastErr = err;
    }
  }
  if (hi > lo && candidates.length > 1) throw systemError(`Bind for ${req.hostIp || '0.0.0.0'}:${lo}-${hi} failed: port is already allocated`);
  throw lastErr;
}
