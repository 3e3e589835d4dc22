// The embedded DNS server of user-defined networks. It runs inside berthd and listens (UDP) on
// each such network's gateway address. Names of containers, their aliases and IDs resolve to
// their addresses on the networks the asking container shares (found by its source address);
// everything else is forwarded to the asking container's --dns servers or the host's resolvers.
import dgram from 'node:dgram';
import { createRequire } from 'node:module';
import type * as packet from 'dns-packet';
import type { Logger } from 'pino';

export interface DnsBackend {
  /**
   * The addresses `name` has for the container asking from `client`: undefined when berth
   * does not know the name (forward it), [] when it does but has no record of this type.
   */
  lookup(client: string, name: string, type: 'A' | 'AAAA'): string[] | undefined;
  /** upstream servers for a query from `client` ("ip" or "ip:port") */
  upstreams(client: string): string[];
}

/** dns-packet, loaded when the first query comes (most daemons never serve one). */
const require = createRequire(import.meta.url);
let dnsPacket: typeof packet | undefined;
const wire = (): typeof packet => (dnsPacket ??= require('dns-packet') as typeof packet);

const FORWARD_TIMEOUT_MS = 3000;
const TTL = 600;

function splitHostPort(s: string): { host: string; port: number } {
  const m = /^\[(.+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (m) return { host: m[1] ?? '', port: Number(m[2]) };
  return { host: s, port: 53 };
}

export class EmbeddedDns {
  readonly #backend: DnsBackend;
  readonly #log: Logger;
  readonly #sockets = new Map<string, dgram.Socket>();

  constructor(backend: DnsBackend, log: Logger) {
    this.#backend = backend;
    this.#log = log;
  }

  addresses(): string[] {
    return [...this.#sockets.keys()];
  }

  /** Serve on addr:53 (idempotent). */
  async listen(addr: string, port = 53): Promise<void> {
    if (this.#sockets.has(addr)) return;
    const sock = dgram.createSocket(addr.includes(':') ? 'udp6' : 'udp4');
    sock.on('message', (msg, rinfo) => {
      void this.#answer(sock, msg, rinfo).catch((err: unknown) => this.#log.debug({ err }, 'dns query failed'));
    });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ address: addr, port, exclusive: true }, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    sock.on('error', (err) => this.#log.warn({ err, addr }, 'dns socket error'));
    this.#sockets.set(addr, sock);
  }

  close(addr: string): void {
    const s = this.#sockets.get(addr);
    this.#sockets.delete(addr);
    s?.close();
  }

  closeAll(): void {
    for (const a of [...this.#sockets.keys()]) this.close(a);
  }

  async #answer(sock: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): Promise<void> {
    let query: packet.Packet;
    try {
      query = wire().decode(msg);
    } catch {
      return;
    }
    const q = query.questions?.[0];
    if (!q) return;
    const name = q.name.replace(/\.$/, '');
    const type = q.type === 'A' || q.type === 'AAAA' ? q.type : undefined;
    const local = type ? this.#backend.lookup(rinfo.address, name, type) : this.#backend.lookup(rinfo.address, name, 'A') !== undefined ? [] : undefined;
    if (local !== undefined) {
      const reply = wire().encode({
        type: 'response',
        id: query.id ?? 0,
        flags: wire().RECURSION_DESIRED | wire().RECURSION_AVAILABLE | wire().AUTHORITATIVE_ANSWER,
        questions: [q],
        answers: local.map((ip) => ({ type: type ?? 'A', name: q.name, ttl: TTL, class: 'IN', data: ip }) as packet.Answer),
      });
      sock.send(reply, rinfo.port, rinfo.address);
      return;
    }
    const reply = await this.#forward(msg, this.#backend.upstreams(rinfo.address));
    if (reply) sock.send(reply, rinfo.port, rinfo.address);
    else {
      const fail = wire().encode({ type: 'response', id: query.id ?? 0, flags: wire().RECURSION_DESIRED | wire().RECURSION_AVAILABLE | 2 /* SERVFAIL */, questions: [q] });
      sock.send(fail, rinfo.port, rinfo.address);
    }
  }

  async #forward(msg: Buffer, upstreams: readonly string[]): Promise<Buffer | undefined> {
    for (const u of upstreams) {
      const { host, port } = splitHostPort(u);
      const reply = await new Promise<Buffer | undefined>((resolve) => {
        const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
        const done = (b: Buffer | undefined): void => {
          clearTimeout(timer);
          s.close();
          resolve(b);
        };
        const timer = setTimeout(() => done(undefined), FORWARD_TIMEOUT_MS);
        s.on('error', () => done(undefined));
        s.on('message', (b) => done(b));
        s.send(msg, port, host);
      });
      if (reply) return reply;
    }
    return undefined;
  }
}
