// Registry credentials and tokens, as Docker's distribution client handles them: the engine API's
// AuthConfig (X-Registry-Auth / POST /auth), basic auth, and bearer tokens fetched from the
// challenge's realm for a service and scopes, cached per scope set until they expire.
import { createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { undici } from './undici.js';
import { BerthError, unauthorized } from '../../errdefs/index.js';
import type { Challenge } from './challenge.js';
import { errorFromResponse, networkErrorText } from './errors.js';

/** The Engine API's AuthConfig (X-Registry-Auth, /auth body). */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** base64("user:password") (config.json's form) */
  auth?: string;
  email?: string;
  serveraddress?: string;
  /** refresh token from an earlier login (OAuth2 refresh_token grant) */
  identitytoken?: string;
  /** a bearer token to send as is */
  registrytoken?: string;
}

/** Decode X-Registry-Auth (base64url JSON, also std base64 or plain JSON as older clients send). */
export function decodeAuthHeader(header: string | undefined): AuthConfig | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const h = header.trim();
  const tryJson = (s: string): AuthConfig | undefined => {
    try {
      const v = JSON.parse(s) as unknown;
      return typeof v === 'object' && v !== null ? lowerKeys(v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  return tryJson(h) ?? tryJson(Buffer.from(h.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
}

function lowerKeys(v: Record<string, unknown>): AuthConfig {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string' && x !== '') out[k.toLowerCase()] = x;
  return out as AuthConfig;
}

/** Username and password of an AuthConfig (from `auth` when the fields are empty). */
export function credentials(a: AuthConfig | undefined): { username: string; password: string } | undefined {
  if (!a) return undefined;
  if (a.username) return { username: a.username, password: a.password ?? '' };
  if (a.auth) {
    const s = Buffer.from(a.auth, 'base64').toString('utf8');
    const i = s.indexOf(':');
    if (i > 0) return { username: s.slice(0, i), password: s.slice(i + 1) };
  }
  return undefined;
}

export function basicHeader(c: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

interface CachedToken {
  token: string;
  expires: number;
}

/** Bearer tokens per (realm, service, scopes, account), until they expire. */
export class TokenCache {
  readonly #tokens = new Map<string, CachedToken>();
  readonly #pending = new Map<string, Promise<string>>();

  /** Drop a token the registry refused (expired early or revoked). */
  invalidate(key: string): void {
    this.#tokens.delete(key);
  }

  static key(c: Challenge, scopes: readonly string[], auth: AuthConfig | undefined): string {
    // the secret is part of the key (hashed): a token fetched with one password never serves another
    const creds = credentials(auth);
    const secret = createHash('sha256').update(`${creds?.username ?? ''}:${creds?.password ?? ''}:${auth?.identitytoken ?? ''}`).digest('hex');
    return `${c.params['realm'] ?? ''}|${c.params['service'] ?? ''}|${[...scopes].sort().join(' ')}|${secret}`;
  }

  async get(c: Challenge, scopes: readonly string[], auth: AuthConfig | undefined, dispatcher: Dispatcher, what: string): Promise<{ token: string; key: string }> {
    const key = TokenCache.key(c, scopes, auth);
    const hit = this.#tokens.get(key);
    if (hit && hit.expires > Date.now()) return { token: hit.token, key };
    let p = this.#pending.get(key);
    if (!p) {
      p = fetchToken(c, scopes, auth, dispatcher, what).then((t) => {
        this.#tokens.set(key, { token: t.token, expires: Date.now() + Math.max(t.expiresIn - 5, 1) * 1000 });
        return t.token;
      });
      this.#pending.set(key, p);
      p.finally(() => this.#pending.delete(key)).catch(() => undefined);
    }
    return { token: await p, key };
  }
}

/**
 * Fetch a token from the challenge's realm (distribution's tokenHandler): GET with basic auth
 * (or anonymous), or POST the refresh-token grant for an identity token. `what` is the request
 * that needed it ("Head \"https://h/v2/x/manifests/latest\""), for Docker's error wording.
 */
export async function fetchToken(c: Challenge, scopes: readonly string[], auth: AuthConfig | undefined, dispatcher: Dispatcher, what: string): Promise<{ token: string; expiresIn: number }> {
  const realm = c.params['realm'];
  if (!realm) throw unauthorized(`${what}: no realm specified for token auth challenge`);
  const url = new URL(realm);
  const service = c.params['service'];
  const creds = credentials(auth);
  let res: Dispatcher.ResponseData;
  try {
    if (auth?.identitytoken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: auth.identitytoken, client_id: 'docker' });
      if (service) form.set('service', service);
      for (const s of scopes) form.append('scope', s);
      res = await undici().request(url, { dispatcher, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    } else {
      if (service) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (creds) url.searchParams.set('account', creds.username);
      const headers: Record<string, string> = {};
      if (creds) headers['authorization'] = basicHeader(creds);
      res = await undici().request(url, { dispatcher, method: 'GET', headers });
    }
  } catch (err) {
    throw unauthorized(`${what}: ${networkErrorText(err, url.host)}`, { cause: err });
  }
  const text = await res.body.text();
  if (res.statusCode < 200 || res.statusCode >= 300) {
    const e = errorFromResponse(res.statusCode, text);
    throw new BerthError(e.kind, `${what}: ${e.message}`, { cause: e, details: e.details });
  }
  let body: { token?: string; access_token?: string; expires_in?: number };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw unauthorized(`${what}: unable to decode token response`);
  }
  const token = body.token || body.access_token;
  if (!token) throw unauthorized(`${what}: authorization server did not include a token in the response`);
  return { token, expiresIn: typeof body.expires_in === 'number' && body.expires_in > 0 ? Math.max(body.expires_in, 60) : 60 };
}
