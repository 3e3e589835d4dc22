// Where a registry domain is reached, as dockerd decides it (registry/service.go, config.go):
// docker.io goes to its mirrors first, then registry-1.docker.io; a registry listed in
// insecure-registries (name or CIDR) or on a loopback address is tried over HTTPS without
// verification, then plain HTTP; everything else is HTTPS only, trusting the system CAs plus
// <certs.d>/<host>/*.crt (client certificates: *.cert + *.key), berth's and Docker's directories.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import type { Dispatcher, EnvHttpProxyAgent } from 'undici';
import { undici } from './undici.js';
import { DEFAULT_DOMAIN } from '../../oci/reference.js';

export const DOCKER_HUB_REGISTRY = 'registry-1.docker.io';
export const DOCKER_HUB_INDEX = 'https://index.docker.io/v1/';
export const DEFAULT_CERTS_DIRS = ['/etc/berth/certs.d', '/etc/docker/certs.d'];

export interface Endpoint {
  /** "https://registry-1.docker.io" (no trailing slash) */
  url: string;
  /** host[:port] as used for certs.d and messages */
  host: string;
  /** a mirror of docker.io (failures fall through to the next endpoint) */
  mirror: boolean;
  /** TLS not verified (insecure registry) */
  insecure: boolean;
  dispatcher: Dispatcher;
}

export interface RegistryHostsOptions {
  mirrors?: readonly string[];
  insecure?: readonly string[];
  certsDirs?: readonly string[];
  /** the proxy settings (default: the process environment, as dockerd) */
  env?: NodeJS.ProcessEnv;
}

let cas: string[] | undefined;
let defaultContext: tls.SecureContext | undefined;

/** The system's and Node's bundled CA certificates (Docker trusts the system pool). */
function systemCas(): string[] {
  cas ??= [...tls.getCACertificates('system'), ...tls.getCACertificates('bundled')];
  return cas;
}

function defaultSecureContext(): tls.SecureContext {
  defaultContext ??= tls.createSecureContext({ ca: systemCas() });
  return defaultContext;
}

let unverifiedContext: tls.SecureContext | undefined;

/**
 * For a host whose certificate is not verified (insecure registries, loopback): no CA store at
 * all (`ca: []`), as nothing is checked against it. Loading the system and bundled CAs and
 * making a context of them cost ~120 ms of main-thread CPU here, before the first pull from a
 * local registry could start (its HTTPS attempt comes before the plain HTTP one).
 */
function unverifiedSecureContext(): tls.SecureContext {
  unverifiedContext ??= tls.createSecureContext({ ca: [] });
  return unverifiedContext;
}

function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1';
  return false;
}

function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const i = host.lastIndexOf(':');
  return i >= 0 ? host.slice(0, i) : host;
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  if (base === undefined || bitsText === undefined) return false;
  const bits = Number(bitsText);
  const list = new net.BlockList();
  try {
    list.addSubnet(base, bits, net.isIPv6(base) ? 'ipv6' : 'ipv4');
    return list.check(ip, net.isIPv6(ip) ? 'ipv6' : 'ipv4');
  } catch {
    return false;
  }
}

export class RegistryHosts {
  readonly #mirrors: string[];
  readonly #insecure: string[];
  readonly #certsDirs: readonly string[];
  readonly #env: NodeJS.ProcessEnv;
  /** by host and TLS mode, with the certs.d state it was made from */
  readonly #dispatchers = new Map<string, { certs: string; d: Dispatcher }>();

  constructor(opts: RegistryHostsOptions = {}) {
    this.#mirrors = (opts.mirrors ?? []).map((m) => m.replace(/\/+$/, ''));
    this.#insecure = [...(opts.insecure ?? [])];
    this.#certsDirs = opts.certsDirs ?? DEFAULT_CERTS_DIRS;
    this.#env = opts.env ?? process.env;
  }

  /** Whether plain HTTP / unverified TLS is allowed for host[:port]. */
  isInsecure(host: string): boolean {
    const name = hostnameOf(host).replace(/^\[|\]$/g, '');
    if (isLoopbackHost(name)) return true;
    for (const entry of this.#insecure) {
      const e = entry.replace(/^https?:\/\//, '').replace(/\/+$/, '');
      if (e.includes('/') && net.isIP(name) && inCidr(name, e)) return true;
      if (e === host || e === name) return true;
    }
    return false;
  }

  /** The endpoints for a reference's domain, in the order dockerd tries them. */
  endpoints(domain: string): Endpoint[] {
    const out: Endpoint[] = [];
    if (domain === DEFAULT_DOMAIN) {
      for (const m of this.#mirrors) {
        const u = new URL(m);
        const insecure = u.protocol === 'http:' || this.isInsecure(u.host);
        out.push({ url: `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`, host: u.host, mirror: true, insecure, dispatcher: this.dispatcher(u.host, insecure) });
      }
      out.push({ url: `https://${DOCKER_HUB_REGISTRY}`, host: DOCKER_HUB_REGISTRY, mirror: false, insecure: false, dispatcher: this.dispatcher(DOCKER_HUB_REGISTRY, false) });
      return out;
    }
    const insecure = this.isInsecure(domain);
    out.push({ url: `https://${domain}`, host: domain, mirror: false, insecure, dispatcher: this.dispatcher(domain, insecure) });
    if (insecure) out.push({ url: `http://${domain}`, host: domain, mirror: false, insecure, dispatcher: this.dispatcher(domain, insecure) });
    return out;
  }

  /** The index (search, login) URL of a domain: docker.io's is index.docker.io. */
  indexEndpoints(domain: string): Endpoint[] {
    if (domain === DEFAULT_DOMAIN) return [{ url: 'https://index.docker.io', host: 'index.docker.io', mirror: false, insecure: false, dispatcher: this.dispatcher('index.docker.io', false) }];
    return this.endpoints(domain);
  }

  /** One dispatcher per host (and TLS mode): certs.d CAs and client certs; proxies from the environment except for loopback. */
  dispatcher(host: string, insecure: boolean): Dispatcher {
    const key = `${host}|${insecure}`;
    // certs.d is read again when its files for the host changed (as dockerd reads it for every
    // pull): a CA added after a failed pull is used by the next one without a daemon restart
    const certs = this.#certsState(host);
    const cached = this.#dispatchers.get(key);
    if (cached?.certs === certs) return cached.d;
    if (cached) void cached.d.close().catch(() => undefined);
    let d: Dispatcher;
    const tlsFiles = this.#tlsFiles(host);
    // One TLS context per dispatcher, made on its first HTTPS connection, and one shared by every
    // host without certs.d files: parsing the system and bundled CAs takes a few hundred ms here,
    // and an explicit `ca` list would repeat that on every connection.
    const own = tlsFiles.ca.length > 0 || (tlsFiles.cert !== undefined && tlsFiles.key !== undefined);
    let ctx: tls.SecureContext | undefined;
    const connect = {
      rejectUnauthorized: !insecure,
      get secureContext(): tls.SecureContext {
        if (!own) return insecure ? unverifiedSecureContext() : defaultSecureContext();
        ctx ??= tls.createSecureContext({
          ca: [...systemCas(), ...tlsFiles.ca],
          ...(tlsFiles.cert !== undefined && tlsFiles.key !== undefined ? { cert: tlsFiles.cert, key: tlsFiles.key } : {}),
        });
        return ctx;
      },
    };
    const opts = { connect, connections: 16, keepAliveTimeout: 30_000 };
    // Go's ProxyFromEnvironment never proxies localhost or loopback addresses.
    if (isLoopbackHost(hostnameOf(host).replace(/^\[|\]$/g, ''))) d = new (undici().Agent)(opts);
    else {
      const env = this.#env;
      const p: EnvHttpProxyAgent.Options = { ...opts };
      const httpProxy = env['HTTP_PROXY'] ?? env['http_proxy'];
      const httpsProxy = env['HTTPS_PROXY'] ?? env['https_proxy'];
      const noProxy = env['NO_PROXY'] ?? env['no_proxy'];
      if (httpProxy) p.httpProxy = httpProxy;
      if (httpsProxy) p.httpsProxy = httpsProxy;
      if (noProxy !== undefined) p.noProxy = noProxy;
      d = new (undici().EnvHttpProxyAgent)(p);
    }
    this.#dispatchers.set(key, { certs, d });
    return d;
  }

  /** The files in the host's certs.d directories (berth's, then Docker's), by name within each. */
  #certsEntries(host: string): { dir: string; name: string }[] {
    const out: { dir: string; name: string }[] = [];
    for (const base of this.#certsDirs) {
      const dir = path.join(base, host);
      try {
        for (const name of fs.readdirSync(dir).sort()) out.push({ dir, name });
      } catch {
        /* no such directory */
      }
    }
    return out;
  }

  /** Names, sizes and mtimes of the host's certs.d files: what decides whether to read them again. */
  #certsState(host: string): string {
    const parts: string[] = [];
    for (const { dir, name } of this.#certsEntries(host)) {
      try {
        const st = fs.statSync(path.join(dir, name));
        parts.push(`${dir}/${name}:${st.size}:${st.mtimeMs}`);
      } catch {
        /* removed meanwhile */
      }
    }
    return parts.join('|');
  }

  #tlsFiles(host: string): { ca: string[]; cert: string | undefined; key: string | undefined } {
    const ca: string[] = [];
    let cert: string | undefined;
    let key: string | undefined;
    for (const { dir, name } of this.#certsEntries(host)) {
      const p = path.join(dir, name);
      try {
        if (name.endsWith('.crt')) ca.push(fs.readFileSync(p, 'utf8'));
        else if (name.endsWith('.cert') && cert === undefined) {
          const k = path.join(dir, `${name.slice(0, -5)}.key`);
          cert = fs.readFileSync(p, 'utf8');
          key = fs.readFileSync(k, 'utf8');
        }
      } catch {
        /* unreadable: ignored, as dockerd logs and goes on */
      }
    }
    return { ca, cert, key };
  }

  async close(): Promise<void> {
    await Promise.all([...this.#dispatchers.values()].map((x) => x.d.close().catch(() => undefined)));
    this.#dispatchers.clear();
  }
}
