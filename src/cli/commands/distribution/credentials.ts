// Registry credentials as the docker CLI keeps them: <config dir>/config.json "auths", keyed by
// registry ("https://index.docker.io/v1/" for Docker Hub, "host[:port]" for others), each with
// "auth" = base64("user:password"). berth writes its own config dir and also reads Docker's
// (DOCKER_CONFIG or ~/.docker) so an existing `docker login` works.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const INDEX_SERVER = 'https://index.docker.io/v1/';

export interface StoredAuth {
  username: string;
  password: string;
  serveraddress: string;
  identitytoken?: string;
}

interface ConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string; username?: string; password?: string }>;
  [k: string]: unknown;
}

/** registry.ConvertToHostname: strip the scheme and any path. */
export function hostnameOf(server: string): string {
  return server.replace(/^https?:\/\//, '').split('/')[0] ?? '';
}

/** The config.json key of a registry domain ("docker.io" -> the index server URL). */
export function authKey(domainOrServer: string): string {
  const h = hostnameOf(domainOrServer);
  if (h === '' || h === 'docker.io' || h === 'index.docker.io' || h === 'registry-1.docker.io') return INDEX_SERVER;
  return h;
}

function dockerConfigDir(): string {
  return process.env['DOCKER_CONFIG'] || path.join(os.homedir(), '.docker');
}

function readConfig(dir: string): ConfigFile {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as ConfigFile;
  } catch {
    return {};
  }
}

function find(cfg: ConfigFile, key: string): StoredAuth | undefined {
  for (const [k, v] of Object.entries(cfg.auths ?? {})) {
    if (authKey(k) !== key) continue;
    let username = v.username ?? '';
    let password = v.password ?? '';
    if (v.auth) {
      const s = Buffer.from(v.auth, 'base64').toString('utf8');
      const i = s.indexOf(':');
      if (i > 0) {
        username = s.slice(0, i);
        password = s.slice(i + 1);
      }
    }
    if (username === '' && !v.identitytoken) continue;
    return { username, password, serveraddress: key, ...(v.identitytoken ? { identitytoken: v.identitytoken } : {}) };
  }
  return undefined;
}

/** Stored credentials for a registry: berth's config first, then Docker's. */
export function loadAuth(configDir: string, domain: string): StoredAuth | undefined {
  const key = authKey(domain);
  return find(readConfig(configDir), key) ?? find(readConfig(dockerConfigDir()), key);
}

export function saveAuth(configDir: string, a: StoredAuth): string {
  const file = path.join(configDir, 'config.json');
  const cfg = readConfig(configDir);
  cfg.auths ??= {};
  const entry: { auth: string; identitytoken?: string } = { auth: Buffer.from(`${a.username}:${a.password}`).toString('base64') };
  if (a.identitytoken) entry.identitytoken = a.identitytoken;
  cfg.auths[authKey(a.serveraddress)] = entry;
  fs.mkdirSync(configDir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, `${JSON.stringify(cfg, null, '\t')}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return file;
}

/** Remove stored credentials; false when there were none in berth's config. */
export function removeAuth(configDir: string, server: string): boolean {
  const file = path.join(configDir, 'config.json');
  const cfg = readConfig(configDir);
  const key = authKey(server);
  let found = false;
  for (const k of Object.keys(cfg.auths ?? {})) {
    if (authKey(k) === key) {
      delete cfg.auths?.[k];
      found = true;
    }
  }
  if (found) {
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, `${JSON.stringify(cfg, null, '\t')}\n`, { mode: 0o600 });
    fs.renameSync(tmp, file);
  }
  return found;
}

/** The X-Registry-Auth header value (base64url JSON), or undefined without credentials. */
export function registryAuthHeader(a: StoredAuth | undefined): string | undefined {
  if (!a) return undefined;
  const body: Record<string, string> = { username: a.username, password: a.password, serveraddress: a.serveraddress };
  if (a.identitytoken) body['identitytoken'] = a.identitytoken;
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** The registry domain of an image name (reference.Domain after normalisation). */
export function domainOf(fullName: string): string {
  return fullName.split('/')[0] ?? 'docker.io';
}
